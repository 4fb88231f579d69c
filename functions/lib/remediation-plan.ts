import { createHash } from 'node:crypto';
import type { DriftClass } from './changes';
import type { DriftedAccount } from './drift';
import type { AccountId } from './types';

/**
 * Which path each remediable drifted account of a `remediate` sweep takes (pure). One onboarding execution per
 * account opens one pull request per account, and every one of them edits the same matrix line: 200 accounts
 * without folders would be 200 pull requests that conflict with each other. So when more than one account needs its
 * folder or matrix entry added in one sweep, those whose role is in place go into batch pull requests of
 * `github.batchSize` accounts (the refresh writes them: batch-remediation.ts), and those whose role drifted too get a
 * role-only execution first; their folders follow in the next sweep's batch. One such account alone keeps the
 * single path: its own execution and pull request, as every other remediable account.
 *
 * Budget (`reconcile.remediationBudget`): each onboarding execution counts one (single or role-only), and so does
 * each batch pull request, whatever the number of accounts in it. What does not fit waits for the next sweep.
 */

/** Repository drift a batch pull request carries out: the account's folder and its matrix entry. */
const ADDED_BY_A_BATCH: ReadonlySet<DriftClass> = new Set<DriftClass>(['folder-missing', 'matrix-entry-missing']);

/** Drift of the cicd role (or of the access to it): the account's role is not in place. */
const ROLE_DRIFT: ReadonlySet<DriftClass> = new Set<DriftClass>([
  'role-missing',
  'role-not-managed',
  'trust-policy-changed',
  'trust-principal-rewritten',
  'policy-detached',
  'boundary-changed',
  'account-not-assumable',
]);

export type RemediationPath =
  /** Its own onboarding execution (`trigger: reconcile`), which opens or updates its own pull request. */
  | 'single'
  /** A batch pull request, written by the refresh from a fresh observation. */
  | 'batch'
  /** A role-only onboarding execution (`trigger: backfill`); its folder goes in the next sweep's batch. */
  | 'role-first';

export interface RemediationPlan {
  /** In budget order, each with its path. */
  accepted: Array<{ account: DriftedAccount; path: RemediationPath }>;
  /** Over this sweep's budget: left for the next sweep. */
  deferred: AccountId[];
  /** Batch pull requests the batched accounts make (what they cost of the budget). */
  batches: number;
}

/** An account whose folder or matrix entry the sweep would add (not one whose own open pull request is stale). */
const needsFolder = (a: DriftedAccount): boolean =>
  a.remediableDrift.some((c) => ADDED_BY_A_BATCH.has(c)) && !a.drift.includes('pr-stale');

function pathOf(account: DriftedAccount, batching: boolean): RemediationPath {
  if (!batching || !needsFolder(account)) return 'single';
  if (!account.drift.some((c) => ROLE_DRIFT.has(c))) return 'batch';
  // A role a person must repair (not managed, not assumable) is not the tool's to converge first.
  return account.remediableDrift.some((c) => ROLE_DRIFT.has(c)) ? 'role-first' : 'single';
}

/**
 * The remediable accounts in a hash order of run id and account id: the same within a run (a retried report step
 * restarts nothing) and different between runs (an account whose onboarding keeps failing cannot take the budget
 * every day).
 */
export function budgetOrder(runId: string, accounts: DriftedAccount[]): DriftedAccount[] {
  const key = (id: string) => createHash('sha256').update(`${runId}/${id}`).digest('hex');
  return accounts
    .filter((a) => a.remediable)
    .map((a) => ({ a, key: key(a.accountId) }))
    .sort((x, y) => (x.key < y.key ? -1 : 1))
    .map(({ a }) => a);
}

export function planRemediation(
  runId: string,
  accounts: DriftedAccount[],
  options: { budget: number; batchSize: number; batching: boolean },
): RemediationPlan {
  const queue = budgetOrder(runId, accounts);
  const batching = options.batching && queue.filter(needsFolder).length > 1;
  const paths = new Map(queue.map((a) => [a.accountId, pathOf(a, batching)]));
  // A batch of one is a single pull request: the account keeps the single path.
  const batchable = queue.filter((a) => paths.get(a.accountId) === 'batch');
  if (batchable.length === 1 && batchable[0]) paths.set(batchable[0].accountId, 'single');

  const plan: RemediationPlan = { accepted: [], deferred: [], batches: 0 };
  let spent = 0;
  let batched = 0;
  for (const account of queue) {
    const path = paths.get(account.accountId) as RemediationPath;
    const cost = path === 'batch' && batched % options.batchSize !== 0 ? 0 : 1;
    if (spent + cost > options.budget) {
      plan.deferred.push(account.accountId);
      continue;
    }
    spent += cost;
    if (path === 'batch') batched++;
    plan.accepted.push({ account, path });
  }
  plan.batches = Math.ceil(batched / options.batchSize);
  plan.deferred.sort();
  return plan;
}
