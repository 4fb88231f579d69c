/** Bundle sizes (raw and gzip), what fills the largest bundle, and the cold import time of each bundle. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { median } from './stats';

const run = promisify(execFile);
const ROOT = process.cwd();

export interface BundleSize {
  name: string;
  bytes: number;
  gzipBytes: number;
}

export interface ImportTiming {
  name: string;
  samples: number[];
  medianMs: number;
}

export interface LargestBundle {
  name: string;
  /** bytes in the output per package (node_modules/<scope/name>) or `(project)` */
  byPackage: Array<{ input: string; bytes: number }>;
  byFile: Array<{ input: string; bytes: number }>;
  outputBytes: number;
}

export async function buildBundles(): Promise<string[]> {
  const config = (await import(pathToFileURL(join(ROOT, 'esbuild.config.mjs')).href)) as {
    buildFunctions(options?: { quiet?: boolean }): Promise<string[]>;
  };
  return config.buildFunctions({ quiet: true });
}

export const bundlePath = (name: string): string => join(ROOT, 'dist', 'functions', name, 'index.mjs');

export function bundleSizes(names: readonly string[]): BundleSize[] {
  return names.map((name) => {
    const data = readFileSync(bundlePath(name));
    return { name, bytes: statSync(bundlePath(name)).size, gzipBytes: gzipSync(data, { level: 9 }).length };
  });
}

/** The package of an esbuild input path: `@scope/name` or `name` under node_modules, else `(project)`. */
export function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return '(project)';
  const [first, second] = input.slice(at + 'node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : (first ?? input);
}

/**
 * Rebuilds one handler in memory with the options of esbuild.config.mjs plus `metafile`, and ranks its inputs by the
 * bytes they contribute to the output.
 */
export async function explainBundle(name: string, top = 10): Promise<LargestBundle> {
  const result = await build({
    entryPoints: [join(ROOT, 'functions', name, 'handler.ts')],
    outfile: join(ROOT, 'dist', 'bench-metafile', name, 'index.mjs'),
    write: false,
    metafile: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  const output = Object.values((result.metafile as Metafile).outputs)[0];
  const inputs = Object.entries(output?.inputs ?? {}).map(([input, { bytesInOutput }]) => ({
    input,
    bytes: bytesInOutput,
  }));
  const packages = new Map<string, number>();
  for (const { input, bytes } of inputs) packages.set(packageOf(input), (packages.get(packageOf(input)) ?? 0) + bytes);
  return {
    name,
    outputBytes: output?.bytes ?? 0,
    byPackage: [...packages.entries()]
      .map(([input, bytes]) => ({ input, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, top),
    byFile: inputs.sort((a, b) => b.bytes - a.bytes).slice(0, top),
  };
}

const IMPORT_SCRIPT =
  'const t = process.hrtime.bigint(); await import(process.argv[1]); ' +
  'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';

/** Milliseconds one fresh `node` process spends in `await import(url)` (process start-up excluded). */
async function importOnce(url: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT, url], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', NODE_OPTIONS: '' },
  });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`cold import of ${url} printed ${stdout}`);
  return ms;
}

/**
 * Cold import of each bundle and of an empty module, `rounds` fresh processes each, one at a time and interleaved
 * (every round imports each module once) so a slow moment of the shared machine hits them all alike.
 */
export async function coldImports(names: readonly string[], rounds: number): Promise<ImportTiming[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-empty-'));
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, 'export {};\n');
  const targets = [
    { name: '(empty module)', url: pathToFileURL(empty).href },
    ...names.map((name) => ({ name, url: pathToFileURL(bundlePath(name)).href })),
  ];
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  try {
    for (const t of targets) await importOnce(t.url); // warm the file cache, discarded
    for (let round = 0; round < rounds; round++) {
      for (const t of targets) samples.get(t.name)?.push(await importOnce(t.url));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return targets.map((t) => {
    const s = samples.get(t.name) ?? [];
    return { name: t.name, samples: s, medianMs: median(s) };
  });
}
