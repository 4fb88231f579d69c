/**
 * Exactly-once effects under the faults of issue #5, end to end on the embedded stand-ins: a run that dies after
 * pushing the branch and before opening the pull request, an IAM role that reads as missing right after its
 * creation, and twenty accounts created at once that all edit the same workflow matrix line.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const FOLDER_FILES = ['backend.tf', 'main.tf', 'provider.tf', 'terraform.tfvars', 'variables.tf'];
let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({
    handlers: 'source',
    aws: { createAccount: { inProgressPolls: 1 } },
    // Every drifted account of the organization remediated in one reconcile run.
    config: { reconcile: { remediationBudget: 100 } },
  });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

afterEach(() => {
  env.aws.standIn?.setFaults({});
  env.github.standIn?.setFaults({});
  expect(env.github.standIn?.invalidRequests).toEqual([]);
});

const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const repo = () => ({ owner: env.github.owner, repo: env.github.repo });

async function pullsFor(accountId: string) {
  const { data } = await env.github.octokit.pulls.list({
    ...repo(),
    head: `${env.github.owner}:onboarding/${accountId}`,
    state: 'all',
  });
  return data;
}

async function branchesFor(accountId: string) {
  const { data } = await env.github.octokit.git.listMatchingRefs({ ...repo(), ref: `heads/onboarding/${accountId}` });
  return data.map((r) => r.ref);
}

async function mergeable(pullNumber: number): Promise<boolean | null> {
  const { data } = await env.github.octokit.pulls.get({ ...repo(), pull_number: pullNumber });
  return data.mergeable;
}

const successfulCreateRoles = (accountId: string) =>
  aws().calls.filter(
    (c) => c.service === 'iam' && c.accountId === accountId && c.action === 'CreateRole' && c.status < 300,
  );

/** The folders a workflow's matrix line lists, in order. */
function matrixFolders(workflow: string): string[] {
  const line = workflow.split('\n').find((l) => /^\s*matrix:/.test(l)) ?? '';
  return [...line.matchAll(/'(aws-accounts\/[^']+)'/g)].map((m) => m[1] as string);
}

/** The lines that differ between two texts of the same length in lines. */
function changedLines(before: string, after: string) {
  const a = before.split('\n');
  const b = after.split('\n');
  return { lengthDelta: b.length - a.length, changed: b.flatMap((line, i) => (line === a[i] ? [] : [[a[i], line]])) };
}

/**
 * The local runner retries at once (0 ms); for a time-based fault the retries of `state` wait `ms` instead, as the
 * deployed state machine's 30 s backoff would.
 */
function retryEvery(state: string, ms: number) {
  const run = StateMachine.prototype.run;
  return jest.spyOn(StateMachine.prototype, 'run').mockImplementation(function (this: StateMachine, input, options) {
    const overrides = options?.overrides;
    return run.call(this, input, {
      ...options,
      overrides: { ...overrides, retryIntervalOverrides: { ...overrides?.retryIntervalOverrides, [state]: ms } },
    });
  });
}

const resultEvent = (events: Record<string, unknown>[]) =>
  events.find((e) => (e.detail as { eventName?: string }).eventName === 'CreateAccountResult') as Record<
    string,
    unknown
  >;

describe('onboarding under faults end to end', () => {
  it('converges on one branch and one pull request when a run dies after pushing the branch and is run again', async () => {
    // Prepare: every POST pulls fails for the whole first execution, after the commit and the branch are pushed
    const created = await env.createAccount('workload-crash-01');
    const branch = `onboarding/${created.accountId}`;
    gh().setFaults({
      secondaryRateLimit: { count: 1000, retryAfterSeconds: 0 },
      only: (method, route) => method === 'POST' && route.endsWith('/pulls'),
    });
    const first = await env.deliver(resultEvent(created.events));
    expect(first.report?.outcome).toMatchObject({ status: 'FAILED', error: 'GitHubRateLimited' });
    expect(first.report?.retries.OpenPullRequest).toBeGreaterThanOrEqual(1);
    expect(await branchesFor(created.accountId)).toEqual([`refs/heads/${branch}`]);
    expect(await pullsFor(created.accountId)).toEqual([]);
    gh().setFaults({});

    // Act: the re-run a human (or the reconcile workflow) starts
    const rerun = await env.startExecution({ accountId: created.accountId });

    // Assess
    expect(rerun.outcome).toMatchObject({
      status: 'SUCCEEDED',
      output: { role: { outcome: 'unchanged' }, pullRequest: { outcome: 'opened' } },
    });
    expect(successfulCreateRoles(created.accountId)).toHaveLength(1);
    expect(await branchesFor(created.accountId)).toEqual([`refs/heads/${branch}`]);
    const pulls = await pullsFor(created.accountId);
    expect(pulls).toHaveLength(1);
    const { data: files } = await env.github.octokit.pulls.listFiles({
      ...repo(),
      pull_number: (pulls[0] as { number: number }).number,
    });
    expect(files.map((f) => [f.filename, f.status]).sort()).toEqual(
      [...FOLDER_FILES.map((f) => `aws-accounts/workload-crash-01/${f}`), WORKFLOW]
        .sort()
        .map((f) => [f, f === WORKFLOW ? 'modified' : 'added']),
    );
    const { data: pull } = await env.github.octokit.pulls.get({
      ...repo(),
      pull_number: (pulls[0] as { number: number }).number,
    });
    expect(pull).toMatchObject({ commits: 1, mergeable: true });
    expect(await gh().readFile(branch, 'aws-accounts/workload-crash-01/terraform.tfvars')).toContain(
      `aws_account_id = "${created.accountId}"`,
    );
    const workflow = (await gh().readFile(branch, WORKFLOW)) as string;
    expect(matrixFolders(workflow).filter((f) => f === 'aws-accounts/workload-crash-01')).toHaveLength(1);
  });

  it('creates one role and succeeds twice when two executions race and the new role reads as missing for its first reads', async () => {
    // Prepare: the next reads of a freshly created role answer NoSuchEntity, as IAM's eventual consistency does
    const created = await env.createAccount('workload-consistency-01');
    aws().setFaults({ roleInvisibleReads: 3 });

    // Act
    const runs = await Promise.all([1, 2].map(() => env.startExecution({ accountId: created.accountId })));

    // Assess
    expect(runs.map((r) => r.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const roleOutcomes = runs
      .map((r) => (r.outcome.status === 'SUCCEEDED' ? r.outcome.output : null))
      .map((output) => (output as { role?: { outcome?: string } } | null)?.role?.outcome);
    expect(roleOutcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect(runs.reduce((sum, r) => sum + (r.retries.EnsureCicdRole ?? 0), 0)).toBeGreaterThanOrEqual(1);
    expect(successfulCreateRoles(created.accountId)).toHaveLength(1);
    const role = await env.readRole(created.accountId);
    expect(role?.policies).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
    expect(role?.trustPolicy).toMatchObject({
      Statement: [
        {
          Principal: { AWS: `arn:aws:iam::${env.aws.toolingAccountId}:role/GitHubAction-AssumeRoleWithAction` },
          Condition: { StringEquals: { 'sts:ExternalId': 'oidc-account-onboarding' } },
        },
      ],
    });
    expect(await branchesFor(created.accountId)).toHaveLength(1);
    expect(await pullsFor(created.accountId)).toHaveLength(1);
  });

  it('creates one role and succeeds twice when two executions race and the new role is invisible for seconds', async () => {
    // Prepare: GetRole answers NoSuchEntity for 1.5 s after CreateRole; AccountNotReady retries 10 times 400 ms apart
    const created = await env.createAccount('workload-consistency-02');
    aws().setFaults({ roleVisibleAfterMs: 1500 });
    const retries = retryEvery('EnsureCicdRole', 400);

    // Act
    const runs = await Promise.all([1, 2].map(() => env.startExecution({ accountId: created.accountId })));
    retries.mockRestore();

    // Assess
    expect(runs.map((r) => r.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(runs.reduce((sum, r) => sum + (r.retries.EnsureCicdRole ?? 0), 0)).toBeGreaterThanOrEqual(1);
    expect(successfulCreateRoles(created.accountId)).toHaveLength(1);
    expect((await env.readRole(created.accountId))?.policies).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
    expect(await pullsFor(created.accountId)).toHaveLength(1);
  });

  it('gives twenty accounts created at once one mergeable pull request each, and heals the conflicts merging causes', async () => {
    // Prepare
    const names = Array.from({ length: 20 }, (_, i) => `workload-bulk-${String(i + 1).padStart(2, '0')}`);
    const folderOf = (name: string) => `aws-accounts/${name}`;
    const baseBefore = (await gh().readFile('main', WORKFLOW)) as string;
    const baseLine = baseBefore.split('\n').find((l) => /^\s*matrix:/.test(l)) as string;

    // Act: every account is created and both of its events delivered, all at the same time
    const onboarded = await Promise.all(
      names.map(async (name) => {
        const created = await env.createAccount(name);
        const deliveries = await Promise.all(created.events.map((e) => env.deliver(e)));
        return { name, accountId: created.accountId, deliveries };
      }),
    );

    // Assess: one role, one branch and one mergeable pull request per account, each adding only its own folder
    const accounts = [];
    for (const { name, accountId, deliveries } of onboarded) {
      expect(deliveries.map((d) => d.report?.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(successfulCreateRoles(accountId)).toHaveLength(1);
      expect(await branchesFor(accountId)).toEqual([`refs/heads/onboarding/${accountId}`]);
      const pulls = await pullsFor(accountId);
      expect(pulls).toHaveLength(1);
      const number = (pulls[0] as { number: number }).number;
      expect(await mergeable(number)).toBe(true);
      const branchWorkflow = (await gh().readFile(`onboarding/${accountId}`, WORKFLOW)) as string;
      expect(changedLines(baseBefore, branchWorkflow)).toEqual({
        lengthDelta: 0,
        changed: [[baseLine, baseLine.replace(/'\]/, `', '${folderOf(name)}']`)]],
      });
      accounts.push({ name, accountId, number });
    }

    // Act: merging one pull request leaves the others conflicting on the matrix line
    const [first, ...rest] = accounts as [(typeof accounts)[number], ...typeof accounts];
    await env.github.octokit.pulls.merge({ ...repo(), pull_number: first.number });
    const conflicting = [];
    for (const account of rest) if ((await mergeable(account.number)) === false) conflicting.push(account);
    expect(conflicting).toEqual(rest);

    // Act: reconcile in remediate mode finds them stale and regenerates each on the new base
    const remediated = await env.runReconcile('remediate');

    // Assess
    expect(remediated.outcome.status).toBe('SUCCEEDED');
    for (const account of rest) {
      const started = remediated.executions.filter(
        (e) => (e.input as { accountId: string }).accountId === account.accountId,
      );
      expect(started).toEqual([
        expect.objectContaining({
          status: 'SUCCEEDED',
          input: expect.objectContaining({ trigger: 'reconcile', drift: expect.arrayContaining(['pr-stale']) }),
          output: expect.objectContaining({ pullRequest: expect.objectContaining({ outcome: 'updated' }) }),
        }),
      ]);
      expect(await mergeable(account.number)).toBe(true);
      expect(await pullsFor(account.accountId)).toHaveLength(1);
    }

    // Act: merge the rest one by one; GitHub refuses a conflicting one, which is healed again with the execution
    // remediation starts for it (a reconcile run per merge would regenerate every remaining PR each time) and merges
    const heal = async (accountId: string) => {
      const report = await env.startExecution({ accountId, trigger: 'reconcile', drift: ['pr-stale'] });
      expect(report.outcome).toMatchObject({ status: 'SUCCEEDED', output: { pullRequest: { outcome: 'updated' } } });
    };
    let healedAgain = 0;
    const quiet = jest.spyOn(env.github.octokit.log, 'error').mockImplementation(() => {});
    for (const account of rest) {
      const merge = () => env.github.octokit.pulls.merge({ ...repo(), pull_number: account.number });
      const merged = await merge().catch(async (error: { status?: number }) => {
        if (error.status !== 405) throw error;
        await heal(account.accountId);
        healedAgain += 1;
        return merge();
      });
      expect(merged.data.merged).toBe(true);
    }
    quiet.mockRestore();

    // Assess: the base lists every folder once, nothing lost, the seed entries first
    expect(healedAgain).toBe(rest.length - 1);
    const baseAfter = (await gh().readFile('main', WORKFLOW)) as string;
    expect(matrixFolders(baseAfter)).toEqual([...matrixFolders(baseBefore), ...accounts.map((a) => folderOf(a.name))]);
    expect(changedLines(baseBefore, baseAfter).changed).toHaveLength(1);
    for (const account of accounts) {
      expect(await gh().readFile('main', `${folderOf(account.name)}/terraform.tfvars`)).toContain(
        `aws_account_id = "${account.accountId}"`,
      );
    }
    const checked = await env.runReconcile('report', { startTime: new Date(Date.now() + 60_000).toISOString() });
    const drifted = new Set((checked.report?.summary.accounts ?? []).map((a) => a.accountId));
    expect(accounts.filter((a) => drifted.has(a.accountId))).toEqual([]);
  }, 300_000);
});
