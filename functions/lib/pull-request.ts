import type { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from './config';
import { WorkflowMatrixNotFound } from './errors';
import { baseCommitSha, githubMessage, httpStatus, toNamedGitHubError } from './github-client';
import { logger } from './logger';
import {
  type OnboardingChange,
  parseOnboardingMarker,
  planOnboardingChange,
  TFVARS_FILE,
  type TreeEntry,
  tfvarsAccountId,
} from './onboarding-change';
import { accountFolder, collisionSlug } from './slug';
import type { AccountContext, PullRequestOutcome, PullRequestResult, RoleResult } from './types';

export interface OnboardingPullRequestInput {
  account: AccountContext;
  role: RoleResult;
  drift: string[];
  force: boolean;
  executionUrl?: string;
}

type Change = Extract<OnboardingChange, { kind: 'change' }>;
type PullSummary = { number: number; state: string; html_url: string; body?: string | null; merged_at?: string | null };

/** The deterministic branch of an account's onboarding: every run for the account converges on it. */
export const onboardingBranch = (config: OnboardingConfig, accountId: string): string =>
  `${config.github.branchPrefix}${accountId}`;

/**
 * Converges the Terraform repo on one open pull request that onboards the account: one commit on a deterministic
 * branch holding the missing files and the matrix line, built on the current base. Safe to run any number of
 * times, concurrently: runs that find nothing to do make 4 read calls; a new account costs 8 calls.
 */
export async function ensureOnboardingPullRequest(
  octokit: Octokit,
  config: OnboardingConfig,
  input: OnboardingPullRequestInput,
): Promise<PullRequestResult> {
  const { account } = input;
  const { owner, repo, baseBranch, workflowPath } = config.github;
  const repoRef = { owner, repo };
  const branch = onboardingBranch(config, account.accountId);

  const { base, plan } = await planAgainstBase(octokit, config, input);
  if (plan.kind === 'already-onboarded') {
    logger.info('Base branch already onboards the account', { folder: plan.folder, baseBranch });
    return { outcome: 'already-onboarded', branch, files: [] };
  }
  const files = [...plan.files.map((f) => f.path), ...(plan.workflowChanged ? [workflowPath] : [])];

  const pulls = await listBranchPulls(octokit, config, branch);
  const decision = decide(plan.contentHash, pulls, input);
  const open = decision.open;
  if (decision.outcome === 'unchanged' || decision.outcome === 'declined') {
    const pr = decision.pull;
    if (decision.outcome === 'declined') {
      logger.info('Onboarding pull request was closed unmerged; not reopening without force', { number: pr.number });
    }
    return { outcome: decision.outcome, branch, number: pr.number, url: pr.html_url, files };
  }

  const commitSha = await commitChange(octokit, config, plan, base);
  await pointBranchAt(octokit, config, branch, commitSha, open !== undefined);

  if (open) {
    await gh('update the onboarding pull request', () =>
      octokit.rest.pulls.update({ ...repoRef, pull_number: open.number, title: plan.title, body: plan.body }),
    );
    return { outcome: 'updated', branch, number: open.number, url: open.html_url, files };
  }

  let created: PullSummary;
  try {
    created = (
      await octokit.rest.pulls.create({
        ...repoRef,
        head: branch,
        base: baseBranch,
        title: plan.title,
        body: plan.body,
      })
    ).data;
  } catch (err) {
    if (!(httpStatus(err) === 422 && /pull request already exists/i.test(githubMessage(err)))) {
      throw toNamedGitHubError(err, 'open the onboarding pull request');
    }
    // A concurrent run opened it between our list and our create: that is success.
    const twin = (await listBranchPulls(octokit, config, branch)).find((p) => p.state === 'open');
    if (!twin) throw toNamedGitHubError(err, 'open the onboarding pull request');
    if (parseOnboardingMarker(twin.body)?.hash === plan.contentHash) {
      return { outcome: 'opened', branch, number: twin.number, url: twin.html_url, files };
    }
    await gh('update the onboarding pull request', () =>
      octokit.rest.pulls.update({ ...repoRef, pull_number: twin.number, title: plan.title, body: plan.body }),
    );
    return { outcome: 'updated', branch, number: twin.number, url: twin.html_url, files };
  }
  await decoratePullRequest(octokit, config, created.number);
  logger.info('Opened onboarding pull request', { number: created.number, branch, files });
  return { outcome: 'opened', branch, number: created.number, url: created.html_url, files };
}

export interface OnboardingPullRequestPreview {
  branch: string;
  /** What `ensureOnboardingPullRequest` would report now: `opened` and `updated` mean it would write. */
  outcome: PullRequestOutcome;
  plan: OnboardingChange;
  /** The workflow file on the base branch, to diff against `plan.workflowText`. */
  baseWorkflowText: string;
  /** The pull requests of the onboarding branch, newest first. */
  pulls: Array<{ number: number; state: string; url: string; merged: boolean }>;
}

/**
 * Read-only: what `ensureOnboardingPullRequest` would commit and report for the account against the current base,
 * without writing anything (the same reads: the base ref, its tree, the workflow and tfvars blobs, the branch's PRs).
 */
export async function previewOnboardingPullRequest(
  octokit: Octokit,
  config: OnboardingConfig,
  input: OnboardingPullRequestInput,
): Promise<OnboardingPullRequestPreview> {
  const { account } = input;
  const branch = onboardingBranch(config, account.accountId);
  const { base, plan } = await planAgainstBase(octokit, config, input);
  const pulls = await listBranchPulls(octokit, config, branch);
  const outcome: PullRequestOutcome =
    plan.kind === 'already-onboarded' ? 'already-onboarded' : decide(plan.contentHash, pulls, input).outcome;
  return {
    branch,
    outcome,
    plan,
    baseWorkflowText: base.workflowText,
    pulls: pulls.map((p) => ({ number: p.number, state: p.state, url: p.html_url, merged: Boolean(p.merged_at) })),
  };
}

/** Reads the base branch and plans the change against it: the first half of both ensure and preview. */
async function planAgainstBase(octokit: Octokit, config: OnboardingConfig, input: OnboardingPullRequestInput) {
  const base = await readBase(octokit, config, input.account);
  const plan = planOnboardingChange({
    account: input.account,
    role: input.role,
    config,
    baseTree: base.tree,
    workflowText: base.workflowText,
    existingFolderAccountId: base.existingFolderAccountId,
    drift: input.drift,
    executionUrl: input.executionUrl,
  });
  return { base, plan };
}

type Decision =
  | { outcome: 'unchanged' | 'declined'; pull: PullSummary; open?: PullSummary }
  | { outcome: 'updated'; open: PullSummary }
  | { outcome: 'opened'; open?: undefined };

/**
 * What the branch's pull requests call for: an open PR carrying this change's hash is `unchanged` (unless forced or
 * reported stale); a PR a human closed unmerged, with none open, is `declined` (unless forced); an open PR is
 * `updated`; otherwise one is `opened`.
 */
function decide(contentHash: string, pulls: PullSummary[], input: OnboardingPullRequestInput): Decision {
  const open = pulls.find((p) => p.state === 'open');
  const regenerate = input.force || input.drift.includes('pr-stale');
  if (open && !regenerate && parseOnboardingMarker(open.body)?.hash === contentHash) {
    return { outcome: 'unchanged', pull: open, open };
  }
  const lastClosed = pulls.find((p) => p.state !== 'open');
  if (!open && lastClosed && !lastClosed.merged_at && !input.force) return { outcome: 'declined', pull: lastClosed };
  return open ? { outcome: 'updated', open } : { outcome: 'opened' };
}

interface BaseState {
  commitSha: string;
  treeSha: string;
  tree: TreeEntry[];
  workflowText: string;
  existingFolderAccountId?: string;
}

async function readBase(octokit: Octokit, config: OnboardingConfig, account: AccountContext): Promise<BaseState> {
  const { owner, repo, baseBranch, workflowPath, accountsDir } = config.github;
  const commitSha = await baseCommitSha(octokit, config);
  const root = await gh('read the base tree', () =>
    octokit.rest.git.getTree({ owner, repo, tree_sha: commitSha, recursive: '1' }),
  );
  let tree = root.data.tree as TreeEntry[];
  if (root.data.truncated) {
    // Very large repos: list only the folders the plan looks at, one level at a time.
    const collision = accountFolder(accountsDir, collisionSlug(account.slug, account.accountId));
    const lister = new TreeLister(octokit, config, root.data.sha);
    const dirs = await Promise.all([dirname(workflowPath), accountsDir].map((d) => lister.list(d)));
    const folders = dirs.flat().filter((e) => e.type === 'tree' && (e.path === account.folder || e.path === collision));
    const inside = await Promise.all(folders.map((f) => lister.list(f.path)));
    const byPath = new Map<string, TreeEntry>();
    for (const e of [...tree, ...dirs.flat(), ...inside.flat()]) byPath.set(e.path, e);
    tree = [...byPath.values()];
  }
  const blobSha = (path: string) => tree.find((e) => e.path === path && e.type === 'blob')?.sha;
  const workflowSha = blobSha(workflowPath);
  if (!workflowSha) {
    throw new WorkflowMatrixNotFound(
      `${workflowPath} does not exist on ${baseBranch} of ${owner}/${repo}: set github.workflowPath to the workflow whose matrix lists the account folders`,
    );
  }
  const tfvarsSha = blobSha(`${account.folder}/${TFVARS_FILE}`);
  const [workflowText, tfvarsText] = await Promise.all([
    readBlob(octokit, config, workflowSha),
    tfvarsSha ? readBlob(octokit, config, tfvarsSha) : undefined,
  ]);
  return {
    commitSha,
    treeSha: root.data.sha,
    tree,
    workflowText,
    existingFolderAccountId: tfvarsText === undefined ? undefined : tfvarsAccountId(tfvarsText),
  };
}

class TreeLister {
  private readonly cache = new Map<string, TreeEntry[]>();
  constructor(
    private readonly octokit: Octokit,
    private readonly config: OnboardingConfig,
    private readonly rootSha: string,
  ) {}

  /** Entries directly under `dir` (full paths), or [] when it does not exist. */
  async list(dir: string): Promise<TreeEntry[]> {
    let sha = this.rootSha;
    let prefix = '';
    for (const part of dir === '.' ? [] : dir.split('/')) {
      const next = (await this.children(sha, prefix)).find((e) => e.path === `${prefix}${part}` && e.type === 'tree');
      if (!next) return [];
      sha = next.sha;
      prefix = `${next.path}/`;
    }
    return this.children(sha, prefix);
  }

  private async children(sha: string, prefix: string): Promise<TreeEntry[]> {
    const hit = this.cache.get(sha + prefix);
    if (hit) return hit;
    const { owner, repo } = this.config.github;
    const res = await gh('list a folder of the base tree', () =>
      this.octokit.rest.git.getTree({ owner, repo, tree_sha: sha }),
    );
    const entries = (res.data.tree as TreeEntry[]).map((e) => ({ ...e, path: `${prefix}${e.path}` }));
    this.cache.set(sha + prefix, entries);
    return entries;
  }
}

const dirname = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.');

async function readBlob(octokit: Octokit, config: OnboardingConfig, sha: string): Promise<string> {
  const { owner, repo } = config.github;
  const res = await gh('read a file of the base branch', () =>
    octokit.rest.git.getBlob({ owner, repo, file_sha: sha }),
  );
  return Buffer.from(res.data.content, res.data.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
}

async function listBranchPulls(octokit: Octokit, config: OnboardingConfig, branch: string): Promise<PullSummary[]> {
  const { owner, repo } = config.github;
  const res = await gh('list the onboarding pull requests', () =>
    octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'all', per_page: 100 }),
  );
  return res.data.filter((p) => p.head.ref === branch).sort((a, b) => b.number - a.number);
}

/** One commit on the current base holding every file of the change (inline contents: no blob calls). */
async function commitChange(
  octokit: Octokit,
  config: OnboardingConfig,
  plan: Change,
  base: BaseState,
): Promise<string> {
  const { owner, repo, workflowPath } = config.github;
  const entries = [
    ...plan.files,
    ...(plan.workflowChanged ? [{ path: workflowPath, content: plan.workflowText }] : []),
  ].map((f) => ({ path: f.path, mode: '100644' as const, type: 'blob' as const, content: f.content }));
  const tree = await gh('create the onboarding tree', () =>
    octokit.rest.git.createTree({ owner, repo, base_tree: base.treeSha, tree: entries }),
  );
  const message = `${plan.title}\n\n${entries.map((e) => `- ${e.path}`).join('\n')}\n`;
  const commit = await gh('create the onboarding commit', () =>
    octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [base.commitSha] }),
  );
  return commit.data.sha;
}

/** Points the onboarding branch at the commit; the branch is ours alone, so a regenerated commit replaces it. */
async function pointBranchAt(
  octokit: Octokit,
  config: OnboardingConfig,
  branch: string,
  sha: string,
  branchLikelyExists: boolean,
): Promise<void> {
  const { owner, repo } = config.github;
  const create = (): Promise<unknown> => octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
  const update = (): Promise<unknown> =>
    octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: true });
  const [first, second, expected] = branchLikelyExists
    ? ([update, create, /reference does not exist|not found/i] as const)
    : ([create, update, /reference already exists/i] as const);
  try {
    await first();
  } catch (err) {
    const status = httpStatus(err);
    if (!((status === 422 || status === 404) && expected.test(githubMessage(err)))) {
      throw toNamedGitHubError(err, `push branch ${branch}`);
    }
    await gh(`push branch ${branch}`, second);
  }
}

/** Labels and reviewers, only when configured and only on the run that opens the PR. Failures are not fatal. */
async function decoratePullRequest(octokit: Octokit, config: OnboardingConfig, number: number): Promise<void> {
  const { owner, repo, labels, reviewers, teamReviewers } = config.github;
  if (labels.length > 0) {
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels }).catch((err: unknown) => {
      if (httpStatus(err) !== 422) throw toNamedGitHubError(err, 'label the onboarding pull request');
      logger.warn('Could not add labels to the onboarding pull request', { number, error: githubMessage(err) });
    });
  }
  if (reviewers.length > 0 || teamReviewers.length > 0) {
    await octokit.rest.pulls
      .requestReviewers({ owner, repo, pull_number: number, reviewers, team_reviewers: teamReviewers })
      .catch((err: unknown) => {
        if (httpStatus(err) !== 422) throw toNamedGitHubError(err, 'request reviewers');
        logger.warn('Could not request reviewers (are they collaborators?)', { number, error: githubMessage(err) });
      });
  }
}

async function gh<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toNamedGitHubError(err, action);
  }
}
