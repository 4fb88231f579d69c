/**
 * Refresh on conflict (issue 12.2) and the dashboard issue (12.4), end to end on the stand-ins, each run through
 * state-machines/refresh.asl.json with the refresh function running as its synthesized role (IAM evaluated): 20
 * accounts created at once open 20 pull requests that all edit the same matrix line; merged one by one in random order
 * through the stand-in's merge endpoint, with a refresh run after each merge, every merge succeeds and the final matrix
 * lists all 20 exactly once. An idle refresh is one conditional request answered 304, and no write. The dashboard shows
 * the pull requests; a ticked box re-runs its account at the next refresh, which unticks it. The batch pull requests of
 * a backfill (30 accounts, batches of 10) are regenerated the same way: merged one by one in random order with a
 * refresh run after each merge, every merge succeeds and the matrix lists all 30 exactly once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Io, main } from '../../bin/cli';
import { parseBatchMarker } from '../../functions/lib/batch-change';
import { DASHBOARD_TITLE } from '../../functions/lib/dashboard';
import { readMatrixLists } from '../../functions/lib/workflow-matrix';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { dashboardIssue, tickDashboardBox } from '../support/permission-flows';
import { lintWorkflow } from '../support/workflows';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const ACCOUNTS = Number(process.env.REFRESH_ACCOUNTS ?? 20);
let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({
    handlers: 'source',
    aws: { createAccount: { inProgressPolls: 1 } },
    refreshOnReconcile: true,
  });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const repo = () => ({ owner: env.github.owner, repo: env.github.repo });

/** A seeded shuffle, so a failure can be replayed. */
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

/** One scheduled refresh through the state machine, with the GitHub requests and writes it made. */
async function refresh(input: Record<string, unknown> = {}) {
  const from = gh().requests.length;
  const run = await env.runRefresh(input);
  if (run.outcome.status !== 'SUCCEEDED') throw new Error(JSON.stringify(run.outcome).slice(0, 3000));
  const made = gh().requests.slice(from);
  const writes = made.filter((r) => r.contentCreating).map((r) => r.route);
  return {
    ...run,
    result: run.result as NonNullable<typeof run.result>,
    requests: made,
    writes,
    pullWrites: writes.filter((w) => !w.startsWith('PATCH /repos/{owner}/{repo}/issues/') && !w.endsWith('/issues')),
  };
}

describe('refresh on conflict', () => {
  it('keeps 20 simultaneous onboarding pull requests mergeable while they are merged one by one in random order', async () => {
    // Prepare: 20 accounts at once, both events each
    const created = await Promise.all(
      Array.from({ length: ACCOUNTS }, (_, i) => env.createAccount(`burst-${String(i).padStart(2, '0')}`)),
    );
    await Promise.all(created.flatMap((c) => c.events.map((e) => env.deliver(e))));
    const pulls = ((await gh().listPulls()) as Array<{ number: number; state: string; head: { ref: string } }>).filter(
      (p) => p.state === 'open' && p.head.ref.startsWith('onboarding/'),
    );
    expect(pulls).toHaveLength(ACCOUNTS);
    const first = await refresh();
    expect(first.result).toMatchObject({ outcome: 'refreshed', checked: ACCOUNTS, refreshed: [] });
    expect(first.result.dashboard?.outcome).toBe('created');
    // The next run sees the dashboard it wrote (the issue activity moved), and writes nothing.
    const settled = await refresh();
    expect([settled.result.outcome, settled.writes]).toEqual(['refreshed', []]);

    // Act: an idle refresh, then merge in random order with a refresh after each merge
    const idle = await refresh();
    let refreshWrites = 0;
    let dashboardWrites = 0;
    const merged: number[] = [];
    for (const pull of shuffle(pulls, 12)) {
      const merge = await env.github.octokit.rest.pulls.merge({ ...repo(), pull_number: pull.number });
      expect(merge.data.merged).toBe(true);
      merged.push(pull.number);
      const run = await refresh();
      refreshWrites += run.pullWrites.length;
      dashboardWrites += run.writes.length - run.pullWrites.length;
      expect(run.result.unknown).toEqual([]);
      expect(run.result.refreshed.every((r) => r.outcome === 'updated' && r.reason === 'conflict')).toBe(true);
    }

    // Assess
    expect(idle.result.outcome).toBe('idle');
    expect(idle.requests.map((r) => `${r.route} ${r.status}`)).toEqual(['GET /repos/{owner}/{repo}/issues 304']);
    expect(idle.writes).toEqual([]);
    expect(merged).toHaveLength(ACCOUNTS);
    const workflow = (await gh().readFile('main', WORKFLOW)) as string;
    const entries = readMatrixLists(workflow, 'dir').flatMap((l) => l.entries);
    const burst = entries.filter((e) => e.includes('/burst-'));
    expect(burst.sort()).toEqual(
      Array.from({ length: ACCOUNTS }, (_, i) => `aws-accounts/burst-${String(i).padStart(2, '0')}`).sort(),
    );
    expect(new Set(entries).size).toBe(entries.length);
    expect(await lintWorkflow(workflow)).toEqual([]);
    // Each merge leaves the others conflicting on the matrix line: each is regenerated with 4 writes.
    expect(refreshWrites).toBe(4 * ((ACCOUNTS * (ACCOUNTS - 1)) / 2));
    // One dashboard edit per merge: one account more onboarded, one pull request fewer.
    expect(dashboardWrites).toBe(ACCOUNTS);
    expect(gh().invalidRequests).toEqual([]);
    // The final base is quiet again (after one run that sees the last dashboard edit).
    expect((await refresh()).writes).toEqual([]);
    expect((await refresh()).result.outcome).toBe('idle');
  }, 1_200_000);

  it('never touches a pull request a person pushed to, even when it conflicts', async () => {
    // Prepare: two onboarding pull requests; a person pushes to one
    const [edited, other] = await Promise.all([env.createAccount('owned-by-rita'), env.createAccount('merged-first')]);
    await Promise.all([edited, other].flatMap((c) => c.events.map((e) => env.deliver(e))));
    await refresh();
    const branch = `onboarding/${edited.accountId}`;
    const personal = await gh().store.commitFiles(
      branch,
      { 'aws-accounts/owned-by-rita/notes.md': 'mine\n' },
      'Rita adds notes',
      { name: 'Rita Reviewer', email: 'rita@example.com', date: new Date().toISOString() },
    );
    const all = (await gh().listPulls()) as Array<{ number: number; state: string; head: { ref: string } }>;
    const otherPull = all.find((p) => p.state === 'open' && p.head.ref === `onboarding/${other.accountId}`);

    // Act: the other one merges, so Rita's now conflicts on the matrix line
    await env.github.octokit.rest.pulls.merge({ ...repo(), pull_number: otherPull?.number as number });
    const run = await refresh();

    // Assess
    const ritaPull = (await gh().listPulls()).find((p) => (p as { head: { ref: string } }).head.ref === branch) as {
      mergeable: boolean;
      head: { sha: string };
    };
    expect(ritaPull.mergeable).toBe(false);
    expect(ritaPull.head.sha).toBe(personal);
    expect(run.pullWrites).toEqual([]);
    expect(run.result.refreshed).toEqual([]);
  }, 120_000);

  it('keeps one dashboard issue: the pull requests, a ticked box re-run at the next refresh and unticked, drift from a sweep', async () => {
    // Prepare: a person's issue with the dashboard's title but no marker, and two new accounts
    const { data: lookalike } = await env.github.octokit.rest.issues.create({
      ...repo(),
      title: DASHBOARD_TITLE,
      body: "My own notes, not the tool's.",
    });
    const [a, b] = await Promise.all([env.createAccount('dash-alpha'), env.createAccount('dash-bravo')]);
    await Promise.all([a, b].flatMap((c) => c.events.map((e) => env.deliver(e))));
    await refresh();
    await refresh();
    const shown = (await dashboardIssue(env))?.body ?? '';

    // Act 1: an idle refresh
    const idle = await refresh();

    // Act 2: a person ticks alpha's box; the next refresh
    expect(await tickDashboardBox(env, a.accountId)).toBe(true);
    const ticked = await refresh();
    const after = await dashboardIssue(env);
    const again = await refresh();

    // Act 3: bravo merged, its role deleted; a sweep in report mode renders its drift on the dashboard
    const bravoPull = (await gh().listPulls()).find(
      (p) =>
        (p as { head: { ref: string }; state: string }).head.ref === `onboarding/${b.accountId}` &&
        (p as { state: string }).state === 'open',
    ) as { number: number };
    await env.github.octokit.rest.pulls.merge({ ...repo(), pull_number: bravoPull.number });
    await deleteCicdRole(b.accountId);
    const sweep = await env.runReconcile('report');
    const drifted = (await dashboardIssue(env))?.body ?? '';

    // Assess
    const line = (body: string, id: string) => body.split('\n').find((l) => l.includes(`<!-- account:${id} -->`)) ?? '';
    expect(line(shown, a.accountId)).toMatch(
      /^- \[ \] `\d{12}` `aws-accounts\/dash-alpha` · pull request \[#\d+\]\(.+\): mergeable/,
    );
    expect(shown).toMatch(/\| pull request open \| \d+ \(\d+ mergeable, 0 conflicting\) \|/);
    expect(idle.result.outcome).toBe('idle');
    expect(idle.requests.map((r) => `${r.route} ${r.status}`)).toEqual(['GET /repos/{owner}/{repo}/issues 304']);
    expect(idle.writes).toEqual([]);
    expect(ticked.result.dashboard?.reruns).toEqual([
      { accountId: a.accountId, executionName: expect.stringMatching(/^dashboard-\d{12}-\w+$/), outcome: 'started' },
    ]);
    expect(ticked.executions).toEqual([
      expect.objectContaining({ input: { accountId: a.accountId, force: true }, status: 'SUCCEEDED' }),
    ]);
    expect(line(after?.body ?? '', a.accountId)).toMatch(/^- \[ \] /);
    expect(again.executions).toEqual([]);
    expect(again.writes).toEqual([]);
    expect(sweep.outcome.status).toBe('SUCCEEDED');
    expect(line(drifted, b.accountId)).toMatch(/onboarded · drift: `role-missing`/);
    // The person's look-alike issue was never touched.
    const { data: untouched } = await env.github.octokit.rest.issues.get({ ...repo(), issue_number: lookalike.number });
    expect([untouched.body, untouched.updated_at]).toEqual([lookalike.body, lookalike.updated_at]);
    expect(gh().invalidRequests).toEqual([]);
  }, 300_000);
});

/** Deletes an account's cicd role (as a person in the account would), for the sweep to find `role-missing`. */
async function deleteCicdRole(accountId: string): Promise<void> {
  const state = env.aws.standIn?.state as NonNullable<LocalEnvironment['aws']['standIn']>['state'];
  state.deleteRole(accountId, env.config.cicdRoleName, { force: true });
}

/** `cli backfill` against the environment (the configuration in a file, the onboarding state machine for the roles). */
async function backfill(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'refresh-batches-'));
  const configFile = join(dir, 'onboarding.json');
  writeFileSync(configFile, JSON.stringify(env.config));
  let stdout = '';
  let stderr = '';
  const io: Partial<Io> = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { ...process.env },
    pollIntervalMs: 5,
  };
  const base = ['--config', configFile, '--aws-endpoint', env.aws.endpoint];
  try {
    const code = await main(
      [...base, '--state-machine-arn', env.onboardingStateMachineArn, 'backfill', '--github-token-secret', ...args],
      io,
    );
    return { code, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type ListedPull = { number: number; state: string; head: { ref: string }; body: string | null };

const openBatchPulls = async () =>
  ((await gh().listPulls()) as ListedPull[])
    .filter((p) => p.state === 'open' && p.head.ref.startsWith(`${env.config.github.branchPrefix}batch-`))
    .map((p) => ({ number: p.number, branch: p.head.ref, marker: parseBatchMarker(p.body) }));

describe('refresh of batch pull requests', () => {
  it('keeps 3 backfill batches mergeable while they are merged one by one in random order', async () => {
    // Prepare: 30 accounts that joined before the tool watched the organization (no events), backfilled in 10s
    const BATCHES = 3;
    const dry = await backfill(['--dry-run', '--json', '--batch-size', '10']);
    const already = (JSON.parse(dry.stdout) as { batches: Array<{ accounts: string[] }> }).batches.flatMap(
      (b) => b.accounts,
    );
    const state = env.aws.standIn?.state as NonNullable<LocalEnvironment['aws']['standIn']>['state'];
    const made = Array.from({ length: BATCHES * 10 - already.length }, (_, i) =>
      state.createAccount({ name: `Existing ${String(i).padStart(2, '0')}` }),
    );
    const ids = [...already, ...made.map((a) => a.id)];
    const filled = await backfill(['--batch-size', '10']);
    expect([filled.code, filled.stderr]).toEqual([0, '']);
    const batches = await openBatchPulls();
    expect(batches).toHaveLength(BATCHES);
    const folders = batches.flatMap((b) => b.marker?.accounts.map((a) => a.folder) ?? []);
    expect(batches.flatMap((b) => b.marker?.accounts.map((a) => a.accountId) ?? []).sort()).toEqual([...ids].sort());
    // Nothing merged yet: the refresh checks the batches and regenerates none.
    const first = await refresh();
    expect(first.result.batchPulls).toEqual({ checked: BATCHES, unknown: [], refreshed: [] });

    // Act: merge in random order with a refresh after each merge
    const rounds: Array<Awaited<ReturnType<typeof refresh>>> = [];
    for (const batch of shuffle(batches, 7)) {
      const merge = await env.github.octokit.rest.pulls.merge({ ...repo(), pull_number: batch.number });
      expect(merge.data.merged).toBe(true);
      rounds.push(await refresh());
    }

    // Assess: after each merge every remaining batch conflicted and was regenerated on the new base, same branch
    expect(rounds.map((r) => r.result.batchPulls?.refreshed.map((b) => [b.reason, b.outcome]))).toEqual([
      [
        ['conflict', 'updated'],
        ['conflict', 'updated'],
      ],
      [['conflict', 'updated']],
      undefined,
    ]);
    for (const round of rounds) expect(round.result.unknown).toEqual([]);
    const workflow = (await gh().readFile('main', WORKFLOW)) as string;
    const entries = readMatrixLists(workflow, 'dir').flatMap((l) => l.entries);
    expect(folders.filter((f) => entries.includes(f)).sort()).toEqual([...folders].sort());
    expect(new Set(entries).size).toBe(entries.length);
    expect(await lintWorkflow(workflow)).toEqual([]);
    expect(await openBatchPulls()).toEqual([]);
    expect(gh().invalidRequests).toEqual([]);
    // Quiet again: a run that sees the last dashboard edit writes nothing, the next is one 304.
    expect((await refresh()).writes).toEqual([]);
    const idle = await refresh();
    expect(idle.requests.map((r) => `${r.route} ${r.status}`)).toEqual(['GET /repos/{owner}/{repo}/issues 304']);
  }, 1_200_000);
});
