/** `run`, `status` and `reconcile`: start the deployed state machines, follow them, and read their results. */
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DRIFT_CLASSES, type DriftSummary } from '../functions/lib/drift';
import { s3ObjectStore } from '../functions/lib/object-store';
import type { PullRequestResult, RoleResult } from '../functions/lib/types';
import type { ReportResult } from '../functions/reconcile-report/handler';
import {
  awsClientConfig,
  CliError,
  causeMessage,
  EXIT,
  type ExitCode,
  type GlobalOptions,
  type Io,
  Output,
  regionOfArn,
  requireAccountId,
  sleep,
  stateMachineArn,
  timestamp,
  whatToDo,
} from './shared';

/** The output of a successful onboarding execution (the `Done` state), or of a skipped one. */
type OnboardingOutput =
  | {
      outcome: 'onboarded';
      accountId: string;
      accountName: string;
      folder: string;
      trigger: string;
      role: Omit<RoleResult, 'accessRole'>;
      pullRequest: PullRequestResult;
    }
  | { decision: 'skip'; accountId: string; reason: string }
  /** The other event's execution of the same account creation (it holds the account's claim). */
  | { decision: 'duplicate'; accountId: string; claimedBy: string; claimedAt: string };

export interface FollowedExecution {
  executionArn: string;
  name: string;
  status: string;
  states: string[];
  output?: unknown;
  error?: string;
  cause?: string;
}

const sfnFor = (options: GlobalOptions, arn: string) => new SFNClient(awsClientConfig(options, regionOfArn(arn)));

/** StartExecution under `<prefix>-<yyyymmddHHMMss>`, with `-2`, `-3`… when that name was already used. */
async function start(sfn: SFNClient, arn: string, prefix: string, input: unknown) {
  const base = `${prefix}-${timestamp()}`;
  for (let attempt = 1; ; attempt++) {
    const name = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      const started = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }),
      );
      return { name, executionArn: started.executionArn as string };
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists) || attempt >= 20) throw error;
    }
  }
}

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Polls DescribeExecution and GetExecutionHistory until the execution ends, printing each state entered. */
async function follow(sfn: SFNClient, executionArn: string, name: string, io: Io, out: Output) {
  const seen = new Set<number>();
  const states: string[] = [];
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (const event of await history(sfn, executionArn)) {
      if (event.id === undefined || seen.has(event.id)) continue;
      seen.add(event.id);
      const entered = event.stateEnteredEventDetails?.name;
      if (entered && event.type?.endsWith('StateEntered')) {
        states.push(entered);
        out.line(`  → ${entered}`);
      }
      const failure = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
      if (failure?.error) out.line(`    ${failure.error}: ${causeMessage(failure.cause) ?? ''}`.trimEnd());
    }
    if (described.status !== 'RUNNING' && described.status !== 'PENDING_REDRIVE') {
      return { ...summary(described, name), states } satisfies FollowedExecution;
    }
    await sleep(io.pollIntervalMs);
  }
}

function summary(d: DescribeExecutionCommandOutput, name: string): Omit<FollowedExecution, 'states'> {
  return {
    executionArn: d.executionArn as string,
    name: d.name ?? name,
    status: d.status ?? 'UNKNOWN',
    ...(d.output ? { output: JSON.parse(d.output) as unknown } : {}),
    ...(d.error ? { error: d.error } : {}),
    ...(d.cause ? { cause: causeMessage(d.cause) } : {}),
  };
}

function printFailure(out: Output, e: FollowedExecution): void {
  out.line(`FAILED ${e.status === 'FAILED' ? '' : `(${e.status}) `}${e.error ?? ''}`.trimEnd());
  if (e.cause) out.line(`  cause: ${e.cause}`);
  out.line(`  what to do: ${whatToDo(e.error)}`);
  out.line(`  execution: ${e.executionArn}`);
}

export async function runCommand(
  accountId: string,
  flags: { force?: boolean; wait?: boolean },
  options: GlobalOptions,
  io: Io,
): Promise<ExitCode> {
  requireAccountId(accountId);
  const out = new Output(io, options.json);
  const arn = stateMachineArn('onboarding', options, io);
  const sfn = sfnFor(options, arn);
  const input = { accountId, ...(flags.force ? { force: true } : {}) };
  const { name, executionArn } = await start(sfn, arn, `manual-${accountId}`, input);
  out.line(`Started ${name}${flags.force ? ' (force)' : ''}`);
  out.line(`  ${executionArn}`);
  if (flags.wait === false) {
    // Started, not followed: many accounts can be re-run at once, and `status` shows how each one ended.
    out.line(`  not followed (--no-wait); see how it ends with: status ${accountId}`);
    out.document({ name, executionArn, status: 'RUNNING', accountId });
    return EXIT.ok;
  }
  const followed = await follow(sfn, executionArn, name, io, out);
  const ok = followed.status === 'SUCCEEDED';
  const hint = ok ? undefined : whatToDo(followed.error);
  out.document({ ...followed, ...(hint ? { whatToDo: hint } : {}) });
  if (!ok) {
    printFailure(out, followed);
    return EXIT.failed;
  }
  const output = followed.output as OnboardingOutput;
  if ('decision' in output && output.decision === 'duplicate') {
    out.line(`Duplicate for ${output.accountId}: ${output.claimedBy} onboards this account creation`);
    return EXIT.ok;
  }
  if ('decision' in output) {
    out.line(`Skipped ${output.accountId}: ${output.reason}`);
    out.line(
      '  nothing was changed; run with --force to onboard it anyway (never the management or a suspended account)',
    );
    return EXIT.ok;
  }
  out.line(`Onboarded ${output.accountName} (${output.accountId}) into ${output.folder}`);
  const changes = output.role.changes.length > 0 ? ` — ${output.role.changes.join('; ')}` : '';
  out.line(`  role ${output.role.outcome}: ${output.role.roleArn}${changes}`);
  out.line(`  pull request ${pullRequestLine(output.pullRequest)}`);
  return EXIT.ok;
}

function pullRequestLine(pr: PullRequestResult): string {
  const number = pr.number === undefined ? '' : ` #${pr.number}`;
  const url = pr.url ? ` ${pr.url}` : '';
  const extra =
    pr.outcome === 'declined'
      ? ' (closed unmerged by a person: run with --force to open it again)'
      : pr.outcome === 'already-onboarded'
        ? ' (the base branch already has the folder and the matrix entry)'
        : '';
  return `${pr.outcome}${number}${url}${extra}`;
}

/** One line per execution: when, status, name and what it did. */
export async function statusCommand(
  accountId: string | undefined,
  flags: { limit?: string },
  options: GlobalOptions,
  io: Io,
): Promise<ExitCode> {
  if (accountId !== undefined) requireAccountId(accountId);
  const limit = Number(flags.limit ?? '20');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new CliError(`--limit expects a whole number from 1 to 1000, got "${flags.limit}"`, EXIT.usage);
  }
  const out = new Output(io, options.json);
  const arn = stateMachineArn('onboarding', options, io);
  const sfn = sfnFor(options, arn);

  const rows: Array<ReturnType<typeof statusRow>> = [];
  let nextToken: string | undefined;
  let examined = 0;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 100, nextToken }));
    nextToken = page.nextToken;
    const described = await Promise.all(
      (page.executions ?? []).map((e) => sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }))),
    );
    examined += described.length;
    for (const d of described) {
      const mentions = [d.name, d.input, d.output].some((text) => text?.includes(accountId ?? ''));
      if (accountId === undefined || mentions) rows.push(statusRow(d));
      if (rows.length >= limit) break;
    }
  } while (nextToken && rows.length < limit && examined < 1000);

  out.document({ stateMachineArn: arn, ...(accountId ? { accountId } : {}), executions: rows });
  if (rows.length === 0) {
    out.line(`No executions${accountId ? ` for account ${accountId}` : ''} of ${arn}`);
    return EXIT.ok;
  }
  for (const row of rows) {
    out.line(`${row.startDate}  ${row.status.padEnd(9)}  ${row.name}`);
    out.line(`    ${row.summary}`);
  }
  return EXIT.ok;
}

function statusRow(d: DescribeExecutionCommandOutput) {
  const output = d.output ? (JSON.parse(d.output) as OnboardingOutput) : undefined;
  let accountId: string | undefined;
  let text: string;
  let pullRequestUrl: string | undefined;
  if (output && 'decision' in output && output.decision === 'duplicate') {
    accountId = output.accountId;
    text = `duplicate ${output.accountId}: the other event's execution onboards it (${output.claimedBy.split(':').pop()})`;
  } else if (output && 'decision' in output) {
    accountId = output.accountId;
    text = `skipped ${output.accountId}: ${output.reason}`;
  } else if (output) {
    accountId = output.accountId;
    pullRequestUrl = output.pullRequest.url;
    text = `${output.accountName} (${output.accountId}): role ${output.role.outcome}, pull request ${pullRequestLine(output.pullRequest)}`;
  } else if (d.status === 'RUNNING') {
    text = 'running';
  } else {
    text = `${d.error ?? d.status}: ${causeMessage(d.cause) ?? 'no cause given'}`;
  }
  accountId ??= (() => {
    try {
      const input = JSON.parse(d.input ?? '{}') as { accountId?: unknown };
      return typeof input.accountId === 'string' ? input.accountId : undefined;
    } catch {
      return undefined;
    }
  })();
  return {
    name: d.name ?? '',
    executionArn: d.executionArn ?? '',
    status: d.status ?? 'UNKNOWN',
    startDate: d.startDate ? d.startDate.toISOString().replace('T', ' ').slice(0, 19) : '',
    ...(accountId ? { accountId } : {}),
    ...(output ? { output } : {}),
    ...(d.error ? { error: d.error, cause: causeMessage(d.cause) } : {}),
    ...(pullRequestUrl ? { pullRequestUrl } : {}),
    summary: text,
  };
}

interface StoredReport {
  summary: DriftSummary;
  remediation: { started: Array<{ accountId: string }>; deferred: string[] };
}

/** Starts a sweep, follows it, prints the counts by class and, with the report bucket, each drifted account. */
export async function reconcileCommand(
  flags: { remediate?: boolean; reportBucket?: string },
  options: GlobalOptions,
  io: Io,
): Promise<ExitCode> {
  const out = new Output(io, options.json);
  const arn = stateMachineArn('reconcile', options, io);
  const sfn = sfnFor(options, arn);
  const mode = flags.remediate ? 'remediate' : 'report';
  const { name, executionArn } = await start(sfn, arn, `manual-reconcile`, { mode });
  out.line(`Started ${name} (${mode})`);
  out.line(`  ${executionArn}`);
  const followed = await follow(sfn, executionArn, name, io, out);
  if (followed.status !== 'SUCCEEDED') {
    out.document({ ...followed, whatToDo: whatToDo(followed.error) });
    printFailure(out, followed);
    return EXIT.failed;
  }
  const result = followed.output as ReportResult;
  const bucket = flags.reportBucket ?? io.env.RECONCILE_BUCKET;
  const report = bucket
    ? await s3ObjectStore({
        client: new S3Client({ ...awsClientConfig(options, regionOfArn(arn)), forcePathStyle: true }),
        bucket,
      }).getJson<StoredReport>(result.reportKey)
    : undefined;
  out.document({ ...followed, report: report ?? null });

  out.line(
    `Checked ${result.accountsChecked} account(s) in ${result.mode} mode: ${result.driftedAccounts} drifted, ${result.orphanFolders} orphan folder(s)`,
  );
  const counts = DRIFT_CLASSES.filter((c) => (result.counts[c] ?? 0) > 0);
  for (const c of counts) out.line(`  ${c.padEnd(26)} ${result.counts[c]}`);
  if (report) {
    for (const a of report.summary.accounts) {
      out.line(`${a.accountId} (${a.name})${a.remediable ? '' : ' [needs a person]'}`);
      for (const d of a.details) out.line(`  - ${d}`);
    }
    for (const o of report.summary.orphanFolders) out.line(`orphan folder ${o.folder}: ${o.reason}`);
  } else if (result.driftedAccounts > 0 || result.orphanFolders > 0) {
    out.line(
      `Per-account findings: ${result.reportKey} in the reconcile bucket (pass --report-bucket BUCKET or set RECONCILE_BUCKET to print them here)`,
    );
  }
  if (result.mode === 'remediate') {
    out.line(
      `Remediation: ${result.started + result.alreadyStarted} onboarding execution(s) started, ${result.deferred} deferred to the next run`,
    );
  }
  return result.driftedAccounts > 0 || result.orphanFolders > 0 ? EXIT.failed : EXIT.ok;
}
