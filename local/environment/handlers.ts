/**
 * The Lambda handlers an environment runs: built bundles (what deploys, `npm start`) or the TypeScript sources (what
 * jest can import). Sources get fresh dependencies from `defaultDeps()`, so each environment's configuration and
 * endpoints apply. `runtime` runs each invocation (as its function's role under IAM evaluation) and says when a
 * source handler starts cold.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type LambdaRuntime, PLAIN_RUNTIME } from '../lambda-runtime';
import type { StepHandler } from '../step-functions';
import { lambdaArn } from './names';

export const ROOT = process.cwd();
export const ONBOARDING_FUNCTIONS = ['resolve-account', 'ensure-cicd-role', 'open-pull-request'] as const;
export const RECONCILE_FUNCTIONS = [
  'reconcile-inventory',
  'reconcile-check',
  'reconcile-repo',
  'reconcile-report',
] as const;
type FunctionName = (typeof ONBOARDING_FUNCTIONS)[number] | (typeof RECONCILE_FUNCTIONS)[number] | 'refresh';
export type HandlerKind = 'bundles' | 'source';
/** A Lambda handler as invoked by the runtime: event and context. */
type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

export const bundlePath = (name: string) => join(ROOT, 'dist', 'functions', name, 'index.mjs');

/** Each environment imports the bundles afresh: their module-scope clients hold the endpoints of the environment. */
let bundleImports = 0;

async function bundleHandler(name: FunctionName, instance: number, runtime: LambdaRuntime): Promise<StepHandler> {
  const url = pathToFileURL(bundlePath(name)).href;
  // The first import keeps the plain URL (what `npm start` and the bench's cold imports load).
  const mod = (await import(instance > 1 ? `${url}?environment=${instance}` : url)) as { handler: LambdaHandler };
  return (event: unknown) => runtime.invoke(name, () => mod.handler(event, lambdaContext(name)));
}

async function sourceHandler(name: FunctionName, runtime: LambdaRuntime): Promise<StepHandler> {
  const mod = (await importSource(name)) as {
    makeHandler: (deps: unknown) => LambdaHandler;
    defaultDeps: () => unknown;
  };
  // A new container (fresh dependencies) whenever the runtime says the function starts cold.
  let container: { generation: number; handler: LambdaHandler } | undefined;
  const handler = () => {
    const generation = runtime.generation(name);
    if (container?.generation !== generation) container = { generation, handler: mod.makeHandler(mod.defaultDeps()) };
    return container.handler;
  };
  return (event: unknown) => runtime.invoke(name, () => handler()(event, lambdaContext(name)));
}

export async function loadHandlers<N extends FunctionName>(
  names: readonly N[],
  kind: HandlerKind,
  runtime: LambdaRuntime = PLAIN_RUNTIME,
): Promise<Record<N, StepHandler>> {
  const instance = kind === 'bundles' ? ++bundleImports : 0;
  const entries = await Promise.all(
    names.map(
      async (name) =>
        [
          name,
          kind === 'bundles' ? await bundleHandler(name, instance, runtime) : await sourceHandler(name, runtime),
        ] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<N, StepHandler>;
}

function importSource(name: FunctionName): Promise<unknown> {
  // Literal paths, so that bundlers and jest see each import.
  switch (name) {
    case 'resolve-account':
      return import('../../functions/resolve-account/handler');
    case 'ensure-cicd-role':
      return import('../../functions/ensure-cicd-role/handler');
    case 'open-pull-request':
      return import('../../functions/open-pull-request/handler');
    case 'reconcile-inventory':
      return import('../../functions/reconcile-inventory/handler');
    case 'reconcile-check':
      return import('../../functions/reconcile-check/handler');
    case 'reconcile-repo':
      return import('../../functions/reconcile-repo/handler');
    case 'reconcile-report':
      return import('../../functions/reconcile-report/handler');
    case 'refresh':
      return import('../../functions/refresh/handler');
  }
}

function lambdaContext(name: string) {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: lambdaArn(name),
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
  };
}

/** Builds the bundles when dist/ is missing or older than any source file. */
export async function ensureBundles(): Promise<'built' | 'fresh'> {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
      const path = join(dir, entry.name);
      return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }, 0);
  const marker = bundlePath(ONBOARDING_FUNCTIONS[0]);
  const fresh =
    ONBOARDING_FUNCTIONS.every((name) => existsSync(bundlePath(name))) &&
    statSync(marker).mtimeMs >= Math.max(newest(join(ROOT, 'functions')), newest(join(ROOT, 'templates')));
  if (fresh) return 'fresh';
  const build = (await import(pathToFileURL(join(ROOT, 'esbuild.config.mjs')).href)) as {
    buildFunctions(options?: { quiet?: boolean }): Promise<string[]>;
  };
  await build.buildFunctions({ quiet: true });
  return 'built';
}
