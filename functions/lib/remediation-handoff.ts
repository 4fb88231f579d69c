import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { rethrowAws } from './aws-errors';
import { DASHBOARD_DRIFT_KEY, type DashboardDrift } from './dashboard';
import type { ObjectStore } from './object-store';
import type { AccountFacts } from './repo-plan';

/**
 * What a reconcile report hands to the refresh, the function that writes to GitHub: the drift for the dashboard
 * (`runs/dashboard-drift.json`) and, in a remediating sweep, the accounts whose folders go in batch pull requests
 * (`<run>/remediation-batches.json`). Then one refresh execution named after the run: a retried report step starts
 * nothing twice (ExecutionAlreadyExists), and a retried refresh reads the same request and meets the same batches.
 */

/** The accounts of one sweep whose folders and matrix entries go in batch pull requests (the refresh plans them). */
export interface RemediationBatchRequest {
  runId: string;
  accounts: AccountFacts[];
}

/** Next to the run's snapshot: `runs/<run>/remediation-batches.json`. */
export const remediationBatchesKey = (snapshotKey: string): string =>
  `${snapshotKey.replace(/\/snapshot\.json$/, '')}/remediation-batches.json`;

/** The keys remediationBatchesKey makes (runPrefix keeps `[\w.-]` of the execution name): what the refresh accepts. */
export const REMEDIATION_BATCHES_KEY = /^runs\/[\w.-]+\/remediation-batches\.json$/;

/** The refresh execution a reconcile run starts (one per run). */
export const reportRefreshExecutionName = (runId: string): string =>
  `reconcile-${runId.replace(/[^0-9A-Za-z_-]/g, '-')}-refresh`.slice(0, 80);

export interface RefreshHandOff {
  /** With the dashboard on: the drift it shows. */
  drift?: DashboardDrift;
  batches?: { key: string; request: RemediationBatchRequest };
}

/** Writes what the refresh reads, then starts it with `{"render": true, "batches"?: <key>}`; nothing when there is nothing. */
export async function handToRefresh(
  store: ObjectStore,
  sfn: SFNClient,
  refreshStateMachineArn: string,
  runId: string,
  handOff: RefreshHandOff,
): Promise<void> {
  const { drift, batches } = handOff;
  if (!drift && !batches) return;
  if (drift) await store.putJson(DASHBOARD_DRIFT_KEY, drift);
  if (batches) await store.putJson(batches.key, batches.request);
  const name = reportRefreshExecutionName(runId);
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: refreshStateMachineArn,
        name,
        input: JSON.stringify({ render: true, ...(batches ? { batches: batches.key } : {}) }),
      }),
    );
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists) return;
    rethrowAws(err, `states:StartExecution of ${name}`);
  }
}
