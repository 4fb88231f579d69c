import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import * as z from 'zod/mini';
import { configFromEnv } from '../lib/config';
import { defineHandler } from '../lib/define-handler';
import { logger } from '../lib/logger';
import { memberIamClients } from '../lib/member-account';
import { objectStoreFromEnv } from '../lib/object-store';
import { partitionOf } from '../lib/partition';
import { type CheckDeps, type CheckResult, checkBatch, countResults } from '../lib/reconcile-check';

/** The report step reads the results file's shape from here; it lives in functions/lib/reconcile-check.ts. */
export type { BatchResults, CheckDeps, CheckResult } from '../lib/reconcile-check';

const EXPECTED = 'reconcile-check expects {"snapshotKey": "runs/…/snapshot.json", "batch": 0}';

/** One item of the reconcile Map: the run's snapshot (written by the inventory step) and the batch to check. */
const event = z.object({
  snapshotKey: z.string({ error: EXPECTED }),
  batch: z.int({ error: EXPECTED }).check(z.nonnegative(EXPECTED)),
});
export type CheckEvent = z.infer<typeof event>;

/** Checks the cicd role of each account of one batch and writes the findings to `<run>/results/<batch>.json`. */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'reconcile-check',
  event,
  deps: (): CheckDeps => ({
    config: configFromEnv(),
    organizations: new OrganizationsClient({ region: 'us-east-1' }),
    sts: new STSClient({}),
    iamFor: memberIamClients(),
    partition: partitionOf(process.env.AWS_REGION),
    store: objectStoreFromEnv(process.env),
  }),
  run: async ({ snapshotKey, batch }, deps): Promise<CheckResult> => {
    const results = await checkBatch(deps, snapshotKey, batch);
    const counts = countResults(results);
    logger.info('Reconcile batch checked', { ...counts, skipped: results.skipped.length });
    return counts;
  },
});
