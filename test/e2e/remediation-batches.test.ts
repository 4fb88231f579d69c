/**
 * Reconcile remediation batches (issue 12.3), end to end on the stand-ins with IAM evaluated: 30 accounts whose cicd
 * role is in place but whose folders the repository lacks. A remediating sweep hands them to the refresh, which opens
 * ceil(30 / github.batchSize) batch pull requests (3 of 10) instead of 30 single ones; the next sweep finds every
 * account pending in a batch and writes nothing.
 */
import type { OnboardingConfigInput } from '../../functions/lib/config';
import { buildTrustPolicy } from '../../functions/lib/trust-policy';
import { SEED } from '../../local/aws/seed';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';

const ACCOUNTS = 30;
const BATCH_SIZE = 10;
let env: LocalEnvironment;
const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  env = await startLocalEnvironment({
    handlers: 'source',
    // Each report hands its work to the refresh state machine, as deployed.
    refreshOnReconcile: true,
    config: {
      // The rest of `github` (the repository, its auth) is the environment's.
      github: { batchSize: BATCH_SIZE } as OnboardingConfigInput['github'],
      // Without the dashboard a sweep with nothing to batch starts no refresh at all: the second sweep below is silent.
      dashboard: { enabled: false },
      // The seeded workload accounts have no cicd role here: they would converge their role first.
      filters: { excludeAccountIds: [SEED.workloadDev, SEED.workloadProd], excludeOuIds: [], excludeTags: [] },
      reconcile: { schedule: 'rate(1 day)', mode: 'remediate', remediationBudget: 20, concurrency: 10 },
      // Accounts under the Sandbox OU render their folders from templates/sandbox, as a single onboarding would.
      profiles: [{ name: 'sandbox', match: { ouPath: 'Sandbox' }, templates: 'sandbox' }],
    },
  });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

afterEach(() => {
  expect(gh().invalidRequests).toEqual([]);
});

/** Accounts whose cicd role is as the onboarding leaves it, and whose folders are not in the repository. */
function addAccountsWithoutFolders(count: number, sandboxed: number): string[] {
  const { state } = aws();
  const { config } = env;
  const sandbox = state.createOrganizationalUnit('Sandbox').id;
  return Array.from({ length: count }, (_, i) => {
    const parentId = i < sandboxed ? sandbox : undefined;
    const { id } = state.createAccount({ name: `existing-${String(i).padStart(2, '0')}`, parentId });
    state.createRole(id, {
      roleName: config.cicdRoleName,
      assumeRolePolicyDocument: buildTrustPolicy(config, 'aws', state.organizationId),
      tags: [{ Key: config.managedTag.key, Value: config.managedTag.value }],
    });
    for (const arn of config.cicdPolicyArns) state.attachRolePolicy(id, config.cicdRoleName, arn);
    return id;
  });
}

type Pull = { number: number; state: string; head: { ref: string }; body: string | null };

const openPulls = async () => ((await gh().listPulls()) as Pull[]).filter((p) => p.state === 'open');

describe('reconcile remediation batches', () => {
  it('opens one pull request per batch of accounts that lack folders, and a second sweep writes nothing', async () => {
    // Prepare
    const ids = addAccountsWithoutFolders(ACCOUNTS, 2);
    const from = gh().requests.length;

    // Act
    const first = await env.runReconcile('remediate');

    // Assess: 3 batch pull requests of 10 accounts each, no onboarding execution (every role is in place)
    expect(first.outcome.status).toBe('SUCCEEDED');
    expect(first.result).toMatchObject({ driftedAccounts: ACCOUNTS, started: 0, deferred: 0, batched: ACCOUNTS });
    expect(first.report?.remediation.batched).toMatchObject({ pullRequests: 3 });
    expect(first.executions).toEqual([]);
    const pulls = await openPulls();
    expect(pulls.map((p) => p.head.ref).every((ref) => ref.startsWith(`${env.config.github.branchPrefix}batch-`))).toBe(
      true,
    );
    expect(pulls).toHaveLength(Math.ceil(ACCOUNTS / BATCH_SIZE));
    const listed = pulls.flatMap((p) => ids.filter((id) => p.body?.includes(`\`${id}\``)));
    expect(listed.sort()).toEqual([...ids].sort());
    expect(pulls.every((p) => p.body?.includes("Opened by **oidc-account-onboarding**'s reconcile sweep"))).toBe(true);
    // Each folder is rendered from its account's profile: the Sandbox OU's two from the sandbox templates.
    const provider = async (id: string, index: number) => {
      const pull = pulls.find((p) => p.body?.includes(`\`${id}\``)) as Pull;
      return gh().store.readText(`refs/heads/${pull.head.ref}`, `aws-accounts/existing-0${index}/provider.tf`);
    };
    expect(await provider(ids[0] as string, 0)).toContain('environment = "sandbox"');
    expect(await provider(ids[2] as string, 2)).not.toContain('sandbox');
    const writes = gh()
      .requests.slice(from)
      .filter((r) => r.contentCreating);
    // Per batch: one tree, one commit, one branch, one pull request.
    expect(writes).toHaveLength(4 * pulls.length);

    // Act: the next sweep
    const since = gh().requests.length;
    const second = await env.runReconcile('remediate');

    // Assess: every account is pending in a batch pull request: nothing drifted, nothing started, nothing written
    expect(second.outcome.status).toBe('SUCCEEDED');
    expect(second.result).toMatchObject({ driftedAccounts: 0, started: 0, batched: 0 });
    expect(second.report?.summary.pendingPullRequests).toHaveLength(ACCOUNTS);
    expect(second.executions).toEqual([]);
    expect(
      gh()
        .requests.slice(since)
        .filter((r) => r.contentCreating),
    ).toEqual([]);
    expect(await openPulls()).toHaveLength(pulls.length);
  }, 300_000);
});
