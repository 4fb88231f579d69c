import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import type { Change } from '../lib/changes';
import { planRole } from '../lib/cicd-role';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import type { InventoryAccount } from '../lib/drift';
import { InvalidInput } from '../lib/errors';
import { logger } from '../lib/logger';
import { memberIamClients } from '../lib/member-account';
import { type ObjectStore, objectStoreFromEnv } from '../lib/object-store';
import { allProfiles } from '../lib/profiles';
import {
  accountTags,
  BATCH_SIZE,
  batchSlice,
  mapWithConcurrency,
  observeMemberRole,
  type ReconcileSnapshot,
  type RoleReaders,
  resultsKey,
} from '../lib/reconcile';
import { planSelection } from '../lib/selection';
import { sessionName } from '../lib/session-policy';

export interface CheckEvent {
  snapshotKey: string;
  batch: number;
}

/**
 * What a batch writes to `<run>/results/<batch>.json`: the role findings of each account it checked, in batch order
 * (the report step adds the repository findings, from the repository read alongside).
 */
export interface BatchResults {
  batch: number;
  roles: Array<{ accountId: string; findings: Change[] }>;
  /** Accounts skipped by an exclude tag. */
  skipped: Array<{ accountId: string; reason: string }>;
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

interface LoadedSnapshot {
  snapshot: ReconcileSnapshot;
  byId: Map<string, InventoryAccount>;
}

export function makeHandler(deps: CheckDeps): (event: CheckEvent) => Promise<CheckResult> {
  // A run's snapshot is written once by the inventory step and never changes, so a warm container checking several
  // batches of the same run reads and parses it once instead of once per batch (it holds every account).
  let loaded: Promise<LoadedSnapshot> | undefined;
  let loadedKey: string | undefined;
  const load = (key: string): Promise<LoadedSnapshot> => {
    if (loaded && loadedKey === key) return loaded;
    loadedKey = key;
    loaded = deps.store.getJson<ReconcileSnapshot>(key).then((snapshot) => ({
      snapshot,
      byId: new Map(snapshot.accounts.map((a) => [a.accountId, a])),
    }));
    loaded.catch(() => {
      if (loadedKey === key) loaded = loadedKey = undefined;
    });
    return loaded;
  };
  return async (event) => {
    const { snapshotKey, batch } = event ?? {};
    if (typeof snapshotKey !== 'string' || !Number.isInteger(batch) || batch < 0) {
      throw new InvalidInput('reconcile-check expects {"snapshotKey": "runs/…/snapshot.json", "batch": 0}');
    }
    const { config } = deps;
    const { snapshot, byId } = await load(snapshotKey);
    const size = snapshot.batchSize ?? BATCH_SIZE;
    const candidates = batchSlice(snapshot.checked, batch, size).flatMap((id) => byId.get(id) ?? []);

    const skipped: BatchResults['skipped'] = [];
    // The inventory selected on id, status and OU; the same planner decides again now that the tags are known.
    const tagged = await mapWithConcurrency(candidates, config.reconcile.concurrency, async (a) => ({
      account: a,
      selection: planSelection(
        { ...a, ouPath: [], tags: await accountTags(deps.organizations, config, a.accountId) },
        config,
      ),
    }));
    for (const { account, selection } of tagged) {
      if (selection.decision !== 'onboard') skipped.push({ accountId: account.accountId, reason: selection.reason });
    }
    const accounts = tagged.filter((t) => t.selection.decision === 'onboard').map((t) => t.account);

    // The role plan an onboarding would apply, minus the action: the same changes, reported. Each member-account
    // session may only read the cicd role and is named after the run's execution (runs/<execution>/snapshot.json).
    // The sweep does not read OU paths, so with profiles the role is held to the profile it fits best (fewest
    // changes): a profiled account's policies are never reported as drift from the top-level ones.
    const session = sessionName('reconcile', /^runs\/(.+)\/snapshot\.json$/.exec(snapshotKey)?.[1]);
    const profiles = allProfiles(config);
    const { organizationId } = snapshot;
    const roles = await mapWithConcurrency(accounts, config.reconcile.concurrency, async (a) => {
      const observation = await observeMemberRole(deps, config, a.accountId, session);
      const plans = profiles.map((profile) =>
        planRole(observation, config, deps.partition, { organizationId, profile }),
      );
      const best = plans.reduce((min, plan) => (plan.length < min.length ? plan : min));
      return { accountId: a.accountId, findings: best.map(({ action: _, ...change }) => change) };
    });
    const file: BatchResults = { batch, roles, skipped };
    await deps.store.putJson(resultsKey(snapshotKey, batch), file);
    const drifted = roles.filter((r) => r.findings.length > 0);
    const counts: CheckResult = {
      batch,
      checked: roles.length,
      drifted: drifted.length,
      findings: drifted.reduce((n, r) => n + r.findings.length, 0),
    };
    logger.info('Reconcile batch checked', { ...counts, skipped: skipped.length });
    return counts;
  };
}

const partitionOf = (region = ''): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

export const defaultDeps = (): CheckDeps => ({
  config: configFromEnv(),
  organizations: new OrganizationsClient({ region: 'us-east-1' }),
  sts: new STSClient({}),
  iamFor: memberIamClients(),
  partition: partitionOf(process.env.AWS_REGION),
  store: objectStoreFromEnv(process.env),
});

let cached: ReturnType<typeof makeHandler> | undefined;
export const handler = async (event: CheckEvent): Promise<CheckResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event);
};
