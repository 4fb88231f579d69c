/**
 * Narrow member-account sessions and safer defaults (issue 13 items 3-5), end to end on the embedded stand-ins with
 * IAM evaluated: every member-account session carries its purpose's session policy and its execution's name, a call
 * outside the purpose is AccessDenied, the tooling account is left alone, the cicd trust requires the organization
 * (a role onboarded before is converged once, then stable), and functions invoked directly check their own input.
 */
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { defaultDeps as ensureDeps, makeHandler as makeEnsure } from '../../functions/ensure-cicd-role/handler';
import type { OnboardingConfig } from '../../functions/lib/config';
import { ensureRoleSessionPolicy, reconcileSessionPolicy } from '../../functions/lib/session-policy';
import { buildTrustPolicy } from '../../functions/lib/trust-policy';
import { makeHandler as makeOpenPullRequest, defaultDeps as prDeps } from '../../functions/open-pull-request/handler';
import { SEED } from '../../local/aws/seed';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';

let env: LocalEnvironment;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const iamEvaluation = () => env.iam as NonNullable<LocalEnvironment['iam']>;
const ACCESS_ROLE = 'OrganizationAccountAccessRole';
const MEMBER_ROLE_SESSION = new RegExp(
  `^arn:aws:sts::(\\d{12}):assumed-role/(${ACCESS_ROLE}|AWSControlTowerExecution)/`,
);

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  env = await startLocalEnvironment({ handlers: 'source', aws: { createAccount: { inProgressPolls: 1 } } });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

/** The sessions of the member access roles the stand-in's STS issued since `before` (functions and local runner). */
function memberSessions(before: Set<string>) {
  return [...aws().state.credentials.values()]
    .filter((r) => !before.has(r.accessKeyId) && MEMBER_ROLE_SESSION.test(r.caller.arn))
    .map((r) => ({
      name: r.caller.arn.split('/').pop() as string,
      account: r.caller.accountId,
      policies: r.sessionPolicies,
    }));
}

/** Runs `call` as the function's role would, in a member-account session narrowed by `policy`. */
async function asNarrowedSession<T>(
  fn: 'ensure-cicd-role' | 'reconcile-check',
  accountId: string,
  policy: unknown,
  call: (iam: IAMClient) => Promise<T>,
): Promise<T | Error> {
  return iamEvaluation().runtime.invoke(fn, async () => {
    const { Credentials: c } = await new STSClient({ region: 'us-east-1' }).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${ACCESS_ROLE}`,
        RoleSessionName: `${fn}-test`,
        Policy: JSON.stringify(policy),
      }),
    );
    const iam = new IAMClient({
      region: 'us-east-1',
      credentials: {
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken as string,
      },
    });
    return call(iam).catch((error: Error) => error);
  });
}

describe('member-account sessions', () => {
  let onboarded: string;

  it('narrows every session of an onboarding and of a sweep to its purpose, named after the execution', async () => {
    // Prepare
    const before = new Set(aws().state.credentials.keys());
    onboarded = aws().state.createAccount({ name: 'sessions-workload-01' }).id;

    // Act
    const run = await env.startExecution({ accountId: onboarded }, 'manual-sessions-1');
    const sweep = await env.runReconcile('report', { executionName: 'nightly-sessions-1' });

    // Assess
    expect(run.outcome.status).toBe('SUCCEEDED');
    expect(sweep.outcome.status).toBe('SUCCEEDED');
    const sessions = memberSessions(before).filter((s) => s.name !== 'local-runner');
    const ofOnboarding = sessions.filter((s) => s.name === 'onboarding-manual-sessions-1');
    const ofSweep = sessions.filter((s) => s.name === 'reconcile-nightly-sessions-1');
    // Every session a function opened is one of these two (the local runner's own reads aside).
    expect(ofOnboarding.length + ofSweep.length).toBe(sessions.length);
    expect(ofOnboarding).toEqual([
      {
        name: 'onboarding-manual-sessions-1',
        account: onboarded,
        policies: [ensureRoleSessionPolicy(env.config, onboarded)],
      },
    ]);
    expect(ofSweep.map((s) => s.account)).toContain(onboarded);
    for (const s of ofSweep) expect(s.policies).toEqual([reconcileSessionPolicy(env.config, s.account)]);
    // CloudTrail's userIdentity: every IAM call in the account names the execution that made it.
    const callers = aws()
      .calls.filter((c) => c.service === 'iam' && c.accountId === onboarded)
      .map((c) => c.callerArn?.split('/').pop());
    expect(callers).toEqual(expect.arrayContaining(['onboarding-manual-sessions-1', 'reconcile-nightly-sessions-1']));
    expect(
      callers.filter((c) => !/^(onboarding-manual|reconcile-nightly)-sessions-1$|^local-runner$/.test(c ?? '')),
    ).toEqual([]);
  });

  it("refuses a reconcile session anything but reading the cicd role, though the access role is the account's administrator", async () => {
    // Act
    const policy = reconcileSessionPolicy(env.config, onboarded);
    const read = await asNarrowedSession('reconcile-check', onboarded, policy, (iam) =>
      iam.send(new GetRoleCommand({ RoleName: 'cicd' })),
    );
    const create = await asNarrowedSession('reconcile-check', onboarded, policy, (iam) =>
      iam.send(new CreateRoleCommand({ RoleName: 'intruder', AssumeRolePolicyDocument: '{}' })),
    );
    const readOther = await asNarrowedSession('reconcile-check', onboarded, policy, (iam) =>
      iam.send(new GetRoleCommand({ RoleName: ACCESS_ROLE })),
    );

    // Assess
    expect(read).not.toBeInstanceOf(Error);
    for (const refused of [create, readOther]) {
      expect(refused).toMatchObject({
        name: 'AccessDenied',
        message: expect.stringContaining('because no session policy allows'),
      });
    }
  });

  it('refuses an ensure-cicd-role session another role, or a policy that is not configured', async () => {
    // Act
    const policy = ensureRoleSessionPolicy(env.config, onboarded);
    const attachOther = await asNarrowedSession('ensure-cicd-role', onboarded, policy, (iam) =>
      iam.send(new AttachRolePolicyCommand({ RoleName: 'cicd', PolicyArn: 'arn:aws:iam::aws:policy/IAMFullAccess' })),
    );
    const createOther = await asNarrowedSession('ensure-cicd-role', onboarded, policy, (iam) =>
      iam.send(
        new CreateRoleCommand({
          RoleName: 'intruder',
          AssumeRolePolicyDocument: JSON.stringify(buildTrustPolicy(env.config)),
          Tags: [{ Key: 'managed-by', Value: 'oidc-account-onboarding' }],
        }),
      ),
    );
    const attachConfigured = await asNarrowedSession('ensure-cicd-role', onboarded, policy, (iam) =>
      iam.send(new AttachRolePolicyCommand({ RoleName: 'cicd', PolicyArn: env.config.cicdPolicyArns[0] })),
    );

    // Assess
    for (const refused of [attachOther, createOther]) {
      expect(refused).toMatchObject({
        name: 'AccessDenied',
        message: expect.stringContaining('because no session policy allows'),
      });
    }
    expect(attachConfigured).not.toBeInstanceOf(Error);
  });
});

describe('safer defaults', () => {
  it('leaves the tooling account alone, even when forced, with a named rule', async () => {
    // Act
    const run = await env.startExecution({ accountId: SEED.tooling, force: true });

    // Assess
    expect(run.outcome).toMatchObject({
      status: 'SUCCEEDED',
      output: { decision: 'skip', accountId: SEED.tooling, rule: 'tooling-account' },
    });
    expect(aws().state.findRole(SEED.tooling, env.config.cicdRoleName)).toBeUndefined();
  });

  it('requires the organization in the trust: a role onboarded before is converged once, then left as it is', async () => {
    // Prepare: an onboarded account whose trust is as earlier versions wrote it (no aws:PrincipalOrgID)
    const accountId = aws().state.createAccount({ name: 'sessions-legacy-01' }).id;
    expect((await env.startExecution({ accountId })).outcome.status).toBe('SUCCEEDED');
    const current = await env.readRole(accountId);
    expect(JSON.stringify(current?.trustPolicy)).toContain(aws().state.organizationId);
    aws().state.updateAssumeRolePolicy(accountId, env.config.cicdRoleName, buildTrustPolicy(env.config));

    // Act
    const remediate = await env.runReconcile('remediate');
    const writesAfterRemediation = aws().calls.filter((c) => c.service === 'iam' && !/^(Get|List)/.test(c.action));
    const report = await env.runReconcile('report');
    const rerun = await env.startExecution({ accountId });

    // Assess: drift reported once, converged by the remediation, then nothing to do
    const drift = (run: typeof remediate) =>
      run.report?.summary.accounts.find((a) => a.accountId === accountId)?.drift ?? [];
    expect(drift(remediate)).toEqual(['trust-policy-changed']);
    expect(remediate.executions.map((e) => e.status)).toContain('SUCCEEDED');
    expect((await env.readRole(accountId))?.trustPolicy).toEqual(
      buildTrustPolicy(env.config, 'aws', aws().state.organizationId),
    );
    expect(drift(report)).toEqual([]);
    expect(rerun.outcome).toMatchObject({ status: 'SUCCEEDED', output: { role: { outcome: 'unchanged' } } });
    expect(aws().calls.filter((c) => c.service === 'iam' && !/^(Get|List)/.test(c.action))).toEqual(
      writesAfterRemediation,
    );
  });
});

describe('functions invoked directly check their own input', () => {
  const invoke = <T>(fn: 'ensure-cicd-role' | 'open-pull-request', call: () => Promise<T>) =>
    iamEvaluation()
      .runtime.invoke(fn, call)
      .then(
        () => undefined,
        (error: Error) => error,
      );

  it('ensure-cicd-role refuses an account in an excluded OU, whatever the input says about it', async () => {
    // Prepare: the Security OU excluded; the input claims the account sits nowhere and has no tags
    const security = aws().state.findOrganizationalUnit('Security')?.id as string;
    const accountId = aws().state.createAccount({ name: 'sessions-security-01', parentId: security }).id;
    const config: OnboardingConfig = { ...env.config, filters: { ...env.config.filters, excludeOuIds: [security] } };
    const callsBefore = aws().calls.length;

    // Act
    const refused = await invoke('ensure-cicd-role', () =>
      makeEnsure({ ...ensureDeps(), config })({ account: { accountId, ouPath: [], tags: {} }, force: false }),
    );

    // Assess
    expect(refused).toMatchObject({ name: 'AccountNotSelected', message: expect.stringContaining('(excluded-ou)') });
    expect(
      aws()
        .calls.slice(callsBefore)
        .filter((c) => c.service !== 'organizations'),
    ).toEqual([]);
    expect(aws().state.findRole(accountId, env.config.cicdRoleName)).toBeUndefined();
  });

  it.each(['infra/prod', '.github/workflows', '../x', '/aws-accounts/x'])(
    'open-pull-request refuses the folder %s before any GitHub request',
    async (folder) => {
      // Prepare
      const requestsBefore = env.github.standIn?.requests.length;

      // Act
      const refused = await invoke('open-pull-request', () =>
        makeOpenPullRequest(prDeps())({
          account: {
            accountId: '012345678901',
            name: 'workload-dev-01',
            email: 'aws+workload-dev-01@example.com',
            status: 'ACTIVE',
            ouPath: [],
            tags: {},
            folder,
          },
          role: {
            outcome: 'unchanged',
            roleArn: 'arn:aws:iam::012345678901:role/cicd',
            changes: [],
            accessRole: ACCESS_ROLE,
          },
          trigger: 'manual',
        }),
      );

      // Assess
      expect(refused).toMatchObject({ name: 'FolderOutsideAccountsDir' });
      expect(env.github.standIn?.requests.length).toBe(requestsBefore);
    },
  );
});
