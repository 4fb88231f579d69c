/** Reconcile at scale on the stand-ins, against a floor run of the same AWS calls with no logic around them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetRoleCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { memberIamClients } from '../../functions/lib/member-account';
import { buildTrustPolicy } from '../../functions/lib/trust-policy';
import type { LocalEnvironment } from '../environment';
import { type Json, lambdaInvoke, runStateMachine } from '../step-functions';
import { median, reconcileTransitions, stateTransitions, tally } from './stats';

export interface ReconcileRun {
  accounts: number;
  wallMs: number;
  aws: Record<string, number>;
  awsTotal: number;
  github: Record<string, number>;
  githubTotal: number;
  floorMs: number;
  floorAwsTotal: number;
  transitions: number;
  /** summed handler durations (ms) per function, when the runner reports them */
  handlerMs?: Record<string, number>;
  lambdaInvocations: number;
  status: string;
}

export interface ReconcileMeasurements {
  runs: ReconcileRun[];
  concurrency: number;
  notes: string[];
}

type ReconcileRunner = (mode: 'report' | 'remediate') => Promise<unknown>;

const runnerOf = (env: LocalEnvironment): ReconcileRunner | undefined => {
  const runner = (env as unknown as { runReconcile?: ReconcileRunner }).runReconcile;
  return typeof runner === 'function' ? runner.bind(env) : undefined;
};

export function reconcileRunnerAvailable(env: LocalEnvironment): boolean {
  return runnerOf(env) !== undefined;
}

/** The Map state's MaxConcurrency in the reconcile definition (batches checked at once). */
function mapConcurrency(): number {
  const asl = JSON.parse(readFileSync('state-machines/reconcile.asl.json', 'utf8')) as {
    States: Record<string, { Type: string; MaxConcurrency?: number }>;
  };
  const map = Object.values(asl.States).find((s) => s.Type === 'Map');
  return map?.MaxConcurrency ?? 1;
}

/** Adds accounts (with their access role) to the stand-in's organization until it holds `total` bench accounts, each
 * with an onboarded `cicd` role (trust policy, managed tag, configured policies) as a steady-state organization has. */
function growOrganization(env: LocalEnvironment, existing: string[], total: number): void {
  const state = env.aws.standIn?.state;
  if (!state) throw new Error('the reconcile benchmark needs the embedded AWS stand-in');
  const { config } = env;
  const trust = buildTrustPolicy(config);
  const ou = state.findOrganizationalUnit('bench-workloads') ?? state.createOrganizationalUnit('bench-workloads');
  while (existing.length < total) {
    const account = state.createAccount({ name: `bench-fleet-${existing.length + 1}`, parentId: ou.id });
    state.createRole(account.id, {
      roleName: config.cicdRoleName,
      path: config.cicdRolePath,
      assumeRolePolicyDocument: trust as never,
      tags: [{ Key: config.managedTag.key, Value: config.managedTag.value }],
    });
    for (const arn of config.cicdPolicyArns) state.attachRolePolicy(account.id, config.cicdRoleName, arn);
    existing.push(account.id);
  }
}

interface FloorClients {
  organizations: OrganizationsClient;
  sts: STSClient;
  iamFor: ReturnType<typeof memberIamClients>;
}

/**
 * The floor's clients, made once and kept for every floor run, as a warm Lambda container keeps the check step's:
 * one Organizations and one STS client, and member-account IAM clients from the same factory as reconcile-check's
 * (memberIamClients: one HTTP handler and one set of resolved settings for all). Neither side pays for new
 * connections or settings on a warm run.
 */
function floorClients(env: LocalEnvironment): FloorClients {
  const clientConfig = { region: 'us-east-1', endpoint: env.aws.endpoint, credentials: env.aws.credentials };
  const { credentials: _, ...iamConfig } = clientConfig;
  return {
    organizations: new OrganizationsClient(clientConfig),
    sts: new STSClient(clientConfig),
    iamFor: memberIamClients(iamConfig),
  };
}

/**
 * The floor: ListAccounts pages, then AssumeRole, GetRole, ListAttachedRolePolicies per account, `concurrency` at
 * once, with the check step's member-account IAM client factory.
 */
async function floorRun(
  env: LocalEnvironment,
  concurrency: number,
  { organizations, sts, iamFor }: FloorClients,
): Promise<{ ms: number; calls: number }> {
  const standIn = env.aws.standIn;
  if (!standIn) throw new Error('the reconcile benchmark needs the embedded AWS stand-in');
  const from = standIn.calls.length;
  const started = performance.now();
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await organizations.send(new ListAccountsCommand({ NextToken }));
    for (const a of page.Accounts ?? []) if (a.Id && a.Id !== env.aws.managementAccountId) ids.push(a.Id);
    NextToken = page.NextToken;
  } while (NextToken);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${id}:role/${env.config.memberAccessRoleNames[0]}`,
          RoleSessionName: 'bench-floor',
        }),
      );
      const iam = iamFor({
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken as string,
      });
      await iam.send(new GetRoleCommand({ RoleName: env.config.cicdRoleName })).catch(() => undefined);
      await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: env.config.cicdRoleName })).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return { ms: performance.now() - started, calls: standIn.calls.length - from };
}

/**
 * Sweep/floor pairs per size: a shared machine's noise is tens of ms, a tenth of a 100-account sweep, so small sizes
 * (about a second a pair) get more pairs; 5,000 accounts (about a minute a pair) get one.
 */
const repeatsFor = (accounts: number): number => (accounts <= 200 ? 9 : accounts <= 1100 ? 5 : 1);

const RECONCILE_FUNCTIONS = ['reconcile-inventory', 'reconcile-check', 'reconcile-report'] as const;

/**
 * The reconcile state machine once more, in report mode, with each bundle's handler timed: the same definition,
 * bundles and stand-ins as `env.runReconcile`, which does not report handler durations. Summed ms per function.
 */
async function timedReport(): Promise<{ handlerMs: Record<string, number> }> {
  const handlerMs: Record<string, number> = Object.fromEntries(RECONCILE_FUNCTIONS.map((n) => [n, 0]));
  const timed = async (name: (typeof RECONCILE_FUNCTIONS)[number]) => {
    const url = pathToFileURL(join(process.cwd(), 'dist', 'functions', name, 'index.mjs')).href;
    const { handler } = (await import(url)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
    return lambdaInvoke(async (event: unknown) => {
      const started = performance.now();
      try {
        return await handler(event, { functionName: name, awsRequestId: crypto.randomUUID() });
      } finally {
        handlerMs[name] = (handlerMs[name] ?? 0) + Math.ceil(performance.now() - started);
      }
    });
  };
  const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
  const run = await runStateMachine(
    'state-machines/reconcile.asl.json',
    {
      InventoryFunctionArn: arn('reconcile-inventory'),
      CheckFunctionArn: arn('reconcile-check'),
      ReportFunctionArn: arn('reconcile-report'),
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:bench',
    },
    {
      Inventory: await timed('reconcile-inventory'),
      CheckBatch: await timed('reconcile-check'),
      Report: await timed('reconcile-report'),
    },
    { mode: 'report' } as Json,
    { executionName: `bench-timed-${Date.now().toString(36)}` },
  );
  if (run.outcome.status !== 'SUCCEEDED') throw new Error(`timed reconcile run ${run.outcome.status}`);
  return { handlerMs };
}

interface RunnerResult {
  outcome?: { status?: string; error?: string };
  states?: string[];
  retries?: Record<string, number>;
}

export async function measureReconcile(
  env: LocalEnvironment,
  sizes: readonly number[],
  say: (line: string) => void,
  timedUpTo = 1000,
): Promise<ReconcileMeasurements> {
  const runner = runnerOf(env);
  const standIn = env.aws.standIn;
  const github = env.github.standIn;
  if (!runner || !standIn || !github) throw new Error('reconcile runner or stand-ins not available');
  const concurrency = env.config.reconcile.concurrency * mapConcurrency();
  const accounts: string[] = [];
  const runs: ReconcileRun[] = [];
  const baseline = standIn.state.accounts.size;
  // Warm-up: the first sweep in a process imports the three reconcile bundles (their cold start is section 1's
  // measurement). One discarded sweep and one discarded floor run of the seeded organization make every measured
  // run a warm one on both sides (imports done, clients made, connections open).
  await runner('report');
  const clients = floorClients(env);
  await floorRun(env, concurrency, clients);
  for (const size of sizes) {
    growOrganization(env, accounts, Math.max(0, size - baseline));
    const total = standIn.state.accounts.size;
    // Alternating reconcile and floor runs, median of each: the first run at a new size also warms the stand-in
    // and the JIT for the new accounts, which would otherwise be charged to whichever side runs first.
    const repeats = repeatsFor(total);
    const walls: number[] = [];
    const floors: Array<{ ms: number; calls: number }> = [];
    let result: RunnerResult | undefined;
    let awsCalls: typeof standIn.calls = [];
    let ghCalls: typeof github.requests = [];
    for (let i = 0; i < repeats; i++) {
      const awsFrom = standIn.calls.length;
      const ghFrom = github.requests.length;
      const started = performance.now();
      result = (await runner('report')) as RunnerResult | undefined;
      walls.push(performance.now() - started);
      awsCalls = standIn.calls.slice(awsFrom);
      ghCalls = github.requests.slice(ghFrom);
      floors.push(await floorRun(env, concurrency, clients));
    }
    const wallMs = median(walls);
    const floorMs = median(floors.map((f) => f.ms));
    const floor = { ms: floorMs, calls: floors[0]?.calls ?? 0 };
    const timed = total <= timedUpTo + baseline ? await timedReport() : undefined;
    const transitions =
      result?.states && result.retries
        ? stateTransitions({ states: result.states, retries: result.retries })
        : reconcileTransitions(total);
    runs.push({
      accounts: total,
      wallMs,
      aws: tally(awsCalls, (c) => c.action),
      awsTotal: awsCalls.length,
      github: tally(ghCalls, (r) => r.route.replace('/repos/{owner}/{repo}/', '')),
      githubTotal: ghCalls.length,
      floorMs: floor.ms,
      floorAwsTotal: floor.calls,
      transitions,
      handlerMs: timed?.handlerMs,
      lambdaInvocations: transitions - 2,
      status: result?.outcome?.status ?? 'unknown',
    });
    say(`  reconcile: ${total} accounts in ${(wallMs / 1000).toFixed(1)} s (floor ${(floor.ms / 1000).toFixed(1)} s)`);
  }
  return {
    runs,
    concurrency,
    notes: [
      `The organization is grown in the AWS stand-in to each size (${baseline} seeded accounts plus bench accounts in \`Root/bench-workloads\`, each with an onboarded \`cicd\` role: configured trust policy, managed tag, configured policies; the repository does not hold their folders, so they report folder and matrix drift, which report mode does not act on). Each size runs \`env.runReconcile('report')\` on the built bundles, after one discarded warm-up sweep that imports the bundles (their cold start is measured in section 1); the sweep and the floor alternate (${sizes.map((n) => `${repeatsFor(n)} pairs at ${n.toLocaleString('en-US')}`).join(', ')} accounts) and the medians are reported; wall time is around that call, calls are what the stand-ins received during one sweep. The local Step Functions runtime validates each definition once, as Step Functions does at CreateStateMachine, not on every execution.`,
      `The floor runs in the same process right after: ListAccounts pages with the management credentials, then per account AssumeRole (${env.config.memberAccessRoleNames[0]}), GetRole and ListAttachedRolePolicies with the SDK clients directly (made once and kept across floor runs, as a warm container keeps the check step's; the member-account IAM clients come from the check step's own factory, memberIamClients, sharing one HTTP handler and one set of resolved settings), ${concurrency} accounts at once (reconcile.concurrency ${env.config.reconcile.concurrency} × the Map state's MaxConcurrency ${mapConcurrency()}), no other logic, no GitHub. Overhead = reconcile wall time / floor wall time.`,
      `Handler durations (for the GB-seconds of section 5) come from one more report-mode run of the same definition on the same bundles with each handler timed, at the sizes up to ${timedUpTo} accounts only (to spare the shared machine); \`env.runReconcile\` does not report them. Lambda invocations = state transitions − 2 (every state but CheckBatches and Done invokes a function).`,
    ],
  };
}
