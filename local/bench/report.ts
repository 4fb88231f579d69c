/**
 * Renders the measurements as the Markdown of BENCHMARKS.md (numbers and how each was derived). Each section lives
 * beside what it reports: report-bundles (1), report-onboarding (2, 3), report-reconcile (4), report-cost (5), and the
 * backfill and refresh sections in their own measuring modules.
 */
import { type BackfillMeasurements, backfillSection } from './backfill';
import type { BundleSize, FloorBundle, ImportTiming, LargestBundle } from './bundles';
import type { FunctionSettings } from './infra';
import type { OnboardingMeasurements } from './onboarding';
import type { ReconcileMeasurements } from './reconcile';
import { type RefreshMeasurements, refreshSection } from './refresh';
import { bundlesSection } from './report-bundles';
import { costSection, reconcileCostSection } from './report-cost';
import { callsSection, e2eSection } from './report-onboarding';
import { reconcileSection } from './report-reconcile';

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
    '',
    ...reconcileCostSection(r),
    ...(r.backfill === undefined ? [] : ['', ...backfillSection(r.backfill)]),
    '',
    ...refreshSection(r.refresh),
  ].join('\n');
}
