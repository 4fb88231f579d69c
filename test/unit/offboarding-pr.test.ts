import { type OnboardingConfig, parseConfig } from '../../functions/lib/config';
import { UnsafeChange } from '../../functions/lib/errors';
import { assertSafeOffboarding } from '../../functions/lib/offboard-guard';
import { parseOffboardMarker, planOffboarding } from '../../functions/lib/offboard-plan';
import { ensureOffboardingPullRequest, observeOffboarding } from '../../functions/lib/offboarding-pr';
import { readMatrixEntries } from '../../functions/lib/workflow-matrix';
import { SEED_MATRIX_LINE, seedRepoFiles } from '../../local/seed-repo';
import { startTestRepo, type TestRepo } from '../support/github-repo';
import { changedRegion } from '../support/workflows';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const PROD_ID = '222222222222';
const PROD = 'aws-accounts/workload-prod-01';
const BRANCH = `offboarding/${PROD_ID}`;

function makeConfig(offboarding: Record<string, unknown> = {}): OnboardingConfig {
  return parseConfig({
    toolingAccountId: '111111111111',
    github: {
      owner: 'acme',
      repo: 'terraform-aws',
      auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
    },
    terraform: {},
    offboarding,
  });
}

let repo: TestRepo;
const pulls = async () =>
  (await repo.octokit.rest.pulls.list({ owner: 'acme', repo: 'terraform-aws', state: 'all' })).data;

beforeEach(async () => {
  repo = await startTestRepo(seedRepoFiles({ tooling: '111111111111', workloadProd: PROD_ID }));
});

afterEach(async () => {
  repo.standIn.assertNoInvalidRequests();
  await repo.stop();
});

describe('ensureOffboardingPullRequest', () => {
  it('opens one PR, made as the tool, whose only change is the matrix line; the folder stays by default', async () => {
    // Prepare
    const config = makeConfig();
    const before = await repo.files('main');

    // Act
    const result = await ensureOffboardingPullRequest(repo.octokit, config, {
      accountId: PROD_ID,
      name: 'Workload Prod 01',
      reason: 'closed',
    });

    // Assess
    expect(result).toMatchObject({
      outcome: 'opened',
      branch: BRANCH,
      folders: [PROD],
      matrixEntries: [PROD],
      removedFolders: [],
      files: [WORKFLOW],
    });
    const after = await repo.files(BRANCH);
    expect(Object.keys(before).filter((p) => before[p] !== after[p])).toEqual([WORKFLOW]);
    expect(changedRegion(before[WORKFLOW] as string, after[WORKFLOW] as string)).toEqual({
      removed: [SEED_MATRIX_LINE],
      added: [SEED_MATRIX_LINE.replace(", 'aws-accounts/workload-prod-01'", '')],
    });
    const [pull] = await pulls();
    expect(pull?.title).toBe('Offboard AWS account Workload Prod 01 (222222222222)');
    expect(pull?.body).toContain('90 days');
    expect(pull?.body).toContain(`s3://tf-build-terraform-state/${PROD}/terraform.tfstate`);
    expect(pull?.body).toContain('- [ ] ');
    expect(parseOffboardMarker(pull?.body)).toMatchObject({ accountId: PROD_ID, commit: await repo.sha(BRANCH) });
  });

  it('with removeFolder deletes the folder whose tfvars names the account, and nothing else', async () => {
    const before = await repo.files('main');
    const result = await ensureOffboardingPullRequest(repo.octokit, makeConfig({ removeFolder: true }), {
      accountId: PROD_ID,
      reason: 'removed',
    });
    expect(result.outcome).toBe('opened');
    const after = await repo.files(BRANCH);
    const gone = Object.keys(before).filter((p) => !(p in after));
    expect(gone.length).toBeGreaterThan(0);
    expect(gone.every((p) => p.startsWith(`${PROD}/`))).toBe(true);
    expect(Object.keys(after).some((p) => p.startsWith(`${PROD}/`))).toBe(false);
    expect(Object.keys(after).filter((p) => after[p] !== before[p])).toEqual([WORKFLOW]);
    expect((await pulls())[0]?.body).toContain('left the AWS Organization');
  });

  it('is idempotent: a second run makes no write and reports unchanged', async () => {
    const config = makeConfig();
    await ensureOffboardingPullRequest(repo.octokit, config, { accountId: PROD_ID, reason: 'closed' });
    repo.mark();
    const again = await ensureOffboardingPullRequest(repo.octokit, config, { accountId: PROD_ID, reason: 'closed' });
    expect(again.outcome).toBe('unchanged');
    expect(repo.writes()).toEqual([]);
    expect(await pulls()).toHaveLength(1);
  });

  it('leaves a branch a person pushed to exactly as it is', async () => {
    const config = makeConfig();
    await ensureOffboardingPullRequest(repo.octokit, config, { accountId: PROD_ID, reason: 'closed' });
    const personal = await repo.personCommits(BRANCH, { 'NOTES.md': 'keep the state\n' });
    // the base moves, so the tool would want to regenerate its commit
    await repo.personCommits('main', { 'README.md': 'changed\n' });
    repo.mark();
    const result = await ensureOffboardingPullRequest(repo.octokit, config, { accountId: PROD_ID, reason: 'closed' });
    expect(result.outcome).toBe('edited');
    expect(await repo.sha(BRANCH)).toBe(personal);
    expect(repo.writes()).toEqual([]);
  });

  it('does not reopen a pull request a person closed unmerged', async () => {
    const config = makeConfig();
    const first = await ensureOffboardingPullRequest(repo.octokit, config, { accountId: PROD_ID, reason: 'closed' });
    await repo.octokit.rest.pulls.update({
      owner: 'acme',
      repo: 'terraform-aws',
      pull_number: first.number as number,
      state: 'closed',
    });
    const result = await ensureOffboardingPullRequest(repo.octokit, config, { accountId: PROD_ID, reason: 'closed' });
    expect(result.outcome).toBe('declined');
    expect(await pulls()).toHaveLength(1);
  });

  it('has nothing to do for an account no folder names', async () => {
    repo.mark();
    const result = await ensureOffboardingPullRequest(repo.octokit, makeConfig({ removeFolder: true }), {
      accountId: '999999999999',
      reason: 'removed',
    });
    expect(result).toMatchObject({ outcome: 'nothing-to-do', folders: [], files: [] });
    expect(repo.writes()).toEqual([]);
  });
});

describe('assertSafeOffboarding', () => {
  it('refuses to delete a folder that is not the account, part of a folder, or another matrix entry', async () => {
    const config = makeConfig({ removeFolder: true });
    const obs = await observeOffboarding(repo.octokit, config, PROD_ID);
    const plan = planOffboarding(PROD_ID, obs, config);
    const commit = plan.commit;
    if (!commit) throw new Error('expected a commit');
    expect(() => assertSafeOffboarding(PROD_ID, commit, obs, config)).not.toThrow();

    const tooling = Object.keys(obs.folders).find((f) => f.endsWith('/tooling')) as string;
    const toolingFile = `${tooling}/${obs.folders[tooling]?.files[0]}`;
    expect(() =>
      assertSafeOffboarding(PROD_ID, { ...commit, deletions: [...commit.deletions, toolingFile] }, obs, config),
    ).toThrow(UnsafeChange);
    expect(() =>
      assertSafeOffboarding(PROD_ID, { ...commit, deletions: commit.deletions.slice(1) }, obs, config),
    ).toThrow(/only in part/);
    const noTooling = commit.workflowText.replace("'aws-accounts/tooling'", '');
    expect(readMatrixEntries(noTooling, 'dir')).toEqual([]);
    expect(() => assertSafeOffboarding(PROD_ID, { ...commit, workflowText: noTooling }, obs, config)).toThrow(
      /changes more than/,
    );
    // Another account's id: nothing of this repository is its to remove.
    expect(() => assertSafeOffboarding('333333333333', commit, obs, config)).toThrow(UnsafeChange);
  });
});
