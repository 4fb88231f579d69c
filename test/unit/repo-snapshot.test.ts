import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { observeRepo, readRepoFiles } from '../../functions/lib/repo-snapshot';
import { gzippedTar } from '../../local/github/tarball';
import { startTestRepo, type TestRepo } from '../support/github-repo';
import { accounts, onboardedRepoFiles, reconcileConfig } from '../support/reconcile-fixtures';

const config = reconcileConfig();
const repos: TestRepo[] = [];

afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.stop();
});

async function snapshotOfOrg(count: number) {
  const repo = await startTestRepo(onboardedRepoFiles(accounts(count), config));
  repos.push(repo);
  repo.mark();
  const snapshot = await observeRepo(repo.octokit, config);
  return { repo, snapshot };
}

describe('observeRepo', () => {
  it('learns every folder, its files and the account its tfvars names, plus the workflow, from one download', async () => {
    // Act
    const { repo, snapshot } = await snapshotOfOrg(3);
    // Assess
    expect(snapshot.commitSha).toBe(await repo.sha('main'));
    expect(snapshot.folders['aws-accounts/workload-0002']).toEqual({
      files: ['backend.tf', 'main.tf', 'provider.tf', 'terraform.tfvars', 'variables.tf'],
      tfvarsAccountId: '200000000002',
    });
    expect(Object.keys(snapshot.folders)).toHaveLength(3);
    expect(snapshot.workflowText).toContain('- aws-accounts/workload-0001');
  });

  it('makes the same GitHub calls for 10 accounts as for 100', async () => {
    // Act
    const small = await snapshotOfOrg(10);
    const large = await snapshotOfOrg(100);
    // Assess
    // The pull requests are listed alongside the ref and tarball reads, so the order of the three may vary.
    const calls = (repo: TestRepo) =>
      repo.standIn.requests
        .slice(-3)
        .map((r) => r.route)
        .sort();
    expect(Object.keys(large.snapshot.folders)).toHaveLength(100);
    expect(large.snapshot.folders['aws-accounts/workload-0099']?.tfvarsAccountId).toBe('200000000099');
    expect(large.repo.requests()).toBe(3);
    expect(calls(large.repo)).toEqual(calls(small.repo));
    expect(calls(large.repo)).toEqual([
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      'GET /repos/{owner}/{repo}/pulls',
      'GET /repos/{owner}/{repo}/tarball/{ref}',
    ]);
  }, 60_000);

  it('lists onboarding pull requests with their account, state, marker and head, and ignores other branches', async () => {
    // Prepare
    const repo = await startTestRepo(onboardedRepoFiles(accounts(1), config));
    repos.push(repo);
    const hash = 'a'.repeat(64);
    const heads: Record<string, string> = {};
    for (const branch of ['onboarding/200000000005', 'onboarding/200000000006', 'feature/x']) {
      heads[branch] = await repo.personCommits(branch, { [`${branch}.txt`]: 'x' });
    }
    const ref = { owner: repo.owner, repo: repo.repo, base: 'main', title: 't' };
    const body = `text\n<!-- oidc-account-onboarding:v1 account=200000000005 hash=${hash} -->`;
    await repo.octokit.rest.pulls.create({ ...ref, head: 'onboarding/200000000005', body });
    await repo.octokit.rest.pulls.create({ ...ref, head: 'onboarding/200000000006' });
    await repo.octokit.rest.pulls.create({ ...ref, head: 'feature/x' });
    await repo.octokit.rest.pulls.update({ owner: repo.owner, repo: repo.repo, pull_number: 2, state: 'closed' });
    // Act
    const snapshot = await observeRepo(repo.octokit, config);
    // Assess: the open one carries a marker, but its head is a person's commit
    const url = (n: number) => `${repo.standIn.url}/${repo.owner}/${repo.repo}/pull/${n}`;
    expect(snapshot.pulls).toEqual([
      {
        number: 2,
        accountId: '200000000006',
        state: 'closed',
        merged: false,
        url: url(2),
        headSha: heads['onboarding/200000000006'],
      },
      {
        number: 1,
        accountId: '200000000005',
        state: 'open',
        merged: false,
        url: url(1),
        headSha: heads['onboarding/200000000005'],
        marker: { accountId: '200000000005', hash },
        headIsOurs: false,
      },
    ]);
  });

  describe('the tarball reader', () => {
    const top = 'acme-terraform-aws-abc1234';
    const options = { accountsDir: 'aws-accounts', workflowPath: '.github/workflows/tf.yml', maxFileBytes: 64 };
    const file = (path: string, text: string) => ({
      path: `${top}/${path}`,
      kind: 'file' as const,
      mode: 0o644,
      content: Buffer.from(text),
    });

    it("keeps each folder's files and the account of a small tfvars, skipping an oversized one unread", async () => {
      // Prepare
      const tarball = gzippedTar('abc1234', top, [
        file('aws-accounts/a/terraform.tfvars', 'aws_account_id = "200000000001"\n'),
        file('aws-accounts/a/main.tf', '# a\n'),
        file('aws-accounts/b/terraform.tfvars', `${'# padding\n'.repeat(20)}aws_account_id = "200000000002"\n`),
        file('.github/workflows/tf.yml', 'on: push\n'),
        file('README.md', 'x'),
      ]);

      // Act
      const files = await readRepoFiles(Readable.from(tarball), options);

      // Assess
      expect(files).toEqual({
        workflowText: 'on: push\n',
        folders: {
          'aws-accounts/a': { files: ['main.tf', 'terraform.tfvars'], tfvarsAccountId: '200000000001' },
          'aws-accounts/b': { files: ['terraform.tfvars'] },
        },
      });
    });

    it('refuses a tarball whose header checksum is wrong', async () => {
      // Prepare: flip one byte of the first file's header name
      const tar = gunzipSync(gzippedTar('abc1234', top, [file('aws-accounts/a/main.tf', '# a\n')]));
      const at = tar.indexOf(Buffer.from('aws-accounts/a/main.tf'));
      tar[at] = tar[at] === 0x61 ? 0x62 : 0x61;

      // Act / Assess
      await expect(readRepoFiles(Readable.from(gzipSync(tar)), options)).rejects.toThrow(/header|checksum/i);
    });
  });
});
