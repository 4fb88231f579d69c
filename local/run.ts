/**
 * The run behind `npm start`: see local/main.ts. Returns the exit code (RUN_EXIT) and never throws: every failure
 * is printed as `<ErrorName>: <what happened and what was expected>`, never as a stack trace.
 *
 * The run checks what it did with the reads the product itself makes (git refs, trees and blobs, the pull request
 * list; AssumeRole, GetRole and ListAttachedRolePolicies), so any endpoint that can be onboarded against can be
 * checked too; a check that still cannot be made is reported under "not checked" and does not fail the run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../functions/lib/errors';
import {
  type Delivery,
  ensureBundles,
  type LocalEnvironment,
  type RoleView,
  startLocalEnvironment,
} from './environment';
import { describeError, RUN_EXIT, refuseRealAccounts, SetupError } from './setup-errors';

export interface RunOptions {
  accounts: number;
  keepDir?: string;
  awsEndpoint?: string;
  githubEndpoint?: string;
  repo?: string;
  /** Let `awsEndpoint` be AWS itself, where the run creates real accounts. */
  allowRealAccounts?: boolean;
  json?: boolean;
  /** Where the report (or the one JSON document) goes; default standard output. */
  stdout?: (text: string) => void;
  /** Where errors go; default standard error. */
  stderr?: (text: string) => void;
}

export interface AccountReport {
  name: string;
  accountId: string;
  executions: { rule: string | undefined; status: string; error?: string; output?: unknown }[];
  role?: RoleView;
  pullRequest?: { number: number; url: string; title: string; branch: string; files: string[] };
  workflowDiff: string[];
  problems: string[];
  /** Checks the endpoints did not let the run make (what, and why); they do not fail the run. */
  unchecked: string[];
}

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
  say(
    `  AWS     ${env.aws.standIn ? 'embedded stand-in' : 'endpoint'} ${env.aws.endpoint} (management ${env.aws.managementAccountId}, tooling ${env.aws.toolingAccountId})`,
  );
  say(
    `  GitHub  ${env.github.standIn ? 'embedded stand-in' : 'endpoint'} ${env.github.url} repo ${env.github.owner}/${env.github.repo}`,
  );
  say(`  Rules   ${env.rules.map((r) => r.id).join(', ')} (from the synthesized stack)`);
  for (const note of env.notes) say(`  Setup   ${note}`);
  if (env.github.accountIds.size > 0) {
    say(`  Ids     the repository already holds ${env.github.accountIds.size} account id(s); new accounts get others`);
  }
  say();

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
  if (problems.length > 0) {
    say('FAILED:');
    for (const p of problems) say(`  - ${p}`);
  } else {
    say(`OK: ${reports.length} account(s) onboarded in ${seconds} s`);
  }
  if (unchecked.length > 0) {
    say(`Not checked (the endpoints did not allow it; the run does not fail for it):`);
    for (const u of unchecked) say(`  - ${u}`);
  }
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
  const { problems, unchecked } = report;
  if (report.executions.length === 0) problems.push('no EventBridge rule matched the account creation events');
  for (const e of report.executions)
    if (e.status !== 'SUCCEEDED') problems.push(`execution via ${e.rule} ${e.status}: ${e.error}`);

  try {
    report.role = await env.readRole(created.accountId);
    if (!report.role) problems.push(`role ${env.config.cicdRoleName} missing in ${created.accountId}`);
  } catch (error) {
    unchecked.push(
      `the role ${env.config.cicdRoleName} in ${created.accountId} could not be read (${describeError(error)})`,
    );
  }

  let pull: Awaited<ReturnType<typeof findPullRequest>>;
  try {
    pull = await findPullRequest(env, created.accountId);
  } catch (error) {
    unchecked.push(`the pull requests of ${owner}/${repo} could not be listed (${describeError(error)})`);
    return report;
  }
  if (!pull) {
    problems.push('no onboarding pull request');
    return report;
  }
  report.pullRequest = { ...pull, files: [] };
  try {
    const change = await branchChange(env, pull.headSha);
    report.pullRequest.files = change.files;
    if (change.truncated) unchecked.push('the files of the pull request: the endpoint truncated the recursive tree');
    report.workflowDiff = await workflowChange(env, pull.branch, change.workflow);
  } catch (error) {
    unchecked.push(
      `the files and the workflow change of pull request #${pull.number} could not be read (${describeError(error)})`,
    );
    return report;
  }
  if (report.workflowDiff.filter((l) => l.startsWith('+') || l.startsWith('-')).length !== 2) {
    problems.push(`the workflow change is not exactly one line:\n${report.workflowDiff.join('\n')}`);
  }
  return report;
}

/** The account's onboarding pull request, from the list the product reads too (`GET /pulls?head=…&state=all`). */
async function findPullRequest(env: LocalEnvironment, accountId: string) {
  const { octokit, owner, repo } = env.github;
  const branch = `${env.config.github.branchPrefix}${accountId}`;
  const { data } = await octokit.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'all' });
  const pull = data[0];
  if (!pull) return undefined;
  return { number: pull.number, url: pull.html_url, title: pull.title, branch, headSha: pull.head.sha };
}

interface BranchChange {
  /** Paths added or changed on the branch against the base branch. */
  files: string[];
  truncated: boolean;
  /** Blob shas of the workflow on the base branch and on the branch. */
  workflow: { base?: string; head?: string };
}

/** What the branch changes against the base branch, from the two recursive trees (the product's own reads). */
async function branchChange(env: LocalEnvironment, headSha: string): Promise<BranchChange> {
  const { octokit, owner, repo } = env.github;
  const { baseBranch, workflowPath } = env.config.github;
  const baseSha = (await octokit.git.getRef({ owner, repo, ref: `heads/${baseBranch}` })).data.object.sha;
  const [base, head] = await Promise.all(
    [baseSha, headSha].map(async (sha) => {
      const { data } = await octokit.git.getTree({ owner, repo, tree_sha: sha, recursive: '1' });
      const blobs = new Map(data.tree.filter((e) => e.type === 'blob' && e.path).map((e) => [e.path, e.sha]));
      return { blobs, truncated: data.truncated };
    }),
  );
  if (!base || !head) throw new Error('unreachable: two trees were read');
  const files = [...head.blobs].filter(([path, sha]) => base.blobs.get(path) !== sha).map(([path]) => path);
  return {
    files: files.sort(),
    truncated: base.truncated || head.truncated,
    workflow: { base: base.blobs.get(workflowPath), head: head.blobs.get(workflowPath) },
  };
}

/** The workflow diff of the onboarding branch against the base: from a real `git clone` when the repository is local
 * and git is installed, else from the two blobs read through the API (prefix and suffix trimmed). */
async function workflowChange(
  env: LocalEnvironment,
  branch: string,
  blobs: BranchChange['workflow'],
): Promise<string[]> {
  const workflow = env.config.github.workflowPath;
  const base = env.config.github.baseBranch;
  const source = env.github.standIn?.repoDir;
  if (source && hasGit()) {
    const dir = mkdtempSync(join(tmpdir(), 'onboarding-clone-'));
    try {
      execFileSync('git', ['clone', '--quiet', '--no-single-branch', source, dir], { stdio: 'pipe' });
      const diff = execFileSync(
        'git',
        ['-C', dir, 'diff', '--unified=0', `origin/${base}`, `origin/${branch}`, '--', workflow],
        { encoding: 'utf8' },
      );
      return diff.split('\n').filter((l) => /^[-+@](?!--|\+\+)/.test(l));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const read = async (sha: string | undefined) => {
    if (!sha) return [];
    const { owner, repo, octokit } = env.github;
    const { data } = await octokit.git.getBlob({ owner, repo, file_sha: sha });
    return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8')
      .toString('utf8')
      .split('\n');
  };
  const [before, after] = await Promise.all([read(blobs.base), read(blobs.head)]);
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  )
    end++;
  return [
    `@@ line ${start + 1} (read through the API) @@`,
    ...before.slice(start, before.length - end).map((l) => `-${l}`),
    ...after.slice(start, after.length - end).map((l) => `+${l}`),
  ];
}

function hasGit(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
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
