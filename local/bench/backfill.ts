/**
 * Backfill at 200 accounts (issue 12.3): `cli backfill` on its own embedded stand-ins (an organization of 200
 * accounts made in the AWS stand-in's state, no events), run twice. Counts the GitHub requests the stand-in received
 * during each run (content-creating = any non-GET request, as GitHub's secondary limits count them) next to the
 * floor, and the executions started.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTable } from './stats';

export interface BackfillRun {
  seconds: number;
  requests: number;
  writes: number;
  executions: number;
  byRoute: Record<string, number>;
  exitCode: number;
}

export interface BackfillMeasurements {
  accounts: number;
  batchSize: number;
  batches: number;
  first: BackfillRun;
  second: BackfillRun;
}

/** The fewest GitHub requests a backfill of `batches` batches needs: observe (ref, tarball, PR list), base tree, 4 writes each. */
export const backfillFloor = (batches: number) => ({ requests: 4 + 4 * batches, writes: 4 * batches, idle: 3 });

export async function measureBackfill(accounts: number, say: (line: string) => void): Promise<BackfillMeasurements> {
  const { startLocalEnvironment } = await import('../environment');
  const { main } = await import('../../bin/cli');
  const env = await startLocalEnvironment({ handlers: 'bundles' });
  const dir = mkdtempSync(join(tmpdir(), 'bench-backfill-'));
  try {
    const aws = env.aws.standIn;
    const gh = env.github.standIn;
    if (!aws || !gh) throw new Error('backfill bench needs the embedded stand-ins');
    const configFile = join(dir, 'onboarding.json');
    writeFileSync(configFile, JSON.stringify(env.config));
    const argv = [
      '--config',
      configFile,
      '--aws-endpoint',
      env.aws.endpoint,
      '--state-machine-arn',
      env.onboardingStateMachineArn,
      'backfill',
      '--github-token-secret',
    ];
    const quiet = { stdout: () => {}, stderr: () => {}, env: { ...process.env }, pollIntervalMs: 20 };
    const run = async (): Promise<BackfillRun> => {
      const from = gh.requests.length;
      const starts = aws.calls.filter((c) => c.action === 'StartExecution').length;
      const started = performance.now();
      const exitCode = await main([...argv], quiet);
      const seconds = (performance.now() - started) / 1000;
      const made = gh.requests.slice(from);
      const byRoute: Record<string, number> = {};
      for (const r of made) byRoute[r.route] = (byRoute[r.route] ?? 0) + 1;
      return {
        seconds,
        requests: made.length,
        writes: made.filter((r) => r.contentCreating).length,
        executions: aws.calls.filter((c) => c.action === 'StartExecution').length - starts,
        byRoute,
        exitCode,
      };
    };
    // The stand-in's organization starts with members no folder names yet: made up to `accounts` to onboard.
    const dry = JSON.parse(await capture(main, [...argv, '--dry-run', '--json'])) as {
      counts: Record<string, number>;
    };
    for (let i = dry.counts.batched ?? 0; i < accounts; i++) {
      aws.state.createAccount({ name: `bench-legacy-${String(i).padStart(4, '0')}` });
    }
    say(`bench: backfill of ${accounts} existing accounts`);
    const first = await run();
    say('bench: backfill again (nothing to do)');
    const second = await run();
    return {
      accounts,
      batchSize: env.config.github.batchSize,
      batches: Math.ceil(accounts / env.config.github.batchSize),
      first,
      second,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await env.stop();
  }
}

async function capture(main: typeof import('../../bin/cli').main, argv: string[]): Promise<string> {
  let out = '';
  await main(argv, {
    stdout: (t) => {
      out += t;
    },
    stderr: () => {},
    env: { ...process.env },
    pollIntervalMs: 20,
  });
  return out;
}

export function backfillSection(b: BackfillMeasurements | string | undefined): string[] {
  if (b === undefined) return [];
  const head = ['## 6. Backfill of existing accounts', ''];
  if (typeof b === 'string') return [...head, b];
  const floor = backfillFloor(b.batches);
  const routes = (r: BackfillRun) =>
    Object.entries(r.byRoute)
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([route, n]) => `${route} ×${n}`)
      .join('; ');
  return [
    ...head,
    `\`cli backfill\` in an organization of ${b.accounts} accounts that no folder names (made in the AWS stand-in's state: no events), github.batchSize ${b.batchSize}, on its own embedded stand-ins with the built bundles; run twice. GitHub requests are those the stand-in received during the run; content-creating = any non-GET request (GitHub's secondary limits: 80 per minute, 500 per hour). Floor: observe the repository once (base ref, tarball, the onboarding pull request list), read the base commit's tree once, and per batch one tree, one commit, one ref and one pull request; an idle run is the observation alone.`,
    '',
    renderTable(
      [
        'run',
        'exit',
        'PR batches',
        'GitHub requests',
        'GitHub floor',
        'content-creating',
        'c-c floor',
        'executions started',
        'wall time',
      ],
      [
        [
          `first (${b.accounts} accounts)`,
          b.first.exitCode,
          b.batches,
          b.first.requests,
          floor.requests,
          b.first.writes,
          floor.writes,
          b.first.executions,
          `${b.first.seconds.toFixed(1)} s`,
        ],
        [
          'second (nothing to do)',
          b.second.exitCode,
          0,
          b.second.requests,
          floor.idle,
          b.second.writes,
          0,
          b.second.executions,
          `${b.second.seconds.toFixed(1)} s`,
        ],
      ],
    ),
    '',
    `First run by route: ${routes(b.first)}.`,
    '',
    `Second run by route: ${routes(b.second)}.`,
    '',
    'Above the floor by 3 requests: the repository is observed again after the role executions end (minutes may pass; the base or the open pull requests may have moved), so the batches are planned on what the branch holds when they are written. The roles go through the onboarding state machine, one execution per account (`{"trigger": "backfill"}`: role only, no pull request of its own).',
  ];
}
