/** Reconcile at scale on the stand-ins, against a floor run of the same AWS calls with no logic around them. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GetRoleCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { memberIamClients } from '../../functions/lib/member-account';
import { MAP_CONCURRENCY } from '../../functions/lib/reconcile';
import { reconcileSessionPolicy } from '../../functions/lib/session-policy';
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
  /** The floor's ListAccounts pages and role reads alone, without the run files and the notice. */
  roleFloorMs: number;
  /** Overhead: the median over sweep/floor pairs of sweep wall time / floor wall time (each pair run back to back). */
  overhead: number;
  /** The same against the role reads alone. */
  roleOverhead: number;
  /** Smallest and largest pair ratio (sweep / floor). */
  overheadRange: [number, number];
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

/** Adds accounts (with their access role) to the stand-in's organization until it holds `total` bench accounts, each
 * with an onboarded `cicd` role (trust policy, managed tag, configured policies) as a steady-state organization has. */
function growOrganization(env: LocalEnvironment, existing: string[], total: number): void {
  const state = env.aws.standIn?.state;
  if (!state) throw new Error('the reconcile benchmark needs the embedded AWS stand-in');
  const { config } = env;
  const trust = buildTrustPolicy(config, 'aws', state.organizationId);
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
  s3: S3Client;
  sns: SNSClient;
}

/**
 * The floor's clients, built as the reconcile functions build theirs (their `defaultDeps`: settings, endpoint and
 * credentials from the same process environment; member-account IAM clients from the check step's own factory,
 * memberIamClients), once, and kept for every floor run as a warm container keeps its clients.
 */
function floorClients(): FloorClients {
  return {
    organizations: new OrganizationsClient({ region: 'us-east-1' }),
    sts: new STSClient({}),
    iamFor: memberIamClients(),
    s3: new S3Client({ forcePathStyle: true }),
    sns: new SNSClient({}),
  };
}

/** The run files one sweep wrote (bodies as stored) and the notice it published: what the floor writes and reads. */
interface SweepFiles {
  bucket: string;
  snapshot: string;
  repo: string;
  results: string[];
  report: string;
  notice?: { topicArn: string; subject?: string; message: string };
}

async function sweepFiles(
  env: LocalEnvironment,
  s3: S3Client,
  reportKey: string,
  published: number,
): Promise<SweepFiles> {
  const bucket = process.env.RECONCILE_BUCKET as string;
  const prefix = reportKey.replace(/\/report\.json$/, '');
  const read = async (key: string) =>
    (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ?? '';
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/results/` }));
  const resultKeys = (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
  const notices = env.aws.standIn?.state.published ?? [];
  const notice = published > 0 ? notices[notices.length - 1] : undefined;
  return {
    bucket,
    snapshot: await read(`${prefix}/snapshot.json`),
    repo: await read(`${prefix}/repo.json`),
    results: await Promise.all(resultKeys.map(read)),
    report: await read(reportKey),
    ...(notice ? { notice: { topicArn: notice.topicArn, subject: notice.subject, message: notice.message } } : {}),
  };
}

/**
 * The floor: every AWS call the sweep made, in the order its steps depend on each other, with the sweep's own run
 * files as bodies and no logic around them: ListAccounts pages; the snapshot and repository files written; the
 * snapshot read once (one warm check container); AssumeRole, GetRole, ListAttachedRolePolicies per account,
 * `concurrency` at once; one results file per batch written; the snapshot, repository and results files read; the
 * report written; the notice published (when the sweep published one); the report read back (as the runner does).
 */
async function floorRun(
  env: LocalEnvironment,
  concurrency: number,
  { organizations, sts, iamFor, s3, sns }: FloorClients,
  files: SweepFiles,
): Promise<FloorResult> {
  const standIn = env.aws.standIn;
  if (!standIn) throw new Error('the reconcile benchmark needs the embedded AWS stand-in');
  const prefix = `bench-floor/${crypto.randomUUID()}`;
  const put = (name: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: files.bucket, Key: `${prefix}/${name}`, Body: body }));
  const get = async (name: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: files.bucket, Key: `${prefix}/${name}` }))).Body?.transformToString();
  const from = standIn.calls.length;
  const started = performance.now();
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await organizations.send(new ListAccountsCommand({ NextToken }));
    for (const a of page.Accounts ?? []) if (a.Id && a.Id !== env.aws.managementAccountId) ids.push(a.Id);
    NextToken = page.NextToken;
  } while (NextToken);
  const listed = performance.now();
  await put('snapshot.json', files.snapshot);
  const repoWritten = put('repo.json', files.repo);
  await get('snapshot.json');
  const rolesStarted = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${id}:role/${env.config.memberAccessRoleNames[0]}`,
          RoleSessionName: 'bench-floor',
          // As the check step: the session policy that narrows the session to reading the cicd role.
          Policy: JSON.stringify(reconcileSessionPolicy(env.config, id)),
        }),
      );
      const iam = iamFor({
        accessKeyId: c?.AccessKeyId as string,
        secretAccessKey: c?.SecretAccessKey as string,
        sessionToken: c?.SessionToken as string,
      });
      // As the check step: no policy listing for an account without the role.
      const role = await iam.send(new GetRoleCommand({ RoleName: env.config.cicdRoleName })).catch(() => undefined);
      if (role) await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: env.config.cicdRoleName }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  const roleMs = listed - started + (performance.now() - rolesStarted);
  await Promise.all([repoWritten, ...files.results.map((body, b) => put(`results/${b}.json`, body))]);
  await Promise.all([get('snapshot.json'), get('repo.json'), ...files.results.map((_, b) => get(`results/${b}.json`))]);
  await put('report.json', files.report);
  if (files.notice) {
    const { topicArn, subject, message } = files.notice;
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
  }
  await get('report.json');
  return { ms: performance.now() - started, calls: standIn.calls.length - from, roleMs };
}

interface FloorResult {
  ms: number;
  calls: number;
  /** The ListAccounts pages and the role reads alone (the floor before run files and the notice were counted). */
  roleMs: number;
}

/**
 * A full garbage collection, run before each measured sweep and each floor run: both start from a collected heap, so
 * neither pays for the other's garbage (a major collection otherwise lands on whichever side crosses the threshold,
 * tens of ms at 100 accounts). `--expose-gc` is set at run time, so `npm run bench` needs no node flags.
 */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * Sweep/floor pairs per size: a shared machine's noise is tens of ms, a tenth of a 100-account sweep, so small sizes
 * (about a second a pair) get more pairs; 5,000 accounts (about a minute a pair) get one.
 */
const repeatsFor = (accounts: number): number => (accounts <= 200 ? 15 : accounts <= 1100 ? 5 : 1);

const RECONCILE_FUNCTIONS = ['reconcile-inventory', 'reconcile-check', 'reconcile-repo', 'reconcile-report'] as const;

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
      RepositoryFunctionArn: arn('reconcile-repo'),
      ReportFunctionArn: arn('reconcile-report'),
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:bench',
    },
    {
      Inventory: await timed('reconcile-inventory'),
      CheckBatch: await timed('reconcile-check'),
      ReadRepository: await timed('reconcile-repo'),
      Report: await timed('reconcile-report'),
    },
    { mode: 'report' } as Json,
    { executionName: `bench-timed-${Date.now().toString(36)}` },
  );
  if (run.outcome.status !== 'SUCCEEDED') {
    throw new Error(`timed reconcile run FAILED: ${run.outcome.error}: ${run.outcome.cause ?? ''}`);
  }
  return { handlerMs };
}

interface RunnerResult {
  outcome?: { status?: string; error?: string };
  result?: { reportKey?: string };
  states?: string[];
  retries?: Record<string, number>;
}

function reportKeyOf(run: RunnerResult | undefined): string {
  const key = run?.result?.reportKey;
  if (!key) throw new Error(`the reconcile sweep ended ${run?.outcome?.status ?? 'without a result'}, with no report`);
  return key;
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
  const concurrency = env.config.reconcile.concurrency * MAP_CONCURRENCY;
  const accounts: string[] = [];
  const runs: ReconcileRun[] = [];
  const baseline = standIn.state.accounts.size;
  // Warm-up: the first sweep in a process imports the four reconcile bundles (their cold start is section 1's
  // measurement). One discarded sweep and one discarded floor run of the seeded organization make every measured
  // run a warm one on both sides (imports done, clients made, connections open).
  const clients = floorClients();
  const warm = (await runner('report')) as RunnerResult | undefined;
  await floorRun(env, concurrency, clients, await sweepFiles(env, clients.s3, reportKeyOf(warm), 1));
  for (const size of sizes) {
    growOrganization(env, accounts, Math.max(0, size - baseline));
    const total = standIn.state.accounts.size;
    // Alternating reconcile and floor runs, median of each: the first run at a new size also warms the stand-in
    // and the JIT for the new accounts, which would otherwise be charged to whichever side runs first.
    const repeats = repeatsFor(total);
    const walls: number[] = [];
    const floors: FloorResult[] = [];
    let result: RunnerResult | undefined;
    let awsCalls: typeof standIn.calls = [];
    let ghCalls: typeof github.requests = [];
    for (let i = 0; i < repeats; i++) {
      const awsFrom = standIn.calls.length;
      const ghFrom = github.requests.length;
      collectGarbage();
      const started = performance.now();
      result = (await runner('report')) as RunnerResult | undefined;
      walls.push(performance.now() - started);
      awsCalls = standIn.calls.slice(awsFrom);
      ghCalls = github.requests.slice(ghFrom);
      const published = awsCalls.filter((c) => c.action === 'Publish').length;
      const files = await sweepFiles(env, clients.s3, reportKeyOf(result), published);
      collectGarbage();
      floors.push(await floorRun(env, concurrency, clients, files));
    }
    const wallMs = median(walls);
    const pairRatios = walls.map((w, i) => w / (floors[i]?.ms ?? Number.NaN));
    const floor = {
      ms: median(floors.map((f) => f.ms)),
      calls: floors[0]?.calls ?? 0,
      roleMs: median(floors.map((f) => f.roleMs)),
    };
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
      roleFloorMs: floor.roleMs,
      overhead: median(pairRatios),
      roleOverhead: median(walls.map((w, i) => w / (floors[i]?.roleMs ?? Number.NaN))),
      overheadRange: [Math.min(...pairRatios), Math.max(...pairRatios)],
      transitions,
      handlerMs: timed?.handlerMs,
      lambdaInvocations: transitions - 3,
      status: result?.outcome?.status ?? 'unknown',
    });
    const spread = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} ms`;
    say(
      `  reconcile: ${total} accounts in ${(wallMs / 1000).toFixed(2)} s (floor ${(floor.ms / 1000).toFixed(2)} s; ` +
        `${repeats} pairs, sweeps ${spread(walls)}, floors ${spread(floors.map((f) => f.ms))})`,
    );
  }
  return {
    runs,
    concurrency,
    notes: [
      `The organization is grown in the AWS stand-in to each size (${baseline} seeded accounts plus bench accounts in \`Root/bench-workloads\`, each with an onboarded \`cicd\` role: configured trust policy, managed tag, configured policies; the repository does not hold their folders, so they report folder and matrix drift, which report mode does not act on). Each size runs \`env.runReconcile('report')\` on the built bundles, after one discarded warm-up sweep that imports the bundles (their cold start is measured in section 1); the sweep and the floor alternate (${sizes.map((n) => `${repeatsFor(n)} pairs at ${n.toLocaleString('en-US')}`).join(', ')} accounts) and the medians are reported (overhead: the median of the pairs' ratios, each pair run back to back, so a slow spell of the shared machine weighs on both sides of a ratio); a full garbage collection precedes each sweep and each floor run, so neither pays for the other's garbage; wall time is around that call, calls are what the stand-ins received during one sweep. The local Step Functions runtime validates each definition once, as Step Functions does at CreateStateMachine, not on every execution.`,
      `The floor runs in the same process right after each sweep and makes every AWS call the sweep made, with the SDK clients directly and no logic around them: ListAccounts pages; PutObject of the sweep's own snapshot and repository files; one GetObject of the snapshot (one warm check container); per account AssumeRole (${env.config.memberAccessRoleNames[0]}), GetRole and ListAttachedRolePolicies, ${concurrency} accounts at once (reconcile.concurrency ${env.config.reconcile.concurrency} × the Map state's MaxConcurrency ${MAP_CONCURRENCY}); PutObject of each batch's results file; GetObject of the snapshot, repository and results files; PutObject of the report; the SNS Publish of the sweep's notice; GetObject of the report (the runner reads it back). The clients are built as the functions build theirs (settings, endpoint and credentials from the process environment; member-account IAM clients from the check step's factory, memberIamClients) and kept across floor runs, as a warm container keeps them. No GitHub: its three requests are not AWS calls. Overhead = reconcile wall time / floor wall time. "role reads" is the part of the floor before run files and the notice (ListAccounts and the per-account reads), shown for comparison with earlier runs of this benchmark, which used it as the floor.`,
      `Handler durations (for the GB-seconds of section 5) come from one more report-mode run of the same definition on the same bundles with each handler timed, at the sizes up to ${timedUpTo} accounts only (to spare the shared machine); \`env.runReconcile\` does not report them. Lambda invocations = state transitions − 3 (every state but Sweep, CheckBatches and Done invokes a function).`,
    ],
  };
}
