import { type OnboardingConfig, parseConfig } from '../../functions/lib/config';
import { GitHubUnavailable } from '../../functions/lib/errors';
import { parseOnboardingMarker } from '../../functions/lib/onboarding-change';
import { ensureOnboardingPullRequest, type OnboardingPullRequestInput } from '../../functions/lib/pull-request';
import type { AccountContext, RoleResult } from '../../functions/lib/types';
import { seedRepoFiles } from '../../local/seed-repo';
import { FakeGitHub, fakeOctokit, lineDiff } from '../support/fake-github';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const FOLDER = 'aws-accounts/workload-dev-02';
const FIVE = ['backend.tf', 'main.tf', 'provider.tf', 'terraform.tfvars', 'variables.tf'];

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
  folder: FOLDER,
  slug: 'workload-dev-02',
};
const role: RoleResult = {
  outcome: 'created',
  roleArn: 'arn:aws:iam::012345678901:role/cicd',
  changes: [],
  accessRole: 'OrganizationAccountAccessRole',
};

function setup(options: { config?: OnboardingConfig; maxTreeEntries?: number } = {}) {
  const fake = new FakeGitHub({ maxTreeEntries: options.maxTreeEntries });
  const baseSha = fake.seedRepo({ files: seedRepoFiles({ tooling: '111111111111', workloadProd: '222222222222' }) });
  const octokit = fakeOctokit(fake);
  const config = options.config ?? makeConfig();
  const run = (input: Partial<OnboardingPullRequestInput> = {}) =>
    ensureOnboardingPullRequest(octokit, config, { account, role, drift: [], force: false, ...input });
  return { fake, baseSha, run, octokit };
}

const BRANCH = 'onboarding/012345678901';

describe('ensureOnboardingPullRequest', () => {
  it('opens one PR whose single commit adds the five files and one matrix line, within 8 calls', async () => {
    // Prepare
    const { fake, baseSha, run } = setup();
    const before = fake.files('main');

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ outcome: 'opened', branch: BRANCH, number: 1 });
    expect(result.files.sort()).toEqual([WORKFLOW, ...FIVE.map((f) => `${FOLDER}/${f}`)].sort());
    const head = fake.branchSha(BRANCH) as string;
    expect(fake.commit(head).parents).toEqual([baseSha]);
    const after = fake.files(BRANCH);
    const added = Object.keys(after).filter((p) => !(p in before));
    expect(added.sort()).toEqual(FIVE.map((f) => `${FOLDER}/${f}`));
    const changed = Object.keys(before).filter((p) => before[p] !== after[p]);
    expect(changed).toEqual([WORKFLOW]);
    const diff = lineDiff(before[WORKFLOW] as string, after[WORKFLOW] as string);
    expect(diff.removed).toHaveLength(1);
    expect(diff.added).toEqual([
      "      matrix: { dir: ['aws-accounts/tooling', 'aws-accounts/workload-prod-01', 'aws-accounts/workload-dev-02'] }               # Replace, declare folder(s) to traverse",
    ]);
    const [pull] = fake.pulls();
    expect(fake.pulls()).toHaveLength(1);
    expect(pull?.title).toBe('Onboard AWS account Workload Dev 02 (012345678901)');
    expect(parseOnboardingMarker(pull?.body)?.accountId).toBe('012345678901');
    expect(fake.requests.length).toBeLessThanOrEqual(8);
    expect(fake.writes().length).toBeLessThanOrEqual(4);
  });

  it('changes nothing on a re-run and reads at most 4 times', async () => {
    // Prepare
    const { fake, run } = setup();
    const first = await run();
    const head = fake.branchSha(BRANCH);
    fake.resetLog();

    // Act
    const again = await run();

    // Assess
    expect(again).toMatchObject({ outcome: 'unchanged', number: first.number, url: first.url });
    expect(fake.requests.length).toBeLessThanOrEqual(4);
    expect(fake.writes()).toEqual([]);
    expect(fake.branchSha(BRANCH)).toBe(head);
  });

  it('reports already-onboarded once the PR is merged, within 4 calls', async () => {
    // Prepare
    const { fake, run, octokit } = setup();
    const opened = await run();
    await octokit.rest.pulls.merge({ owner: 'acme', repo: 'terraform-aws', pull_number: opened.number as number });
    fake.resetLog();

    // Act
    const result = await run();

    // Assess
    expect(result).toEqual({ outcome: 'already-onboarded', branch: BRANCH, files: [] });
    expect(fake.requests.length).toBeLessThanOrEqual(4);
    expect(fake.writes()).toEqual([]);
  });

  it('does not reopen a PR a human closed unmerged, unless forced', async () => {
    // Prepare
    const { fake, run } = setup();
    const opened = await run();
    fake.closePull(opened.number as number);
    fake.resetLog();

    // Act
    const declined = await run();
    const writesWhenDeclined = fake.writes().length;
    const forced = await run({ force: true });

    // Assess
    expect(declined).toMatchObject({ outcome: 'declined', number: opened.number });
    expect(writesWhenDeclined).toBe(0);
    expect(forced).toMatchObject({ outcome: 'opened', number: 2 });
    expect(fake.pulls().map((p) => p.state)).toEqual(['closed', 'open']);
  });

  it('ends three concurrent runs with one branch and one PR, all succeeding', async () => {
    // Prepare
    const { fake, run } = setup();

    // Act
    const results = await Promise.all([run(), run(), run()]);

    // Assess
    expect(fake.branches().sort()).toEqual(['main', BRANCH]);
    expect(fake.pulls()).toHaveLength(1);
    expect(new Set(results.map((r) => r.number))).toEqual(new Set([1]));
    expect(results.every((r) => r.outcome === 'opened' || r.outcome === 'updated')).toBe(true);
    expect(Object.keys(fake.files(BRANCH))).toEqual(expect.arrayContaining(FIVE.map((f) => `${FOLDER}/${f}`)));
  });

  it('opens the PR on a re-run after a crash left the branch pushed without a PR', async () => {
    // Prepare
    const { fake, run } = setup();
    fake.failOn('POST', /\/pulls$/, 502);
    await expect(run()).rejects.toBeInstanceOf(GitHubUnavailable);
    expect(fake.branchSha(BRANCH)).toBeDefined();
    expect(fake.pulls()).toEqual([]);

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ outcome: 'opened', number: 1 });
    expect(fake.pulls()).toHaveLength(1);
  });

  it('regenerates the branch on the current base when the workflow changed on base since the PR', async () => {
    // Prepare
    const { fake, run } = setup();
    const opened = await run();
    const oldMarker = parseOnboardingMarker(fake.pulls()[0]?.body);
    const workflow = fake.files('main')[WORKFLOW] as string;
    const newBase = fake.commitFiles('main', {
      [WORKFLOW]: workflow.replace('TF_VERSION: "1.6.0"', 'TF_VERSION: "1.9.0"'),
    });

    // Act
    const result = await run();

    // Assess
    expect(result).toMatchObject({ outcome: 'updated', number: opened.number });
    const head = fake.branchSha(BRANCH) as string;
    expect(fake.commit(head).parents).toEqual([newBase]);
    const onBranch = fake.files(BRANCH)[WORKFLOW] as string;
    expect(onBranch).toContain('TF_VERSION: "1.9.0"');
    expect(onBranch).toContain("'aws-accounts/workload-dev-02'");
    const newMarker = parseOnboardingMarker(fake.pulls()[0]?.body);
    expect(newMarker?.hash).not.toBe(oldMarker?.hash);
    expect(fake.pulls()).toHaveLength(1);
  });

  it('regenerates an up-to-date PR when reconciliation reports it stale', async () => {
    // Prepare
    const { fake, run } = setup();
    await run();
    fake.resetLog();

    // Act
    const result = await run({ drift: ['pr-stale'] });

    // Assess
    expect(result.outcome).toBe('updated');
    expect(fake.writes().map((w) => `${w.method} ${w.path.replace('/repos/acme/terraform-aws', '')}`)).toEqual([
      'POST /git/trees',
      'POST /git/commits',
      'PATCH /git/refs/heads/onboarding/012345678901',
      'PATCH /pulls/1',
    ]);
  });

  it('puts the account in <slug>-<id> when its folder holds another account', async () => {
    // Prepare
    const { fake, run } = setup();
    const other = seedRepoFiles({ tooling: '111111111111', workloadProd: '333333333333' });
    fake.commitFiles(
      'main',
      Object.fromEntries(
        Object.entries(other)
          .filter(([p]) => p.startsWith('aws-accounts/workload-prod-01/'))
          .map(([p, c]) => [p.replace('workload-prod-01', 'workload-dev-02'), c]),
      ),
    );

    // Act
    const result = await run();

    // Assess
    const folder = 'aws-accounts/workload-dev-02-012345678901';
    expect(result.files.sort()).toEqual([WORKFLOW, ...FIVE.map((f) => `${folder}/${f}`)].sort());
    expect(fake.files(BRANCH)[`${folder}/terraform.tfvars`]).toContain('"012345678901"');
    expect(fake.files(BRANCH)['aws-accounts/workload-dev-02/terraform.tfvars']).toContain('"333333333333"');
    expect(fake.files(BRANCH)[WORKFLOW]).toContain(`'${folder}'`);
  });

  it('never overwrites a main.tf that already exists in the folder', async () => {
    // Prepare
    const { fake, run } = setup();
    const mainTf = '# my own resources\nresource "aws_s3_bucket" "b" {}\n';
    fake.commitFiles('main', { [`${FOLDER}/main.tf`]: mainTf });

    // Act
    const result = await run();

    // Assess
    expect(result.files).not.toContain(`${FOLDER}/main.tf`);
    expect(fake.files(BRANCH)[`${FOLDER}/main.tf`]).toBe(mainTf);
    expect(Object.keys(fake.files(BRANCH))).toEqual(expect.arrayContaining(FIVE.map((f) => `${FOLDER}/${f}`)));
  });

  it('works on repos whose recursive tree GitHub truncates', async () => {
    // Prepare
    const { fake, run } = setup({ maxTreeEntries: 3 });
    fake.commitFiles('main', { [`${FOLDER}/main.tf`]: '# keep\n' });

    // Act
    const result = await run();

    // Assess
    expect(result.outcome).toBe('opened');
    expect(result.files.sort()).toEqual(
      [
        WORKFLOW,
        ...['backend.tf', 'provider.tf', 'terraform.tfvars', 'variables.tf'].map((f) => `${FOLDER}/${f}`),
      ].sort(),
    );
    expect(fake.files(BRANCH)[`${FOLDER}/main.tf`]).toBe('# keep\n');
  });

  it('adds the configured labels and reviewers when opening', async () => {
    // Prepare
    const { fake, run } = setup({
      config: makeConfig({ labels: ['onboarding'], reviewers: ['alice'], teamReviewers: ['platform'] }),
    });

    // Act
    await run();

    // Assess
    expect(fake.pulls()[0]).toMatchObject({
      labels: ['onboarding'],
      requested_reviewers: ['alice'],
      requested_teams: ['platform'],
    });
  });
});
