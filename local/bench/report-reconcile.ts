/** Section 4 of BENCHMARKS.md: reconcile sweeps at scale against their floor runs. */
import type { ReconcileMeasurements, ReconcileRun } from './reconcile';
import type { BenchReport } from './report';
import { type Cell, describeTally, formatMs, formatRatio, renderTable } from './stats';

/** The overhead goal of issue #7: a sweep within this factor of its floor run. */
const OVERHEAD_GOAL = 1.3;

function runRow(x: ReconcileRun): Cell[] {
  return [
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
  ];
}

function runsTable(m: ReconcileMeasurements): string {
  const run = ['accounts', 'wall time', 'AWS calls', 'GitHub calls'];
  const floor = ['floor wall time', 'floor AWS calls', 'overhead (wall / floor)', 'pair ratios'];
  return renderTable([...run, ...floor, 'role reads alone', 'wall / role reads', 'status'], m.runs.map(runRow));
}

function goalLine(m: ReconcileMeasurements): string {
  const overheads = m.runs
    .map((x) => `${x.accounts} accounts ${formatRatio(x.overhead)} ${x.overhead <= OVERHEAD_GOAL ? 'yes' : 'NO'}`)
    .join('; ');
  const githubTotals = new Set(m.runs.map((x) => x.githubTotal));
  return `Against the goal of issue #7 (overhead ≤ ${OVERHEAD_GOAL}, GitHub calls constant): ${overheads}; GitHub calls per run ${[...githubTotals].join(', ')} (${githubTotals.size === 1 ? 'constant' : 'NOT constant'}).`;
}

export function reconcileSection(r: BenchReport): string[] {
  const head = ['## 4. Reconcile at scale (stand-ins)', ''];
  if (typeof r.reconcile === 'string') return [...head, r.reconcile];
  const m = r.reconcile;
  return [
    ...head,
    ...m.notes.flatMap((note) => [note, '']),
    runsTable(m),
    '',
    goalLine(m),
    '',
    'Calls by action:',
    '',
    ...m.runs.map((x) => `- ${x.accounts} accounts: AWS ${describeTally(x.aws)}; GitHub ${describeTally(x.github)}`),
  ];
}
