import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { type GitHubStandIn, startGitHubStandIn } from '../../local/github/server';

const TOKEN = 'ghp_standInTestToken';
const SEED_MATRIX =
  "      matrix: { dir: ['aws-accounts/tooling', 'aws-accounts/workload-prod-01'] }               # Replace, declare folder(s) to traverse";
const WORKFLOW = `name: tf-cicd-aws\njobs:\n  plan:\n    strategy:\n${SEED_MATRIX}\n`;
const ADDED_MATRIX = SEED_MATRIX.replace(
  "'aws-accounts/workload-prod-01']",
  "'aws-accounts/workload-prod-01', 'aws-accounts/sandbox-01']",
);

const hasGitCli = spawnSync('git', ['--version']).status === 0;

async function statusOf(
  call: Promise<unknown>,
): Promise<{ status: number; message: string; headers: Record<string, string> }> {
  try {
    await call;
    return { status: 200, message: '', headers: {} };
  } catch (error) {
    const e = error as { status: number; message: string; response?: { headers: Record<string, string> } };
    return { status: e.status, message: e.message, headers: e.response?.headers ?? {} };
  }
}

describe('GitHub stand-in', () => {
  let standIn: GitHubStandIn;
  let octokit: Octokit;
  let repo: { owner: string; repo: string };

  beforeEach(async () => {
    standIn = await startGitHubStandIn({ token: TOKEN });
    octokit = new Octokit({ baseUrl: standIn.url, auth: TOKEN });
    repo = { owner: standIn.owner, repo: standIn.repo };
    await standIn.seed({
      '.github/workflows/tf-cicd-aws.yml': WORKFLOW,
      'aws-accounts/tooling/main.tf': 'module "tooling" {}\n',
      'README.md': '# terraform-aws\n',
    });
  });

  afterEach(async () => {
    await standIn.stop();
  });

  /** Blob, tree, commit and branch the way the onboarding step builds them; returns the commit sha. */
  async function commitOnboardingBranch(branch: string, matrixLine = ADDED_MATRIX): Promise<string> {
    const main = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    const base = await octokit.rest.git.getCommit({ ...repo, commit_sha: main.data.object.sha });
    const blob = await octokit.rest.git.createBlob({
      ...repo,
      content: 'account_id = "000000000042"\n',
      encoding: 'utf-8',
    });
    const tree = await octokit.rest.git.createTree({
      ...repo,
      base_tree: base.data.tree.sha,
      tree: [
        { path: 'aws-accounts/sandbox-01/main.tf', mode: '100644', type: 'blob', content: 'module "account" {}\n' },
        { path: 'aws-accounts/sandbox-01/terraform.tfvars', mode: '100644', type: 'blob', sha: blob.data.sha },
        {
          path: '.github/workflows/tf-cicd-aws.yml',
          mode: '100644',
          type: 'blob',
          content: WORKFLOW.replace(SEED_MATRIX, matrixLine),
        },
      ],
    });
    const commit = await octokit.rest.git.createCommit({
      ...repo,
      message: 'Onboard sandbox-01',
      tree: tree.data.sha,
      parents: [main.data.object.sha],
    });
    await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
    return commit.data.sha;
  }

  it('builds an onboarding commit through the Git Data API and opens one mergeable pull request', async () => {
    // Prepare
    const commitSha = await commitOnboardingBranch('onboarding/000000000042');

    // Act
    const created = await octokit.rest.pulls.create({
      ...repo,
      head: 'onboarding/000000000042',
      base: 'main',
      title: 'Onboard sandbox-01',
      body: 'Adds the account folder',
    });
    await octokit.rest.issues.addLabels({ ...repo, issue_number: created.data.number, labels: ['onboarding'] });
    await octokit.rest.pulls.requestReviewers({
      ...repo,
      pull_number: created.data.number,
      reviewers: ['platform-lead'],
    });
    const fetched = await octokit.rest.pulls.get({ ...repo, pull_number: created.data.number });
    const listed = await octokit.rest.pulls.list({
      ...repo,
      head: `${repo.owner}:onboarding/000000000042`,
      state: 'all',
    });
    const files = await octokit.rest.pulls.listFiles({ ...repo, pull_number: created.data.number });

    // Assess
    expect(created.status).toBe(201);
    expect(fetched.data).toMatchObject({
      number: 1,
      state: 'open',
      merged: false,
      mergeable: true,
      title: 'Onboard sandbox-01',
      head: { ref: 'onboarding/000000000042', sha: commitSha, label: 'acme:onboarding/000000000042' },
      base: { ref: 'main' },
      labels: [{ name: 'onboarding' }],
      requested_reviewers: [{ login: 'platform-lead' }],
    });
    expect(listed.data.map((pull) => pull.number)).toEqual([1]);
    expect(files.data.map((file) => [file.filename, file.status, file.additions, file.deletions])).toEqual([
      ['.github/workflows/tf-cicd-aws.yml', 'modified', 1, 1],
      ['aws-accounts/sandbox-01/main.tf', 'added', 1, 0],
      ['aws-accounts/sandbox-01/terraform.tfvars', 'added', 1, 0],
    ]);
    expect(await standIn.readFile('onboarding/000000000042', 'aws-accounts/sandbox-01/terraform.tfvars')).toBe(
      'account_id = "000000000042"\n',
    );
    expect(standIn.requests.filter((r) => r.contentCreating).map((r) => r.route)).toEqual([
      'POST /repos/{owner}/{repo}/git/blobs',
      'POST /repos/{owner}/{repo}/git/trees',
      'POST /repos/{owner}/{repo}/git/commits',
      'POST /repos/{owner}/{repo}/git/refs',
      'POST /repos/{owner}/{repo}/pulls',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
      'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
    ]);
    standIn.assertNoInvalidRequests();
  });

  (hasGitCli ? it : it.skip)(
    'leaves a real git repository whose clone shows the commit and a one-line workflow diff',
    async () => {
      // Prepare
      await commitOnboardingBranch('onboarding/000000000042');
      const clone = mkdtempSync(join(tmpdir(), 'stand-in-clone-'));

      try {
        // Act
        execFileSync('git', ['clone', '--quiet', '--branch', 'onboarding/000000000042', standIn.repoDir, clone]);
        const diff = execFileSync('git', ['-C', clone, 'diff', '--unified=0', 'origin/main', 'HEAD', '--', '.github'], {
          encoding: 'utf8',
        });
        const fsck = spawnSync('git', ['-C', standIn.repoDir, 'fsck', '--strict'], { encoding: 'utf8' });

        // Assess
        expect(readFileSync(join(clone, 'aws-accounts/sandbox-01/main.tf'), 'utf8')).toBe('module "account" {}\n');
        expect(readFileSync(join(clone, 'aws-accounts/tooling/main.tf'), 'utf8')).toBe('module "tooling" {}\n');
        expect(diff.split('\n').filter((line) => /^[-+][^-+]/.test(line))).toEqual([
          `-${SEED_MATRIX}`,
          `+${ADDED_MATRIX}`,
        ]);
        expect(fsck.status).toBe(0);
      } finally {
        rmSync(clone, { recursive: true, force: true });
      }
    },
  );
  if (!hasGitCli) console.warn('git CLI not found: the clone test of the GitHub stand-in is skipped');

  it('lists a recursive tree from a commit sha or a branch name, and 404s an unknown ref', async () => {
    // Prepare
    const main = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });

    // Act
    const bySha = await octokit.rest.git.getTree({ ...repo, tree_sha: main.data.object.sha, recursive: '1' });
    const byBranch = await octokit.rest.git.getTree({ ...repo, tree_sha: 'main', recursive: '1' });
    const missing = await statusOf(octokit.rest.git.getRef({ ...repo, ref: 'heads/nope' }));

    // Assess
    expect(bySha.data.truncated).toBe(false);
    expect(bySha.data.tree.map((e) => `${e.type} ${e.path}`)).toEqual([
      'tree .github',
      'tree .github/workflows',
      'blob .github/workflows/tf-cicd-aws.yml',
      'blob README.md',
      'tree aws-accounts',
      'tree aws-accounts/tooling',
      'blob aws-accounts/tooling/main.tf',
    ]);
    expect(bySha.data.tree.find((e) => e.path === 'README.md')).toMatchObject({ mode: '100644', size: 16 });
    expect(byBranch.data.sha).toBe(bySha.data.sha);
    expect(missing.status).toBe(404);
  });

  it('deletes a path with sha null and keeps untouched folders from base_tree', async () => {
    // Prepare
    const main = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    const base = await octokit.rest.git.getCommit({ ...repo, commit_sha: main.data.object.sha });

    // Act
    const tree = await octokit.rest.git.createTree({
      ...repo,
      base_tree: base.data.tree.sha,
      tree: [{ path: 'README.md', mode: '100644', type: 'blob', sha: null }],
    });

    // Assess
    expect(tree.data.tree.map((e) => e.path)).toEqual(['.github', 'aws-accounts']);
    standIn.assertNoInvalidRequests();
  });

  it('refuses a duplicate pull request, a pull request without commits and an existing branch with 422', async () => {
    // Prepare
    const sha = await commitOnboardingBranch('onboarding/000000000042');
    await octokit.rest.pulls.create({ ...repo, head: 'onboarding/000000000042', base: 'main', title: 'Onboard' });
    const main = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/empty', sha: main.data.object.sha });

    // Act
    const duplicate = await statusOf(
      octokit.rest.pulls.create({ ...repo, head: 'acme:onboarding/000000000042', base: 'main', title: 'Again' }),
    );
    const noCommits = await statusOf(
      octokit.rest.pulls.create({ ...repo, head: 'empty', base: 'main', title: 'Empty' }),
    );
    const existingRef = await statusOf(
      octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/onboarding/000000000042', sha }),
    );

    // Assess
    expect(duplicate).toMatchObject({ status: 422 });
    expect(duplicate.message).toContain('A pull request already exists for acme:onboarding/000000000042.');
    expect(noCommits).toMatchObject({ status: 422 });
    expect(noCommits.message).toContain('No commits between main and empty');
    expect(existingRef).toMatchObject({ status: 422 });
    expect(existingRef.message).toContain('Reference already exists');
    expect((await standIn.listPulls()).length).toBe(1);
  });

  it('rejects a non-fast-forward ref update unless forced', async () => {
    // Prepare
    const first = await commitOnboardingBranch('onboarding/000000000042');
    const main = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    const mainTree = (await octokit.rest.git.getCommit({ ...repo, commit_sha: main.data.object.sha })).data.tree.sha;
    const rebuilt = await octokit.rest.git.createCommit({
      ...repo,
      message: 'Rebuilt',
      tree: mainTree,
      parents: [main.data.object.sha],
    });

    // Act
    const plain = await statusOf(
      octokit.rest.git.updateRef({ ...repo, ref: 'heads/onboarding/000000000042', sha: rebuilt.data.sha }),
    );
    const forced = await octokit.rest.git.updateRef({
      ...repo,
      ref: 'heads/onboarding/000000000042',
      sha: rebuilt.data.sha,
      force: true,
    });

    // Assess
    expect(plain).toMatchObject({ status: 422 });
    expect(plain.message).toContain('Update is not a fast forward');
    expect(forced.data.object.sha).toBe(rebuilt.data.sha);
    expect(forced.data.object.sha).not.toBe(first);
  });

  it('answers 409 to a contents update with a stale sha and commits one with the current sha', async () => {
    // Prepare
    const current = await octokit.rest.repos.getContent({ ...repo, path: 'README.md' });
    const currentSha = (current.data as { sha: string }).sha;
    const content = Buffer.from('# terraform-aws, edited\n').toString('base64');

    // Act
    const stale = await statusOf(
      octokit.rest.repos.createOrUpdateFileContents({
        ...repo,
        path: 'README.md',
        message: 'Edit',
        content,
        sha: '0'.repeat(40),
      }),
    );
    const missingSha = await statusOf(
      octokit.rest.repos.createOrUpdateFileContents({ ...repo, path: 'README.md', message: 'Edit', content }),
    );
    const updated = await octokit.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'README.md',
      message: 'Edit',
      content,
      sha: currentSha,
    });

    // Assess
    expect(Buffer.from((current.data as { content: string }).content, 'base64').toString()).toBe('# terraform-aws\n');
    expect(stale.status).toBe(409);
    expect(missingSha.status).toBe(422);
    expect(updated.status).toBe(200);
    expect(await standIn.readFile('main', 'README.md')).toBe('# terraform-aws, edited\n');
    expect((await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha).toBe(
      updated.data.commit.sha,
    );
  });

  it('merges a clean pull request with a merge commit and refuses a conflicting one with 405', async () => {
    // Prepare: two branches that change the same workflow line differently.
    await commitOnboardingBranch('onboarding/a');
    await commitOnboardingBranch('onboarding/b', SEED_MATRIX.replace("']", "', 'aws-accounts/other']"));
    const a = await octokit.rest.pulls.create({ ...repo, head: 'onboarding/a', base: 'main', title: 'A' });
    const b = await octokit.rest.pulls.create({ ...repo, head: 'onboarding/b', base: 'main', title: 'B' });

    // Act
    const merged = await octokit.rest.pulls.merge({ ...repo, pull_number: a.data.number });
    const afterMerge = await octokit.rest.pulls.get({ ...repo, pull_number: b.data.number });
    const refused = await statusOf(octokit.rest.pulls.merge({ ...repo, pull_number: b.data.number }));

    // Assess
    const mergeCommit = await octokit.rest.git.getCommit({ ...repo, commit_sha: merged.data.sha });
    expect(mergeCommit.data.parents.map((p) => p.sha)).toEqual([a.data.base.sha, a.data.head.sha]);
    expect(mergeCommit.data.message).toBe('Merge pull request #1 from acme/onboarding/a\n\nA');
    expect(await standIn.readFile('main', '.github/workflows/tf-cicd-aws.yml')).toContain(ADDED_MATRIX);
    expect((await octokit.rest.pulls.get({ ...repo, pull_number: a.data.number })).data).toMatchObject({
      state: 'closed',
      merged: true,
      merge_commit_sha: merged.data.sha,
    });
    expect(afterMerge.data).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    expect(refused.status).toBe(405);
  });

  it('answers a conditional GET with 304 while the content is unchanged, and 200 with a new ETag once it moved', async () => {
    // Prepare
    const first = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    const etag = first.headers.etag as string;

    // Act
    const unchanged = await statusOf(
      octokit.rest.git.getRef({ ...repo, ref: 'heads/main', headers: { 'if-none-match': etag } }),
    );
    await standIn.seed({ 'README.md': '# moved\n' }, 'base moves');
    const moved = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main', headers: { 'if-none-match': etag } });

    // Assess
    expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    expect(unchanged.status).toBe(304);
    expect(moved.status).toBe(200);
    expect(moved.headers.etag).not.toBe(etag);
    expect(standIn.requests.map((r) => r.status)).toEqual(expect.arrayContaining([304]));
  });

  it('squash-merges a pull request that does not touch what base changed', async () => {
    // Prepare
    await commitOnboardingBranch('onboarding/000000000042');
    const pull = await octokit.rest.pulls.create({
      ...repo,
      head: 'onboarding/000000000042',
      base: 'main',
      title: 'Onboard',
    });
    await standIn.seed({ 'README.md': '# terraform-aws\n\nEdited on main.\n' }, 'Edit README on main');

    // Act
    const merged = await octokit.rest.pulls.merge({ ...repo, pull_number: pull.data.number, merge_method: 'squash' });

    // Assess
    const commit = await octokit.rest.git.getCommit({ ...repo, commit_sha: merged.data.sha });
    expect(commit.data.parents).toHaveLength(1);
    expect(commit.data.message).toBe('Onboard (#1)');
    expect(await standIn.readFile('main', 'README.md')).toBe('# terraform-aws\n\nEdited on main.\n');
    expect(await standIn.readFile('main', 'aws-accounts/sandbox-01/main.tf')).toBe('module "account" {}\n');
  });

  it('closes an open pull request when its head branch is deleted, and closes and reopens through PATCH', async () => {
    // Prepare
    await commitOnboardingBranch('onboarding/000000000042');
    const pull = await octokit.rest.pulls.create({
      ...repo,
      head: 'onboarding/000000000042',
      base: 'main',
      title: 'Onboard',
    });

    // Act
    const closed = await octokit.rest.pulls.update({ ...repo, pull_number: pull.data.number, state: 'closed' });
    const reopened = await octokit.rest.pulls.update({
      ...repo,
      pull_number: pull.data.number,
      state: 'open',
      title: 'Again',
    });
    await octokit.rest.git.deleteRef({ ...repo, ref: 'heads/onboarding/000000000042' });
    const afterDelete = await octokit.rest.pulls.get({ ...repo, pull_number: pull.data.number });

    // Assess
    expect(closed.data.state).toBe('closed');
    expect(reopened.data).toMatchObject({ state: 'open', title: 'Again' });
    expect(afterDelete.data).toMatchObject({ state: 'closed', merged: false, head: { sha: pull.data.head.sha } });
  });

  it('creates, lists and closes issues next to pull requests', async () => {
    // Act
    const issue = await octokit.rest.issues.create({
      ...repo,
      title: 'Reconcile report',
      body: 'drift',
      labels: ['reconcile'],
    });
    const open = await octokit.rest.issues.listForRepo({ ...repo, labels: 'reconcile' });
    await octokit.rest.issues.update({ ...repo, issue_number: issue.data.number, state: 'closed' });
    const closed = await octokit.rest.issues.listForRepo({ ...repo, state: 'closed' });

    // Assess
    expect(open.data.map((i) => [i.number, i.title])).toEqual([[1, 'Reconcile report']]);
    expect(closed.data.map((i) => i.state)).toEqual(['closed']);
    standIn.assertNoInvalidRequests();
  });

  it('answers the next content-creating requests with a secondary rate limit carrying retry-after', async () => {
    // Prepare
    standIn.setFaults({ secondaryRateLimit: { count: 1, retryAfterSeconds: 1 } });

    // Act
    const read = await statusOf(octokit.rest.git.getRef({ ...repo, ref: 'heads/main' }));
    const limited = await statusOf(octokit.rest.git.createBlob({ ...repo, content: 'x' }));
    const after = await statusOf(octokit.rest.git.createBlob({ ...repo, content: 'x' }));

    // Assess
    expect(read.status).toBe(200);
    expect(limited.status).toBe(403);
    expect(limited.message).toMatch(/secondary rate limit/);
    expect(limited.headers['retry-after']).toBe('1');
    expect(after.status).toBe(200);
    expect(standIn.requests.slice(-3).map((r) => [r.route, r.status, r.contentCreating])).toEqual([
      ['GET /repos/{owner}/{repo}/git/ref/{ref}', 200, false],
      ['POST /repos/{owner}/{repo}/git/blobs', 403, true],
      ['POST /repos/{owner}/{repo}/git/blobs', 201, true],
    ]);
  });

  it('answers 502 to the next requests that the only filter selects', async () => {
    // Prepare
    standIn.setFaults({
      badGateway: { count: 2 },
      only: (_method, route) => route === 'POST /repos/{owner}/{repo}/git/blobs',
    });

    // Act
    const read = await statusOf(octokit.rest.repos.get(repo));
    const first = await statusOf(octokit.rest.git.createBlob({ ...repo, content: 'x' }));
    const second = await statusOf(octokit.rest.git.createBlob({ ...repo, content: 'x' }));
    const third = await statusOf(octokit.rest.git.createBlob({ ...repo, content: 'x' }));

    // Assess
    expect([read.status, first.status, second.status, third.status]).toEqual([200, 502, 502, 200]);
  });

  it('records a request that breaks GitHub API description and says so in assertNoInvalidRequests', async () => {
    // Act
    const noMode = await statusOf(
      octokit.request('POST /repos/{owner}/{repo}/git/trees', {
        ...repo,
        tree: [{ path: 'a.txt', type: 'blob', content: 'a' }],
      } as never),
    );
    const badState = await statusOf(
      octokit.request('GET /repos/{owner}/{repo}/pulls', { ...repo, state: 'merged' } as never),
    );
    const unknownQuery = await statusOf(
      octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...repo, ref: 'heads/main', recursive: '1' }),
    );

    // Assess
    expect([noMode.status, badState.status, unknownQuery.status]).toEqual([422, 422, 422]);
    expect(standIn.invalidRequests.map((r) => r.route)).toEqual([
      'POST /repos/{owner}/{repo}/git/trees',
      'GET /repos/{owner}/{repo}/pulls',
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
    ]);
    expect(standIn.invalidRequests[0]?.problems.join()).toContain('mode is missing');
    expect(standIn.invalidRequests[1]?.problems.join()).toContain('allowed values');
    expect(() => standIn.assertNoInvalidRequests()).toThrow(/git\/trees: tree\[0\]\.mode is missing/);
  });

  it('requires the configured token and answers 401 with a GitHub error body otherwise', async () => {
    // Prepare
    const anonymous = new Octokit({ baseUrl: standIn.url });
    const wrong = new Octokit({ baseUrl: standIn.url, auth: 'ghp_wrong' });

    // Act
    const none = await statusOf(anonymous.rest.repos.get(repo));
    const bad = await statusOf(wrong.rest.repos.get(repo));
    const good = await anonymous.rest.repos.get({ ...repo, headers: { authorization: `Bearer ${TOKEN}` } });

    // Assess
    expect(none).toMatchObject({ status: 401, message: expect.stringContaining('Requires authentication') });
    expect(bad).toMatchObject({ status: 401, message: expect.stringContaining('Bad credentials') });
    expect(good.data).toMatchObject({ full_name: 'acme/terraform-aws', default_branch: 'main' });
    expect(good.headers['x-ratelimit-limit']).toBe('5000');
  });

  it('records the API version each request names and answers 400 to a version GitHub does not support', async () => {
    // Act
    await octokit.rest.repos.get({ ...repo, headers: { 'x-github-api-version': '2022-11-28' } });
    await octokit.rest.repos.get(repo);
    const unsupported = await statusOf(
      octokit.rest.repos.get({ ...repo, headers: { 'x-github-api-version': '2021-01-01' } }),
    );

    // Assess
    expect(standIn.requests.map((r) => r.apiVersion)).toEqual(['2022-11-28', undefined, '2021-01-01']);
    expect(unsupported).toMatchObject({ status: 400, message: expect.stringContaining('Unsupported') });
  });

  it('serves only the routes it is told to, as a partial GitHub-compatible API would', async () => {
    // Prepare
    const partial = await startGitHubStandIn({
      token: TOKEN,
      serves: (_method, route) => route !== 'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
    });
    const client = new Octokit({ baseUrl: partial.url, auth: TOKEN });
    try {
      // Act
      const files = await statusOf(client.rest.pulls.listFiles({ ...repo, pull_number: 1 }));
      const repository = await client.rest.repos.get(repo);

      // Assess
      expect(files.status).toBe(404);
      expect(repository.status).toBe(200);
      expect(partial.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
        'GET /repos/acme/terraform-aws/pulls/1/files 404',
        'GET /repos/{owner}/{repo} 200',
      ]);
    } finally {
      await partial.stop();
    }
  });

  it('serves a GitHub App installation token that then authorises repository calls', async () => {
    // Prepare
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const app = new Octokit({
      baseUrl: standIn.url,
      authStrategy: createAppAuth,
      auth: {
        appId: 1234,
        privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        installationId: 42,
      },
    });

    // Act
    const ref = await app.rest.git.getRef({ ...repo, ref: 'heads/main' });

    // Assess
    expect(ref.status).toBe(200);
    expect(standIn.requests.map((r) => `${r.route} ${r.status}`).slice(-2)).toEqual([
      'POST /app/installations/{installation_id}/access_tokens 201',
      'GET /repos/{owner}/{repo}/git/ref/{ref} 200',
    ]);
  });

  it('answers 1,000 requests in a row (speed: npm run bench)', async () => {
    // Act
    for (let i = 0; i < 1000; i += 1) await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });

    // Assess
    expect(standIn.requests.filter((r) => r.status === 200)).toHaveLength(1000);
  });
});
