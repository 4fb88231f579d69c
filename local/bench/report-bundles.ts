/** Section 1 of BENCHMARKS.md: bundle sizes, cold imports against the empty module and each bundle's floor. */
import type { BundleSize, LargestBundle } from './bundles';
import type { BenchReport } from './report';
import { type Cell, formatBytes, formatMs, formatRatio, ratio, renderTable } from './stats';

/** Issue 15.4: each bundle's cold import within this factor of its SDK-and-Octokit-only floor. */
export const FLOOR_GOAL = 1.5;

type BundleInputs = Pick<BenchReport, 'sizes' | 'floors' | 'imports'>;

const medianOf = (r: BundleInputs, name: string): number =>
  r.imports.find((i) => i.name === name)?.medianMs ?? Number.NaN;

function bundleRow(r: BundleInputs, s: BundleSize, emptyMs: number): Cell[] {
  const ms = medianOf(r, s.name);
  const floor = r.floors.find((f) => f.name === s.name);
  const floorMs = medianOf(r, `${s.name} (floor)`);
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
}

function bundlesTable(r: BundleInputs): string {
  const emptyMs = medianOf(r, '(empty module)');
  const rows = r.sizes.map((s) => bundleRow(r, s, emptyMs));
  rows.push(['(empty module)', '', '', '', formatMs(emptyMs), '0', formatRatio(1), '', '', '']);
  const headers = ['function', 'bytes', 'gzip bytes', 'size', 'cold import (median)', 'over empty'];
  return renderTable(
    [...headers, 'ratio to empty', 'floor bytes (clients)', 'floor cold import', 'ratio to floor'],
    rows,
  );
}

function largestBundleLines(x: LargestBundle): string[] {
  const total = x.byPackage.reduce((n, p) => n + p.bytes, 0);
  return [
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
  ];
}

export function bundlesSection(r: BenchReport): string[] {
  return [
    '## 1. Bundles: size and cold import',
    '',
    `Built with \`buildFunctions()\` from esbuild.config.mjs (ESM, minified, node20 target, source maps beside the bundle and not counted). Sizes are of \`dist/functions/<name>/index.mjs\`; gzip is \`zlib.gzipSync\` at level 9 (Lambda stores the zip, so gzip approximates the deployment package).`,
    '',
    `Cold import: for each module, ${r.importRounds} fresh \`node --input-type=module\` processes, each timing \`await import(fileUrl)\` with \`process.hrtime.bigint()\` (process start-up excluded, module evaluation included). An empty module (\`export {}\`) is measured in the same run; the rounds are interleaved (each round imports every module once, one process at a time) after one discarded warm-up import of each. Median reported; "over empty" = median − empty median; ratio = median / empty median.`,
    '',
    `Floor: for each function, a bundle built with the same options that only imports the AWS SDK clients and Octokit its own bundle holds (found in its esbuild metafile; each client class, as a handler imports it), measured in the same interleaved rounds. Goal: cold import within ${FLOOR_GOAL}× of the floor.`,
    '',
    bundlesTable(r),
    ...(r.explained ? largestBundleLines(r.explained) : []),
  ];
}
