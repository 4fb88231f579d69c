import { OrganizationsClient } from '@aws-sdk/client-organizations';
import * as z from 'zod/mini';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { defineHandler } from '../lib/define-handler';
import { logger } from '../lib/logger';
import { type ObjectStore, objectStoreFromEnv } from '../lib/object-store';
import { runIdOf, runPrefix, snapshotKey } from '../lib/reconcile';
import { type InventoryResult, inventoryResult, reconcileMode, takeInventory } from '../lib/reconcile-inventory';

export type { InventoryResult } from '../lib/reconcile-inventory';

export interface InventoryDeps {
  config: OnboardingConfig;
  organizations: OrganizationsClient;
  store: ObjectStore;
}

/** The execution input (reconcileMode reads it) and the execution, whose name and start time name the run. */
const event = z.object({
  input: z.unknown(),
  execution: z.object({ name: z.string(), startTime: z.string() }),
});
export type InventoryEvent = z.infer<typeof event>;

/** Lists the organization, selects the accounts to check and writes the run's snapshot for the later steps. */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'reconcile-inventory',
  event,
  deps: (): InventoryDeps => ({
    config: configFromEnv(),
    organizations: new OrganizationsClient({ region: 'us-east-1' }),
    store: objectStoreFromEnv(process.env),
  }),
  run: async ({ input, execution }, deps): Promise<InventoryResult> => {
    const mode = reconcileMode(input, deps.config);
    const run = { runId: runIdOf(execution.startTime), mode };
    const snapshot = await takeInventory(deps.organizations, deps.config, run);
    const key = snapshotKey(runPrefix(execution.name));
    await deps.store.putJson(key, snapshot);
    const result = inventoryResult(key, snapshot);
    logger.info('Reconcile inventory', {
      accounts: snapshot.accounts.length,
      checked: snapshot.checked.length,
      skipped: snapshot.skipped.length,
      batches: result.batchCount,
      mode,
    });
    return result;
  },
});
