/**
 * The refresh at a burst of accounts (issue 12.2, 12.4): N accounts created at once, their pull requests merged one by
 * one in random order through the GitHub stand-in's merge endpoint, a scheduled refresh run after each merge, through state-machines/refresh.asl.json with the built bundle. Counted from
 * the stand-in's own request log: GitHub writes to merge them all (pull requests and dashboard apart), what a naive
 * refresh that regenerates every open onboarding pull request at every run would write, and the requests of an idle
 * refresh.
 */
import type { LocalEnvironment } from '../environment';
import type { Cell } from './stats';
import { renderTable } from './stats';

export interface RefreshMeasurements {
  accounts: number;
  merges: number;
  mergesSucceeded: number;
  refreshRuns: number;
  /** Writes of the refresh runs to regenerate pull requests (trees, commits, refs, pull request bodies). */
  pullWrites: number;
  /** Edits of the dashboard issue (and its creation). */
  dashboardWrites: number;
  /** 4 writes per open onboarding pull request at every refresh run (regenerate-all). */
  naiveWrites: number;
  /** The fewest: 3 writes (tree, commit, ref) per pull request left conflicting by each merge. */
  floorWrites: number;
  /** Requests of an idle refresh, each with its status. */
  idleRequests: string[];
  matrixEntries: number;
}

/** A seeded shuffle, so runs compare. */
function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export async function measureRefresh(
  env: LocalEnvironment,
  accounts: number,
  say: (line: string) => void,
): Promise<RefreshMeasurements> {
  const gh = env.github.standIn;
  if (!gh) throw new Error('the refresh bench needs the embedded GitHub stand-in');
  const repo = { owner: env.github.owner, repo: env.github.repo };
  const created = await Promise.all(
    Array.from({ length: accounts }, (_, i) => env.createAccount(`bench-refresh-${String(i).padStart(2, '0')}`)),
  );
  await Promise.all(created.flatMap((c) => c.events.map((e) => env.deliver(e))));
  const ids = new Set(created.map((c) => c.accountId));
  const open = async () =>
    ((await gh.listPulls()) as Array<{ number: number; state: string; head: { ref: string } }>).filter(
      (p) => p.state === 'open' && ids.has(p.head.ref.replace(/^.*\//, '')),
    );
  let pullWrites = 0;
  let dashboardWrites = 0;
  let naiveWrites = 0;
  let runs = 0;
  const refresh = async () => {
    const openNow = (await open()).length;
    const from = gh.requests.length;
    const run = await env.runRefresh({});
    if (run.outcome.status !== 'SUCCEEDED') throw new Error(`refresh ${run.outcome.status}: ${run.outcome.error}`);
    runs += 1;
    naiveWrites += 4 * openNow;
    const made = gh.requests.slice(from);
    for (const r of made.filter((q) => q.contentCreating)) {
      if (/\/issues(\/\{issue_number\})?$/.test(r.route)) dashboardWrites += 1;
      else pullWrites += 1;
    }
    return made;
  };
  say(`bench: refresh, ${accounts} pull requests merged one by one with a refresh run after each merge`);
  await refresh();
  await refresh();
  const idle = await refresh();
  let merges = 0;
  let mergesSucceeded = 0;
  for (const pull of shuffle(await open(), 7)) {
    merges += 1;
    const merged = await env.github.octokit.rest.pulls.merge({ ...repo, pull_number: pull.number }).catch(() => null);
    if (merged?.data.merged) mergesSucceeded += 1;
    await refresh();
  }
  const { readMatrixLists } = await import('../../functions/lib/workflow-matrix');
  const workflow = (await gh.readFile(env.config.github.baseBranch, env.config.github.workflowPath)) as string;
  const entries = readMatrixLists(workflow, env.config.github.matrixKey).flatMap((l) => l.entries);
  return {
    accounts,
    merges,
    mergesSucceeded,
    refreshRuns: runs,
    pullWrites,
    dashboardWrites,
    naiveWrites,
    floorWrites: (3 * accounts * (accounts - 1)) / 2,
    idleRequests: idle.map((r) => `${r.route} ${r.status}`),
    matrixEntries: entries.filter((e) => e.includes('/bench-refresh-')).length,
  };
}

export function refreshSection(m: RefreshMeasurements | string | undefined): string[] {
  const lines = ['## 7. Refresh: merging a burst of onboarding pull requests', ''];
  if (m === undefined || typeof m === 'string') return [...lines, m ?? 'not measured'];
  const n = m.accounts;
  const rows: Cell[][] = [
    [
      `GitHub writes to merge all ${n} (pull requests)`,
      m.pullWrites,
      m.floorWrites,
      m.naiveWrites,
      `after merge k the other ${n} − k pull requests conflict on the matrix line; each needs a tree, a commit and a ref on the new base (3 × ${(n * (n - 1)) / 2}); the 4th write per regenerated pull request is its body, whose hidden marker records the tool's commit (the ownership proof)`,
    ],
    [
      'GitHub writes to the dashboard issue',
      m.dashboardWrites,
      n + 1,
      '',
      'created once, then one edit per merge (one account more onboarded, one pull request fewer)',
    ],
    [
      'GitHub requests per idle refresh',
      m.idleRequests.length,
      1,
      '',
      `one conditional request answered 304: ${m.idleRequests.join(', ')}`,
    ],
  ];
  return [
    ...lines,
    `${n} accounts created at once (both events each), their ${n} onboarding pull requests merged one by one in random order through the stand-in's merge endpoint (a real three-way merge), with a scheduled refresh run after each merge and three before the first (${m.refreshRuns} runs, state-machines/refresh.asl.json with the TypeScript handlers, \`when: conflicted\`, dashboard on; IAM evaluation off, it changes no count). Merges that succeeded: ${m.mergesSucceeded} of ${m.merges}; the final matrix lists ${m.matrixEntries} of the ${n} folders. "Naive" is a refresh that regenerates every open onboarding pull request at every run (4 writes each).`,
    '',
    renderTable(['measure', 'measured', 'floor', 'naive (regenerate all)', 'how the floor is derived'], rows),
  ];
}
