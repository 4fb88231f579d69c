/**
 * Refresh on conflict (issue 12.2), end to end on the stand-ins: 20 accounts created at once open 20 pull requests
 * that all edit the same matrix line; merged one by one in random order through the stand-in's merge endpoint, with
 * a refresh run after each merge, every merge succeeds and the final matrix lists all 20 exactly once. An idle
 * refresh is one conditional request answered 304, and no write.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { readAccount } from '../../functions/lib/organization';
import { memoryRefreshState, type RefreshResult } from '../../functions/lib/refresh';
import { readMatrixLists } from '../../functions/lib/workflow-matrix';
import { makeHandler, type RefreshEvent } from '../../functions/refresh/handler';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { lintWorkflow } from '../support/workflows';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const ACCOUNTS = 20;
let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ handlers: 'source', aws: { createAccount: { inProgressPolls: 1 } } });
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

function refresher() {
  const state = memoryRefreshState();
  const organizations = new OrganizationsClient({ region: 'us-east-1' });
  const run = makeHandler({
    config: env.config,
    github: async () => env.github.octokit,
    state,
    readAccount: (id) => readAccount(organizations, id),
  });
  /** One refresh, with the GitHub requests and writes it made. */
  return async (event: RefreshEvent = {}) => {
    const from = gh().requests.length;
    const result: RefreshResult = await run(event);
    const made = gh().requests.slice(from);
    return { result, requests: made, writes: made.filter((r) => r.contentCreating).map((r) => r.route) };
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
    const refresh = refresher();
    const first = await refresh();
    expect(first.result).toMatchObject({ outcome: 'refreshed', checked: ACCOUNTS, refreshed: [] });

    // Act: an idle refresh, then merge in random order with a refresh after each merge
    const idle = await refresh();
    let refreshWrites = 0;
    const merged: number[] = [];
    for (const pull of shuffle(pulls, 12)) {
      const merge = await env.github.octokit.rest.pulls.merge({ ...repo(), pull_number: pull.number });
      expect(merge.data.merged).toBe(true);
      merged.push(pull.number);
      const run = await refresh();
      refreshWrites += run.writes.length;
      expect(run.result.unknown).toEqual([]);
      expect(run.result.refreshed.every((r) => r.outcome === 'updated' && r.reason === 'conflict')).toBe(true);
    }

    // Assess
    expect(idle.result.outcome).toBe('idle');
    expect(idle.requests.map((r) => `${r.route} ${r.status}`)).toEqual(['GET /repos/{owner}/{repo}/git/ref/{ref} 304']);
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
    expect(gh().invalidRequests).toEqual([]);
    // The final base is quiet again.
    expect((await refresh()).result.outcome).toBe('idle');
  }, 600_000);

  it('never touches a pull request a person pushed to, even when it conflicts', async () => {
    // Prepare: two onboarding pull requests; a person pushes to one
    const [edited, other] = await Promise.all([env.createAccount('owned-by-rita'), env.createAccount('merged-first')]);
    await Promise.all([edited, other].flatMap((c) => c.events.map((e) => env.deliver(e))));
    const refresh = refresher();
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
    expect(run.writes).toEqual([]);
    expect(run.result.refreshed).toEqual([]);
  }, 120_000);
});
