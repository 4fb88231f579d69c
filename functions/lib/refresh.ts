import type { Octokit } from '@octokit/rest';
import { cicdRoleArn } from './cicd-role';
import type { OnboardingConfig } from './config';
import {
  type DashboardDrift,
  dashboardRows,
  type IssueSeen,
  isDashboard,
  type PullFacts,
  planDashboard,
  rerunExecutionName,
} from './dashboard';
import { AccountNotFound } from './errors';
import { gh, httpStatus, toNamedGitHubError } from './github-client';
import { logger } from './logger';
import { resolveProfile, withProfile } from './profiles';
import { applyRepoPlan } from './pull-request';
import { accountsOneByOne, type BatchRefreshDeps, type BatchRefreshResult, refreshBatches } from './refresh-batches';
import {
  type RefreshReason,
  readActivity,
  readBase,
  readPullFacts,
  regeneratedFacts,
  verdictOf,
} from './refresh-reads';
import { type OnboardingPull, planRepo, type RepoObservation } from './repo-plan';
import { observeRepo } from './repo-snapshot';
import type { AccountContext, AccountId, PullRequestResult } from './types';

/**
 * The refresh: keeps the tool's own open onboarding pull requests mergeable as the base branch moves (Renovate's
 * `rebaseWhen`). Every onboarding pull request edits the same matrix line, so once one merges the others conflict;
 * the refresh regenerates each of them on the new base with the same planner and writer an onboarding uses
 * (repo-plan.ts, pull-request.ts applyRepoPlan), so the ownership rules hold unchanged: a pull request the tool did
 * not open, or whose branch a person pushed to, is never selected, and the last guard checks every change-set. The
 * tool's batch pull requests are refreshed by the same rule with the backfill's planner and writer (refresh-batches.ts).
 *
 * Cost: an idle refresh is one conditional request answered 304 (which GitHub does not count against the rate
 * limit), and no write. What it watches: with the dashboard on (dashboard.ts), the repository's most recently updated
 * issue or pull request (`GET issues?state=all&sort=updated&direction=desc&per_page=1`), which changes when a pull
 * request merges, closes or is pushed to and when a person ticks a box of the dashboard; with it off, the base ref.
 * Otherwise: the repository observation (ref, tarball, the onboarding pull requests), in `conflicted` mode one
 * `GET pulls/{n}` per open onboarding pull request for GitHub's `mergeable` (`behind-base`: its head commit), and
 * with the dashboard on, the dashboard issue (one GET; a list of the open issues only when its number is not known).
 */

/** `conflicted`: regenerate the pull requests GitHub reports as not mergeable. `behind-base`: every one not on the current base. */
export type RefreshWhen = 'conflicted' | 'behind-base';

/** What the refresh remembers between runs. */
export interface RefreshState {
  /** ETag of the watched request as last answered (the base ref, or the issue activity with the dashboard on). */
  baseEtag: string;
  baseSha: string;
  /** What the ETag is of: `activity` with the dashboard on; absent (the base ref) otherwise. */
  watch?: 'base' | 'activity';
  /** The dashboard issue's number, once found or created (checked for the marker at every read). */
  dashboardIssue?: number;
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
  /** Several accounts' facts for the batches to regenerate (default: readAccount one by one). */
  readAccounts?: BatchRefreshDeps['readAccounts'];
  /** Partition of the cicd role ARN in the pull request body; default `aws`. */
  partition?: string;
  /**
   * Starts the onboarding of an account a person ticked on the dashboard (`{"accountId", "force": true}`), with
   * this execution name; `exists` when an execution of that name was started already (a retried refresh).
   */
  startOnboarding?(accountId: AccountId, executionName: string): Promise<'started' | 'exists'>;
  /** The drift classes of the last reconcile report, shown on the dashboard. */
  readDrift?(): Promise<DashboardDrift | undefined>;
}

export interface RefreshOptions {
  when?: RefreshWhen;
  /** Regenerate these accounts' pull requests (single, or the batch that lists them) whatever their state. */
  force?: AccountId[];
  /** Skip the idle check and render the dashboard (a reconcile run has a new report). */
  render?: boolean;
}

export interface DashboardOutcome {
  issue?: number;
  outcome: 'created' | 'updated' | 'unchanged' | 'closed';
  /** Ticked accounts whose onboarding was started (or had been, by an earlier try of this run). */
  reruns: Array<{ accountId: AccountId; executionName: string; outcome: 'started' | 'exists' }>;
}

export interface RefreshedPull {
  accountId: AccountId;
  number: number;
  /** Why it was selected: `conflict` (not mergeable), `behind` (behind-base), `forced`. */
  reason: RefreshReason;
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
  /** The tool's open batch pull requests, when there are any (refresh-batches.ts). */
  batchPulls?: BatchRefreshResult;
  /** Present with the dashboard on, after a run that was not idle. */
  dashboard?: DashboardOutcome;
}

/** The open onboarding pull requests the tool may regenerate: opened by it, for that account, head its own commit. */
export const ownOpenPulls = (obs: RepoObservation): OnboardingPull[] =>
  obs.pulls.filter((p) => p.state === 'open' && p.marker?.accountId === p.accountId && p.headIsOurs !== false);

export async function refreshPullRequests(deps: RefreshDeps, options: RefreshOptions = {}): Promise<RefreshResult> {
  const { octokit, config } = deps;
  const when = options.when ?? 'conflicted';
  const forced = new Set(options.force ?? []);
  const dashboardOn = config.dashboard.enabled;
  const watch: 'base' | 'activity' = dashboardOn ? 'activity' : 'base';
  const previous = await deps.state.read();
  const etag =
    forced.size === 0 && !options.render && (previous?.watch ?? 'base') === watch ? previous?.baseEtag : undefined;

  const seen = watch === 'activity' ? await readActivity(octokit, config, etag) : await readBase(octokit, config, etag);
  if (seen === 'not-modified') return { outcome: 'idle', checked: 0, unknown: [], refreshed: [] };

  const obs = await observeRepo(octokit, config);
  const facts = new Map<number, PullFacts>();
  const { checked, unknown, refreshed } = await refreshSingles(deps, obs, when, forced, facts);
  const readAccounts = deps.readAccounts ?? accountsOneByOne(deps.readAccount);
  const batchPulls = await refreshBatches({ ...deps, readAccounts }, obs, when, forced, facts);

  let dashboard: DashboardOutcome | undefined;
  if (dashboardOn) dashboard = await keepDashboard(deps, obs, facts, previous?.dashboardIssue);

  // Remember what was seen only once every pull request on it is settled; otherwise the next run looks again. A batch
  // the planner no longer regenerates is a person's to merge or close: looking again would not change it.
  const settled = refreshed.every((r) => r.outcome === 'updated' || r.outcome === 'unchanged');
  if (unknown.length === 0 && batchPulls.unknown.length === 0 && settled) {
    await deps.state.write({
      baseEtag: seen.etag,
      baseSha: obs.commitSha,
      watch,
      ...(dashboard?.issue ? { dashboardIssue: dashboard.issue } : {}),
    });
  }
  const batchInfo = batchPulls.checked > 0 ? { batchPulls } : {};
  logger.info('Refresh of the onboarding pull requests', {
    when,
    checked,
    unknown,
    refreshed,
    ...batchInfo,
    dashboard,
  });
  return {
    outcome: 'refreshed',
    baseSha: obs.commitSha,
    checked,
    unknown,
    refreshed,
    ...batchInfo,
    ...(dashboard ? { dashboard } : {}),
  };
}

/** Checks the tool's open single pull requests and regenerates those that need it (or were forced). */
async function refreshSingles(
  deps: RefreshDeps,
  obs: RepoObservation,
  when: RefreshWhen,
  forced: ReadonlySet<AccountId>,
  facts: Map<number, PullFacts>,
): Promise<Pick<RefreshResult, 'checked' | 'unknown' | 'refreshed'>> {
  const { octokit, config } = deps;
  const own = ownOpenPulls(obs);
  const selected: Array<{ pull: OnboardingPull; reason: RefreshedPull['reason'] }> = [];
  const unknown: number[] = [];
  for (const pull of own) {
    if (forced.has(pull.accountId)) {
      selected.push({ pull, reason: 'forced' });
      continue;
    }
    const seen = await readPullFacts(octokit, config, when, pull, obs.commitSha);
    facts.set(pull.number, seen);
    const verdict = verdictOf(seen);
    if (verdict === 'unknown') unknown.push(pull.number);
    else if (verdict) selected.push({ pull, reason: verdict });
  }
  const refreshed: RefreshedPull[] = [];
  for (const { pull, reason } of selected) {
    const result = await regenerate(deps, obs, pull);
    refreshed.push({ accountId: pull.accountId, number: pull.number, reason, ...result });
    // One commit on the current base that adds a folder and a matrix line: it merges cleanly.
    if (result.outcome === 'updated') facts.set(pull.number, regeneratedFacts(when));
  }
  return { checked: own.length, unknown, refreshed };
}

/**
 * The dashboard issue: found by its marker (the remembered number first), the ticked accounts' onboardings started,
 * then the body rewritten only when what it shows changed (which unticks the boxes).
 */
async function keepDashboard(
  deps: RefreshDeps,
  obs: RepoObservation,
  facts: ReadonlyMap<number, PullFacts>,
  remembered: number | undefined,
): Promise<DashboardOutcome> {
  const { octokit, config } = deps;
  const { owner, repo } = config.github;
  const drift = deps.readDrift ? await deps.readDrift() : undefined;
  const rows = dashboardRows(obs, config, facts, drift);
  const found = await findDashboard(octokit, config, remembered);
  const plan = planDashboard(found, rows, drift);

  const reruns: DashboardOutcome['reruns'] = [];
  if (plan.reruns.length > 0 && found) {
    if (!deps.startOnboarding) throw new Error('the refresh cannot start onboardings (ONBOARDING_STATE_MACHINE_ARN)');
    for (const accountId of plan.reruns) {
      const executionName = rerunExecutionName(accountId, found.updatedAt);
      reruns.push({ accountId, executionName, outcome: await deps.startOnboarding(accountId, executionName) });
    }
  }

  const { action } = plan;
  if (action.type === 'none') return { issue: action.number, outcome: 'unchanged', reruns };
  if (action.type === 'closed') return { issue: action.number, outcome: 'closed', reruns };
  if (action.type === 'update') {
    await gh('update the dashboard issue', () =>
      octokit.rest.issues.update({ owner, repo, issue_number: action.number, body: action.body }),
    );
    return { issue: action.number, outcome: 'updated', reruns };
  }
  const { data } = await gh('create the dashboard issue', () =>
    octokit.rest.issues.create({ owner, repo, title: action.title, body: action.body }),
  );
  // Two runs at once may both have created one: the lowest-numbered dashboard stays, the other closes itself.
  const first = await findDashboard(octokit, config, undefined);
  if (first && first.number < data.number) {
    await gh('close a duplicate dashboard issue', () =>
      octokit.rest.issues.update({
        owner,
        repo,
        issue_number: data.number,
        state: 'closed',
        state_reason: 'not_planned',
      }),
    );
    return { issue: first.number, outcome: 'unchanged', reruns };
  }
  return { issue: data.number, outcome: 'created', reruns };
}

type IssueJson = {
  number: number;
  state: string;
  body?: string | null;
  updated_at: string;
  pull_request?: unknown;
};

const issueSeen = (i: IssueJson): IssueSeen => ({
  number: i.number,
  state: i.state === 'closed' ? 'closed' : 'open',
  body: i.body ?? null,
  updatedAt: i.updated_at,
  isPullRequest: i.pull_request !== undefined && i.pull_request !== null,
});

/** The dashboard: the remembered issue when it still carries the marker, else the lowest-numbered open one that does. */
async function findDashboard(
  octokit: Octokit,
  config: OnboardingConfig,
  remembered: number | undefined,
): Promise<IssueSeen | undefined> {
  const { owner, repo } = config.github;
  if (remembered !== undefined) {
    try {
      const { data } = await octokit.rest.issues.get({ owner, repo, issue_number: remembered });
      const issue = issueSeen(data as IssueJson);
      if (isDashboard(issue)) return issue;
    } catch (err) {
      if (httpStatus(err) !== 404 && httpStatus(err) !== 410) throw toNamedGitHubError(err, 'read the dashboard issue');
    }
  }
  return gh('list the open issues for the dashboard', async () => {
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listForRepo, {
      owner,
      repo,
      state: 'open',
      sort: 'created',
      direction: 'asc',
      per_page: 100,
    })) {
      const hit = (page.data as IssueJson[]).map(issueSeen).find(isDashboard);
      if (hit) return hit;
    }
    return undefined;
  });
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
