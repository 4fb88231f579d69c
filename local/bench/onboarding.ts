/**
 * Onboarding on the embedded stand-ins with the built bundles: API calls per execution (AWS and GitHub, from the
 * stand-ins' own request logs), end-to-end time, state transitions and handler durations.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalEnvironment } from '../environment';
import { type ExecutionReport, type Json, runOnboarding } from '../step-functions';
import { median, stateTransitions, tally } from './stats';

const STEPS = ['resolve-account', 'ensure-cicd-role', 'open-pull-request'] as const;
export type Step = (typeof STEPS)[number];

export interface CallCount {
  label: string;
  aws: Record<string, number>;
  awsTotal: number;
  github: Record<string, number>;
  githubTotal: number;
  githubContentCreating: number;
  status: string;
  outcome: string;
  transitions: number;
}

export interface OnboardingMeasurements {
  ouPath: string;
  policies: string[];
  counts: CallCount[];
  e2eMs: number[];
  /** median handler duration (ms) per step, new onboarding and no-change re-run */
  handlerMs: { onboard: Record<Step, number>; rerun: Record<Step, number> };
  transitions: { onboard: number; rerun: number };
}

interface NewAccount {
  accountId: string;
  resultEvent: Record<string, unknown>;
  callEvent: Record<string, unknown>;
}

function standIns(env: LocalEnvironment) {
  const aws = env.aws.standIn;
  const github = env.github.standIn;
  if (!aws || !github) throw new Error('the benchmark needs the embedded AWS and GitHub stand-ins');
  return { aws, github };
}

/** Creates an account in `parentId` as Organizations does (request, completion) and returns both CloudTrail events. */
function createAccountIn(env: LocalEnvironment, parentId: string, name: string): NewAccount {
  const { aws } = standIns(env);
  const state = aws.state;
  const request = state.startCreateAccount({ accountName: name, email: `aws+${name}@example.com`, parentId });
  const caller = state.credentials.get(env.aws.credentials.accessKeyId)?.caller;
  if (!caller) throw new Error('no caller for the management credentials');
  state.emitCreateAccountCall(request, caller);
  state.completePendingAccountCreations();
  const mine = (e: { detail: Record<string, unknown> }) => JSON.stringify(e.detail).includes(`"${request.id}"`);
  const events = state.events.filter(mine) as unknown as Record<string, unknown>[];
  const byName = (n: string) => events.find((e) => (e.detail as { eventName?: string }).eventName === n);
  const resultEvent = byName('CreateAccountResult');
  const callEvent = byName('CreateAccount');
  if (!resultEvent || !callEvent || !request.accountId) throw new Error(`CreateAccount ${request.id} did not complete`);
  return { accountId: request.accountId, resultEvent, callEvent };
}

function outcomeOf(report: ExecutionReport | undefined): { status: string; outcome: string } {
  const o = report?.outcome;
  if (!o) return { status: 'NOT_STARTED', outcome: 'no rule matched' };
  if (o.status !== 'SUCCEEDED') return { status: o.status, outcome: `${o.error}: ${o.cause?.slice(0, 200)}` };
  const out = o.output as { role?: { outcome?: string }; pullRequest?: { outcome?: string }; decision?: string };
  return {
    status: o.status,
    outcome: out.role ? `role ${out.role.outcome}, PR ${out.pullRequest?.outcome}` : `decision ${out.decision}`,
  };
}

/** Runs `act` and returns the AWS and GitHub requests the stand-ins received meanwhile. */
async function counted(
  env: LocalEnvironment,
  label: string,
  act: () => Promise<ExecutionReport | undefined>,
): Promise<CallCount> {
  const { aws, github } = standIns(env);
  const awsFrom = aws.calls.length;
  const ghFrom = github.requests.length;
  const report = await act();
  const awsCalls = aws.calls.slice(awsFrom);
  const ghCalls = github.requests.slice(ghFrom);
  return {
    label,
    aws: tally(awsCalls, (c) => c.action),
    awsTotal: awsCalls.length,
    github: tally(ghCalls, (r) => r.route.replace('/repos/{owner}/{repo}/', '')),
    githubTotal: ghCalls.length,
    githubContentCreating: ghCalls.filter((r) => r.contentCreating).length,
    ...outcomeOf(report),
    transitions: report ? stateTransitions(report) : 0,
  };
}

type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

/** The same bundle modules the environment loaded (same URL, so the same module instance and warm containers). */
async function timedBundleHandlers(durations: Map<Step, number[]>) {
  const context = (name: string) => ({
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bench',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
  });
  const wrap = async (name: Step) => {
    const url = pathToFileURL(join(process.cwd(), 'dist', 'functions', name, 'index.mjs')).href;
    const { handler } = (await import(url)) as { handler: LambdaHandler };
    return async (event: unknown) => {
      const started = performance.now();
      try {
        return await handler(event, context(name));
      } finally {
        durations.get(name)?.push(performance.now() - started);
      }
    };
  };
  return {
    resolveAccount: await wrap('resolve-account'),
    ensureCicdRole: await wrap('ensure-cicd-role'),
    openPullRequest: await wrap('open-pull-request'),
  };
}

const emptyDurations = () => new Map<Step, number[]>(STEPS.map((s) => [s, []]));
const medians = (d: Map<Step, number[]>) =>
  Object.fromEntries(STEPS.map((s) => [s, median(d.get(s) ?? [Number.NaN])])) as Record<Step, number>;

export async function measureOnboarding(
  env: LocalEnvironment,
  opts: { timedRuns: number; say: (line: string) => void },
): Promise<OnboardingMeasurements> {
  const { aws } = standIns(env);
  const ou = aws.state.createOrganizationalUnit('bench-workloads', aws.state.rootId);
  const stamp = Date.now().toString(36).slice(-5);
  let n = 0;
  const nextAccount = () => createAccountIn(env, ou.id, `bench-${stamp}-${String(++n).padStart(3, '0')}`);
  const counts: CallCount[] = [];

  // 1. The first onboarding after start-up: cold containers (the GitHub secret is read once per container).
  const first = nextAccount();
  counts.push(
    await counted(env, 'new account, CreateAccountResult execution, cold containers', async () => {
      return (await env.deliver(first.resultEvent)).report;
    }),
  );
  // 2. The second rule's execution for the same account (CreateAccount call event): in AWS it polls until the
  //    account exists, then finds the role and the PR in place.
  counts.push(
    await counted(env, 'same account, CreateAccount-call execution (2nd rule)', async () => {
      return (await env.deliver(first.callEvent)).report;
    }),
  );
  // 3. A warm new onboarding: what every onboarding but the first of a container costs.
  const second = nextAccount();
  counts.push(
    await counted(env, 'new account, CreateAccountResult execution, warm containers', async () => {
      return (await env.deliver(second.resultEvent)).report;
    }),
  );
  // 4. A re-run by account id that changes nothing.
  counts.push(
    await counted(env, 're-run {"accountId"} that changes nothing, warm', async () => {
      return env.startExecution({ accountId: second.accountId } as Json);
    }),
  );
  opts.say(`  onboarding: call counts done (${counts.map((c) => c.status).join(', ')})`);

  // End-to-end: event delivered -> execution finished, each on a fresh account, waits overridden to 0.
  const e2eMs: number[] = [];
  for (let i = 0; i < opts.timedRuns; i++) {
    const account = nextAccount();
    const started = performance.now();
    const delivery = await env.deliver(account.resultEvent);
    e2eMs.push(performance.now() - started);
    if (delivery.report?.outcome.status !== 'SUCCEEDED') throw new Error(`timed onboarding ${i + 1} failed`);
  }
  opts.say(`  onboarding: ${opts.timedRuns} timed end-to-end runs done`);

  // Handler durations and transitions: the same state machine and bundles, each Lambda call timed.
  const onboardDurations = emptyDurations();
  const rerunDurations = emptyDurations();
  const onboardHandlers = await timedBundleHandlers(onboardDurations);
  const rerunHandlers = await timedBundleHandlers(rerunDurations);
  const transitions = { onboard: 0, rerun: 0 };
  for (let i = 0; i < opts.timedRuns; i++) {
    const account = nextAccount();
    const onboard = await runOnboarding(account.resultEvent as Json, onboardHandlers, {
      executionName: `bench-${stamp}-timed-${i}`,
    });
    const rerun = await runOnboarding({ accountId: account.accountId }, rerunHandlers, {
      executionName: `bench-${stamp}-rerun-${i}`,
    });
    if (onboard.outcome.status !== 'SUCCEEDED' || rerun.outcome.status !== 'SUCCEEDED')
      throw new Error('timed handler run failed');
    transitions.onboard = stateTransitions(onboard);
    transitions.rerun = stateTransitions(rerun);
  }
  opts.say(`  onboarding: ${opts.timedRuns} handler-timed runs done`);

  return {
    ouPath: `Root/${ou.name}`,
    policies: env.config.cicdPolicyArns,
    counts,
    e2eMs,
    handlerMs: { onboard: medians(onboardDurations), rerun: medians(rerunDurations) },
    transitions,
  };
}
