/**
 * `npm start` as a stranger runs it: builds the bundles when needed and onboards two new accounts on the embedded
 * stand-ins with the built Lambda bundles (not the TypeScript sources the other end-to-end tests import).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('npm start', () => {
  it('onboards new accounts with the built bundles and reports a one-line workflow change each', async () => {
    // Act
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'local/main.ts', '--accounts', '2', '--json'], {
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      maxBuffer: 10 * 1024 * 1024,
    });

    // Assess: standard output is one JSON document (the functions' log and metric lines go to standard error)
    const summary = JSON.parse(stdout);
    expect(summary.problems).toEqual([]);
    expect(summary.ok).toBe(true);
    expect(summary.accounts).toHaveLength(2);
    for (const account of summary.accounts) {
      expect(account.executions.map((e: { status: string }) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      expect(account.role.trustPolicy.Statement[0].Action).toBe('sts:AssumeRole');
      expect(account.pullRequest.files).toContain('.github/workflows/tf-cicd-aws.yml');
      expect(account.workflowDiff.filter((l: string) => /^[-+]/.test(l))).toHaveLength(2);
    }
  }, 180_000);
});
