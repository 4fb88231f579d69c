/**
 * The run behind `npm start`: see local/main.ts. Returns the exit code (RUN_EXIT) and never throws: every failure
 * is printed as `<ErrorName>: <what happened and what was expected>`, never as a stack trace.
 *
 * The run checks what it did with the reads the product itself makes (git refs, trees and blobs, the pull request
 * list; AssumeRole, GetRole and ListAttachedRolePolicies), so any endpoint that can be onboarded against can be
 * checked too; a check that still cannot be made is reported under "not checked" and does not fail the run.
 */
import { ConfigError } from '../functions/lib/errors';
import { type Delivery, ensureBundles, type LocalEnvironment, startLocalEnvironment } from './environment';
import { describeError, RUN_EXIT, refuseRealAccounts, SetupError } from './setup-errors';
import { type AccountReport, checkPullRequest, checkRole } from './verify';

export interface RunOptions {
  accounts: number;
  keepDir?: string;
  awsEndpoint?: string;
  githubEndpoint?: string;
  repo?: string;
  /** Let `awsEndpoint` be AWS itself, where the run creates real accounts. */
  allowRealAccounts?: boolean;
  /** IAM evaluation on the embedded AWS stand-in (default on); `false` turns it off. */
  iam?: false | { scpFile?: string };
  json?: boolean;
  /** Where the report (or the one JSON document) goes; default standard output. */
  stdout?: (text: string) => void;
  /** Where errors go; default standard error. */
  stderr?: (text: string) => void;
}

export type { AccountReport } from './verify';

type ExitCode = (typeof RUN_EXIT)[keyof typeof RUN_EXIT];

export async function runLocal(options: RunOptions): Promise<ExitCode> {
  const started = Date.now();
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  // The functions log and publish metrics on standard output, as Lambda wants; here that output goes to standard
  // error, so standard output holds the report (or the one JSON document) alone.
  const diverted = divertStdout();
  const emit = (text: string) => diverted.pass(() => stdout(text));
  const say = options.json ? () => {} : (line = '') => emit(`${line}\n`);
  const fail = (error: unknown, exitCode: ExitCode): ExitCode => {
    const { name, message } = named(error);
    stderr(`${name}: ${message}\n`);
    if (options.json) emit(`${JSON.stringify({ ok: false, exitCode, error: { name, message } }, null, 2)}\n`);
    return exitCode;
  };

  try {
    let env: LocalEnvironment;
    try {
      refuseRealAccounts(options.awsEndpoint, options.allowRealAccounts);
      const built = await ensureBundles();
      say(
        `oidc-account-onboarding: local run (bundles ${built === 'built' ? 'built into' : 'up to date in'} dist/functions)`,
      );
      env = await startLocalEnvironment({
        handlers: 'bundles',
        awsEndpoint: options.awsEndpoint,
        allowRealAccounts: options.allowRealAccounts,
        githubEndpoint: options.githubEndpoint,
        repo: options.repo,
        keepDir: options.keepDir,
        aws: { iam: options.iam ?? {} },
      });
    } catch (error) {
      return fail(error, RUN_EXIT.setup);
    }
    try {
      return await onboardAndReport(env, options, { say, emit, started });
    } catch (error) {
      return fail(error, RUN_EXIT.failed);
    } finally {
      await env.stop().catch(() => {});
    }
  } finally {
    diverted.restore();
  }
}

async function onboardAndReport(
  env: LocalEnvironment,
  options: RunOptions,
  out: { say: (line?: string) => void; emit: (text: string) => void; started: number },
): Promise<ExitCode> {
  const { say } = out;
  printSetup(env, say);

  // Six base-36 digits of the clock: names repeat only after 25 days, and the folder is named after the account.
  const stamp = Date.now().toString(36).slice(-6);
  const names = Array.from(
    { length: options.accounts },
    (_, i) => `workload-sandbox-${stamp}-${String(i + 1).padStart(2, '0')}`,
  );
  const reports = await Promise.all(names.map((name) => onboardNewAccount(env, name)));

  for (const report of reports) printAccount(report, say);
  const invalid = env.github.standIn?.invalidRequests ?? [];
  const problems = [
    ...reports.flatMap((r) => r.problems.map((p) => `${r.name}: ${p}`)),
    ...(env.iam?.settings.denials ?? []).map((d) => `AWS refused ${d.operation}: ${d.message}`),
    ...invalid.map((r) => `GitHub stand-in rejected a request as invalid: ${JSON.stringify(r).slice(0, 300)}`),
  ];
  const unchecked = reports.flatMap((r) => r.unchecked.map((u) => `${r.name}: ${u}`));
  const seconds = ((Date.now() - out.started) / 1000).toFixed(1);
  const exitCode = problems.length === 0 ? RUN_EXIT.ok : RUN_EXIT.failed;
  if (options.json) {
    out.emit(
      `${JSON.stringify(
        {
          ok: problems.length === 0,
          exitCode,
          seconds: Number(seconds),
          aws: { endpoint: env.aws.endpoint, embedded: Boolean(env.aws.standIn) },
          github: { url: env.github.url, repository: `${env.github.owner}/${env.github.repo}` },
          setup: env.notes,
          accounts: reports,
          problems,
          unchecked,
        },
        null,
        2,
      )}\n`,
    );
    return exitCode;
  }
  if (options.keepDir && env.github.standIn) say(`Repository kept in ${options.keepDir}`);
  printVerdict({ accounts: reports.length, problems, unchecked, seconds }, say);
  return exitCode;
}

async function onboardNewAccount(env: LocalEnvironment, name: string): Promise<AccountReport> {
  const report: AccountReport = { name, accountId: '', executions: [], workflowDiff: [], problems: [], unchecked: [] };
  let created: Awaited<ReturnType<LocalEnvironment['createAccount']>>;
  try {
    created = await env.createAccount(name);
  } catch (error) {
    report.problems.push(describeError(error));
    return report;
  }
  report.accountId = created.accountId;
  const { owner, repo } = env.github;
  if (env.github.accountIds.has(created.accountId)) {
    report.problems.push(
      `AccountIdReused: the AWS endpoint gave the new account the id ${created.accountId}, which ${owner}/${repo} already onboards (an account folder or an onboarding pull request of an earlier run): expected a new id; the account was not onboarded, so that earlier pull request stays as it is`,
    );
    return report;
  }

  // EventBridge may deliver each event at the same time: the executions run concurrently, as they would in AWS.
  const deliveries: Delivery[] = await Promise.all(created.events.map((event) => env.deliver(event)));
  report.executions = deliveries
    .filter((d) => d.report)
    .map((d) => {
      const outcome = d.report?.outcome;
      return outcome?.status === 'SUCCEEDED'
        ? { rule: d.rule, status: outcome.status, output: outcome.output }
        : {
            rule: d.rule,
            status: outcome?.status ?? 'NOT_STARTED',
            error: outcome && 'error' in outcome ? `${outcome.error}: ${outcome.cause}` : undefined,
          };
    });
  const { problems } = report;
  if (report.executions.length === 0) problems.push('no EventBridge rule matched the account creation events');
  for (const e of report.executions)
    if (e.status !== 'SUCCEEDED') problems.push(`execution via ${e.rule} ${e.status}: ${e.error}`);

  await checkRole(env, report);
  await checkPullRequest(env, report);
  return report;
}

function printSetup(env: LocalEnvironment, say: (line?: string) => void): void {
  say(
    `  AWS     ${env.aws.standIn ? 'embedded stand-in' : 'endpoint'} ${env.aws.endpoint} (management ${env.aws.managementAccountId}, tooling ${env.aws.toolingAccountId})`,
  );
  say(
    `  GitHub  ${env.github.standIn ? 'embedded stand-in' : 'endpoint'} ${env.github.url} repo ${env.github.owner}/${env.github.repo}`,
  );
  say(`  Rules   ${env.rules.map((r) => r.id).join(', ')} (from the synthesized stack)`);
  if (env.iam) {
    const scps = env.aws.standIn?.authorization.serviceControlPolicies.policies.length ?? 0;
    say(
      `  IAM     evaluated: ${env.iam.roles.length} function roles as synthesized${scps > 0 ? `, ${scps} SCPs for member accounts` : ''}`,
    );
  }
  for (const note of env.notes) say(`  Setup   ${note}`);
  if (env.github.accountIds.size > 0) {
    say(
      `  Ids     the repository already holds ${env.github.accountIds.size} account id(s): no new account may reuse them`,
    );
  }
  say();
}

function printVerdict(
  verdict: { accounts: number; problems: string[]; unchecked: string[]; seconds: string },
  say: (line?: string) => void,
): void {
  if (verdict.problems.length > 0) {
    say('FAILED:');
    for (const p of verdict.problems) say(`  - ${p}`);
  } else {
    say(`OK: ${verdict.accounts} account(s) onboarded in ${verdict.seconds} s`);
  }
  if (verdict.unchecked.length > 0) {
    say(`Not checked (the endpoints did not allow it; the run does not fail for it):`);
    for (const u of verdict.unchecked) say(`  - ${u}`);
  }
}

function printAccount(report: AccountReport, say: (line?: string) => void): void {
  say(`Account ${report.name} (${report.accountId || 'not created'})`);
  for (const e of report.executions) {
    const output = e.output as { role?: { outcome?: string }; pullRequest?: { outcome?: string } } | undefined;
    const detail =
      e.status === 'SUCCEEDED'
        ? `role ${output?.role?.outcome}, pull request ${output?.pullRequest?.outcome}`
        : e.error;
    say(`  execution from ${e.rule}: ${e.status} (${detail})`);
  }
  if (report.role) {
    say(`  Role ${report.role.arn}`);
    say(`    policies: ${report.role.policies.join(', ')}`);
    say(
      `    tags: ${Object.entries(report.role.tags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
    say('    trust policy (read back from IAM, URL-decoded):');
    for (const line of JSON.stringify(report.role.trustPolicy, null, 2).split('\n')) say(`      ${line}`);
  }
  if (report.pullRequest) {
    const pr = report.pullRequest;
    say(`  Pull request #${pr.number} ${pr.title}`);
    say(`    ${pr.url} (branch ${pr.branch})`);
    for (const f of pr.files) say(`    + ${f}`);
    if (report.workflowDiff.length > 0) {
      say('    workflow diff:');
      for (const line of report.workflowDiff) say(`      ${line}`);
    }
  }
  for (const u of report.unchecked) say(`  not checked: ${u}`);
  say();
}

/** The name and message to print for anything thrown: named errors as they are, anything else by its class. */
function named(error: unknown): { name: string; message: string } {
  if (error instanceof SetupError || error instanceof ConfigError) return { name: error.name, message: error.message };
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message.split('\n')[0] ?? '' };
  return { name: 'Error', message: String(error) };
}

/**
 * Sends whatever is written to standard output to standard error until restored, except what `pass` writes:
 * the functions' log and metric lines stay visible without mixing into the report or the JSON document.
 */
function divertStdout(): { pass<T>(write: () => T): T; restore(): void } {
  const original = process.stdout.write;
  let passing = false;
  process.stdout.write = function write(this: unknown, ...args: unknown[]) {
    const target = passing ? process.stdout : process.stderr;
    return (passing ? original : process.stderr.write).apply(target, args as Parameters<typeof original>);
  } as typeof process.stdout.write;
  return {
    pass(write) {
      passing = true;
      try {
        return write();
      } finally {
        passing = false;
      }
    },
    restore() {
      process.stdout.write = original;
    },
  };
}
