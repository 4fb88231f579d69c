/** Renders the measurements as the Markdown of BENCHMARKS.md (numbers and how each was derived). */
import { type BackfillMeasurements, backfillSection } from './backfill';
import type { BundleSize, FloorBundle, ImportTiming, LargestBundle } from './bundles';
import type { FunctionSettings } from './infra';
import type { CallCount, OnboardingMeasurements, Step } from './onboarding';
import type { ReconcileMeasurements } from './reconcile';
import { type RefreshMeasurements, refreshSection } from './refresh';
import {
  awsOnboardingFloor,
  awsRerunFloor,
  type Cell,
  cost,
  describeTally,
  type FloorItem,
  floorTotal,
  formatBytes,
  formatMs,
  formatRatio,
  formatUsd,
  gbSeconds,
  githubOnboardingFloor,
  githubRerunFloor,
  linearFit,
  median,
  PRICES,
  ratio,
  reconcileTransitions,
  renderTable,
} from './stats';

export interface BenchReport {
  generated: string;
  machine: string;
  quick: boolean;
  importRounds: number;
  sizes: BundleSize[];
  explained?: LargestBundle;
  /** Per function: a bundle of only its AWS SDK clients and Octokit, the floor of its cold import. */
  floors: FloorBundle[];
  imports: ImportTiming[];
  onboarding: OnboardingMeasurements;
  settings: Record<string, FunctionSettings>;
  reconcile: ReconcileMeasurements | string;
  /** `cli backfill` of 200 existing accounts (local/bench/backfill.ts). */
  backfill?: BackfillMeasurements | string;
  /** Absent in reports written before the refresh was measured. */
  refresh?: RefreshMeasurements | string;
  seconds: number;
}

/** Issue 15.4: each bundle's cold import within this factor of its SDK-and-Octokit-only floor. */
const FLOOR_GOAL = 1.5;
const GOALS = { newGithub: 10, newContentCreating: 4, rerunGithub: 5, newAws: 9 };
const STEPS: Step[] = ['resolve-account', 'ensure-cicd-role', 'open-pull-request'];
const yesNo = (ok: boolean) => (ok ? 'yes' : 'no');

function floorList(items: FloorItem[]): string {
  return items.map((i) => `${i.call}${i.count === 1 ? '' : ` ×${i.count}`} (${i.why})`).join('; ');
}

function bundlesSection(r: BenchReport): string[] {
  const empty = r.imports.find((i) => i.name === '(empty module)');
  const emptyMs = empty?.medianMs ?? Number.NaN;
  const rows: Cell[][] = r.sizes.map((s) => {
    const t = r.imports.find((i) => i.name === s.name);
    const ms = t?.medianMs ?? Number.NaN;
    const floor = r.floors.find((f) => f.name === s.name);
    const floorMs = r.imports.find((i) => i.name === `${s.name} (floor)`)?.medianMs ?? Number.NaN;
    const toFloor = ratio(ms, floorMs);
    return [
      s.name,
      s.bytes,
      s.gzipBytes,
      formatBytes(s.bytes),
      formatMs(ms),
      formatMs(ms - emptyMs),
      formatRatio(ratio(ms, emptyMs)),
      floor ? `${floor.bytes} (${floor.clients.map((c) => c.replace('@aws-sdk/client-', '')).join(', ')})` : '',
      formatMs(floorMs),
      `${formatRatio(toFloor)} ${toFloor <= FLOOR_GOAL ? `≤ ${FLOOR_GOAL}×: yes` : `> ${FLOOR_GOAL}×: NO`}`,
    ];
  });
  rows.push(['(empty module)', '', '', '', formatMs(emptyMs), '0', formatRatio(1), '', '', '']);
  const lines = [
    '## 1. Bundles: size and cold import',
    '',
    `Built with \`buildFunctions()\` from esbuild.config.mjs (ESM, minified, node20 target, source maps beside the bundle and not counted). Sizes are of \`dist/functions/<name>/index.mjs\`; gzip is \`zlib.gzipSync\` at level 9 (Lambda stores the zip, so gzip approximates the deployment package).`,
    '',
    `Cold import: for each module, ${r.importRounds} fresh \`node --input-type=module\` processes, each timing \`await import(fileUrl)\` with \`process.hrtime.bigint()\` (process start-up excluded, module evaluation included). An empty module (\`export {}\`) is measured in the same run; the rounds are interleaved (each round imports every module once, one process at a time) after one discarded warm-up import of each. Median reported; "over empty" = median − empty median; ratio = median / empty median.`,
    '',
    `Floor: for each function, a bundle built with the same options that only imports the AWS SDK clients and Octokit its own bundle holds (found in its esbuild metafile; each client class, as a handler imports it), measured in the same interleaved rounds. Goal: cold import within ${FLOOR_GOAL}× of the floor.`,
    '',
    renderTable(
      [
        'function',
        'bytes',
        'gzip bytes',
        'size',
        'cold import (median)',
        'over empty',
        'ratio to empty',
        'floor bytes (clients)',
        'floor cold import',
        'ratio to floor',
      ],
      rows,
    ),
  ];
  const x = r.explained;
  if (x) {
    const total = x.byPackage.reduce((n, p) => n + p.bytes, 0);
    lines.push(
      '',
      `### Why ${x.name} is the largest`,
      '',
      `The same build rerun in memory with esbuild's \`metafile\`; \`bytesInOutput\` of each input, summed per package (top ${x.byPackage.length}, together ${total} of ${x.outputBytes} output bytes).`,
      '',
      renderTable(
        ['package', 'bytes in output', 'share'],
        x.byPackage.map((p) => [p.input, p.bytes, `${((100 * p.bytes) / x.outputBytes).toFixed(1)} %`]),
      ),
      '',
      'Largest single input files:',
      '',
      renderTable(
        ['input', 'bytes in output'],
        x.byFile.map((f) => [f.input.replace(/^.*node_modules\//, 'node_modules/'), f.bytes]),
      ),
    );
  }
  return lines;
}

function callRow(
  c: CallCount,
  awsFloor: number,
  githubFloor: number,
  goals: { github?: number; cc?: number; aws?: number },
): Cell[] {
  return [
    c.label,
    c.awsTotal,
    awsFloor,
    goals.aws ?? '',
    c.githubTotal,
    githubFloor,
    goals.github ?? '',
    c.githubContentCreating,
    goals.cc ?? '',
    c.outcome,
  ];
}

function callsSection(r: BenchReport): string[] {
  const o = r.onboarding;
  const depth = o.ouPath.split('/').length - 1;
  const policies = o.policies.length;
  const [coldNew, pairSecond, warmNew, rerun] = o.counts;
  const awsNewCold = awsOnboardingFloor({ ouDepth: depth, policies, coldContainer: true });
  const awsNewWarm = awsOnboardingFloor({ ouDepth: depth, policies, coldContainer: false });
  const awsRerun = awsRerunFloor({ ouDepth: depth, coldContainer: false });
  const ghNew = githubOnboardingFloor();
  const ghRerun = githubRerunFloor();
  const rows: Cell[][] = [];
  if (coldNew)
    rows.push(
      callRow(coldNew, floorTotal(awsNewCold), floorTotal(ghNew), {
        github: GOALS.newGithub,
        cc: GOALS.newContentCreating,
        aws: GOALS.newAws,
      }),
    );
  if (warmNew)
    rows.push(
      callRow(warmNew, floorTotal(awsNewWarm), floorTotal(ghNew), {
        github: GOALS.newGithub,
        cc: GOALS.newContentCreating,
        aws: GOALS.newAws,
      }),
    );
  if (rerun) rows.push(callRow(rerun, floorTotal(awsRerun), floorTotal(ghRerun), { github: GOALS.rerunGithub }));
  if (pairSecond) rows.push(callRow(pairSecond, floorTotal(awsRerun) + 1, floorTotal(ghRerun), {}));

  const within = (c: CallCount | undefined, aws: number | undefined, gh: number, cc: number | undefined) =>
    c
      ? `AWS ${c.awsTotal}${aws === undefined ? '' : ` ≤ ${aws}: ${yesNo(c.awsTotal <= aws)}`}; GitHub ${c.githubTotal} ≤ ${gh}: ${yesNo(c.githubTotal <= gh)}${cc === undefined ? '' : `; content-creating ${c.githubContentCreating} ≤ ${cc}: ${yesNo(c.githubContentCreating <= cc)}`}`
      : 'not measured';
  const lines = [
    '## 2. API calls per onboarding',
    '',
    `An account created in \`${o.ouPath}\` (one OU below the root) with ${policies} managed polic${policies === 1 ? 'y' : 'ies'} configured (${o.policies.join(', ')}). The account is created by the AWS stand-in as Organizations does (a CreateAccount request that completes and emits the \`CreateAccount\` CloudTrail call event and the \`CreateAccountResult\` service event); each event is delivered through the synthesized EventBridge rules to the onboarding state machine with the built bundles. Calls are the requests the stand-ins themselves received between the start and the end of the execution (\`aws.standIn.calls\`, \`github.standIn.requests\`; content-creating = any non-GET request, as GitHub's secondary limits count them). Nothing else talks to the stand-ins meanwhile.`,
    '',
    'Floors (the fewest calls that can do the job, derived from what the job must read and write):',
    '',
    `- AWS, new onboarding: ${floorList(awsNewCold)}. With the OU one below the root: ${floorTotal(awsNewWarm)} calls, ${floorTotal(awsNewCold)} in a cold open-pull-request container.`,
    `- AWS, re-run that changes nothing: ${floorList(awsRerun)} = ${floorTotal(awsRerun)}. The CreateAccount-call execution adds DescribeCreateAccountStatus ×1 (floor ${floorTotal(awsRerun) + 1}).`,
    `- GitHub, new onboarding: ${floorList(ghNew)} = ${floorTotal(ghNew)} calls, ${ghNew.filter((i) => i.call.startsWith('POST')).length} content-creating (the branch needs a tree, a commit and a ref; the PR is the fourth write).`,
    `- GitHub, re-run that changes nothing: ${floorList(ghRerun)} = ${floorTotal(ghRerun)}, none content-creating.`,
    '',
    renderTable(
      [
        'execution',
        'AWS calls',
        'AWS floor',
        'AWS goal',
        'GitHub calls',
        'GitHub floor',
        'GitHub goal',
        'content-creating',
        'c-c goal',
        'outcome',
      ],
      rows,
    ),
    '',
    'Against the goals of issue #7:',
    '',
    `- new onboarding, cold containers: ${within(coldNew, GOALS.newAws, GOALS.newGithub, GOALS.newContentCreating)}`,
    `- new onboarding, warm containers: ${within(warmNew, GOALS.newAws, GOALS.newGithub, GOALS.newContentCreating)}`,
    `- re-run that changes nothing: ${within(rerun, undefined, GOALS.rerunGithub, undefined)}`,
    '',
    'GetSecretValue is made once per cold open-pull-request container (the GitHub client is cached for the life of the container), so it appears in the cold row only. In AWS both EventBridge rules match a CreateAccount: the execution started by the call event polls until the account exists and then re-runs the steps, which find the role and the pull request in place (last row); its calls come on top of the new onboarding.',
    '',
    'Calls by action:',
    '',
    ...o.counts.flatMap((c) => [`- ${c.label}: AWS ${describeTally(c.aws)}; GitHub ${describeTally(c.github)}`]),
  ];
  return lines;
}

function e2eSection(r: BenchReport): string[] {
  const s = r.onboarding.e2eMs;
  return [
    '## 3. End-to-end onboarding time (stand-ins)',
    '',
    `${s.length} new accounts, one after another, each created in \`${r.onboarding.ouPath}\`; time from handing the \`CreateAccountResult\` event to the rules until the execution finished (resolve-account, ensure-cicd-role, open-pull-request on the built bundles, warm containers, Wait states and retry intervals overridden to 0, the GitHub stand-in writing a real git repository and validating each request against GitHub's OpenAPI description). The stand-ins have no network latency, so this is the tool's own time, not what AWS and GitHub would take.`,
    '',
    renderTable(
      ['runs', 'median', 'min', 'max', 'samples (ms)'],
      [
        [
          s.length,
          formatMs(median(s)),
          formatMs(Math.min(...s)),
          formatMs(Math.max(...s)),
          s.map((v) => v.toFixed(0)).join(', '),
        ],
      ],
    ),
  ];
}

function reconcileSection(r: BenchReport): string[] {
  const lines = ['## 4. Reconcile at scale (stand-ins)', ''];
  if (typeof r.reconcile === 'string') return [...lines, r.reconcile];
  const m = r.reconcile;
  lines.push(
    ...m.notes.flatMap((note) => [note, '']),
    renderTable(
      [
        'accounts',
        'wall time',
        'AWS calls',
        'GitHub calls',
        'floor wall time',
        'floor AWS calls',
        'overhead (wall / floor)',
        'pair ratios',
        'role reads alone',
        'wall / role reads',
        'status',
      ],
      m.runs.map((x) => [
        x.accounts,
        formatMs(x.wallMs),
        x.awsTotal,
        x.githubTotal,
        formatMs(x.floorMs),
        x.floorAwsTotal,
        formatRatio(x.overhead),
        x.overheadRange[0] === x.overheadRange[1]
          ? formatRatio(x.overheadRange[0])
          : `${formatRatio(x.overheadRange[0])}–${formatRatio(x.overheadRange[1])}`,
        formatMs(x.roleFloorMs),
        formatRatio(x.roleOverhead),
        x.status,
      ]),
    ),
    '',
    `Against the goal of issue #7 (overhead ≤ 1.3, GitHub calls constant): ${m.runs
      .map((x) => `${x.accounts} accounts ${formatRatio(x.overhead)} ${x.overhead <= 1.3 ? 'yes' : 'NO'}`)
      .join(
        '; ',
      )}; GitHub calls per run ${[...new Set(m.runs.map((x) => x.githubTotal))].join(', ')} (${new Set(m.runs.map((x) => x.githubTotal)).size === 1 ? 'constant' : 'NOT constant'}).`,
    '',
    'Calls by action:',
    '',
    ...m.runs.map((x) => `- ${x.accounts} accounts: AWS ${describeTally(x.aws)}; GitHub ${describeTally(x.github)}`),
  );
  return lines;
}

function costSection(r: BenchReport): string[] {
  const o = r.onboarding;
  const mem = (name: string) => r.settings[name]?.memoryMb ?? Number.NaN;
  const gbs = (durations: Record<Step, number>) => STEPS.reduce((n, s) => n + gbSeconds(mem(s), durations[s]), 0);
  const onboardGbs = gbs(o.handlerMs.onboard);
  const rerunGbs = gbs(o.handlerMs.rerun);
  const single = cost({ transitions: o.transitions.onboard, gbSeconds: onboardGbs, lambdaRequests: 3 });
  const pairTransitions = o.counts[1]?.transitions ?? 0;
  const pair = cost({
    transitions: o.transitions.onboard + pairTransitions,
    gbSeconds: onboardGbs + rerunGbs,
    lambdaRequests: 6,
  });
  const rerun = cost({ transitions: o.transitions.rerun, gbSeconds: rerunGbs, lambdaRequests: 3 });
  const lines = [
    '## 5. Cost model (list prices)',
    '',
    `Prices (${PRICES.region}, as of ${PRICES.asOf}, ${PRICES.source}; free tiers ignored): Step Functions Standard $${(PRICES.stateTransition * 1000).toFixed(3)} per 1,000 state transitions; Lambda arm64 $${PRICES.lambdaGbSecond} per GB-second and $${(PRICES.lambdaRequest * 1e6).toFixed(2)} per 1M requests. Memory sizes are read from the synthesized stack: ${Object.entries(
      r.settings,
    )
      .map(([n, s]) => `${n} ${s.memoryMb} MB ${s.architecture}`)
      .join(', ')}.`,
    '',
    `State transitions are counted from the local execution's event log (every \`StateEntered\` plus every \`StateRetried\`). GB-seconds = configured memory / 1024 × median handler duration measured around each bundle's \`handler\` over ${o.e2eMs.length} runs (rounded up to 1 ms as Lambda bills). Durations on the stand-ins carry no network latency, so the GB-seconds are a lower bound; at AWS and GitHub round trips of tens of ms per call the durations, and the Lambda compute cost, grow roughly with the call counts of section 2. Lambda init time is not billed for these managed runtimes and is not included.`,
    '',
    renderTable(
      ['step', 'memory (MB)', 'median duration, new', 'GB-s, new', 'median duration, re-run', 'GB-s, re-run'],
      STEPS.map((s) => [
        s,
        mem(s),
        formatMs(o.handlerMs.onboard[s]),
        gbSeconds(mem(s), o.handlerMs.onboard[s]).toFixed(4),
        formatMs(o.handlerMs.rerun[s]),
        gbSeconds(mem(s), o.handlerMs.rerun[s]).toFixed(4),
      ]),
    ),
    '',
    renderTable(
      ['per', 'state transitions', 'Lambda requests', 'GB-s', 'Step Functions', 'Lambda', 'total'],
      [
        [
          'new onboarding, one execution',
          o.transitions.onboard,
          3,
          onboardGbs.toFixed(4),
          formatUsd(single.stepFunctions),
          formatUsd(single.lambdaCompute + single.lambdaRequests),
          formatUsd(single.total),
        ],
        [
          'new onboarding, both rules (AWS)',
          o.transitions.onboard + pairTransitions,
          6,
          (onboardGbs + rerunGbs).toFixed(4),
          formatUsd(pair.stepFunctions),
          formatUsd(pair.lambdaCompute + pair.lambdaRequests),
          formatUsd(pair.total),
        ],
        [
          're-run, no change',
          o.transitions.rerun,
          3,
          rerunGbs.toFixed(4),
          formatUsd(rerun.stepFunctions),
          formatUsd(rerun.lambdaCompute + rerun.lambdaRequests),
          formatUsd(rerun.total),
        ],
      ],
    ),
    '',
    `"Both rules": the second execution is priced with its measured transitions (${pairTransitions}; the account existed when it resolved, so it did not enter the Wait loop) and the re-run handler durations. In AWS it would also poll DescribeCreateAccountStatus every 30 s until the account exists: each poll adds 5 transitions (CountPoll, CheckPollLimit, WaitForAccountCreation, ResolveAccount, RouteDecision) and one resolve-account invocation.`,
  ];
  lines.push('', ...reconcileCost(r));
  return lines;
}

function reconcileCost(r: BenchReport): string[] {
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
  const withDurations = m.runs.filter((x) => x.handlerMs);
  const mem = (name: string) => r.settings[name]?.memoryMb ?? Number.NaN;
  const gbsOf = (x: (typeof m.runs)[number]) =>
    Object.entries(x.handlerMs ?? {}).reduce((n, [name, ms]) => n + gbSeconds(mem(name), ms), 0);
  const transitionsFit = linearFit(m.runs.map((x) => [x.accounts, x.transitions] as const));
  const gbsFit =
    withDurations.length > 0 ? linearFit(withDurations.map((x) => [x.accounts, gbsOf(x)] as const)) : undefined;
  const invocationsFit = linearFit(m.runs.map((x) => [x.accounts, x.lambdaInvocations] as const));
  const rows: Cell[][] = m.runs.map((x) => {
    const c = cost({
      transitions: x.transitions,
      gbSeconds: x.handlerMs ? gbsOf(x) : 0,
      lambdaRequests: x.lambdaInvocations,
    });
    if (!x.handlerMs)
      return [
        `${x.accounts} (measured)`,
        x.transitions,
        x.lambdaInvocations,
        'not timed',
        formatUsd(c.stepFunctions),
        'n/a',
        'n/a',
      ];
    return [
      `${x.accounts} (measured)`,
      x.transitions,
      x.lambdaInvocations,
      x.handlerMs ? gbsOf(x).toFixed(3) : 'n/a',
      formatUsd(c.stepFunctions),
      formatUsd(c.lambdaCompute + c.lambdaRequests),
      formatUsd(c.total),
    ];
  });
  for (const n of [1000, 10000]) {
    const transitions = reconcileTransitions(n);
    const invocations = Math.round(invocationsFit.intercept + invocationsFit.slope * n);
    const g = gbsFit ? gbsFit.intercept + gbsFit.slope * n : Number.NaN;
    const c = cost({ transitions, gbSeconds: Number.isFinite(g) ? g : 0, lambdaRequests: invocations });
    rows.push([
      `${n} (model)`,
      transitions,
      invocations,
      Number.isFinite(g) ? g.toFixed(3) : 'n/a',
      formatUsd(c.stepFunctions),
      formatUsd(c.lambdaCompute + c.lambdaRequests),
      formatUsd(c.total),
    ]);
  }
  return [
    head,
    '',
    `Measured runs as in section 4. The model rows: transitions from the state machine (Inventory, Sweep, CheckBatches, ReadRepository, Report, Done + one CheckBatch per 100 accounts from 500 accounts up, while smaller organizations are split into 5 smaller batches; the measured runs fit ${transitionsFit.intercept.toFixed(1)} + ${transitionsFit.slope.toFixed(4)}·n), Lambda invocations and GB-seconds from a least-squares line through the measured runs${gbsFit ? ` (GB-s ≈ ${gbsFit.intercept.toFixed(3)} + ${gbsFit.slope.toExponential(3)}·n)` : ''}. Stand-in durations exclude network latency, but up to 5 CheckBatch handlers run at once in one process and share its CPU, so each batch's duration is stretched by the others: the reconcile GB-seconds are an overestimate of the compute, not a lower bound.`,
    '',
    renderTable(
      ['accounts', 'state transitions', 'Lambda requests', 'GB-s', 'Step Functions', 'Lambda', 'total'],
      rows,
    ),
  ];
}

export function renderReport(r: BenchReport): string {
  return [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\`${r.quick ? ' --quick' : ''} (local/bench/main.ts) on ${r.generated}; ${r.machine}; took ${r.seconds.toFixed(0)} s. Each number says how it was derived; timings on a shared machine vary from run to run.`,
    '',
    ...bundlesSection(r),
    '',
    ...callsSection(r),
    '',
    ...e2eSection(r),
    '',
    ...reconcileSection(r),
    '',
    ...costSection(r),
    ...(r.backfill === undefined ? [] : ['', ...backfillSection(r.backfill)]),
    '',
    ...refreshSection(r.refresh),
  ].join('\n');
}
