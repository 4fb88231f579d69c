/**
 * `npm run bench`: bundle sizes and cold imports, API calls per onboarding against their floors, end-to-end time,
 * reconcile at scale against a floor run, and a cost model. Prints the report and writes it to BENCHMARKS.md.
 *
 * Options: `--quick` (fewer repetitions, reconcile at 100 accounts only; for trying the script), `--out FILE`.
 */
import '../polyfills';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type BackfillMeasurements, measureBackfill } from './backfill';
import { buildBundles, buildFloorBundles, bundleSizes, coldImports, explainBundle } from './bundles';
import { functionSettings } from './infra';
import { measureOnboarding } from './onboarding';
import { measureReconcile, type ReconcileMeasurements, reconcileRunnerAvailable } from './reconcile';
import { measureRefresh, type RefreshMeasurements } from './refresh';
import { type BenchReport, renderReport } from './report';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const out = args.includes('--out') ? (args[args.indexOf('--out') + 1] ?? 'BENCHMARKS.md') : 'BENCHMARKS.md';
const IMPORT_ROUNDS = quick ? 5 : 15;
const TIMED_RUNS = quick ? 3 : 7;
const RECONCILE_SIZES = quick ? [100] : [100, 1000, 5000];
const REFRESH_ACCOUNTS = 20;

const say = (line: string) => console.error(line);

async function main(): Promise<void> {
  const started = Date.now();
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  say('bench: building the bundles (esbuild.config.mjs buildFunctions)');
  const names = await buildBundles();
  const sizes = bundleSizes(names);
  const largest = [...sizes].sort((a, b) => b.bytes - a.bytes)[0];
  const explained = largest ? await explainBundle(largest.name) : undefined;
  const floors = await buildFloorBundles(names);
  say(`bench: cold imports, ${IMPORT_ROUNDS} fresh node processes per bundle and per floor bundle`);
  const imports = await coldImports(
    names,
    IMPORT_ROUNDS,
    floors.map((f) => f.name),
  );

  say('bench: onboarding on the embedded stand-ins (bundles)');
  const { startLocalEnvironment } = await import('../environment');
  const env = await startLocalEnvironment({ handlers: 'bundles' });
  let reconcile: ReconcileMeasurements | string;
  let onboarding: BenchReport['onboarding'];
  let settings: BenchReport['settings'];
  try {
    onboarding = await measureOnboarding(env, { timedRuns: TIMED_RUNS, say });
    settings = await functionSettings(env.config);
    if (reconcileRunnerAvailable(env)) {
      say(`bench: reconcile at ${RECONCILE_SIZES.join(', ')} accounts`);
      reconcile = await measureReconcile(env, RECONCILE_SIZES, say);
    } else {
      reconcile = 'not measured: reconcile runner not available (LocalEnvironment has no runReconcile)';
    }
  } finally {
    await env.stop();
  }
  // The refresh in an environment of its own: its burst of accounts must not meet the reconcile's.
  let refresh: RefreshMeasurements | string;
  // IAM evaluation off: it changes no count. The TypeScript handlers: a bundle keeps the clients of the first
  // environment in its module (one import per process), so a second environment needs fresh handlers.
  const refreshEnv = await startLocalEnvironment({
    handlers: 'source',
    aws: { iam: false, createAccount: { inProgressPolls: 1 } },
  });
  try {
    refresh = await measureRefresh(refreshEnv, REFRESH_ACCOUNTS, say);
  } catch (error) {
    refresh = `not measured: ${(error as Error).message}`;
  } finally {
    await refreshEnv.stop();
  }

  let backfill: BackfillMeasurements | string;
  try {
    backfill = await measureBackfill(200, say);
  } catch (error) {
    backfill = `not measured: ${(error as Error).message}`;
  }

  const report: BenchReport = {
    generated: new Date().toISOString(),
    machine: `${process.platform}/${process.arch}, Node.js ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), shared`,
    quick,
    importRounds: IMPORT_ROUNDS,
    sizes,
    explained,
    floors,
    imports,
    onboarding,
    settings,
    reconcile,
    backfill,
    refresh,
    seconds: (Date.now() - started) / 1000,
  };
  const text = renderReport(report);
  console.log(text);
  writeFileSync(out, `${text}\n`);
  say(`bench: wrote ${out} in ${report.seconds.toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
