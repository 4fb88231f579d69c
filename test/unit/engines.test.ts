/**
 * `engines` and the dependencies agree (issue 13.8): every production dependency in the lock file runs on the
 * oldest Node.js that package.json's `engines` admits (content-type 3 requires Node.js 22: it is overridden to 2.1).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** semver (a dependency of the toolchain; no type declarations installed): the two functions used here. */
const semver = createRequire(join(__dirname, 'engines.test.ts'))('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string, options?: { includePrerelease?: boolean }): boolean;
};

const root = join(__dirname, '..', '..');
const read = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

describe('engines', () => {
  it('admits the oldest Node.js of engines.node for every production dependency', () => {
    // Prepare
    const { engines } = read('package.json') as { engines: { node: string } };
    const oldest = semver.minVersion(engines.node)?.version as string;
    const lock = read('package-lock.json') as {
      packages: Record<string, { dev?: boolean; version?: string; engines?: { node?: string } | string[] }>;
    };

    // Act
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !p.dev && !Array.isArray(p.engines) && p.engines?.node)
      .filter(([, p]) => !semver.satisfies(oldest, (p.engines as { node: string }).node, { includePrerelease: true }))
      .map(([path, p]) => `${path}@${p.version} (node ${(p.engines as { node: string }).node})`);

    // Assess
    expect(oldest).toBe('20.0.0');
    expect(refusing).toEqual([]);
  });
});
