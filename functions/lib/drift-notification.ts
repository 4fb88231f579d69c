import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { rethrowAws } from './aws-errors';
import { DRIFT_CLASSES, type DriftSummary } from './drift';
import type { ReconcileMode, RemediationOutcome } from './reconcile';
import { fitSnsMessage, SNS_MAX_MESSAGE_BYTES } from './sns-message';

/** The drift notification of a reconcile report: what the failure topic's subscribers read. */

/** How many drifted accounts a notification lists; the full report is in S3. */
const NOTIFIED_ACCOUNTS = 50;

export interface DriftNotice {
  summary: DriftSummary;
  mode: ReconcileMode;
  remediation: RemediationOutcome;
  /** The report's key in the reconcile bucket. */
  reportKey: string;
}

export function driftSubject({ summary }: DriftNotice): string {
  const orphans = summary.orphanFolders.length;
  return `AWS account onboarding drift: ${summary.driftedAccounts} account(s), ${orphans} orphan folder(s)`.slice(
    0,
    100,
  );
}

export function driftNotification({ summary, mode, remediation: r, reportKey }: DriftNotice): string {
  const counts = DRIFT_CLASSES.filter((c) => summary.counts[c] > 0).map((c) => `  ${c}: ${summary.counts[c]}`);
  const status = remediationStatus(mode, r);
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
  if (mode === 'remediate') lines.push('', remediationLine(r));
  lines.push('', `Full report: ${reportKey} in the reconcile bucket.`);
  return lines.join('\n');
}

/** What remediation did about each account, as the notification marks it. */
function remediationStatus(mode: ReconcileMode, r: RemediationOutcome): (id: string) => string {
  const started = new Set([...r.started, ...r.alreadyStarted].map((s) => s.accountId));
  const roleFirst = new Set(r.roleFirst ?? []);
  const batched = new Set(r.batched?.accounts ?? []);
  const deferred = new Set(r.deferred);
  return (id) => {
    if (mode === 'report') return '';
    if (roleFirst.has(id)) return " [role first: its folder follows in the next sweep's batch pull request]";
    if (started.has(id)) return ' [remediation started]';
    if (batched.has(id)) return ' [in a batch pull request]';
    return deferred.has(id) ? ' [deferred to the next run]' : ' [needs a person]';
  };
}

function remediationLine(r: RemediationOutcome): string {
  const started = r.started.length + r.alreadyStarted.length;
  const roleOnly = r.roleFirst?.length ? ` (${r.roleFirst.length} role only)` : '';
  const batches = r.batched
    ? ` Batch pull requests: ${r.batched.pullRequests} for ${r.batched.accounts.length} account(s), written by the refresh run ${r.batched.executionName}.`
    : '';
  return `Onboarding executions started: ${started}${roleOnly}; deferred to the next run: ${r.deferred.length}.${batches}`;
}

/** Publishes the notification when there is drift or an orphan folder; nothing otherwise. */
export async function publishDrift(sns: SNSClient, topicArn: string, notice: DriftNotice): Promise<void> {
  if (notice.summary.driftedAccounts === 0 && notice.summary.orphanFolders.length === 0) return;
  try {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: driftSubject(notice),
        Message: fitSnsMessage(
          driftNotification(notice),
          SNS_MAX_MESSAGE_BYTES,
          `\n… (cut to fit SNS; the full report is ${notice.reportKey} in the reconcile bucket)`,
        ),
      }),
    );
  } catch (err) {
    rethrowAws(err, `sns:Publish of the drift report to ${topicArn}`);
  }
}
