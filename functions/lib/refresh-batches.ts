import type { Octokit } from '@octokit/rest';
import { applyBatches, type BatchResult } from './backfill';
import { type BackfillCandidate, staleBatches } from './backfill-plan';
import { cicdRoleArn } from './cicd-role';
import type { OnboardingConfig } from './config';
import type { PullFacts } from './dashboard';
import { AccountNotFound } from './errors';
import { type RefreshReason, readPullFacts, regeneratedFacts, verdictOf } from './refresh-reads';
import type { BatchPull, RepoObservation } from './repo-plan';
import type { AccountContext, AccountId } from './types';

/**
 * The refresh of the tool's open batch pull requests (`cli backfill`, reconcile remediation: batch-change.ts). Once
 * one batch merges, the others conflict on the matrix line; the refresh regenerates each of them on the new base
 * with the same accounts and folders, under the same branch, with the backfill's planner and writer
 * (backfill-plan.ts staleBatches, backfill.ts applyBatches), so the ownership rules hold unchanged: a batch whose
 * branch a person pushed to, or whose marker is not the tool's, is never selected. The same `when` rule as single
 * pull requests decides, with one `GET pulls/{n}` (`conflicted`) or one `GET git/commits/{sha}` (`behind-base`) per
 * open batch; the accounts' facts (DescribeAccount, OU path, tags when they matter) are read only for the batches
 * that are regenerated.
 */

export interface BatchRefreshDeps {
  octokit: Octokit;
  config: OnboardingConfig;
  /** Partition of the cicd role ARN in the pull request body; default `aws`. */
  partition?: string;
  /** The accounts' facts their folders render from; an account no longer in the organization is left out. */
  readAccounts(accountIds: AccountId[]): Promise<Map<AccountId, BackfillCandidate>>;
}

export interface RefreshedBatch {
  key: string;
  number: number;
  /** Why it was selected: `conflict` (not mergeable), `behind` (behind-base), `forced` (it lists a forced account). */
  reason: RefreshReason;
  /** `skipped`: the planner no longer regenerates it (an account left, or would get another folder): for a person. */
  outcome: BatchResult['outcome'] | 'skipped';
  detail?: string;
}

export interface BatchRefreshResult {
  /** Open batch pull requests the tool owns and checked. */
  checked: number;
  /** GitHub is still computing mergeability of these: the next run looks again. */
  unknown: number[];
  refreshed: RefreshedBatch[];
}

/** The open batch pull requests the tool may regenerate: its marker, head its own commit. */
export const ownOpenBatches = (obs: RepoObservation): BatchPull[] =>
  (obs.batches ?? []).filter((b) => b.state === 'open' && b.marker !== undefined && b.headIsOurs !== false);

/** Which of the checked batches to regenerate, from what GitHub said of each and the forced accounts (pure). */
export function batchesToRegenerate(
  batches: BatchPull[],
  facts: ReadonlyMap<number, PullFacts>,
  forced: ReadonlySet<AccountId> = new Set(),
): { selected: Array<{ batch: BatchPull; reason: RefreshedBatch['reason'] }>; unknown: number[] } {
  const selected: Array<{ batch: BatchPull; reason: RefreshedBatch['reason'] }> = [];
  const unknown: number[] = [];
  for (const batch of batches) {
    const verdict = verdictOf(facts.get(batch.number));
    if (batch.marker?.accounts.some((a) => forced.has(a.accountId))) selected.push({ batch, reason: 'forced' });
    else if (verdict === 'unknown') unknown.push(batch.number);
    else if (verdict) selected.push({ batch, reason: verdict });
  }
  return { selected, unknown };
}

/**
 * Checks the tool's open batch pull requests and regenerates those that need it. `facts` gets each checked batch's
 * state (for the dashboard), made current for the regenerated ones.
 */
export async function refreshBatches(
  deps: BatchRefreshDeps,
  obs: RepoObservation,
  when: 'conflicted' | 'behind-base',
  forced: ReadonlySet<AccountId>,
  facts: Map<number, PullFacts>,
): Promise<BatchRefreshResult> {
  const { octokit, config } = deps;
  const own = ownOpenBatches(obs);
  for (const batch of own) {
    if (batch.marker?.accounts.some((a) => forced.has(a.accountId))) continue;
    facts.set(batch.number, await readPullFacts(octokit, config, when, batch, obs.commitSha));
  }
  const { selected, unknown } = batchesToRegenerate(own, facts, forced);
  if (selected.length === 0) return { checked: own.length, unknown, refreshed: [] };

  const ids = selected.flatMap(({ batch }) => batch.marker?.accounts.map((a) => a.accountId) ?? []);
  const accounts = await deps.readAccounts(ids);
  const keys = new Set(selected.map(({ batch }) => batch.key));
  // Each selected batch is written on the current base, even when its files and matrix line come out the same.
  const plans = staleBatches([...accounts.values()], obs, config, { rebase: true }).filter((p) => keys.has(p.key));
  const partition = deps.partition ?? 'aws';
  const written = await applyBatches(octokit, config, obs, plans, (id) => cicdRoleArn(config, id, partition));
  const refreshed = selected.map(({ batch, reason }): RefreshedBatch => {
    const result = written.find((w) => w.key === batch.key);
    const base = { key: batch.key, number: batch.number, reason };
    if (!result) return { ...base, outcome: 'skipped', detail: skippedDetail(batch, accounts) };
    if (result.outcome === 'updated') facts.set(batch.number, regeneratedFacts(when));
    return { ...base, outcome: result.outcome, ...(result.detail ? { detail: result.detail } : {}) };
  });
  return { checked: own.length, unknown, refreshed };
}

/** One account at a time through `readAccount` (DescribeAccount, OU path, tags), leaving out those that left. */
export function accountsOneByOne(readAccount: (accountId: AccountId) => Promise<AccountContext>) {
  return async (accountIds: AccountId[]): Promise<Map<AccountId, BackfillCandidate>> => {
    const accounts = new Map<AccountId, BackfillCandidate>();
    for (const id of accountIds) {
      try {
        accounts.set(id, await readAccount(id));
      } catch (err) {
        if (!(err instanceof AccountNotFound)) throw err;
      }
    }
    return accounts;
  };
}

function skippedDetail(batch: BatchPull, accounts: ReadonlyMap<AccountId, BackfillCandidate>): string {
  const gone = (batch.marker?.accounts ?? []).filter((a) => !accounts.has(a.accountId)).map((a) => a.accountId);
  if (gone.length > 0) return `not in the organization any more: ${gone.join(', ')}; merge or close #${batch.number}`;
  return `some of its accounts are onboarded meanwhile, or would now get other folders: merge or close #${batch.number}`;
}
