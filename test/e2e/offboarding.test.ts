/**
 * Closed, removed and departed accounts end to end on the embedded stand-ins: the AWS stand-in emits the departure
 * events as Organizations does (CloseAccount at once, CloseAccountResult once the account is SUSPENDED;
 * RemoveAccountFromOrganization then AccountDepartedOrganization), the rules' patterns start
 * state-machines/offboard-account.asl.json with the real handlers, and each account gets one offboarding pull request
 * whose workflow diff is one line. A reopened account is onboarded again, and a remediating sweep offboards an orphan
 * folder whose event was missed.
 */
import {
  CloseAccountCommand,
  OrganizationsClient,
  RemoveAccountFromOrganizationCommand,
} from '@aws-sdk/client-organizations';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { matchesEventPattern } from '../../local/event-pattern';
import { type OffboardingRun, type OffboardingRunner, offboardingRunner } from '../../local/offboarding';
import { changedRegion } from '../support/workflows';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';

let env: LocalEnvironment;
let runner: OffboardingRunner;
let stopListening: () => void;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const repo = () => ({ owner: env.github.owner, repo: env.github.repo });
const ids: Record<string, string> = {};
const seen = { runs: 0 };

let organizations: OrganizationsClient;

async function onboardAndMerge(accountId: string): Promise<void> {
  const run = await env.startExecution({ accountId });
  if (run.outcome.status !== 'SUCCEEDED') throw new Error(`onboarding ${accountId} failed: ${run.outcome.cause}`);
  const number = (run.outcome.output as { pullRequest?: { number?: number } }).pullRequest?.number;
  if (number) await env.github.octokit.pulls.merge({ ...repo(), pull_number: number, merge_method: 'merge' });
}

/** The runs started since the last call, once every one of them (and any event they wait for) has ended. */
async function newRuns(): Promise<OffboardingRun[]> {
  await new Promise((r) => setTimeout(r, 50));
  const all = await runner.settle();
  const fresh = all.slice(seen.runs);
  seen.runs = all.length;
  return fresh;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error('timed out');
}

const pullsOf = async (branch: string) =>
  (await env.github.octokit.pulls.list({ ...repo(), state: 'all', head: `${env.github.owner}:${branch}` })).data;

async function workflowDiff(branch: string) {
  const before = (await gh().readFile('main', WORKFLOW)) as string;
  const after = (await gh().readFile(branch, WORKFLOW)) as string;
  return changedRegion(before, after);
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  env = await startLocalEnvironment({
    handlers: 'source',
    config: { offboarding: { enabled: true, removeFolder: true, branchPrefix: 'offboarding/' } },
  });
  organizations = new OrganizationsClient({
    endpoint: env.aws.endpoint,
    region: 'us-east-1',
    credentials: env.aws.credentials,
  });
  for (const name of ['closing', 'removed', 'leaving', 'orphan']) {
    ids[name] = aws().state.createAccount({ name }).id;
    await onboardAndMerge(ids[name] as string);
  }
  runner = await offboardingRunner(env);
  stopListening = runner.listen();
}, 120_000);

afterAll(async () => {
  stopListening?.();
  await env?.stop();
});

describe('offboarding on the stand-ins', () => {
  it('closing an account opens one offboarding PR (CloseAccount, then CloseAccountResult), never touching its role', async () => {
    // Prepare
    const id = ids.closing as string;
    const callsBefore = aws().calls.length;
    const role = JSON.stringify(aws().state.findRole(id, env.config.cicdRoleName));

    // Act
    await organizations.send(new CloseAccountCommand({ AccountId: id }));
    await until(() => aws().state.getAccount(id).status === 'SUSPENDED');
    const runs = await newRuns();

    // Assess: both events started an execution, in the order Organizations sends them; one pull request
    expect(runs.map((r) => runner.ruleFor(r.input))).toEqual(['CloseAccountCall', 'CloseAccountResult']);
    expect(runs.map((r) => r.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(runs.map((r) => (r.outcome as unknown as { output: { outcome: string } }).output.outcome).sort()).toEqual([
      'opened',
      'unchanged',
    ]);
    const pulls = await pullsOf(`offboarding/${id}`);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.title).toBe(`Offboard AWS account closing (${id})`);
    expect(await workflowDiff(`offboarding/${id}`)).toEqual({
      removed: [expect.stringContaining('aws-accounts/closing')],
      added: [expect.not.stringContaining('aws-accounts/closing')],
    });
    expect(await gh().readFile(`offboarding/${id}`, 'aws-accounts/closing/terraform.tfvars')).toBeUndefined();
    // The role of an account the tool can no longer govern: not a call into it, and it is as it was.
    expect(
      aws()
        .calls.slice(callsBefore)
        .filter((c) => c.accountId === id),
    ).toEqual([]);
    expect(JSON.stringify(aws().state.findRole(id, env.config.cicdRoleName))).toBe(role);
    expect(role).toContain('"cicd"');
    // The onboarding rules do not start an onboarding for a departure.
    for (const run of runs) expect(env.rules.find((r) => matchesEventPattern(run.input, r.pattern))).toBeUndefined();
  });

  it('removing an account opens one offboarding PR (RemoveAccountFromOrganization, AccountDepartedOrganization)', async () => {
    const id = ids.removed as string;
    await organizations.send(new RemoveAccountFromOrganizationCommand({ AccountId: id }));
    const runs = await newRuns();

    expect(runs.map((r) => runner.ruleFor(r.input))).toEqual(['RemoveAccountCall', 'AccountDeparted']);
    expect(runs.map((r) => r.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await pullsOf(`offboarding/${id}`)).toHaveLength(1);
    const diff = await workflowDiff(`offboarding/${id}`);
    expect(diff.removed).toHaveLength(1);
    expect(diff.added).toHaveLength(1);
    expect((await pullsOf(`offboarding/${id}`))[0]?.body).toContain('left the AWS Organization');
  });

  it('an account that leaves on its own is offboarded from the membership event', async () => {
    const id = ids.leaving as string;
    aws().state.leaveOrganization(id);
    const runs = await newRuns();

    expect(runs.map((r) => runner.ruleFor(r.input))).toEqual(['AccountDeparted']);
    expect(runs[0]?.outcome.status).toBe('SUCCEEDED');
    expect(await pullsOf(`offboarding/${id}`)).toHaveLength(1);
  });

  it('a reopened account is onboarded again, and a remediating sweep offboards the orphan folder of a missed event', async () => {
    // Prepare: the closing account's offboarding merged, then AWS Support reopens it; another account leaves
    // while nobody listens (its event is lost).
    const closing = ids.closing as string;
    const [offboardingPull] = await pullsOf(`offboarding/${closing}`);
    await env.github.octokit.pulls.merge({
      ...repo(),
      pull_number: offboardingPull?.number as number,
      merge_method: 'merge',
    });
    expect(await gh().readFile('main', 'aws-accounts/closing/terraform.tfvars')).toBeUndefined();
    aws().state.reopenAccount(closing);
    stopListening();
    const orphan = ids.orphan as string;
    aws().state.leaveOrganization(orphan);
    await new Promise((r) => setTimeout(r, 20));

    // Act
    const run = await env.runReconcile('remediate');
    await runner.settleStarted();

    // Assess: the reopened account has an open onboarding pull request that adds its folder back
    expect(run.outcome.status).toBe('SUCCEEDED');
    const onboarding = run.executions.find((e) => (e.input as { accountId?: string }).accountId === closing);
    expect(onboarding?.status).toBe('SUCCEEDED');
    const reopened = (await pullsOf(`onboarding/${closing}`)).filter((p) => p.state === 'open');
    expect(reopened).toHaveLength(1);
    expect(await gh().readFile(`onboarding/${closing}`, 'aws-accounts/closing/terraform.tfvars')).toContain(closing);
    // The orphan folder of the account whose event was lost now has its offboarding pull request, and the
    // departed accounts whose pull requests are open get no second one.
    const orphanPulls = await pullsOf(`offboarding/${orphan}`);
    expect(orphanPulls).toHaveLength(1);
    expect(orphanPulls[0]?.state).toBe('open');
    for (const name of ['removed', 'leaving']) expect(await pullsOf(`offboarding/${ids[name]}`)).toHaveLength(1);
  });
});
