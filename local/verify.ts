/**
 * How a local run checks what an onboarding did, with the reads the product itself makes (AssumeRole, GetRole and
 * ListAttachedRolePolicies; the pull request list, git refs, trees and blobs), so that any endpoint that can be
 * onboarded against can be checked too. A check the endpoint still does not allow goes to `unchecked` with the
 * reason: it is reported, and does not fail the run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEnvironment, RoleView } from './environment';
import { describeError } from './setup-errors';

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

/** The cicd role as IAM holds it: missing is a problem, unreadable is unchecked. */
export async function checkRole(env: LocalEnvironment, report: AccountReport): Promise<void> {
  const { cicdRoleName } = env.config;
  try {
    report.role = await env.readRole(report.accountId);
    if (!report.role) report.problems.push(`role ${cicdRoleName} missing in ${report.accountId}`);
  } catch (error) {
    report.unchecked.push(
      `the role ${cicdRoleName} in ${report.accountId} could not be read (${describeError(error)})`,
    );
  }
}

/** The onboarding pull request, its files and its one-line workflow change. */
export async function checkPullRequest(env: LocalEnvironment, report: AccountReport): Promise<void> {
  const { owner, repo } = env.github;
  let pull: Awaited<ReturnType<typeof findPullRequest>>;
  try {
    pull = await findPullRequest(env, report.accountId);
  } catch (error) {
    report.unchecked.push(`the pull requests of ${owner}/${repo} could not be listed (${describeError(error)})`);
    return;
  }
  if (!pull) {
    report.problems.push('no onboarding pull request');
    return;
  }
  const { headSha, ...shown } = pull;
  report.pullRequest = { ...shown, files: [] };
  try {
    const change = await branchChange(env, headSha);
    report.pullRequest.files = change.files;
    if (change.truncated) report.unchecked.push('the files of the pull request: the endpoint truncated the tree');
    report.workflowDiff = await workflowChange(env, pull.branch, change.workflow);
  } catch (error) {
    report.unchecked.push(
      `the files and the workflow change of pull request #${pull.number} could not be read (${describeError(error)})`,
    );
    return;
  }
  if (report.workflowDiff.filter((l) => l.startsWith('+') || l.startsWith('-')).length !== 2) {
    report.problems.push(`the workflow change is not exactly one line:\n${report.workflowDiff.join('\n')}`);
  }
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
