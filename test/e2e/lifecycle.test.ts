/**
 * Invited and moved accounts end to end on the embedded stand-ins. The AWS stand-in emits the events as Organizations
 * does: InviteAccountToOrganization (management account), then on acceptance the member's own AcceptHandshake call
 * (logged in, and delivered to, the member account) and the AccountJoinedOrganization membership event (management
 * account); MoveAccount is a management call. The rules' patterns (functions/lib/lifecycle-events.ts) start
 * state-machines/onboard-invited-account.asl.json and state-machines/account-moved.asl.json with the real handlers,
 * each function as its synthesized role.
 */
import { MoveAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { type LifecycleRun, type LifecycleRunner, lifecycleRunner } from '../../local/lifecycle';

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

let env: LocalEnvironment;
let runner: LifecycleRunner;
let stopListening: () => void;
let organizations: OrganizationsClient;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const repo = () => ({ owner: env.github.owner, repo: env.github.repo });
const seen = { runs: 0 };
const units: Record<string, string> = {};

async function onboardAndMerge(accountId: string): Promise<void> {
  const run = await env.startExecution({ accountId });
  if (run.outcome.status !== 'SUCCEEDED') throw new Error(`onboarding ${accountId} failed: ${run.outcome.cause}`);
  const number = (run.outcome.output as { pullRequest?: { number?: number } }).pullRequest?.number;
  if (number) await env.github.octokit.pulls.merge({ ...repo(), pull_number: number, merge_method: 'merge' });
}

async function newRuns(): Promise<LifecycleRun[]> {
  await new Promise((r) => setTimeout(r, 50));
  const all = await runner.settle();
  const fresh = all.slice(seen.runs);
  seen.runs = all.length;
  return fresh;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

const output = (run: LifecycleRun | undefined) =>
  (run?.outcome as { output?: Record<string, unknown> } | undefined)?.output ?? {};

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  env = await startLocalEnvironment({
    handlers: 'source',
    config: {
      invitations: { enabled: true, accessRoleWaitSeconds: [60, 60, 60, 60, 60, 60] },
      moves: { enabled: true },
      profiles: [{ name: 'sandbox', match: { ouPath: 'Sandbox' }, cicdPolicyArns: [READ_ONLY], templates: 'sandbox' }],
    },
  });
  organizations = new OrganizationsClient({
    endpoint: env.aws.endpoint,
    region: 'us-east-1',
    credentials: env.aws.credentials,
  });
  units.sandbox = aws().state.createOrganizationalUnit('Sandbox').id;
  units.excluded = aws().state.createOrganizationalUnit('Quarantine').id;
  // The excluded OU exists only now: the lifecycle functions read the configuration that names it.
  const config = JSON.parse(process.env.ONBOARDING_CONFIG as string);
  config.filters.excludeOuIds = [units.excluded];
  process.env.ONBOARDING_CONFIG = JSON.stringify(config);
  runner = await lifecycleRunner(env, { accessRoleWaitMs: 100 });
  stopListening = runner.listen();
}, 120_000);

afterAll(async () => {
  stopListening?.();
  await env?.stop();
});

describe('invited accounts on the stand-ins', () => {
  it('an invited account joins and is onboarded once a person creates its access role', async () => {
    // Prepare
    const callsBefore = aws().calls.length;
    const handshake = aws().state.inviteAccount({ name: 'invited' });
    const id = handshake.accountId;

    // Act: the member accepts; the role appears only after the first attempts found none
    aws().state.acceptHandshake(handshake.id);
    await until(
      () =>
        aws()
          .calls.slice(callsBefore)
          .some((c) => c.service === 'sts' && c.action === 'AssumeRole' && c.status === 403),
      'a refused AssumeRole into the invited account',
    );
    aws().state.createAccessRole(id);
    const runs = await newRuns();

    // Assess: the management account's membership event started one execution (the member's AcceptHandshake went
    // to the member's bus), which waited, then onboarded the account
    const accepted = aws().events.find(
      (e) => (e.detail as { eventName?: string }).eventName === 'AcceptHandshake' && e.account === id,
    );
    expect(accepted && runner.ruleFor(accepted)?.rule).toBe('InvitationAccepted');
    expect(runs.map((r) => runner.ruleFor(r.input)?.rule)).toEqual(['AccountJoined']);
    expect(runs[0]?.outcome.status).toBe('SUCCEEDED');
    expect(runs[0]?.states).toContain('WaitForAccessRole');
    expect(output(runs[0])).toMatchObject({ outcome: 'onboarded', accountId: id, role: { outcome: 'created' } });
    expect((await env.readRole(id))?.policies).toEqual([ADMIN]);
    const pulls = await env.github.octokit.pulls.list({
      ...repo(),
      state: 'open',
      head: `${env.github.owner}:onboarding/${id}`,
    });
    expect(pulls.data).toHaveLength(1);
    expect(await gh().readFile(`onboarding/${id}`, 'aws-accounts/invited/terraform.tfvars')).toContain(id);
  });

  it('an invited account whose access role never appears ends AccountNotAssumable, saying which role to create', async () => {
    // Act
    const handshake = aws().state.inviteAccount({ name: 'never-assumable' });
    aws().state.acceptHandshake(handshake.id);
    const [run] = await newRuns();

    // Assess
    expect(run?.outcome).toMatchObject({ status: 'FAILED', error: 'AccountNotAssumable' });
    expect(run?.states.filter((s) => s === 'WaitForAccessRole')).toHaveLength(6);
    const message = run?.notifications[0]?.Message ?? '';
    expect(run?.notifications[0]?.Subject).toContain('AccountNotAssumable');
    expect(message).toContain(`creates the role ${env.config.memberAccessRoleNames[0]}`);
    expect(message).toContain(`arn:aws:iam::${env.aws.managementAccountId}:root`);
    expect(message).toContain('aws iam create-role');
    expect(message).toContain(`{"accountId": "${handshake.accountId}"}`);
  });
});

describe('moved accounts on the stand-ins', () => {
  it("a moved account gets exactly the new profile's policies; files it renders differently are reported, not rewritten", async () => {
    // Prepare: onboarded under the root (default profile), its pull request merged
    const id = aws().state.createAccount({ name: 'mover' }).id;
    await onboardAndMerge(id);
    expect((await env.readRole(id))?.policies).toEqual([ADMIN]);
    const provider = await gh().readFile('main', 'aws-accounts/mover/provider.tf');

    // Act
    await organizations.send(
      new MoveAccountCommand({ AccountId: id, SourceParentId: aws().state.rootId, DestinationParentId: units.sandbox }),
    );
    const runs = await newRuns();

    // Assess
    expect(runs.map((r) => runner.ruleFor(r.input)?.rule)).toEqual(['MoveAccount']);
    expect(runs[0]?.outcome.status).toBe('SUCCEEDED');
    // Exactly the new profile's policies: the default profile's AdministratorAccess, attached by the tool, is detached.
    expect((await env.readRole(id))?.policies).toEqual([READ_ONLY]);
    expect(output(runs[0])).toMatchObject({
      outcome: 'moved',
      role: { outcome: 'updated' },
      pullRequest: {
        outcome: 'already-onboarded',
        profile: { name: 'sandbox', differences: [expect.stringContaining('aws-accounts/mover/provider.tf differs')] },
      },
    });
    expect(runs[0]?.notifications.map((n) => n.Subject)).toEqual([
      expect.stringContaining(`${id} moved: its folder differs from profile sandbox`),
    ]);
    expect(await gh().readFile('main', 'aws-accounts/mover/provider.tf')).toBe(provider);
  });

  it('an account moved into an excluded OU is reported, not offboarded', async () => {
    // Prepare
    const id = aws().state.createAccount({ name: 'quarantined' }).id;
    await onboardAndMerge(id);
    const role = JSON.stringify(aws().state.findRole(id, env.config.cicdRoleName));

    // Act
    await organizations.send(
      new MoveAccountCommand({
        AccountId: id,
        SourceParentId: aws().state.rootId,
        DestinationParentId: units.excluded,
      }),
    );
    const [run] = await newRuns();

    // Assess
    expect(run?.outcome.status).toBe('SUCCEEDED');
    expect(output(run)).toMatchObject({ decision: 'skip', accountId: id });
    expect(run?.notifications[0]?.Subject).toBe(`AWS account ${id} moved and is no longer onboarded`);
    expect(run?.notifications[0]?.Message).toContain('it is not offboarded');
    expect(await gh().readFile('main', 'aws-accounts/quarantined/terraform.tfvars')).toContain(id);
    expect(JSON.stringify(aws().state.findRole(id, env.config.cicdRoleName))).toBe(role);
    const offboarding = await env.github.octokit.pulls.list({
      ...repo(),
      state: 'all',
      head: `${env.github.owner}:offboarding/${id}`,
    });
    expect(offboarding.data).toEqual([]);
  });
});
