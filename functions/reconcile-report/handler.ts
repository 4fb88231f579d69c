import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { rethrowAws } from '../lib/aws-errors';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { DASHBOARD_DRIFT_KEY, type DashboardDrift, dashboardRenderExecutionName } from '../lib/dashboard';
import {
  type AccountResult,
  combineFindings,
  DRIFT_CLASSES,
  type DriftSummary,
  type InventoryAccount,
  orphanFolders,
  repoDrift,
  summarize,
} from '../lib/drift';
import { ConfigError, InvalidInput } from '../lib/errors';
import { logger } from '../lib/logger';
import { type ObjectStore, objectStoreFromEnv } from '../lib/object-store';
import { type OffboardingsStarted, startOffboardings } from '../lib/offboard-remediation';
import {
  type ReconcileMode,
  type ReconcileSnapshot,
  type RemediationOutcome,
  repoKey,
  reportKey,
  resultsKey,
  startRemediations,
} from '../lib/reconcile';
import type { RepoObservation } from '../lib/repo-plan';
import { fitSnsMessage, SNS_MAX_MESSAGE_BYTES } from '../lib/sns-message';
import type { BatchResults } from '../reconcile-check/handler';

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

/** How many drifted accounts a notification lists; the full report is in S3. */
const NOTIFIED_ACCOUNTS = 50;

export function makeHandler(deps: ReportDeps): (event: ReportEvent) => Promise<ReportResult> {
  return async (event) => {
    const { snapshotKey, batchCount, mode, runId } = event ?? {};
    if (typeof snapshotKey !== 'string' || !Number.isInteger(batchCount) || typeof runId !== 'string') {
      throw new InvalidInput('reconcile-report expects {"snapshotKey", "batchCount", "mode", "runId"} from inventory');
    }
    const { config, store } = deps;
    const [snapshot, repo, batches] = await Promise.all([
      store.getJson<ReconcileSnapshot>(snapshotKey),
      store.getJson<RepoObservation>(repoKey(snapshotKey)),
      Promise.all(
        Array.from({ length: batchCount }, (_, b) => store.getJson<BatchResults>(resultsKey(snapshotKey, b))),
      ),
    ]);
    const results = joinFindings(batches, snapshot.accounts, repo, config);
    const orphans = orphanFolders(snapshot.accounts, repo);
    const tagSkipped = batches.reduce((n, b) => n + b.skipped.length, 0);
    const summary = summarize(results, orphans, snapshot.skipped.length + tagSkipped);

    let remediation: RemediationOutcome = { started: [], alreadyStarted: [], deferred: [] };
    if (mode === 'remediate') {
      remediation = await startRemediations(
        deps.sfn,
        deps.onboardingStateMachineArn,
        runId,
        summary.accounts,
        config.reconcile.remediationBudget,
      );
    }
    let offboarding: OffboardingsStarted | undefined;
    if (mode === 'remediate' && deps.offboardingStateMachineArn) {
      offboarding = await startOffboardings(
        deps.sfn,
        deps.offboardingStateMachineArn,
        runId,
        orphans,
        config.reconcile.remediationBudget,
      );
    }
    const key = reportKey(snapshotKey);
    await store.putJson(key, { runId, mode, summary, remediation, ...(offboarding ? { offboarding } : {}) });

    if (deps.refreshStateMachineArn) await handToDashboard(deps, runId, summary);

    // One structured line: the whole report, for Logs Insights.
    logger.info('Reconcile report', { runId, mode, ...summary, remediation });
    deps.metrics.addMetric('AccountsChecked', MetricUnit.Count, summary.accountsChecked);
    deps.metrics.addMetric('DriftedAccounts', MetricUnit.Count, summary.driftedAccounts);
    for (const cls of DRIFT_CLASSES) deps.metrics.addMetric(`Drift.${cls}`, MetricUnit.Count, summary.counts[cls]);
    deps.metrics.addMetric('RemediationsStarted', MetricUnit.Count, remediation.started.length);
    deps.metrics.addMetric('RemediationsDeferred', MetricUnit.Count, remediation.deferred.length);
    deps.metrics.publishStoredMetrics();

    if (summary.driftedAccounts > 0 || orphans.length > 0) {
      try {
        await deps.sns.send(
          new PublishCommand({
            TopicArn: deps.topicArn,
            Subject:
              `AWS account onboarding drift: ${summary.driftedAccounts} account(s), ${orphans.length} orphan folder(s)`.slice(
                0,
                100,
              ),
            Message: fitSnsMessage(
              notification(summary, mode, remediation, key),
              SNS_MAX_MESSAGE_BYTES,
              `\n… (cut to fit SNS; the full report is ${key} in the reconcile bucket)`,
            ),
          }),
        );
      } catch (err) {
        rethrowAws(err, `sns:Publish of the drift report to ${deps.topicArn}`);
      }
    }
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
  };
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

function notification(summary: DriftSummary, mode: ReconcileMode, r: RemediationOutcome, key: string): string {
  const counts = DRIFT_CLASSES.filter((c) => summary.counts[c] > 0).map((c) => `  ${c}: ${summary.counts[c]}`);
  const started = new Set([...r.started, ...r.alreadyStarted].map((s) => s.accountId));
  const deferred = new Set(r.deferred);
  const status = (id: string) =>
    mode === 'report'
      ? ''
      : started.has(id)
        ? ' [remediation started]'
        : deferred.has(id)
          ? ' [deferred to the next run]'
          : ' [needs a person]';
  const lines = [
    `Reconciliation checked ${summary.accountsChecked} account(s) in ${mode} mode: ${summary.driftedAccounts} drifted, ${summary.orphanFolders.length} orphan folder(s).`,
    '',
    'Findings by class:',
    ...counts,
    '',
    ...summary.accounts
      .slice(0, NOTIFIED_ACCOUNTS)
      .flatMap((a) => [`${a.accountId} (${a.name})${status(a.accountId)}`, ...a.details.map((d) => `  - ${d}`)]),
    ...(summary.accounts.length > NOTIFIED_ACCOUNTS
      ? [`… and ${summary.accounts.length - NOTIFIED_ACCOUNTS} more.`]
      : []),
    ...summary.orphanFolders.slice(0, NOTIFIED_ACCOUNTS).map((o) => `orphan folder ${o.folder}: ${o.reason}`),
  ];
  if (mode === 'remediate') {
    lines.push(
      '',
      `Onboarding executions started: ${r.started.length + r.alreadyStarted.length}; deferred to the next run: ${r.deferred.length}.`,
    );
  }
  lines.push('', `Full report: ${key} in the reconcile bucket.`);
  return lines.join('\n');
}

export const defaultDeps = (): ReportDeps => {
  const required = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new ConfigError(`${name} is not set: the reconcile-report function needs it`);
    return value;
  };
  return {
    config: configFromEnv(),
    store: objectStoreFromEnv(process.env),
    sns: new SNSClient({}),
    sfn: new SFNClient({}),
    metrics: new Metrics({ namespace: 'OidcAccountOnboarding', serviceName: 'reconcile' }),
    topicArn: required('RECONCILE_TOPIC_ARN'),
    onboardingStateMachineArn: required('ONBOARDING_STATE_MACHINE_ARN'),
    ...(process.env.OFFBOARDING_STATE_MACHINE_ARN
      ? { offboardingStateMachineArn: process.env.OFFBOARDING_STATE_MACHINE_ARN }
      : {}),
    ...(process.env.REFRESH_STATE_MACHINE_ARN ? { refreshStateMachineArn: process.env.REFRESH_STATE_MACHINE_ARN } : {}),
  };
};

let cached: ReturnType<typeof makeHandler> | undefined;
export const handler = async (event: ReportEvent): Promise<ReportResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event);
};
