/**
 * The product never depends on the development workspace (issue 15.5): `local/` (the stand-ins, the local runner,
 * the benchmarks) is its own npm workspace package, and nothing the product builds or deploys (the Lambda bundles
 * from functions/, the CDK app in infra/, the published CLI in bin/, the build script) imports from it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(__dirname, '..', '..');
const PRODUCT = ['functions', 'infra', 'bin', 'esbuild.config.mjs'];

function* sources(path: string): Generator<string> {
  if (statSync(path).isFile()) {
    if (/\.(ts|mts|mjs|js)$/.test(path)) yield path;
    return;
  }
  for (const entry of readdirSync(path)) if (entry !== 'node_modules') yield* sources(join(path, entry));
}

/** Every relative module specifier of a source file (static imports, re-exports, dynamic imports, require). */
const specifiers = (text: string): string[] =>
  [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1] as string,
  );

describe('the development workspace stays out of the product', () => {
  it('no source of functions/, infra/, bin/ or the build script imports from local/', () => {
    const offenders: string[] = [];
    for (const top of PRODUCT) {
      for (const file of sources(join(root, top))) {
        for (const spec of specifiers(readFileSync(file, 'utf8'))) {
          const target = relative(root, resolve(dirname(file), spec))
            .split(sep)
            .join('/');
          if (target === 'local' || target.startsWith('local/')) offenders.push(`${relative(root, file)} → ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the import scan sees a local/ import when there is one (the check can fail)', () => {
    expect(specifiers("import { x } from '../local/run';\nconst m = await import('../../local/aws/server');")).toEqual([
      '../local/run',
      '../../local/aws/server',
    ]);
  });

  it('local/ is a workspace package of the root, private, with its own development dependencies (none reaches a production install)', () => {
    const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const localPackage = JSON.parse(readFileSync(join(root, 'local', 'package.json'), 'utf8'));
    expect(rootPackage.workspaces).toContain('local');
    expect(localPackage).toMatchObject({ name: '@oidc-account-onboarding/local', private: true });
    expect(localPackage.dependencies).toBeUndefined();
    expect(Object.keys(localPackage.devDependencies)).toEqual(
      expect.arrayContaining(['@cloud-copilot/iam-simulate', 'aws-local-stepfunctions', 'isomorphic-git']),
    );
  });
});
