import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import { rethrowAws } from './aws-errors';
import type { Change } from './changes';
import type { OnboardingConfig } from './config';
import { DASHBOARD_DRIFT_KEY, type DashboardDrift, dashboardRenderExecutionName } from './dashboard';
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
  reportKey: string;
}

/**
 * What a check batch writes to `<run>/results/<batch>.json` (reconcile-check): the role findings of each account it
 * checked, in batch order (the report step adds the repository findings, from the repository read alongside).
 */
export interface BatchResults {
  batch: number;
  roles: Array<{ accountId: string; findings: Change[] }>;
  /** Accounts skipped by an exclude tag. */
  skipped: Array<{ accountId: string; reason: string }>;
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
  /** The refresh state machine, with the dashboard on: each report hands its drift to the dashboard and starts a render. */
  refreshStateMachineArn?: string;
}

export async function reconcileReport(event: ReportEvent, deps: ReportDeps): Promise<ReportResult> {
  const { snapshotKey, mode, runId } = event;
  const { config, store } = deps;
  const [snapshot, repo, batches] = await Promise.all([
    store.getJson<ReconcileSnapshot>(snapshotKey),
    store.getJson<RepoObservation>(repoKey(snapshotKey)),
    Promise.all(
      Array.from({ length: event.batchCount }, (_, b) => store.getJson<BatchResults>(resultsKey(snapshotKey, b))),
    ),
  ]);
  const results = joinFindings(batches, snapshot.accounts, repo, config);
  const orphans = orphanFolders(snapshot.accounts, repo);
  const tagSkipped = batches.reduce((n, b) => n + b.skipped.length, 0);
  const summary = summarize(results, orphans, snapshot.skipped.length + tagSkipped);

  const { remediation, offboarding } =
    mode === 'remediate' ? await remediate(deps, runId, summary) : { remediation: noRemediation() };
  const key = reportKey(snapshotKey);
  await store.putJson(key, { runId, mode, summary, remediation, ...(offboarding ? { offboarding } : {}) });

  if (deps.refreshStateMachineArn) await handToDashboard(deps, runId, summary);

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
    reportKey: key,
  };
}

const noRemediation = (): RemediationOutcome => ({ started: [], alreadyStarted: [], deferred: [] });

/** The onboardings of the remediable drifted accounts, and the offboardings of departed accounts' folders. */
async function remediate(
  deps: ReportDeps,
  runId: string,
  summary: DriftSummary,
): Promise<{ remediation: RemediationOutcome; offboarding?: OffboardingsStarted }> {
  const budget = deps.config.reconcile.remediationBudget;
  const remediation = await startRemediations(
    deps.sfn,
    deps.onboardingStateMachineArn,
    runId,
    summary.accounts,
    budget,
  );
  if (!deps.offboardingStateMachineArn) return { remediation };
  const offboarding = await startOffboardings(
    deps.sfn,
    deps.offboardingStateMachineArn,
    runId,
    summary.orphanFolders,
    budget,
  );
  return { remediation, offboarding };
}

function recordMetrics(metrics: MetricsSink, summary: DriftSummary, remediation: RemediationOutcome): void {
  metrics.addMetric('AccountsChecked', MetricUnit.Count, summary.accountsChecked);
  metrics.addMetric('DriftedAccounts', MetricUnit.Count, summary.driftedAccounts);
  for (const cls of DRIFT_CLASSES) metrics.addMetric(`Drift.${cls}`, MetricUnit.Count, summary.counts[cls]);
  metrics.addMetric('RemediationsStarted', MetricUnit.Count, remediation.started.length);
  metrics.addMetric('RemediationsDeferred', MetricUnit.Count, remediation.deferred.length);
  metrics.publishStoredMetrics();
}

/** The drift of this report for the dashboard issue, and one refresh run that renders it (named after the run). */
async function handToDashboard(deps: ReportDeps, runId: string, summary: DriftSummary): Promise<void> {
  const drift: DashboardDrift = {
    runId,
    accounts: summary.accounts.map((a) => ({ accountId: a.accountId, name: a.name, drift: a.drift })),
  };
  await deps.store.putJson(DASHBOARD_DRIFT_KEY, drift);
  const name = dashboardRenderExecutionName(runId);
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.refreshStateMachineArn,
        name,
        input: JSON.stringify({ render: true }),
      }),
    );
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists) return;
    rethrowAws(err, `states:StartExecution of ${name}`);
  }
}

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
