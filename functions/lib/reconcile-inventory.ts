import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import * as z from 'zod/mini';
import type { OnboardingConfig } from './config';
import { InvalidInput } from './errors';
import {
  accountsUnderOus,
  batchCount,
  batchSizeFor,
  listOrganization,
  type ReconcileMode,
  type ReconcileSnapshot,
  selectAccounts,
} from './reconcile';

/** The work of the reconcile-inventory step: which accounts the run checks, in how many batches. */

export interface InventoryResult {
  snapshotKey: string;
  batchCount: number;
  /** `[0, 1, …, batchCount-1]`: the Map's items (an empty organization gives an empty Map, not an error). */
  batches: number[];
  accountCount: number;
  mode: ReconcileMode;
  runId: string;
}

const inputSchema = z.strictObject({ mode: z.optional(z.enum(['report', 'remediate'])) });

/**
 * The run's mode from the execution input: `{}` or `{"mode": "report" | "remediate"}` (the schedule sends the
 * configured mode). No input at all is `{}`; an explicit null is refused like any other input that is not an object.
 * @throws InvalidInput for any other input, before anything is read.
 */
export function reconcileMode(input: unknown, config: OnboardingConfig): ReconcileMode {
  const parsed = inputSchema.safeParse(input === undefined ? {} : input);
  if (!parsed.success) {
    throw new InvalidInput(
      'The reconcile workflow accepts {} or {"mode": "report" | "remediate"}; nothing was read or changed',
    );
  }
  return parsed.data.mode ?? config.reconcile.mode;
}

/** Every account of the organization, and which of them the run checks (in batches sized by batchSizeFor). */
export async function takeInventory(
  organizations: OrganizationsClient,
  config: OnboardingConfig,
  run: { runId: string; mode: ReconcileMode },
): Promise<ReconcileSnapshot> {
  const [{ accounts, organizationId }, excludedByOu] = await Promise.all([
    listOrganization(organizations),
    accountsUnderOus(organizations, config.filters.excludeOuIds),
  ]);
  const { checked, skipped } = selectAccounts(accounts, config, excludedByOu);
  return {
    ...run,
    accounts,
    checked,
    batchSize: batchSizeFor(checked.length, config.reconcile.concurrency),
    skipped,
    ...(organizationId ? { organizationId } : {}),
  };
}

/** What the step returns for the snapshot it wrote at `snapshotKey`: the Map's items and the run's facts. */
export function inventoryResult(snapshotKey: string, snapshot: ReconcileSnapshot): InventoryResult {
  const count = batchCount(snapshot.checked.length, snapshot.batchSize);
  return {
    snapshotKey,
    batchCount: count,
    batches: Array.from({ length: count }, (_, i) => i),
    accountCount: snapshot.checked.length,
    mode: snapshot.mode,
    runId: snapshot.runId,
  };
}
