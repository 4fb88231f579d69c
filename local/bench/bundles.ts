/** Bundle sizes (raw and gzip), what fills the largest bundle, and the cold import time of each bundle. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { templatesDir, templatesPlugin } from '../../infra/templates-module.mjs';
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

/** The options of esbuild.config.mjs that shape the output (source maps aside). */
const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [templatesPlugin(templatesDir())],
};

const entry = (name: string) => ({
  entryPoints: [join(ROOT, 'functions', name, 'handler.ts')],
  outfile: join(ROOT, 'dist', 'bench-metafile', name, 'index.mjs'),
});

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
export const floorPath = (name: string): string => join(ROOT, 'dist', 'bench-floor', name, 'index.mjs');

/** The client class each SDK package exports (the floor bundle imports the class, as a handler does, not the package). */
const SDK_CLIENTS: Record<string, string> = {
  '@aws-sdk/client-iam': 'IAMClient',
  '@aws-sdk/client-organizations': 'OrganizationsClient',
  '@aws-sdk/client-s3': 'S3Client',
  '@aws-sdk/client-secrets-manager': 'SecretsManagerClient',
  '@aws-sdk/client-sfn': 'SFNClient',
  '@aws-sdk/client-sns': 'SNSClient',
  '@aws-sdk/client-sts': 'STSClient',
  '@octokit/rest': 'Octokit',
};

export interface FloorBundle {
  name: string;
  /** The packages the function's bundle holds that the floor imports: its AWS SDK clients and Octokit. */
  clients: string[];
  bytes: number;
}

/**
 * For each function, the floor its cold import is held to: a bundle, built with the same options, that imports only
 * the AWS SDK clients and Octokit the function's own bundle holds (found in its metafile) and nothing else.
 */
export async function buildFloorBundles(names: readonly string[]): Promise<FloorBundle[]> {
  const floors: FloorBundle[] = [];
  for (const name of names) {
    const { metafile } = await build({ ...BUILD_OPTIONS, ...entry(name), write: false, metafile: true });
    const output = Object.values((metafile as Metafile).outputs)[0];
    const clients = [...new Set(Object.keys(output?.inputs ?? {}).map(packageOf))]
      .filter((p) => p in SDK_CLIENTS)
      .sort();
    const contents = clients.map((p, i) => `export { ${SDK_CLIENTS[p]} as client${i} } from '${p}';`).join('\n');
    await build({
      ...BUILD_OPTIONS,
      stdin: { contents: contents || 'export {};', resolveDir: ROOT, loader: 'js' },
      outfile: floorPath(name),
    });
    floors.push({ name, clients, bytes: statSync(floorPath(name)).size });
  }
  return floors;
}

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
  const result = await build({ ...BUILD_OPTIONS, ...entry(name), write: false, metafile: true });
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
export async function coldImports(
  names: readonly string[],
  rounds: number,
  floors: readonly string[] = [],
): Promise<ImportTiming[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-empty-'));
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, 'export {};\n');
  const targets = [
    { name: '(empty module)', url: pathToFileURL(empty).href },
    ...names.map((name) => ({ name, url: pathToFileURL(bundlePath(name)).href })),
    ...floors.map((name) => ({ name: `${name} (floor)`, url: pathToFileURL(floorPath(name)).href })),
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
