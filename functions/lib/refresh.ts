import type { Octokit } from '@octokit/rest';
import { cicdRoleArn } from './cicd-role';
import type { OnboardingConfig } from './config';
import { AccountNotFound } from './errors';
import { httpStatus, toNamedGitHubError } from './github-client';
import { logger } from './logger';
import { resolveProfile, withProfile } from './profiles';
import { applyRepoPlan } from './pull-request';
import { type OnboardingPull, planRepo, type RepoObservation } from './repo-plan';
import { observeRepo } from './repo-snapshot';
import type { AccountContext, AccountId, PullRequestResult } from './types';

/**
 * The refresh: keeps the tool's own open onboarding pull requests mergeable as the base branch moves (Renovate's
 * `rebaseWhen`). Every onboarding pull request edits the same matrix line, so once one merges the others conflict;
 * the refresh regenerates each of them on the new base with the same planner and writer an onboarding uses
 * (repo-plan.ts, pull-request.ts applyRepoPlan), so the ownership rules hold unchanged: a pull request the tool did
 * not open, or whose branch a person pushed to, is never selected, and the last guard checks every change-set.
 *
 * Cost: an idle refresh (the base branch has not moved since the last one) is one conditional request, the base ref
 * with `If-None-Match: <ETag of the last run>`, answered 304 (which GitHub does not count against the rate limit),
 * and no write. When the base moved: the ref, the repository observation (ref, tarball, the onboarding pull requests)
 * and, in `conflicted` mode, one `GET pulls/{n}` per open onboarding pull request for GitHub's `mergeable`.
 */

/** `conflicted`: regenerate the pull requests GitHub reports as not mergeable. `behind-base`: every one not on the current base. */
export type RefreshWhen = 'conflicted' | 'behind-base';

/** What the refresh remembers between runs. */
export interface RefreshState {
  /** ETag of the base ref as last answered; the next run sends it as If-None-Match. */
  baseEtag: string;
  baseSha: string;
}

export interface RefreshStateStore {
  read(): Promise<RefreshState | undefined>;
  write(state: RefreshState): Promise<void>;
}

export interface RefreshDeps {
  octokit: Octokit;
  config: OnboardingConfig;
  state: RefreshStateStore;
  /** The account's facts the folder is rendered from (Organizations DescribeAccount). */
  readAccount(accountId: AccountId): Promise<AccountContext>;
  /** Partition of the cicd role ARN in the pull request body; default `aws`. */
  partition?: string;
}

export interface RefreshOptions {
  when?: RefreshWhen;
  /** Regenerate these accounts' pull requests whatever their state (a re-run asked for them). */
  force?: AccountId[];
}

export interface RefreshedPull {
  accountId: AccountId;
  number: number;
  /** Why it was selected: `conflict` (not mergeable), `behind` (behind-base), `forced`. */
  reason: 'conflict' | 'behind' | 'forced';
  outcome: PullRequestResult['outcome'] | 'skipped';
  detail?: string;
}

export interface RefreshResult {
  /** `idle`: the base has not moved (one 304); `refreshed`: the open pull requests were checked. */
  outcome: 'idle' | 'refreshed';
  baseSha?: string;
  /** Open onboarding pull requests the tool owns and checked. */
  checked: number;
  /** GitHub is still computing mergeability of these: the next run looks again. */
  unknown: number[];
  refreshed: RefreshedPull[];
}

/** The open onboarding pull requests the tool may regenerate: opened by it, for that account, head its own commit. */
export const ownOpenPulls = (obs: RepoObservation): OnboardingPull[] =>
  obs.pulls.filter((p) => p.state === 'open' && p.marker?.accountId === p.accountId && p.headIsOurs !== false);

export async function refreshPullRequests(deps: RefreshDeps, options: RefreshOptions = {}): Promise<RefreshResult> {
  const { octokit, config } = deps;
  const when = options.when ?? 'conflicted';
  const forced = new Set(options.force ?? []);
  const previous = await deps.state.read();

  const base = await readBase(octokit, config, forced.size === 0 ? previous?.baseEtag : undefined);
  if (base === 'not-modified') return { outcome: 'idle', checked: 0, unknown: [], refreshed: [] };

  const obs = await observeRepo(octokit, config);
  const own = ownOpenPulls(obs);
  const selected: Array<{ pull: OnboardingPull; reason: RefreshedPull['reason'] }> = [];
  const unknown: number[] = [];
  for (const pull of own) {
    if (forced.has(pull.accountId)) {
      selected.push({ pull, reason: 'forced' });
      continue;
    }
    if (when === 'behind-base') {
      if (!(await onBase(octokit, config, pull.headSha, obs.commitSha))) selected.push({ pull, reason: 'behind' });
      continue;
    }
    const mergeable = await readMergeable(octokit, config, pull.number);
    if (mergeable === null) unknown.push(pull.number);
    else if (!mergeable) selected.push({ pull, reason: 'conflict' });
  }

  const refreshed: RefreshedPull[] = [];
  for (const { pull, reason } of selected) {
    refreshed.push({ accountId: pull.accountId, number: pull.number, reason, ...(await regenerate(deps, obs, pull)) });
  }
  // Remember the base only once every pull request on it is settled; otherwise the next run looks again.
  if (unknown.length === 0 && refreshed.every((r) => r.outcome === 'updated' || r.outcome === 'unchanged')) {
    await deps.state.write({ baseEtag: base.etag, baseSha: base.sha });
  }
  logger.info('Refresh of the onboarding pull requests', { when, checked: own.length, unknown, refreshed });
  return { outcome: 'refreshed', baseSha: obs.commitSha, checked: own.length, unknown, refreshed };
}

async function regenerate(
  deps: RefreshDeps,
  obs: RepoObservation,
  pull: OnboardingPull,
): Promise<Pick<RefreshedPull, 'outcome' | 'detail'>> {
  const { octokit } = deps;
  let account: AccountContext;
  try {
    account = await deps.readAccount(pull.accountId);
  } catch (err) {
    if (!(err instanceof AccountNotFound)) throw err;
    return { outcome: 'skipped', detail: `account ${pull.accountId} is not in the organization: ${err.message}` };
  }
  // The account's profile, as the onboarding resolves it: its template set, labels and reviewers.
  const { profile } = resolveProfile(account, deps.config);
  const config = withProfile(deps.config, profile);
  const plan = planRepo(account, obs, config, { force: true, profile });
  // Only the tool's own open pull request is ever rewritten here; anything else is the onboarding's business.
  if (plan.action.type !== 'update' || plan.action.pull.number !== pull.number) {
    return { outcome: 'skipped', detail: `the plan is ${plan.action.type}, not an update of #${pull.number}` };
  }
  const role = {
    roleArn: cicdRoleArn(config, pull.accountId, deps.partition ?? 'aws'),
    outcome: 'unchanged' as const,
    changes: [],
  };
  const result = await applyRepoPlan(octokit, config, { account, role, force: false }, obs, plan);
  return { outcome: result.outcome };
}

async function readBase(
  octokit: Octokit,
  config: OnboardingConfig,
  etag: string | undefined,
): Promise<'not-modified' | { sha: string; etag: string }> {
  const { owner, repo, baseBranch } = config.github;
  try {
    const res = await octokit.rest.git.getRef({
      owner,
      repo,
      ref: `heads/${baseBranch}`,
      ...(etag ? { headers: { 'if-none-match': etag } } : {}),
    });
    return { sha: res.data.object.sha, etag: String(res.headers.etag ?? '') };
  } catch (err) {
    if (httpStatus(err) === 304) return 'not-modified';
    throw toNamedGitHubError(err, `read the base branch ${baseBranch}`);
  }
}

/** GitHub's `mergeable`: null while it is still computing it in the background. */
async function readMergeable(octokit: Octokit, config: OnboardingConfig, number: number): Promise<boolean | null> {
  const { owner, repo } = config.github;
  try {
    const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    return data.state === 'open' ? data.mergeable : true;
  } catch (err) {
    throw toNamedGitHubError(err, `read onboarding pull request #${number}`);
  }
}

/** Is the pull request's head commit (the tool's one commit) made directly on the current base? */
async function onBase(octokit: Octokit, config: OnboardingConfig, head: string, base: string): Promise<boolean> {
  const { owner, repo } = config.github;
  try {
    const { data } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: head });
    return data.parents.length === 1 && data.parents[0]?.sha === base;
  } catch (err) {
    throw toNamedGitHubError(err, 'read the head commit of an onboarding pull request');
  }
}

/** In memory (tests, the embedded runner). */
export function memoryRefreshState(): RefreshStateStore & { current?: RefreshState } {
  const store: RefreshStateStore & { current?: RefreshState } = {
    async read() {
      return store.current;
    },
    async write(state) {
      store.current = state;
    },
  };
  return store;
}
