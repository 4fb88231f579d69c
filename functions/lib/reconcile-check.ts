import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Change } from './changes';
import { planRole, type RoleObservation } from './cicd-role';
import { mapWithConcurrency } from './concurrency';
import type { OnboardingConfig } from './config';
import type { InventoryAccount } from './drift';
import type { ObjectStore } from './object-store';
import { allProfiles } from './profiles';
import {
  accountTags,
  BATCH_SIZE,
  batchSlice,
  observeMemberRole,
  type ReconcileSnapshot,
  type RoleReaders,
  resultsKey,
} from './reconcile';
import { planSelection } from './selection';
import { sessionName } from './session-policy';
import type { AccountId } from './types';

/** The work of the reconcile-check step: the role plans of one batch of a run's accounts, reported, never applied. */

/**
 * What a batch writes to `<run>/results/<batch>.json`: the role findings of each account it checked, in batch order
 * (the report step adds the repository findings, from the repository read alongside).
 */
export interface BatchResults {
  batch: number;
  roles: Array<{ accountId: AccountId; findings: Change[] }>;
  /** Accounts skipped by an exclude tag. */
  skipped: Array<{ accountId: AccountId; reason: string }>;
}

export interface CheckResult {
  batch: number;
  checked: number;
  /** Accounts with role drift (repository drift is counted by the report step). */
  drifted: number;
  findings: number;
}

export interface CheckDeps extends RoleReaders {
  config: OnboardingConfig;
  organizations: OrganizationsClient;
  store: ObjectStore;
}

export interface LoadedSnapshot {
  snapshot: ReconcileSnapshot;
  byId: Map<AccountId, InventoryAccount>;
}

const lastSnapshot = new WeakMap<ObjectStore, { key: string; loaded: Promise<LoadedSnapshot> }>();

/**
 * A run's snapshot, read through `store` once per store: it is written once by the inventory step and never changes,
 * so a warm container (which builds its store once) checking several batches of the same run reads and parses it
 * once (it holds every account). Only the last run's snapshot is kept, and a failed read is not kept.
 */
export function loadSnapshot(store: ObjectStore, key: string): Promise<LoadedSnapshot> {
  const last = lastSnapshot.get(store);
  if (last?.key === key) return last.loaded;
  const loaded = store.getJson<ReconcileSnapshot>(key).then((snapshot) => ({
    snapshot,
    byId: new Map(snapshot.accounts.map((a) => [a.accountId, a])),
  }));
  lastSnapshot.set(store, { key, loaded });
  loaded.catch(() => {
    if (lastSnapshot.get(store)?.loaded === loaded) lastSnapshot.delete(store);
  });
  return loaded;
}

/** The accounts of batch `batch`, in batch order. */
export function batchAccounts({ snapshot, byId }: LoadedSnapshot, batch: number): InventoryAccount[] {
  return batchSlice(snapshot.checked, batch, snapshot.batchSize ?? BATCH_SIZE).flatMap((id) => byId.get(id) ?? []);
}

/** The inventory selected on id, status and OU; the same planner decides again now that the tags are known. */
async function selectByTags(
  deps: CheckDeps,
  candidates: InventoryAccount[],
): Promise<{ accounts: InventoryAccount[]; skipped: BatchResults['skipped'] }> {
  const { config } = deps;
  const tagged = await mapWithConcurrency(candidates, config.reconcile.concurrency, async (a) => ({
    account: a,
    selection: planSelection(
      { ...a, ouPath: [], tags: await accountTags(deps.organizations, config, a.accountId) },
      config,
    ),
  }));
  const skipped: BatchResults['skipped'] = [];
  for (const { account, selection } of tagged) {
    if (selection.decision !== 'onboard') skipped.push({ accountId: account.accountId, reason: selection.reason });
  }
  return { accounts: tagged.filter((t) => t.selection.decision === 'onboard').map((t) => t.account), skipped };
}

/**
 * The findings for one observed role: the role plan an onboarding would apply, minus the action. The sweep does not
 * read OU paths, so with profiles the role is held to the profile it fits best (fewest changes): a profiled
 * account's policies are never reported as drift from the top-level ones.
 */
export function roleFindings(
  observation: RoleObservation,
  config: OnboardingConfig,
  partition: string | undefined,
  organizationId: string | undefined,
): Change[] {
  const plans = allProfiles(config).map((profile) =>
    planRole(observation, config, partition, { organizationId, profile }),
  );
  const best = plans.reduce((min, plan) => (plan.length < min.length ? plan : min));
  return best.map(({ action: _, ...change }) => change);
}

/** The counts a check step returns for its results. */
export function countResults({ batch, roles }: BatchResults): CheckResult {
  const drifted = roles.filter((r) => r.findings.length > 0);
  return {
    batch,
    checked: roles.length,
    drifted: drifted.length,
    findings: drifted.reduce((n, r) => n + r.findings.length, 0),
  };
}

/**
 * Checks batch `batch` of the run whose snapshot is at `snapshotKey` and writes its results next to it. Each
 * member-account session may only read the cicd role and is named after the run's execution
 * (runs/<execution>/snapshot.json).
 */
export async function checkBatch(deps: CheckDeps, snapshotKey: string, batch: number): Promise<BatchResults> {
  const { config } = deps;
  const loaded = await loadSnapshot(deps.store, snapshotKey);
  const { accounts, skipped } = await selectByTags(deps, batchAccounts(loaded, batch));
  const session = sessionName('reconcile', /^runs\/(.+)\/snapshot\.json$/.exec(snapshotKey)?.[1]);
  const { organizationId } = loaded.snapshot;
  const roles = await mapWithConcurrency(accounts, config.reconcile.concurrency, async (a) => {
    const observation = await observeMemberRole(deps, config, a.accountId, session);
    return { accountId: a.accountId, findings: roleFindings(observation, config, deps.partition, organizationId) };
  });
  const results: BatchResults = { batch, roles, skipped };
  await deps.store.putJson(resultsKey(snapshotKey, batch), results);
  return results;
}
