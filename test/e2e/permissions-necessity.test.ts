/**
 * Every statement of every function role is needed, proven on the embedded stand-ins with IAM evaluated
 * (local/aws/authorization.ts): each statement of the synthesized policies is removed in turn, the flows that use the
 * function run again, and at least one of them must fail with IAM refusing a call that the statement allowed. The
 * result is the generated table of infra/PERMISSIONS.md (rewrite it with UPDATE_PERMISSIONS=1).
 *
 * One environment serves every run (a policy change applies to the next call, as in IAM): each onboarding of a new
 * account creates a fresh account; the reconcile sweep deletes the same account's cicd role before each run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { asList, type PolicyStatement } from '../../local/aws/policy';
import { SEED } from '../../local/aws/seed';
import type { LocalEnvironment } from '../../local/environment';
import { startLocalEnvironment } from '../../local/environment';
import type { FunctionName, FunctionRole } from '../../local/function-roles';
import {
  existingAccountFlow,
  FLOWS,
  FLOWS_OF,
  type FlowName,
  newAccountFlow,
  RUNTIME_ACTIONS,
  reconcileFlow,
  refreshFlow,
  renderTable,
  type StatementRow,
  withGeneratedTable,
} from '../support/permission-flows';

const TABLE_FILE = 'infra/PERMISSIONS.md';

let env: LocalEnvironment;
/** The account the reconcile sweeps find drifted (its cicd role deleted before each sweep). */
let drifted: string;
/** An account in the Workloads/Prod OU, onboarded by id. */
let inOu: string;
let baselineSweep: Awaited<ReturnType<typeof reconcileFlow>>['fingerprint'];
/** The actions each statement allowed in the baseline flows: `<role ARN> <policy>#<index>` → actions. */
const used = new Map<string, Set<string>>();
const rows: StatementRow[] = [];
const started = Date.now();
let runs = 0;

const iam = () => env.iam as NonNullable<LocalEnvironment['iam']>;
const roleOf = (fn: FunctionName) => iam().roles.find((r) => r.functionName === fn) as FunctionRole;

const matches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

async function runFlow(flow: FlowName, label: string): Promise<string[]> {
  runs += 1;
  if (flow === 'new-account') return (await newAccountFlow(env, label)).problems;
  if (flow === 'existing-account') return existingAccountFlow(env, inOu);
  if (flow === 'refresh') return refreshFlow(env, label);
  const { fingerprint, restored } = await reconcileFlow(env, drifted);
  const problems = Object.entries(fingerprint)
    .filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(baselineSweep[key as keyof typeof fingerprint]))
    .map(
      ([key, value]) =>
        `${key}: ${JSON.stringify(value)}, not ${JSON.stringify(baselineSweep[key as keyof typeof fingerprint])}`,
    );
  return restored ? problems : [...problems, `the cicd role of ${drifted} was not put back`];
}

/** The local names in a statement's resources, written as PERMISSIONS.md writes them. */
function displayResources(resource: unknown): string {
  const standIn = env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
  const bucket = env.env.RECONCILE_BUCKET as string;
  const replacements: Array<[string, string]> = [
    [env.config.github.auth.secretArn, '<github.auth.secretArn>'],
    [standIn.authorization.topicKeys.get(env.env.RECONCILE_TOPIC_ARN as string) ?? '<none>', '<failure topic key>'],
    [env.env.RECONCILE_TOPIC_ARN as string, '<failure topic>'],
    [env.onboardingStateMachineArn, '<onboard-account state machine>'],
    [env.refreshStateMachineArn, '<refresh state machine>'],
    [`arn:aws:s3:::${bucket}`, '<run bucket>'],
    [/arn:aws:logs:[^"]+:log-group:\/aws\/lambda\/[^"]+/.source, '<its log group>'],
    [env.aws.managementAccountId, '<mgmt>'],
  ];
  let text = asList(resource)
    .map((r) => `\`${r}\``)
    .join(', ');
  for (const [from, to] of replacements)
    text = text.replace(new RegExp(from.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), 'g'), to);
  return text.replace(/`arn:aws:logs:[^`]+`/g, '<its log group>');
}

/** Removes each statement of the function's role in turn and runs the flows that use the function. */
async function proveStatements(fn: FunctionName): Promise<void> {
  const role = roleOf(fn);
  expect(role.policies).toHaveLength(1);
  const policy = role.policies[0] as FunctionRole['policies'][number];
  const statements = asList(policy.document.Statement) as PolicyStatement[];
  const roleArn = iam().roleArn(fn);
  for (const [position, statement] of statements.entries()) {
    const index = position + 1;
    const actions = asList(statement.Action) as string[];
    const base = { rolePath: role.rolePath, index, ...(statement.Sid ? { sid: statement.Sid } : {}), actions };
    const resources = displayResources(statement.Resource);
    if (actions.every((a) => a in RUNTIME_ACTIONS)) {
      rows.push({
        ...base,
        resources,
        neededBy: `Lambda service: ${[...new Set(actions.map((a) => RUNTIME_ACTIONS[a]))].join('; ')}`,
        refused: '– (not a call of the function’s code: no local flow can fail without it)',
      });
      continue;
    }
    iam().setStatements(
      fn,
      statements.filter((_, i) => i !== position),
    );
    // New containers: a warm function may hold what the statement once gave it (open-pull-request's GitHub client).
    iam().coldStart();
    const denialsBefore = iam().settings.denials.length;
    const failed: string[] = [];
    try {
      for (const flow of FLOWS_OF[fn]) {
        const problems = await runFlow(flow, `necessity-${fn}-${index}`);
        if (problems.length > 0) failed.push(flow);
      }
    } finally {
      iam().restore();
    }
    const refused = [
      ...new Set(
        iam()
          .settings.denials.slice(denialsBefore)
          .filter((d) => d.principalArn === roleArn && actions.some((a) => matches(a, d.action)))
          .map((d) => d.action),
      ),
    ].sort();
    const unused = actions.filter(
      (a) => ![...(used.get(`${roleArn} ${policy.name}#${index}`) ?? [])].some((u) => matches(a, u)),
    );
    // The statement is needed: a flow fails, and IAM refused a call that the statement allowed.
    expect({ statement: `${role.roleName} #${index}`, failed: failed.length > 0, refused: refused.length > 0 }).toEqual(
      {
        statement: `${role.roleName} #${index}`,
        failed: true,
        refused: true,
      },
    );
    rows.push({
      ...base,
      resources,
      neededBy: failed.map((f) => FLOWS[f as FlowName]).join('; '),
      refused:
        refused.map((a) => `\`${a}\``).join(', ') +
        (unused.length > 0 ? ` (no flow calls ${unused.map((a) => `\`${a}\``).join(', ')})` : ''),
    });
  }
}

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  env = await startLocalEnvironment({
    handlers: 'source',
    // Each sweep's report starts a refresh run that renders the dashboard, as deployed.
    refreshOnReconcile: true,
    config: {
      // Every skip rule the sweep applies: excluded account ids (the seeded workload accounts, never onboarded here),
      // an exclude-tag (the tooling account's) and an excluded OU (set below: OU ids exist once the stand-in does).
      filters: {
        excludeAccountIds: [SEED.workloadDev, SEED.workloadProd],
        excludeOuIds: [],
        excludeTags: [{ key: 'Purpose', value: 'cicd' }],
      },
      reconcile: { schedule: 'rate(1 day)', mode: 'remediate', remediationBudget: 5, concurrency: 5 },
    },
  });
  const security = env.aws.standIn?.state.findOrganizationalUnit('Security')?.id as string;
  // The reconcile functions read their configuration when first loaded, by the first sweep below.
  const config = JSON.parse(process.env.ONBOARDING_CONFIG as string);
  config.filters.excludeOuIds = [security];
  process.env.ONBOARDING_CONFIG = JSON.stringify(config);

  // Baseline: every flow succeeds with the synthesized policies, and IAM refuses nothing.
  const created = await newAccountFlow(env, 'necessity-baseline');
  expect(created.problems).toEqual([]);
  drifted = created.accountId;
  const prod = env.aws.standIn?.state.findOrganizationalUnit('Prod')?.id as string;
  inOu = env.aws.standIn?.state.createAccount({ name: 'necessity-in-ou', parentId: prod }).id as string;
  expect(await existingAccountFlow(env, inOu)).toEqual([]);
  const sweep = await reconcileFlow(env, drifted);
  expect(sweep.restored).toBe(true);
  expect(sweep.fingerprint).toMatchObject({ outcome: 'SUCCEEDED', drifted: [expect.stringContaining(drifted)] });
  expect(sweep.fingerprint.remediationsStarted).toEqual([drifted]);
  expect(sweep.fingerprint.reportPublished).toBe(true);
  baselineSweep = sweep.fingerprint;
  expect(await refreshFlow(env, 'necessity-refresh')).toEqual([]);
  expect(iam().settings.denials).toEqual([]);
  for (const [principal, byStatement] of iam().settings.grants) {
    for (const [statement, actions] of byStatement) used.set(`${principal} ${statement}`, actions);
  }
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

describe('every statement of every function role is needed by a flow (IAM evaluated on the stand-ins)', () => {
  it('refuses a call outside the synthesized policy of the calling function with AccessDenied', async () => {
    // Act: resolve-account's role may read accounts, OUs and creation requests, not list the organization
    const refused = await iam()
      .runtime.invoke('resolve-account', () =>
        new OrganizationsClient({ region: 'us-east-1' }).send(new ListAccountsCommand({})),
      )
      .then(
        () => undefined,
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => error,
      );

    // Assess
    expect([refused?.name, refused?.$metadata?.httpStatusCode]).toEqual(['AccessDeniedException', 403]);
    expect(refused?.message).toBe(
      `User: arn:aws:sts::${env.aws.managementAccountId}:assumed-role/OidcAccountOnboarding-Onboarding-ResolveAccountRole/resolve-account is not authorized to perform: organizations:ListAccounts because no identity-based policy allows the organizations:ListAccounts action`,
    );
  });

  // The sweep's functions first: the failed onboardings below leave accounts without a role, which a sweep would report.
  for (const fn of ['reconcile-inventory', 'reconcile-check', 'reconcile-repo', 'reconcile-report'] as const) {
    it(`${fn}: a sweep fails without any of its statements`, () => proveStatements(fn), 180_000);
  }
  for (const fn of ['resolve-account', 'ensure-cicd-role', 'open-pull-request'] as const) {
    it(`${fn}: an onboarding fails without any of its statements`, () => proveStatements(fn), 180_000);
  }
  it('refresh: a refresh fails without any of its statements', () => proveStatements('refresh'), 300_000);

  it(`matches the generated table of ${TABLE_FILE}`, () => {
    // Prepare
    const order = iam().roles.map((r) => r.rolePath);
    const sorted = [...rows].sort((a, b) => order.indexOf(a.rolePath) - order.indexOf(b.rolePath) || a.index - b.index);
    const expected = withGeneratedTable(readFileSync(TABLE_FILE, 'utf8'), renderTable(sorted));
    if (process.env.UPDATE_PERMISSIONS === '1') writeFileSync(TABLE_FILE, expected);
    const current = readFileSync(TABLE_FILE, 'utf8');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`permissions necessity: ${rows.length} statements, ${runs} flow runs, ${seconds} s\n`);

    // Assess
    expect(current).toEqual(expected);
  });
});
