/** The run behind `npm start`: see local/main.ts. Returns whether everything succeeded. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Delivery,
  ensureBundles,
  type LocalEnvironment,
  type RoleView,
  startLocalEnvironment,
} from './environment';

export interface RunOptions {
  accounts: number;
  keepDir?: string;
  /** IAM evaluation on the embedded AWS stand-in (default on); `false` turns it off. */
  iam?: false | { scpFile?: string };
  awsEndpoint?: string;
  githubEndpoint?: string;
  repo?: string;
  json?: boolean;
}

export interface AccountReport {
  name: string;
  accountId: string;
  executions: { rule: string | undefined; status: string; error?: string; output?: unknown }[];
  role?: RoleView;
  pullRequest?: { number: number; url: string; title: string; branch: string; files: string[] };
  workflowDiff: string[];
  problems: string[];
}

export async function runLocal(options: RunOptions): Promise<boolean> {
  const started = Date.now();
  const say = options.json ? () => {} : (line = '') => console.log(line);
  const built = await ensureBundles();
  say(
    `oidc-account-onboarding: local run (bundles ${built === 'built' ? 'built into' : 'up to date in'} dist/functions)`,
  );

  const env = await startLocalEnvironment({
    handlers: 'bundles',
    awsEndpoint: options.awsEndpoint,
    githubEndpoint: options.githubEndpoint,
    repo: options.repo,
    keepDir: options.keepDir,
    aws: { iam: options.iam ?? {} },
  });
  try {
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
    say();

    const stamp = Date.now().toString(36).slice(-4);
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
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (options.json) {
      console.log(
        JSON.stringify({ ok: problems.length === 0, seconds: Number(seconds), accounts: reports, problems }, null, 2),
      );
    } else {
      if (options.keepDir && env.github.standIn) say(`Repository kept in ${options.keepDir}`);
      if (problems.length > 0) {
        say('FAILED:');
        for (const p of problems) say(`  - ${p}`);
      } else {
        say(`OK: ${reports.length} account(s) onboarded in ${seconds} s`);
      }
    }
    return problems.length === 0;
  } finally {
    await env.stop();
  }
}

async function onboardNewAccount(env: LocalEnvironment, name: string): Promise<AccountReport> {
  const created = await env.createAccount(name);
  // EventBridge may deliver each event at the same time: the executions run concurrently, as they would in AWS.
  const deliveries: Delivery[] = await Promise.all(created.events.map((event) => env.deliver(event)));
  const executions = deliveries
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
  const problems: string[] = [];
  if (executions.length === 0) problems.push('no EventBridge rule matched the account creation events');
  for (const e of executions)
    if (e.status !== 'SUCCEEDED') problems.push(`execution via ${e.rule} ${e.status}: ${e.error}`);

  const role = await env.readRole(created.accountId);
  if (!role) problems.push(`role ${env.config.cicdRoleName} missing in ${created.accountId}`);

  const pullRequest = await findPullRequest(env, created.accountId);
  if (!pullRequest) problems.push('no onboarding pull request');
  const workflowDiff = pullRequest ? await workflowChange(env, pullRequest.branch) : [];
  if (pullRequest && workflowDiff.filter((l) => l.startsWith('+') || l.startsWith('-')).length !== 2) {
    problems.push(`the workflow change is not exactly one line:\n${workflowDiff.join('\n')}`);
  }
  return { name, accountId: created.accountId, executions, role, pullRequest, workflowDiff, problems };
}

async function findPullRequest(env: LocalEnvironment, accountId: string) {
  const { octokit, owner, repo } = env.github;
  const branch = `${env.config.github.branchPrefix}${accountId}`;
  const { data } = await octokit.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'all' });
  const pull = data[0];
  if (!pull) return undefined;
  const files = await octokit.pulls.listFiles({ owner, repo, pull_number: pull.number });
  return {
    number: pull.number,
    url: pull.html_url,
    title: pull.title,
    branch,
    files: files.data.map((f) => f.filename),
  };
}

/** The workflow diff of the onboarding branch against the base: from a real `git clone` when the repository is local
 * and git is installed, else from the two versions read through the API (prefix and suffix trimmed). */
async function workflowChange(env: LocalEnvironment, branch: string): Promise<string[]> {
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
  const read = async (ref: string) => {
    const { owner, repo, octokit } = env.github;
    const { data } = await octokit.repos.getContent({ owner, repo, path: workflow, ref });
    return Buffer.from((data as { content: string }).content, 'base64')
      .toString('utf8')
      .split('\n');
  };
  const [before, after] = await Promise.all([read(base), read(branch)]);
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
  say(`Account ${report.name} (${report.accountId})`);
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
    say('    workflow diff:');
    for (const line of report.workflowDiff) say(`      ${line}`);
  }
  say();
}
