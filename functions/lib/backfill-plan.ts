import { type BatchAccountLine, batchBranch, batchKey } from './batch-change';
import type { OnboardingConfig } from './config';
import { InvalidInput, MatrixLimitExceeded } from './errors';
import { type ChangeFile, hashChange } from './onboarding-change';
import { type ProfileFacts, type ResolvedProfile, resolveProfile } from './profiles';
import { accountPulls } from './repo-placement';
import { type AccountFacts, type BatchPull, planRepo, type RepoObservation } from './repo-plan';
import type { AccountId } from './types';
import { addMatrixEntry, GITHUB_MATRIX_LIMIT, readMatrixLists } from './workflow-matrix';

/**
 * The batch planner (pure): which accounts of an organization the repository does not onboard yet, and the batch
 * pull requests of `batchSize` accounts that add their folders and matrix entries. Every account goes through the
 * same repository planner a single onboarding uses (repo-plan.ts planRepo), so the ownership rules hold unchanged:
 * an account whose folder is on the base branch, or that an open pull request (single or batch) adds, or whose pull
 * request was declined or taken over by a person, is never put in a batch; folders taken on the base branch or by
 * an open pull request give the collision folder, and two accounts of one backfill never share a folder. Each
 * account's files are rendered from the templates of its own profile (profiles.ts), resolved from its OU path and
 * tags as for a single onboarding.
 */

/** An account to plan: what its folder is rendered from, and where it sits (its OU path from the root, its tags). */
export type BackfillCandidate = AccountFacts & Partial<ProfileFacts>;

export type BackfillStatus =
  /** The base branch onboards it. */
  | 'onboarded'
  /** An open pull request (its own or a batch) adds it. */
  | 'pending'
  /** In one of this plan's new batches. */
  | 'batched'
  | 'declined'
  | 'edited'
  | 'blocked';

export interface BackfillAccount {
  accountId: AccountId;
  name: string;
  status: BackfillStatus;
  folder: string;
  /** The pull request that adds it (pending, declined, edited) or the batch it goes in (batched). */
  pull?: number;
  batch?: string;
  /** What needs a person (declined, edited, blocked). */
  details?: string[];
}

export interface BatchPlan {
  key: string;
  branch: string;
  accounts: Array<Omit<BatchAccountLine, 'roleArn'>>;
  files: ChangeFile[];
  workflowText: string;
  workflowChanged: boolean;
  contentHash: string;
  /** Labels and reviewers for the pull request: those of every profile of its accounts. */
  decoration: BatchDecoration;
  /** `open` a new batch, or `update` an open batch pull request of the tool's that no longer matches the base. */
  action: { type: 'open' } | { type: 'update'; pull: BatchPull };
}

export interface BatchDecoration {
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
}

/** A matrix list of the workflow: jobs on the base branch, in open pull requests, added by this plan, and after. */
export interface MatrixCount {
  job: string;
  onBase: number;
  inOpenPullRequests: number;
  added: number;
  /** Jobs once every open pull request and every new batch is merged. */
  after: number;
  limit: number;
}

export interface BackfillPlan {
  accounts: BackfillAccount[];
  /** New batch pull requests (in account id order), then the open ones to regenerate on the current base. */
  batches: BatchPlan[];
  matrix: MatrixCount[];
}

export interface BackfillPlanOptions {
  batchSize: number;
  /** Put accounts whose pull request was declined in a batch again. */
  force?: boolean;
}

/**
 * @throws MatrixLimitExceeded (before anything is written) when the matrix would pass GitHub's 256 jobs once the open
 *   pull requests and the new batches are merged; the message says by how much and what to do.
 * @throws WorkflowMatrixNotFound when the workflow is missing or has no editable matrix.
 */
export function planBackfill(
  accounts: BackfillCandidate[],
  obs: RepoObservation,
  config: OnboardingConfig,
  options: BackfillPlanOptions,
): BackfillPlan {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > GITHUB_MATRIX_LIMIT) {
    throw new InvalidInput(`batchSize must be a whole number from 1 to ${GITHUB_MATRIX_LIMIT}, got ${batchSize}`);
  }
  const claimed = new Map<string, AccountId>();
  const planned: BackfillAccount[] = [];
  const candidates: Candidate[] = [];
  for (const account of [...accounts].sort((a, b) => (a.accountId < b.accountId ? -1 : 1))) {
    const profile = profileOf(account, config);
    const plan = planRepo(account, obs, config, { ...(options.force ? { force: true } : {}), claimed, profile });
    const { accountId, name } = account;
    const base = { accountId, name, folder: plan.folder };
    const details = plan.changes.map((c) => `${c.class}: ${c.detail}`);
    const { action } = plan;
    switch (action.type) {
      case 'none':
        planned.push({ ...base, status: 'onboarded' });
        break;
      case 'keep':
      case 'update':
        // Its own stale pull request is refreshed as a single one (refresh, or a re-run of the account).
        planned.push({ ...base, status: 'pending', pull: action.pull.number });
        break;
      case 'declined':
      case 'edited':
        planned.push({ ...base, status: action.type, pull: action.pull.number, details });
        break;
      case 'blocked':
        planned.push({ ...base, status: 'blocked', details });
        break;
      case 'open': {
        claimed.set(plan.folder, accountId);
        const line = {
          accountId,
          name,
          folder: plan.folder,
          ...(plan.takenFolder ? { takenFolder: plan.takenFolder } : {}),
        };
        candidates.push({ line, files: plan.commit?.files ?? [], profile });
        break;
      }
    }
  }

  const matrix = countMatrix(
    obs,
    config,
    candidates.map((c) => c.line.folder),
  );
  const over = matrix.filter((m) => m.after > m.limit);
  if (over.length > 0) {
    const worst = over.map(
      (m) =>
        `jobs.${m.job} would run ${m.after} jobs (${m.onBase} on ${config.github.baseBranch}, ${m.inOpenPullRequests} in open onboarding pull requests, ${m.added} from this backfill)`,
    );
    throw new MatrixLimitExceeded(
      `${worst.join('; ')}: GitHub runs at most ${GITHUB_MATRIX_LIMIT} jobs per matrix. Split the accounts over ` +
        'several matrices first: a second job (or workflow) whose matrix lists the other folders, e.g. by OU or by ' +
        'the first letter of the folder, and point github.workflowPath at the one new accounts go to; or exclude ' +
        'accounts (filters). Nothing was written.',
    );
  }

  const batches: BatchPlan[] = [];
  for (let i = 0; i < candidates.length; i += batchSize) {
    const chunk = candidates.slice(i, i + batchSize);
    batches.push(batchOf(chunk, obs, config, { type: 'open' }));
    const key = batches.at(-1)?.key as string;
    for (const { line } of chunk) {
      planned.push({ accountId: line.accountId, name: line.name, folder: line.folder, status: 'batched', batch: key });
    }
  }
  batches.push(...staleBatches(accounts, obs, config));
  planned.sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  return { accounts: planned, batches, matrix };
}

/** The account's profile (an account without an OU path is taken to be directly under the root). */
function profileOf(account: BackfillCandidate, config: OnboardingConfig): ResolvedProfile {
  return resolveProfile({ ouPath: account.ouPath ?? [], ...(account.tags ? { tags: account.tags } : {}) }, config)
    .profile;
}

/** Whether selection or a profile looks at tags: only then are they worth reading. */
export const tagsMatter = (config: OnboardingConfig): boolean =>
  config.filters.excludeTags.length > 0 || config.profiles.some((p) => p.match.tags !== undefined);

type Candidate = { line: Omit<BatchAccountLine, 'roleArn'>; files: ChangeFile[]; profile: ResolvedProfile };

/** Every label, reviewer and team reviewer of the batch's accounts' profiles, each once, in first-seen order. */
export function batchDecoration(profiles: readonly ResolvedProfile[]): BatchDecoration {
  const union = (pick: (p: ResolvedProfile) => string[]) => [...new Set(profiles.flatMap(pick))];
  return {
    labels: union((p) => p.labels),
    reviewers: union((p) => p.reviewers),
    teamReviewers: union((p) => p.teamReviewers),
  };
}

function batchOf(
  chunk: Candidate[],
  obs: RepoObservation,
  config: OnboardingConfig,
  action: BatchPlan['action'],
): BatchPlan {
  const key = batchKey(chunk.map((c) => c.line.accountId));
  let workflowText = obs.workflowText as string;
  let workflowChanged = false;
  for (const { line } of chunk) {
    const edit = addMatrixEntry(workflowText, config.github.matrixKey, line.folder);
    workflowText = edit.text;
    workflowChanged ||= edit.changed;
  }
  const files = chunk.flatMap((c) => c.files).sort((a, b) => (a.path < b.path ? -1 : 1));
  return {
    key,
    branch: batchBranch(config, key),
    accounts: chunk.map((c) => c.line),
    files,
    workflowText,
    workflowChanged,
    contentHash: hashChange(files, config.github.workflowPath, workflowText),
    decoration: batchDecoration(chunk.map((c) => c.profile)),
    action,
  };
}

/**
 * The tool's open batch pull requests that no longer match the base (another batch merged, so their matrix line
 * conflicts): regenerated on the current base with the same accounts and folders, under the same branch. A batch
 * is left as it is when a person pushed to it, when any of its accounts left the selection, is onboarded on the
 * base meanwhile or would now get another folder (its accounts then stay pending there; a person merges or closes
 * it), and when it still matches (same content hash: no write) unless `rebase` asks for it on the current base
 * (the refresh's `behind-base`). Only batches whose accounts are all among `accounts` can be regenerated.
 */
export function staleBatches(
  accounts: BackfillCandidate[],
  obs: RepoObservation,
  config: OnboardingConfig,
  options: { rebase?: boolean } = {},
): BatchPlan[] {
  const byId = new Map(accounts.map((a) => [a.accountId, a]));
  const stale: BatchPlan[] = [];
  for (const batch of obs.batches ?? []) {
    const marker = batch.marker;
    if (batch.state !== 'open' || !marker || batch.headIsOurs === false) continue;
    const without: RepoObservation = { ...obs, batches: (obs.batches ?? []).filter((b) => b !== batch) };
    const chunk: Candidate[] = [];
    for (const entry of [...marker.accounts].sort((a, b) => (a.accountId < b.accountId ? -1 : 1))) {
      const account = byId.get(entry.accountId);
      if (!account) break;
      const profile = profileOf(account, config);
      const plan = planRepo(account, without, config, { profile });
      if (plan.action.type !== 'open' || plan.folder !== entry.folder) break;
      const line = { accountId: account.accountId, name: account.name, folder: plan.folder };
      chunk.push({
        line: plan.takenFolder ? { ...line, takenFolder: plan.takenFolder } : line,
        files: plan.commit?.files ?? [],
        profile,
      });
    }
    if (chunk.length !== marker.accounts.length) continue;
    const regenerated = batchOf(chunk, obs, config, { type: 'update', pull: batch });
    if (regenerated.key !== batch.key) continue;
    if (options.rebase || regenerated.contentHash !== marker.hash) stale.push(regenerated);
  }
  return stale;
}

/**
 * Each matrix list's jobs: on the base branch, added by open onboarding pull requests (single and batch: their
 * markers name the folders), added by `folders`, and the total once all are merged.
 */
export function countMatrix(obs: RepoObservation, config: OnboardingConfig, folders: string[] = []): MatrixCount[] {
  if (obs.workflowText === undefined) return [];
  const pending = new Set<string>();
  for (const p of obs.pulls) if (p.state === 'open' && p.marker?.folder) pending.add(p.marker.folder);
  for (const b of obs.batches ?? []) {
    if (b.state === 'open') for (const a of b.marker?.accounts ?? []) pending.add(a.folder);
  }
  return readMatrixLists(obs.workflowText, config.github.matrixKey).map(({ job, entries, jobsPerEntry }) => {
    const onBase = new Set(entries);
    const open = [...pending].filter((f) => !onBase.has(f));
    const added = [...new Set(folders)].filter((f) => !onBase.has(f) && !pending.has(f));
    return {
      job,
      onBase: onBase.size * jobsPerEntry,
      inOpenPullRequests: open.length * jobsPerEntry,
      added: added.length * jobsPerEntry,
      after: (onBase.size + open.length + added.length) * jobsPerEntry,
      limit: GITHUB_MATRIX_LIMIT,
    };
  });
}

/** The batch pull requests an account is pending in (for messages). */
export const openBatchOf = (obs: RepoObservation, accountId: AccountId): BatchPull | undefined => {
  const view = accountPulls(obs, accountId).find((p) => p.state === 'open' && p.batch);
  return view ? obs.batches?.find((b) => b.number === view.number) : undefined;
};
