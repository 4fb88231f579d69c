/**
 * The refresh of the tool's batch pull requests (functions/lib/refresh-batches.ts): which batches are selected in
 * each `when` mode (pure), and, against the GitHub stand-in, that after one batch merges the others are regenerated
 * on the new base under the same branch while a batch a person pushed to is left alone, that the accounts are read
 * only for the batches regenerated, and that a refresh with nothing stale writes nothing and the next is idle.
 */
import { applyBatches } from '../../functions/lib/backfill';
import { planBackfill } from '../../functions/lib/backfill-plan';
import { batchKey } from '../../functions/lib/batch-change';
import type { OnboardingConfig } from '../../functions/lib/config';
import type { PullFacts } from '../../functions/lib/dashboard';
import { memoryRefreshState, type RefreshWhen, refreshPullRequests } from '../../functions/lib/refresh';
import { batchesToRegenerate, ownOpenBatches } from '../../functions/lib/refresh-batches';
import type { AccountFacts, BatchPull, RepoObservation } from '../../functions/lib/repo-plan';
import { observeRepo } from '../../functions/lib/repo-snapshot';
import { testConfig } from '../support/ensure-cicd-role-fixtures';
import { startTestRepo, type TestRepo } from '../support/github-repo';
import { SEED_WORKFLOW } from '../support/workflows';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
const id = (n: number): string => `3000000${String(n).padStart(5, '0')}`;
const account = (n: number): AccountFacts => ({ accountId: id(n), name: `Team ${n}`, email: `t${n}@example.com` });

function batch(number: number, extra: Partial<BatchPull> = {}): BatchPull {
  const accounts = [{ accountId: id(number), folder: `aws-accounts/team-${number}` }];
  const key = batchKey([id(number)]);
  return {
    number,
    key,
    state: 'open',
    merged: false,
    url: `u${number}`,
    headSha: 'e'.repeat(40),
    marker: { key, hash: '0'.repeat(64), commit: 'e'.repeat(40), accounts },
    headIsOurs: true,
    ...extra,
  };
}

describe('selection of the batch pull requests to regenerate', () => {
  it('checks only the open batches the tool owns: not a closed one, one without marker, one a person pushed to', () => {
    // Prepare
    const own = batch(1);
    const obs = {
      batches: [own, batch(2, { state: 'closed' }), batch(3, { marker: undefined }), batch(4, { headIsOurs: false })],
    } as RepoObservation;

    // Act / Assess
    expect(ownOpenBatches(obs)).toEqual([own]);
  });

  it('conflicted: regenerates those GitHub reports not mergeable, waits for those it is still computing', () => {
    // Prepare
    const batches = [batch(1), batch(2), batch(3)];
    const facts = new Map<number, PullFacts>([
      [1, { mergeable: true }],
      [2, { mergeable: false }],
      [3, { mergeable: null }],
    ]);

    // Act
    const { selected, unknown } = batchesToRegenerate(batches, facts);

    // Assess
    expect(selected.map((s) => [s.batch.number, s.reason])).toEqual([[2, 'conflict']]);
    expect(unknown).toEqual([3]);
  });

  it('behind-base: regenerates those not on the current base, and only those', () => {
    // Prepare
    const batches = [batch(1), batch(2)];
    const facts = new Map<number, PullFacts>([
      [1, { behind: false }],
      [2, { behind: true }],
    ]);

    // Act
    const { selected, unknown } = batchesToRegenerate(batches, facts);

    // Assess
    expect(selected.map((s) => [s.batch.number, s.reason])).toEqual([[2, 'behind']]);
    expect(unknown).toEqual([]);
  });
  it('forced: regenerates a batch that lists a forced account whatever GitHub says of it', () => {
    // Prepare
    const batches = [batch(1), batch(2)];
    const facts = new Map<number, PullFacts>([[2, { mergeable: null }]]);

    // Act
    const { selected, unknown } = batchesToRegenerate(batches, facts, new Set([id(1)]));

    // Assess
    expect(selected.map((s) => [s.batch.number, s.reason])).toEqual([[1, 'forced']]);
    expect(unknown).toEqual([2]);
  });
});

describe('refresh of batch pull requests on the GitHub stand-in', () => {
  let repo: TestRepo;
  let config: OnboardingConfig;

  beforeEach(async () => {
    repo = await startTestRepo({ [WORKFLOW]: SEED_WORKFLOW, 'README.md': 'terraform\n' });
    config = testConfig({
      github: { owner: repo.owner, repo: repo.repo, auth: { type: 'token', secretArn: 'arn:secret' } },
      dashboard: { enabled: false },
    });
  });
  afterEach(async () => {
    await repo.stop();
  });

  /** 6 accounts in 3 batch pull requests of 2, as `cli backfill` opens them; by number, lowest first. */
  async function openThreeBatches() {
    const obs = await observeRepo(repo.octokit, config);
    const plan = planBackfill(
      Array.from({ length: 6 }, (_, i) => account(i)),
      obs,
      config,
      { batchSize: 2 },
    );
    const opened = await applyBatches(repo.octokit, config, obs, plan.batches, (a) => `arn:aws:iam::${a}:role/cicd`);
    return opened.sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  }

  function refresher(when: RefreshWhen) {
    const state = memoryRefreshState();
    const read: string[][] = [];
    const run = async () => {
      repo.mark();
      const result = await refreshPullRequests(
        {
          octokit: repo.octokit,
          config,
          state,
          readAccount: async () => {
            throw new Error('no single pull request to regenerate');
          },
          readAccounts: async (ids) => {
            read.push([...ids].sort());
            return new Map(ids.map((i) => [i, account(Number(i.slice(-5)))]));
          },
        },
        { when },
      );
      return { result, writes: repo.writes() };
    };
    return { run, read };
  }

  it('conflicted: after one batch merges, regenerates the other on the new base and leaves a person’s batch alone', async () => {
    // Prepare
    const [merged, other, persons] = await openThreeBatches();
    const refresh = refresher('conflicted');
    const quiet = await refresh.run();
    await repo.octokit.rest.pulls.merge({ owner: repo.owner, repo: repo.repo, pull_number: merged?.number as number });
    const personal = await repo.personCommits(persons?.branch as string, { 'aws-accounts/team-4/notes.md': 'mine\n' });

    // Act
    const after = await refresh.run();
    const idle = await refresh.run();

    // Assess
    expect(quiet.writes).toEqual([]);
    expect(quiet.result.batchPulls).toEqual({ checked: 3, unknown: [], refreshed: [] });
    expect(after.result.batchPulls).toEqual({
      checked: 1,
      unknown: [],
      refreshed: [{ key: other?.key, number: other?.number, reason: 'conflict', outcome: 'updated' }],
    });
    // Only the regenerated batch's accounts were read; its branch is one commit on the new base.
    expect(refresh.read).toEqual([(other?.accounts ?? []).sort()]);
    const head = (await repo.sha(other?.branch as string)) as string;
    expect(await repo.parents(head)).toEqual([await repo.sha('main')]);
    const { data: pull } = await repo.octokit.rest.pulls.get({
      owner: repo.owner,
      repo: repo.repo,
      pull_number: other?.number as number,
    });
    expect([pull.head.ref, pull.mergeable]).toEqual([other?.branch, true]);
    expect(await repo.sha(persons?.branch as string)).toBe(personal);
    expect(idle.result.outcome).toBe('idle');
    expect(idle.writes).toEqual([]);
  });

  it('behind-base: regenerates the batches not on the current base, even when they would still merge', async () => {
    // Prepare
    const batches = await openThreeBatches();
    const refresh = refresher('behind-base');
    const quiet = await refresh.run();
    await repo.personCommits('main', { 'README.md': 'terraform, by the platform team\n' });

    // Act
    const after = await refresh.run();

    // Assess
    expect(quiet.writes).toEqual([]);
    const refreshed = after.result.batchPulls?.refreshed.map((b) => [b.number, b.reason, b.outcome]) ?? [];
    expect(refreshed.sort()).toEqual(batches.map((b) => [b.number, 'behind', 'updated']));
    const main = await repo.sha('main');
    for (const b of batches) expect(await repo.parents((await repo.sha(b.branch)) as string)).toEqual([main]);
  });
});
