import { OrganizationsClient } from '@aws-sdk/client-organizations';
import * as z from 'zod/mini';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { InvalidInput } from '../lib/errors';
import { logger } from '../lib/logger';
import { type ObjectStore, objectStoreFromEnv } from '../lib/object-store';
import {
  accountsUnderOus,
  batchCount,
  batchSizeFor,
  listOrganization,
  type ReconcileMode,
  type ReconcileSnapshot,
  runIdOf,
  runPrefix,
  selectAccounts,
  snapshotKey,
} from '../lib/reconcile';

export interface InventoryEvent {
  /** The execution input: `{}` or `{"mode": "report" | "remediate"}` (the schedule sends the configured mode). */
  input: unknown;
  execution: { name: string; startTime: string };
}

export interface InventoryResult {
  snapshotKey: string;
  batchCount: number;
  /** `[0, 1, …, batchCount-1]`: the Map's items (an empty organization gives an empty Map, not an error). */
  batches: number[];
  accountCount: number;
  mode: ReconcileMode;
  runId: string;
}

export interface InventoryDeps {
  config: OnboardingConfig;
  organizations: OrganizationsClient;
  store: ObjectStore;
}

const inputSchema = z.strictObject({ mode: z.optional(z.enum(['report', 'remediate'])) });

export function makeHandler(deps: InventoryDeps): (event: InventoryEvent) => Promise<InventoryResult> {
  return async (event) => {
    // No input at all is `{}`; an explicit null is refused like any other input that is not an object.
    const parsed = inputSchema.safeParse(event?.input === undefined ? {} : event.input);
    if (!parsed.success) {
      throw new InvalidInput(
        'The reconcile workflow accepts {} or {"mode": "report" | "remediate"}; nothing was read or changed',
      );
    }
    const { config } = deps;
    const mode = parsed.data.mode ?? config.reconcile.mode;
    const runId = runIdOf(event.execution.startTime);
    const [{ accounts, organizationId }, excludedByOu] = await Promise.all([
      listOrganization(deps.organizations),
      accountsUnderOus(deps.organizations, config.filters.excludeOuIds),
    ]);
    const { checked, skipped } = selectAccounts(accounts, config, excludedByOu);
    const batchSize = batchSizeFor(checked.length, config.reconcile.concurrency);
    const snapshot: ReconcileSnapshot = {
      runId,
      mode,
      accounts,
      checked,
      batchSize,
      skipped,
      ...(organizationId ? { organizationId } : {}),
    };
    const key = snapshotKey(runPrefix(event.execution.name));
    await deps.store.putJson(key, snapshot);
    const count = batchCount(checked.length, batchSize);
    logger.info('Reconcile inventory', {
      accounts: accounts.length,
      checked: checked.length,
      skipped: skipped.length,
      batches: count,
      mode,
    });
    return {
      snapshotKey: key,
      batchCount: count,
      batches: Array.from({ length: count }, (_, i) => i),
      accountCount: checked.length,
      mode,
      runId,
    };
  };
}

export const defaultDeps = (): InventoryDeps => ({
  config: configFromEnv(),
  organizations: new OrganizationsClient({ region: 'us-east-1' }),
  store: objectStoreFromEnv(process.env),
});

let cached: ReturnType<typeof makeHandler> | undefined;
export const handler = async (event: InventoryEvent): Promise<InventoryResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event);
};
