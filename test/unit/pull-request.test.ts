import { type OnboardingConfig, parseConfig } from '../../functions/lib/config';
import { GitHubUnavailable } from '../../functions/lib/errors';
import { EDITED_COMMENT_MARKER, parseOnboardingMarker } from '../../functions/lib/onboarding-change';
import { ensureOnboardingPullRequest, type OnboardingPullRequestInput } from '../../functions/lib/pull-request';
import type { AccountContext, RoleResult } from '../../functions/lib/types';
import { seedRepoFiles } from '../../local/seed-repo';
import { startTestRepo, type TestRepo } from '../support/github-repo';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const FOLDER = 'aws-accounts/workload-dev-02';
const FIVE = ['backend.tf', 'main.tf', 'provider.tf', 'terraform.tfvars', 'variables.tf'];
const BRANCH = 'onboarding/012345678901';

function makeConfig(github: Record<string, unknown> = {}): OnboardingConfig {
  return parseConfig({
    toolingAccountId: '111111111111',
    github: {
      owner: 'acme',
      repo: 'terraform-aws',
      auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
      ...github,
    },
    terraform: {},
  });
}

const account: AccountContext = {
  accountId: '012345678901',
  name: 'Workload Dev 02',
  email: 'dev02@example.com',
  status: 'ACTIVE',
  ouPath: [{ id: 'r-ab12', name: 'Root' }],
  tags: {},
};
const role: RoleResult = {
  outcome: 'created',
  roleArn: 'arn:aws:iam::012345678901:role/cicd',
  changes: [],
  accessRole: 'OrganizationAccountAccessRole',
};

let repo: TestRepo;
let config: OnboardingConfig;
const run = (input: Partial<OnboardingPullRequestInput> = {}) =>
  ensureOnboardingPullRequest(repo.octokit, config, { account, role, force: false, ...input });
const pulls = async () =>
  (await repo.octokit.rest.pulls.list({ owner: 'acme', repo: 'terraform-aws', state: 'all' })).data.sort(
    (a, b) => a.number - b.number,
  );

beforeEach(async () => {
  repo = await startTestRepo(seedRepoFiles({ tooling: '111111111111', workloadProd: '222222222222' }));
  config = makeConfig();
});

afterEach(async () => {
  repo.standIn.assertNoInvalidRequests();
  await repo.stop();
});

describe('ensureOnboardingPullRequest', () => {
  it('opens one PR whose single commit, made as the tool, adds the five files and one matrix line', async () => {
    // Prepare
    const before = await repo.files('main');
    const baseSha = await repo.sha('main');
    repo.mark();

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ outcome: 'opened', branch: BRANCH, folder: FOLDER, number: 1 });
    expect(result.files.sort()).toEqual([WORKFLOW, ...FIVE.map((f) => `${FOLDER}/${f}`)].sort());
    const head = (await repo.sha(BRANCH)) as string;
    expect(await repo.parents(head)).toEqual([baseSha]);
    const after = await repo.files(BRANCH);
    expect(Object.keys(after).filter((p) => !(p in before))).toEqual(FIVE.map((f) => `${FOLDER}/${f}`));
    expect(Object.keys(before).filter((p) => before[p] !== after[p])).toEqual([WORKFLOW]);
    const [pull] = await pulls();
    expect(pull?.title).toBe('Onboard AWS account Workload Dev 02 (012345678901)');
    expect(parseOnboardingMarker(pull?.body)).toEqual({
      accountId: '012345678901',
      folder: FOLDER,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      commit: head,
    });
    const { data: commit } = await repo.octokit.rest.git.getCommit({
      owner: 'acme',
      repo: 'terraform-aws',
      commit_sha: head,
    });
    expect([commit.author.email, commit.committer.email]).toEqual([
      'oidc-account-onboarding@users.noreply.github.com',
      'oidc-account-onboarding@users.noreply.github.com',
    ]);
    expect(repo.writes()).toEqual([
      'POST /repos/{owner}/{repo}/git/trees',
      'POST /repos/{owner}/{repo}/git/commits',
      'POST /repos/{owner}/{repo}/git/refs',
      'POST /repos/{owner}/{repo}/pulls',
    ]);
  });

  it('changes nothing on a re-run: reads only, no write', async () => {
    // Prepare
    const first = await run();
    const head = await repo.sha(BRANCH);
    repo.mark();

    // Act
    const again = await run();

    // Assess
    expect(again).toMatchObject({ outcome: 'unchanged', number: first.number, url: first.url, folder: FOLDER });
    expect(repo.writes()).toEqual([]);
    expect(repo.requests()).toBeLessThanOrEqual(6);
    expect(await repo.sha(BRANCH)).toBe(head);
  });

  it('reports already-onboarded once the PR is merged, without writing', async () => {
    // Prepare
    const opened = await run();
    await repo.octokit.rest.pulls.merge({ owner: 'acme', repo: 'terraform-aws', pull_number: opened.number as number });
    repo.mark();

    // Act
    const result = await run();

    // Assess
    expect(result).toEqual({ outcome: 'already-onboarded', branch: BRANCH, folder: FOLDER, files: [] });
    expect(repo.writes()).toEqual([]);
  });

  it('does not reopen a PR a human closed unmerged, unless forced', async () => {
    // Prepare
    const opened = await run();
    await repo.octokit.rest.pulls.update({
      owner: 'acme',
      repo: 'terraform-aws',
      pull_number: opened.number as number,
      state: 'closed',
    });
    repo.mark();

    // Act
    const declined = await run();
    const writesWhenDeclined = repo.writes();
    const forced = await run({ force: true });

    // Assess
    expect(declined).toMatchObject({ outcome: 'declined', number: opened.number });
    expect(writesWhenDeclined).toEqual([]);
    expect(forced).toMatchObject({ outcome: 'opened' });
    expect((await pulls()).map((p) => p.state)).toEqual(['closed', 'open']);
  });

  it('ends three concurrent runs with one branch and one PR', async () => {
    // Act: the losers of the race retry (GitHubConflict), as the state machine does
    const settle = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await run();
        } catch (err) {
          if (attempt > 3 || (err as Error).name !== 'GitHubConflict') throw err;
        }
      }
    };
    const results = await Promise.all([settle(), settle(), settle()]);

    // Assess
    expect((await pulls()).filter((p) => p.state === 'open')).toHaveLength(1);
    expect(new Set(results.map((r) => r.number))).toEqual(new Set([1]));
    expect(Object.keys(await repo.files(BRANCH))).toEqual(expect.arrayContaining(FIVE.map((f) => `${FOLDER}/${f}`)));
  });

  it("opens the PR on a re-run after a crash left the branch pushed without a PR (the branch is the tool's)", async () => {
    // Prepare
    repo.standIn.setFaults({ badGateway: { count: 10 }, only: (m, r) => m === 'POST' && r.endsWith('/pulls') });
    await expect(run()).rejects.toBeInstanceOf(GitHubUnavailable);
    repo.standIn.setFaults({});
    expect(await repo.sha(BRANCH)).toBeDefined();

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ outcome: 'opened', number: 1 });
  });

  it('regenerates its own branch on the current base when the base moved', async () => {
    // Prepare
    const opened = await run();
    const workflow = (await repo.files('main'))[WORKFLOW] as string;
    const newBase = await repo.standIn.seed({
      [WORKFLOW]: workflow.replace('TF_VERSION: "1.6.0"', 'TF_VERSION: "1.9.0"'),
    });

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ outcome: 'updated', number: opened.number });
    expect(await repo.parents((await repo.sha(BRANCH)) as string)).toEqual([newBase]);
    const onBranch = (await repo.files(BRANCH))[WORKFLOW] as string;
    expect(onBranch).toContain('TF_VERSION: "1.9.0"');
    expect(onBranch).toContain("'aws-accounts/workload-dev-02'");
  });

  it('leaves a PR a person pushed to: no push, no title or body change, one comment, outcome edited', async () => {
    // Prepare: a reviewer adds a bucket, then the base moves (which would call for a regenerated branch)
    const opened = await run();
    const reviewer = await repo.personCommits(BRANCH, {
      [`${FOLDER}/main.tf`]: 'resource "aws_s3_bucket" "logs" {}\n',
    });
    const [before] = await pulls();
    await repo.standIn.seed({ 'README.md': '# moved\n' });
    repo.mark();

    // Act
    const first = await run();
    const second = await run({ force: true });

    // Assess
    expect(first).toMatchObject({ outcome: 'edited', number: opened.number });
    expect(second.outcome).toBe('edited');
    expect(await repo.sha(BRANCH)).toBe(reviewer);
    const [after] = await pulls();
    expect([after?.title, after?.body]).toEqual([before?.title, before?.body]);
    const comments = await repo.octokit.rest.issues.listComments({
      owner: 'acme',
      repo: 'terraform-aws',
      issue_number: opened.number as number,
    });
    expect(comments.data.filter((c) => c.body?.includes(EDITED_COMMENT_MARKER))).toHaveLength(1);
    expect(repo.writes()).toEqual(['POST /repos/{owner}/{repo}/issues/{issue_number}/comments']);
  });

  it('never touches a PR it did not open, even on a branch named like its own', async () => {
    // Prepare
    await repo.personCommits(BRANCH, { 'notes.md': 'my branch\n' });
    const { data: theirs } = await repo.octokit.rest.pulls.create({
      owner: 'acme',
      repo: 'terraform-aws',
      head: BRANCH,
      base: 'main',
      title: 'My own work',
      body: 'Please keep this.',
    });
    const head = await repo.sha(BRANCH);
    repo.mark();

    // Act
    const result = await run({ force: true });

    // Assess
    expect(result).toMatchObject({ outcome: 'edited', number: theirs.number });
    expect(repo.writes()).toEqual([]);
    expect(await repo.sha(BRANCH)).toBe(head);
    const [pull] = await pulls();
    expect([pull?.title, pull?.body]).toEqual(['My own work', 'Please keep this.']);
  });

  it('puts the account in <slug>-<id> when its folder names another account, and says so', async () => {
    // Prepare
    await repo.standIn.seed({ [`${FOLDER}/terraform.tfvars`]: 'aws_account_id = "333333333333"\n' });

    // Act
    const result = await run();

    // Assess
    const folder = 'aws-accounts/workload-dev-02-012345678901';
    expect(result.folder).toBe(folder);
    const files = await repo.files(BRANCH);
    expect(files[`${folder}/terraform.tfvars`]).toContain('"012345678901"');
    expect(files[`${FOLDER}/terraform.tfvars`]).toBe('aws_account_id = "333333333333"\n');
    expect(files[WORKFLOW]).toContain(`'${folder}'`);
    expect((await pulls())[0]?.body).toContain('names account 333333333333');
  });

  it('adds the configured labels and reviewers when opening', async () => {
    // Prepare
    config = makeConfig({ labels: ['onboarding'], reviewers: ['alice'], teamReviewers: ['platform'] });

    // Act
    await run();

    // Assess
    const [pull] = await pulls();
    expect(pull?.labels.map((l) => l.name)).toEqual(['onboarding']);
    expect(pull?.requested_reviewers?.map((r) => r.login)).toEqual(['alice']);
  });

  it("uses the labels, reviewers and template set of the account's profile", async () => {
    // Prepare
    config = {
      ...makeConfig({ labels: ['onboarding'], reviewers: ['alice'] }),
      profiles: [
        {
          name: 'sandbox',
          match: { ouPath: 'Sandbox' },
          templates: 'sandbox',
          labels: ['sandbox'],
          reviewers: ['bob'],
        },
      ],
    };
    const sandboxed = { ...account, ouPath: [...account.ouPath, { id: 'ou-ab12-44444444', name: 'Sandbox' }] };

    // Act
    await run({ account: sandboxed });

    // Assess
    const [pull] = await pulls();
    expect(pull?.labels.map((l) => l.name)).toEqual(['sandbox']);
    expect(pull?.requested_reviewers?.map((r) => r.login)).toEqual(['bob']);
    const { data } = await repo.octokit.rest.repos.getContent({
      owner: 'acme',
      repo: 'terraform-aws',
      path: `${FOLDER}/provider.tf`,
      ref: pull?.head.ref,
    });
    expect(Buffer.from((data as { content: string }).content, 'base64').toString()).toContain(
      'environment = "sandbox"',
    );
  });
});
