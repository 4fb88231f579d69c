/** Section 5 of BENCHMARKS.md: the cost model at list prices, per onboarding execution and per reconcile run. */
import type { Step } from './onboarding';
import type { ReconcileMeasurements, ReconcileRun } from './reconcile';
import type { BenchReport } from './report';
import {
  type Cell,
  type CostInput,
  cost,
  formatMs,
  formatUsd,
  gbSeconds,
  linearFit,
  PRICES,
  reconcileTransitions,
  renderTable,
} from './stats';

const STEPS: Step[] = ['resolve-account', 'ensure-cicd-role', 'open-pull-request'];
const COST_HEADERS = ['state transitions', 'Lambda requests', 'GB-s', 'Step Functions', 'Lambda', 'total'];

type Settings = BenchReport['settings'];
const memoryOf = (settings: Settings, name: string) => settings[name]?.memoryMb ?? Number.NaN;

/** One priced row: its inputs, then Step Functions, Lambda and total; Lambda and total `n/a` when not timed. */
function costRow(label: string, input: CostInput, gbs: string, timed = true): Cell[] {
  const c = cost(input);
  const lambda = timed ? formatUsd(c.lambdaCompute + c.lambdaRequests) : 'n/a';
  const total = timed ? formatUsd(c.total) : 'n/a';
  return [label, input.transitions, input.lambdaRequests, gbs, formatUsd(c.stepFunctions), lambda, total];
}

function stepsTable(r: BenchReport): string {
  const { onboard, rerun } = r.onboarding.handlerMs;
  const mem = (s: Step) => memoryOf(r.settings, s);
  return renderTable(
    ['step', 'memory (MB)', 'median duration, new', 'GB-s, new', 'median duration, re-run', 'GB-s, re-run'],
    STEPS.map((s) => [
      s,
      mem(s),
      formatMs(onboard[s]),
      gbSeconds(mem(s), onboard[s]).toFixed(4),
      formatMs(rerun[s]),
      gbSeconds(mem(s), rerun[s]).toFixed(4),
    ]),
  );
}

function onboardingCost(r: BenchReport) {
  const o = r.onboarding;
  const gbs = (durations: Record<Step, number>) =>
    STEPS.reduce((n, s) => n + gbSeconds(memoryOf(r.settings, s), durations[s]), 0);
  const onboard = { transitions: o.transitions.onboard, gbSeconds: gbs(o.handlerMs.onboard), lambdaRequests: 3 };
  const rerun = { transitions: o.transitions.rerun, gbSeconds: gbs(o.handlerMs.rerun), lambdaRequests: 3 };
  const pairTransitions = o.counts[1]?.transitions ?? 0;
  const pair = {
    transitions: onboard.transitions + pairTransitions,
    gbSeconds: onboard.gbSeconds + rerun.gbSeconds,
    lambdaRequests: 6,
  };
  const row = (label: string, input: CostInput) => costRow(label, input, input.gbSeconds.toFixed(4));
  const table = renderTable(
    ['per', ...COST_HEADERS],
    [
      row('new onboarding, one execution', onboard),
      row('new onboarding, both rules (AWS)', pair),
      row('re-run, no change', rerun),
    ],
  );
  return { table, pairTransitions };
}

export function costSection(r: BenchReport): string[] {
  const { table, pairTransitions } = onboardingCost(r);
  const memories = Object.entries(r.settings)
    .map(([n, s]) => `${n} ${s.memoryMb} MB ${s.architecture}`)
    .join(', ');
  return [
    '## 5. Cost model (list prices)',
    '',
    `Prices (${PRICES.region}, as of ${PRICES.asOf}, ${PRICES.source}; free tiers ignored): Step Functions Standard $${(PRICES.stateTransition * 1000).toFixed(3)} per 1,000 state transitions; Lambda arm64 $${PRICES.lambdaGbSecond} per GB-second and $${(PRICES.lambdaRequest * 1e6).toFixed(2)} per 1M requests. Memory sizes are read from the synthesized stack: ${memories}.`,
    '',
    `State transitions are counted from the local execution's event log (every \`StateEntered\` plus every \`StateRetried\`). GB-seconds = configured memory / 1024 × median handler duration measured around each bundle's \`handler\` over ${r.onboarding.e2eMs.length} runs (rounded up to 1 ms as Lambda bills). Durations on the stand-ins carry no network latency, so the GB-seconds are a lower bound; at AWS and GitHub round trips of tens of ms per call the durations, and the Lambda compute cost, grow roughly with the call counts of section 2. Lambda init time is not billed for these managed runtimes and is not included.`,
    '',
    stepsTable(r),
    '',
    table,
    '',
    `"Both rules": the second execution is priced with its measured transitions (${pairTransitions}; the account existed when it resolved, so it did not enter the Wait loop) and the re-run handler durations. In AWS it would also poll DescribeCreateAccountStatus every 30 s until the account exists: each poll adds 5 transitions (CountPoll, CheckPollLimit, WaitForAccountCreation, ResolveAccount, RouteDecision) and one resolve-account invocation.`,
  ];
}

/** Measured reconcile runs, then models at 1,000 and 10,000 accounts from lines fitted through them. */
function reconcileCostRows(m: ReconcileMeasurements, settings: Settings) {
  const gbsOf = (x: ReconcileRun) =>
    Object.entries(x.handlerMs ?? {}).reduce((n, [name, ms]) => n + gbSeconds(memoryOf(settings, name), ms), 0);
  const timed = m.runs.filter((x) => x.handlerMs);
  const gbsFit = timed.length > 0 ? linearFit(timed.map((x) => [x.accounts, gbsOf(x)] as const)) : undefined;
  const invocationsFit = linearFit(m.runs.map((x) => [x.accounts, x.lambdaInvocations] as const));
  const rows: Cell[][] = m.runs.map((x) => {
    const input = {
      transitions: x.transitions,
      gbSeconds: x.handlerMs ? gbsOf(x) : 0,
      lambdaRequests: x.lambdaInvocations,
    };
    const label = `${x.accounts} (measured)`;
    return x.handlerMs ? costRow(label, input, input.gbSeconds.toFixed(3)) : costRow(label, input, 'not timed', false);
  });
  for (const n of [1000, 10000]) {
    const lambdaRequests = Math.round(invocationsFit.intercept + invocationsFit.slope * n);
    const g = gbsFit ? gbsFit.intercept + gbsFit.slope * n : Number.NaN;
    const input = { transitions: reconcileTransitions(n), gbSeconds: Number.isFinite(g) ? g : 0, lambdaRequests };
    rows.push(costRow(`${n} (model)`, input, Number.isFinite(g) ? g.toFixed(3) : 'n/a'));
  }
  return { rows, gbsFit };
}

/** The `### Reconcile run` part of section 5. */
export function reconcileCostSection(r: BenchReport): string[] {
  const head = '### Reconcile run';
  if (typeof r.reconcile === 'string') {
    const per = (n: number) => reconcileTransitions(n);
    return [
      head,
      '',
      `${r.reconcile}. From the state machine alone: Inventory, Sweep, CheckBatches, ReadRepository, Report, Done plus one CheckBatch per 100 accounts (from 500 accounts up) = ${per(1000)} transitions at 1,000 accounts (${formatUsd(per(1000) * PRICES.stateTransition)}) and ${per(10000)} at 10,000 (${formatUsd(per(10000) * PRICES.stateTransition)}); Lambda GB-seconds need the measured durations.`,
    ];
  }
  const m = r.reconcile;
  const transitionsFit = linearFit(m.runs.map((x) => [x.accounts, x.transitions] as const));
  const { rows, gbsFit } = reconcileCostRows(m, r.settings);
  return [
    head,
    '',
    `Measured runs as in section 4. The model rows: transitions from the state machine (Inventory, Sweep, CheckBatches, ReadRepository, Report, Done + one CheckBatch per 100 accounts from 500 accounts up, while smaller organizations are split into 5 smaller batches; the measured runs fit ${transitionsFit.intercept.toFixed(1)} + ${transitionsFit.slope.toFixed(4)}·n), Lambda invocations and GB-seconds from a least-squares line through the measured runs${gbsFit ? ` (GB-s ≈ ${gbsFit.intercept.toFixed(3)} + ${gbsFit.slope.toExponential(3)}·n)` : ''}. Stand-in durations exclude network latency, but up to 5 CheckBatch handlers run at once in one process and share its CPU, so each batch's duration is stretched by the others: the reconcile GB-seconds are an overestimate of the compute, not a lower bound.`,
    '',
    renderTable(['accounts', ...COST_HEADERS], rows),
  ];
}
