import type { BatchMarker } from './batch-change';
import { type Change, change } from './changes';
import type { OnboardingConfig } from './config';
import { WorkflowMatrixNotFound } from './errors';
import { type ChangeFile, hashChange, type OnboardingMarker } from './onboarding-change';
import type { ResolvedProfile } from './profiles';
import { accountPulls, placeAccount } from './repo-placement';
import { DEFAULT_TEMPLATES, templatesFor } from './templates';
import { renderAccountFolder } from './terraform';
import type { AccountId } from './types';
import { addMatrixEntry, GITHUB_MATRIX_LIMIT, readMatrixLists } from './workflow-matrix';

/**
 * The account's place in the Terraform repository: one pure planner over one observation (repo-snapshot.ts reads
 * it), used by the onboarding (which applies it), reconciliation (which reports it) and `cli plan` (which prints it).
 *
 * Ownership, enforced here (the folder rules in repo-placement.ts placeAccount) for every caller:
 * - a folder is the account's to write only when it is absent, or its terraform.tfvars names the account; a folder
 *   naming another id, or holding files without such a tfvars, or claimed by an earlier open onboarding pull
 *   request of another account, is taken (the account gets its collision folder, `<slug>-<id>`);
 * - only missing files are added; no file on the base branch is rewritten (the matrix line is spliced);
 * - a wrong or ambiguous account id in a tfvars is a person's decision: reported, never rewritten;
 * - the onboarding branch is updated only while its head is the tool's own commit; a pull request a person
 *   pushed to, or one the tool did not open, is left alone (`pr-edited`).
 */

/** One folder directly under the accounts dir. */
export interface RepoFolder {
  /** File names directly inside the folder. */
  files: string[];
  /** `aws_account_id` of its terraform.tfvars, when the file exists and names one. */
  tfvarsAccountId?: AccountId;
}

/** A pull request whose head branch is `<branchPrefix><accountId>`. */
export interface OnboardingPull {
  number: number;
  accountId: AccountId;
  state: 'open' | 'closed';
  merged: boolean;
  url: string;
  headSha: string;
  /** The hidden marker of the body; absent when the tool did not open it (or a person removed it). */
  marker?: OnboardingMarker;
  /** Whether the head commit is the tool's own (onboarding-change.ts isOurCommit); undefined when not checked. */
  headIsOurs?: boolean;
  /** Set on an account's view of a batch pull request (batch-change.ts): the batch key. */
  batch?: string;
}

/** A pull request whose head branch is `<branchPrefix>batch-<key>` (a backfill batch, batch-change.ts). */
export interface BatchPull {
  number: number;
  key: string;
  state: 'open' | 'closed';
  merged: boolean;
  url: string;
  headSha: string;
  /** The v3 marker; absent when the tool did not open it or a person changed the marker. */
  marker?: BatchMarker;
  headIsOurs?: boolean;
}

/** What the planner reads: the base branch and the onboarding pull requests. */
export interface RepoObservation {
  commitSha: string;
  workflowPath: string;
  /** Undefined when the workflow file does not exist on the base branch. */
  workflowText?: string;
  /** Folder path (`<accountsDir>/<name>`) -> what it holds. */
  folders: Record<string, RepoFolder>;
  /** Onboarding pull requests (all of one account's, and every open one), newest first. */
  pulls: OnboardingPull[];
  /** Batch pull requests (every open one; closed ones too when every pull request was listed), newest first. */
  batches?: BatchPull[];
}

/** The account facts the folder's files are rendered from. */
export interface AccountFacts {
  accountId: AccountId;
  name: string;
  email: string;
}

export interface RepoPlanOptions {
  /** `force`: regenerate an open pull request that is current, reopen a declined one. */
  force?: boolean;
  /** The account's profile (profiles.ts): its template set renders the folder; the default templates without. */
  profile?: ResolvedProfile;
  /** Folders given to other accounts earlier in the same batch plan (backfill-plan.ts): taken, like claims. */
  claimed?: ReadonlyMap<string, AccountId>;
}

/** What to commit: the files to add and the workflow after the matrix edit. */
export interface CommitPlan {
  files: ChangeFile[];
  workflowText: string;
  workflowChanged: boolean;
  contentHash: string;
}

export type PullAction =
  /** The base branch already onboards the account. */
  | { type: 'none' }
  /** Its open pull request holds exactly this change: pending review. */
  | { type: 'keep'; pull: OnboardingPull }
  | { type: 'declined'; pull: OnboardingPull }
  /** The open pull request is a person's (pushed to, or not opened by the tool): left alone. */
  | { type: 'edited'; pull: OnboardingPull; ours: boolean }
  /** A person must decide first (see the plan's changes). */
  | { type: 'blocked' }
  | { type: 'open' }
  | { type: 'update'; pull: OnboardingPull };

export interface RepoPlan {
  folder: string;
  slug: string;
  /** The folder the account's name gives, when it was taken (and why). */
  takenFolder?: { folder: string; reason: string };
  /** Drift: empty when an onboarding would change nothing (a pending pull request included). */
  changes: Change[];
  action: PullAction;
  /** Set for `open` and `update`. */
  commit?: CommitPlan;
}

/** Files every account folder has: the templates. */
export const REQUIRED_FILES = Object.keys(DEFAULT_TEMPLATES).sort();

// ---- plan ------------------------------------------------------------------------------------------------------

/**
 * What the repository needs for the account: its folder, the drift (each change with its class and remediability)
 * and what to do with its pull request. Pure.
 * @throws WorkflowMatrixNotFound when the workflow is missing or has no editable matrix.
 */
export function planRepo(
  account: AccountFacts,
  obs: RepoObservation,
  config: OnboardingConfig,
  options: RepoPlanOptions = {},
): RepoPlan {
  const { workflowText } = obs;
  if (workflowText === undefined) {
    throw new WorkflowMatrixNotFound(
      `${obs.workflowPath} does not exist on ${config.github.baseBranch}: set github.workflowPath to the workflow whose matrix lists the account folders`,
    );
  }
  const placement = placeAccount(account, obs, config, options.claimed);
  const { folder, slug } = placement;
  if (placement.kind === 'blocked') return { folder, slug, changes: [placement.change], action: { type: 'blocked' } };
  const { takenFolder, ambiguity } = placement;

  // What the base branch lacks.
  const held = obs.folders[folder];
  const templates = templatesFor(options.profile?.templates);
  const missing = Object.keys(templates)
    .sort()
    .filter((f) => !held?.files.includes(f));
  const drift: Change[] = [];
  if (missing.length > 0) {
    const what = held ? `${folder} lacks ${missing.join(', ')}` : `${folder} does not exist`;
    drift.push(change('folder-missing', `${what} on ${config.github.baseBranch}`));
  }
  const matrix = matrixState(workflowText, config, folder);
  if (matrix !== 'present') {
    const full = matrix === 'limit' ? 'its matrix is full (GitHub runs at most 256 jobs per matrix)' : undefined;
    drift.push(
      change(
        'matrix-entry-missing',
        `${obs.workflowPath} does not list ${folder} in its matrix${full ? `; split the accounts over several jobs or workflows` : ''}`,
        full,
      ),
    );
  }
  const base = { folder, slug, ...(takenFolder ? { takenFolder } : {}) };
  if (drift.length === 0) return { ...base, changes: ambiguity ? [ambiguity] : [], action: { type: 'none' } };
  // Which of several folders is the account's is a person's call: nothing is written until they decide.
  if (ambiguity) {
    return {
      ...base,
      changes: [ambiguity, ...blockAll(drift, "which folder is the account's is undecided")],
      action: { type: 'blocked' },
    };
  }

  const pulls = accountPulls(obs, account.accountId);
  const open = pulls.find((p) => p.state === 'open');
  const classes = drift.map((c) => c.class).join(', ');
  if (open?.batch) {
    // A batch pull request adds the account: it is pending there, and gets no second pull request. Keeping the
    // batch current is the batch writer's job (`cli backfill` again), never a single account's.
    if (open.headIsOurs === false) {
      const detail = `batch pull request #${open.number} adds this account and has commits a person pushed, so the tool leaves it alone (${classes} left to it): merge it, or delete its branch to hand it back: ${open.url}`;
      return { ...base, changes: [change('pr-edited', detail)], action: { type: 'edited', pull: open, ours: false } };
    }
    return { ...base, changes: [], action: { type: 'keep', pull: open } };
  }
  if (open && (open.marker?.accountId !== account.accountId || open.headIsOurs === false)) {
    const ours = open.marker?.accountId === account.accountId;
    const detail = ours
      ? `onboarding pull request #${open.number} has commits a person pushed, so the tool leaves it alone (${classes} left to it): merge it, or delete its branch to hand it back: ${open.url}`
      : `pull request #${open.number} from the onboarding branch was not opened by the tool, so it is never touched (${classes} left as is): ${open.url}`;
    return { ...base, changes: [change('pr-edited', detail)], action: { type: 'edited', pull: open, ours } };
  }
  const last = pulls.find((p) => !p.marker?.superseded);
  if (!open && last && !last.merged && !options.force) {
    const what = last.batch ? 'batch pull request' : 'onboarding pull request';
    const detail = `${what} #${last.number} was closed without merging (${classes} left as is); start the onboarding with "force": true to open it again: ${last.url}`;
    return { ...base, changes: [change('pr-declined', detail)], action: { type: 'declined', pull: last } };
  }
  if (drift.some((c) => !c.remediable)) {
    return { ...base, changes: blockAll(drift, 'the change is only made whole'), action: { type: 'blocked' } };
  }

  const commit = planCommit(account, { folder, slug }, missing, workflowText, config, templates);
  if (open) {
    const current = open.marker?.hash === commit.contentHash && (open.marker.folder ?? folder) === folder;
    if (current && !options.force) return { ...base, changes: [], action: { type: 'keep', pull: open }, commit };
    const detail = `onboarding pull request #${open.number} no longer matches ${config.github.baseBranch} (the base moved) and may not merge cleanly: regenerate it: ${open.url}`;
    return { ...base, changes: [...drift, change('pr-stale', detail)], action: { type: 'update', pull: open }, commit };
  }
  return { ...base, changes: drift, action: { type: 'open' }, commit };
}

/** The changes, none remediable: a plan that cannot be applied in full applies nothing. */
const blockAll = (changes: Change[], why: string): Change[] =>
  changes.map((c) => (c.remediable ? change(c.class, c.detail, why) : c));

function planCommit(
  account: AccountFacts,
  place: { folder: string; slug: string },
  missing: string[],
  workflowText: string,
  config: OnboardingConfig,
  templates: Readonly<Record<string, string>>,
): CommitPlan {
  const rendered = renderAccountFolder({ ...account, ...place }, config, templates);
  const files = missing
    .map((name) => ({ path: `${place.folder}/${name}`, content: rendered[name] ?? '' }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const edit = addMatrixEntry(workflowText, config.github.matrixKey, place.folder);
  return {
    files,
    workflowText: edit.text,
    workflowChanged: edit.changed,
    contentHash: hashChange(files, config.github.workflowPath, edit.text),
  };
}

type MatrixState = 'present' | 'missing' | 'limit';

/** Is the folder in every matrix list? `limit` when adding it would pass GitHub's 256-job limit. */
function matrixState(workflowText: string, config: OnboardingConfig, folder: string): MatrixState {
  const lists = readMatrixLists(workflowText, config.github.matrixKey);
  const targets = lists.filter((list) => !list.entries.includes(folder));
  if (targets.length === 0) return 'present';
  if (targets.some((list) => (list.entries.length + 1) * list.jobsPerEntry > GITHUB_MATRIX_LIMIT)) return 'limit';
  return 'missing';
}
