import { readRepoSnapshot } from '../../functions/lib/repo-snapshot';
import { FakeGitHub } from '../support/fake-github';
import { accounts, onboardedRepoFiles, reconcileConfig } from '../support/reconcile-fixtures';
import { reconcileOctokit } from '../support/reconcile-github';

const config = reconcileConfig();

async function snapshotOfOrg(count: number) {
  const fake = new FakeGitHub();
  const org = accounts(count);
  fake.seedRepo({ files: onboardedRepoFiles(org, config) });
  const snapshot = await readRepoSnapshot(reconcileOctokit(fake), config);
  return { fake, org, snapshot };
}

describe('readRepoSnapshot', () => {
  it('learns every folder, its files and the account its tfvars names, plus the workflow, from one download', async () => {
    // Act
    const { fake, snapshot } = await snapshotOfOrg(3);
    // Assess
    expect(snapshot.commitSha).toBe(fake.branchSha('main'));
    expect(snapshot.folders['aws-accounts/workload-0002']).toEqual({
      files: ['backend.tf', 'main.tf', 'provider.tf', 'terraform.tfvars', 'variables.tf'],
      tfvarsAccountId: '200000000002',
    });
    expect(Object.keys(snapshot.folders)).toHaveLength(3);
    expect(snapshot.workflowText).toContain('- aws-accounts/workload-0001');
  });

  it('makes the same GitHub calls for 10 accounts as for 1,000', async () => {
    // Act
    const small = await snapshotOfOrg(10);
    const large = await snapshotOfOrg(1000);
    // Assess
    // The pull requests are listed alongside the ref and tarball reads, so the order of the three may vary.
    const calls = (fake: FakeGitHub) =>
      fake.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{40}/, '<sha>')}`).sort();
    expect(Object.keys(large.snapshot.folders)).toHaveLength(1000);
    expect(large.snapshot.folders['aws-accounts/workload-0999']?.tfvarsAccountId).toBe('200000000999');
    expect(calls(large.fake)).toEqual(calls(small.fake));
    expect(calls(large.fake)).toEqual([
      'GET /repos/acme/terraform-aws/git/ref/heads/main',
      'GET /repos/acme/terraform-aws/pulls',
      'GET /repos/acme/terraform-aws/tarball/<sha>',
    ]);
  });

  it('lists onboarding pull requests with their account, state and content hash, and ignores other branches', async () => {
    // Prepare
    const fake = new FakeGitHub();
    fake.seedRepo({ files: onboardedRepoFiles(accounts(1), config) });
    const hash = 'a'.repeat(64);
    for (const branch of ['onboarding/200000000005', 'onboarding/200000000006', 'feature/x']) {
      fake.commitFiles(branch, { [`${branch}.txt`]: 'x' });
    }
    const octokit = reconcileOctokit(fake);
    const body = `text\n<!-- oidc-account-onboarding:v1 account=200000000005 hash=${hash} -->`;
    await octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'terraform-aws',
      head: 'onboarding/200000000005',
      base: 'main',
      title: 't',
      body,
    });
    await octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'terraform-aws',
      head: 'onboarding/200000000006',
      base: 'main',
      title: 't',
    });
    await octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'terraform-aws',
      head: 'feature/x',
      base: 'main',
      title: 't',
    });
    fake.closePull(2);
    // Act
    const snapshot = await readRepoSnapshot(octokit, config);
    // Assess
    expect(snapshot.pulls).toEqual([
      {
        number: 2,
        accountId: '200000000006',
        state: 'closed',
        merged: false,
        url: 'https://github.com/acme/terraform-aws/pull/2',
      },
      {
        number: 1,
        accountId: '200000000005',
        state: 'open',
        merged: false,
        url: 'https://github.com/acme/terraform-aws/pull/1',
        hash,
      },
    ]);
  });
});
