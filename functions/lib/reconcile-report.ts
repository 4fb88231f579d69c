import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { OnboardingConfig } from './config';
import type { DashboardDrift } from './dashboard';
import {
  type AccountResult,
  combineFindings,
  DRIFT_CLASSES,
  type DriftSummary,
  type InventoryAccount,
  orphanFolders,
  repoDrift,
  summarize,
} from './drift';
import { publishDrift } from './drift-notification';
import { logger } from './logger';
import type { ObjectStore } from './object-store';
import { type OffboardingsStarted, startOffboardings } from './offboard-remediation';
import {
  type ReconcileMode,
  type ReconcileSnapshot,
  type RemediationOutcome,
  repoKey,
  reportKey,
  resultsKey,
  startRemediations,
} from './reconcile';
import type { BatchResults } from './reconcile-check';
import {
  handToRefresh,
  type RefreshHandOff,
  remediationBatchesKey,
  reportRefreshExecutionName,
} from './remediation-handoff';
import { planRemediation } from './remediation-plan';
import type { RepoObservation } from './repo-plan';

/**
 * The report step of a reconcile run: joins each checked account's role findings (from its batch) with its
 * repository findings, writes report.json, remediates in `remediate` mode, hands the drift to the dashboard,
 * publishes metrics and the drift notification.
 */

export interface ReportEvent {
  snapshotKey: string;
  batchCount: number;
  mode: ReconcileMode;
  runId: string;
}

export interface ReportResult {
  mode: ReconcileMode;
  accountsChecked: number;
  driftedAccounts: number;
  counts: DriftSummary['counts'];
  orphanFolders: number;
  started: number;
  alreadyStarted: number;
  deferred: number;
  /** Accounts handed to the refresh for batch pull requests. */
  batched: number;
  reportKey: string;
}

/** The part of Powertools Metrics used here. */
export interface MetricsSink {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void;
  publishStoredMetrics(): void;
}

export interface ReportDeps {
  config: OnboardingConfig;
  store: ObjectStore;
  sns: SNSClient;
  sfn: SFNClient;
  metrics: MetricsSink;
  topicArn: string;
  onboardingStateMachineArn: string;
  /** The offboard-account state machine: in remediate mode, orphan folders of departed accounts go there. */
  offboardingStateMachineArn?: string;
  /**
   * The refresh state machine: each report hands it the drift for the dashboard (with the dashboard on) and, in a
   * remediating sweep, the accounts whose folders go in batch pull requests. Without it every account takes the
   * single path (its own execution and pull request).
   */
  refreshStateMachineArn?: string;
}

export async function reconcileReport(event: ReportEvent, deps: ReportDeps): Promise<ReportResult> {
  const { snapshotKey, mode, runId } = event;
  const { config, store } = deps;
  const [snapshot, repo, checks] = await Promise.all([
    store.getJson<ReconcileSnapshot>(snapshotKey),
    store.getJson<RepoObservation>(repoKey(snapshotKey)),
    Promise.all(
      Array.from({ length: event.batchCount }, (_, b) => store.getJson<BatchResults>(resultsKey(snapshotKey, b))),
    ),
  ]);
  const results = joinFindings(checks, snapshot.accounts, repo, config);
  const orphans = orphanFolders(snapshot.accounts, repo);
  const tagSkipped = checks.reduce((n, b) => n + b.skipped.length, 0);
  const summary = summarize(results, orphans, snapshot.skipped.length + tagSkipped);

  const { remediation, offboarding, batches } =
    mode === 'remediate'
      ? await remediate(deps, event, summary, snapshot.accounts)
      : { remediation: noRemediation(), batches: undefined };
  const key = reportKey(snapshotKey);
  await store.putJson(key, { runId, mode, summary, remediation, ...(offboarding ? { offboarding } : {}) });

  if (deps.refreshStateMachineArn) {
    const handOff: RefreshHandOff = {
      ...(config.dashboard.enabled ? { drift: dashboardDrift(runId, summary) } : {}),
      ...(batches ? { batches } : {}),
    };
    await handToRefresh(store, deps.sfn, deps.refreshStateMachineArn, runId, handOff);
  }

  // One structured line: the whole report, for Logs Insights.
  logger.info('Reconcile report', { runId, mode, ...summary, remediation });
  recordMetrics(deps.metrics, summary, remediation);
  await publishDrift(deps.sns, deps.topicArn, { summary, mode, remediation, reportKey: key });
  return {
    mode,
    accountsChecked: summary.accountsChecked,
    driftedAccounts: summary.driftedAccounts,
    counts: summary.counts,
    orphanFolders: orphans.length,
    started: remediation.started.length,
    alreadyStarted: remediation.alreadyStarted.length,
    deferred: remediation.deferred.length,
    batched: remediation.batched?.accounts.length ?? 0,
    reportKey: key,
  };
}

const noRemediation = (): RemediationOutcome => ({ started: [], alreadyStarted: [], deferred: [] });

interface Remediation {
  remediation: RemediationOutcome;
  offboarding?: OffboardingsStarted;
  /** The request for the refresh, when accounts go in batch pull requests. */
  batches?: RefreshHandOff['batches'];
}

/**
 * The remediation plan (remediation-plan.ts) carried out: onboarding executions for the single and role-first
 * accounts, the batch request for the refresh (written by the caller, with the report), and the offboardings of
 * departed accounts' folders.
 */
async function remediate(
  deps: ReportDeps,
  { runId, snapshotKey }: ReportEvent,
  summary: DriftSummary,
  inventory: InventoryAccount[],
): Promise<Remediation> {
  const { config } = deps;
  const budget = config.reconcile.remediationBudget;
  const batching = Boolean(deps.refreshStateMachineArn);
  const plan = planRemediation(runId, summary.accounts, { budget, batchSize: config.github.batchSize, batching });
  const started = await startRemediations(deps.sfn, deps.onboardingStateMachineArn, runId, plan.accepted);
  const remediation: RemediationOutcome = { ...started, deferred: plan.deferred };
  const roleFirst = plan.accepted.filter((a) => a.path === 'role-first').map((a) => a.account.accountId);
  if (roleFirst.length > 0) remediation.roleFirst = roleFirst.sort();
  const byId = new Map(inventory.map((a) => [a.accountId, a]));
  const batched = plan.accepted.flatMap(({ account, path }) => {
    const facts = path === 'batch' ? byId.get(account.accountId) : undefined;
    return facts ? [{ accountId: facts.accountId, name: facts.name, email: facts.email }] : [];
  });
  let batches: RefreshHandOff['batches'];
  if (batched.length > 0 && deps.refreshStateMachineArn) {
    const key = remediationBatchesKey(snapshotKey);
    batches = { key, request: { runId, accounts: batched.sort((a, b) => (a.accountId < b.accountId ? -1 : 1)) } };
    remediation.batched = {
      accounts: batched.map((a) => a.accountId),
      pullRequests: plan.batches,
      requestKey: key,
      executionName: reportRefreshExecutionName(runId),
    };
  }
  if (!deps.offboardingStateMachineArn) return { remediation, batches };
  const orphans = summary.orphanFolders;
  const offboarding = await startOffboardings(deps.sfn, deps.offboardingStateMachineArn, runId, orphans, budget);
  return { remediation, offboarding, batches };
}

function recordMetrics(metrics: MetricsSink, summary: DriftSummary, remediation: RemediationOutcome): void {
  metrics.addMetric('AccountsChecked', MetricUnit.Count, summary.accountsChecked);
  metrics.addMetric('DriftedAccounts', MetricUnit.Count, summary.driftedAccounts);
  for (const cls of DRIFT_CLASSES) metrics.addMetric(`Drift.${cls}`, MetricUnit.Count, summary.counts[cls]);
  metrics.addMetric('RemediationsStarted', MetricUnit.Count, remediation.started.length);
  metrics.addMetric('RemediationsDeferred', MetricUnit.Count, remediation.deferred.length);
  metrics.addMetric('RemediationAccountsBatched', MetricUnit.Count, remediation.batched?.accounts.length ?? 0);
  metrics.publishStoredMetrics();
}

/** The drift of this report, for the dashboard issue. */
const dashboardDrift = (runId: string, summary: DriftSummary): DashboardDrift => ({
  runId,
  accounts: summary.accounts.map((a) => ({ accountId: a.accountId, name: a.name, drift: a.drift })),
});

/**
 * Each checked account's role findings (from its batch) with its repository findings (from the repository read
 * alongside the checks): folder, tfvars, matrix entry and onboarding pull request, worked out once for the run.
 * @throws WorkflowMatrixNotFound when the workflow has no editable matrix (every account is affected).
 */
function joinFindings(
  batches: BatchResults[],
  accounts: InventoryAccount[],
  repo: RepoObservation,
  config: OnboardingConfig,
): AccountResult[] {
  const accountsById = new Map(accounts.map((a) => [a.accountId, a]));
  const checked = batches
    .flatMap((b) => b.roles)
    .flatMap(({ accountId, findings }) => {
      const account = accountsById.get(accountId);
      return account ? [{ account, findings }] : [];
    });
  const fromRepo = repoDrift(
    checked.map((c) => c.account),
    repo,
    config,
  );
  return checked.map(({ account, findings }, i) => {
    const combined = combineFindings(account, findings, fromRepo[i]?.findings ?? []);
    const pending = fromRepo[i]?.pendingPullRequest;
    return pending ? { ...combined, pendingPullRequest: pending } : combined;
  });
}
