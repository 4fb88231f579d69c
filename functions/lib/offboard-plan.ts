import { createHash } from 'node:crypto';
import type { OnboardingConfig } from './config';
import type { RepoFolder } from './repo-plan';
import type { AccountId } from './types';
import { readMatrixEntries } from './workflow-matrix';
import { removeMatrixEntry } from './workflow-matrix-remove';

/**
 * The pure planner of an account's offboarding (closed, suspended or removed from the organization): one pull
 * request on `<offboarding.branchPrefix><id>` that takes the account's folders out of the workflow matrix and, with
 * `offboarding.removeFolder`, deletes them. Ownership, as for onboarding:
 * - a folder is the account's only when its terraform.tfvars names the account; nothing else is touched;
 * - the branch is updated only while its head is the tool's own commit; a pull request a person pushed to, or one
 *   the tool did not open, is left alone (`edited`); one a person closed unmerged is not reopened (`declined`).
 * The account's `cicd` role is never part of it: the tool can no longer govern that account.
 */

/** The hidden marker of an offboarding pull request: which account, which content, which commit. */
export interface OffboardMarker {
  accountId: AccountId;
  hash: string;
  commit: string;
}

export function offboardMarker(m: OffboardMarker): string {
  return `<!-- oidc-account-onboarding:offboard:v1 account=${m.accountId} hash=${m.hash} commit=${m.commit} -->`;
}

export function parseOffboardMarker(body: string | null | undefined): OffboardMarker | undefined {
  const m =
    /<!-- oidc-account-onboarding:offboard:v1 account=(\d{12}) hash=([0-9a-f]{64}) commit=([0-9a-f]{40}) -->/.exec(
      body ?? '',
    );
  return m?.[1] && m[2] && m[3] ? { accountId: m[1], hash: m[2], commit: m[3] } : undefined;
}

/** A pull request on the account's offboarding branch. */
export interface OffboardPull {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  url: string;
  headSha: string;
  marker?: OffboardMarker;
  /** Whether the head is the tool's own, unamended commit (checked for the open one). */
  headIsOurs?: boolean;
}

export interface OffboardObservation {
  commitSha: string;
  workflowPath: string;
  workflowText?: string;
  folders: Record<string, RepoFolder>;
  /** The pull requests of the account's offboarding branch, newest first. */
  pulls: OffboardPull[];
}

export interface OffboardCommit {
  /** Paths deleted (whole folders only). */
  deletions: string[];
  workflowText: string;
  workflowChanged: boolean;
  contentHash: string;
}

export type OffboardAction =
  /** The base branch no longer lists or holds anything of the account. */
  | { type: 'none' }
  | { type: 'keep'; pull: OffboardPull }
  | { type: 'declined'; pull: OffboardPull }
  | { type: 'edited'; pull: OffboardPull }
  | { type: 'open' }
  | { type: 'update'; pull: OffboardPull };

export interface OffboardPlan {
  accountId: AccountId;
  /** Folders whose terraform.tfvars names the account. */
  folders: string[];
  /** Of those, the ones the matrix lists (and the edit takes out). */
  matrixEntries: string[];
  /** Of those, the ones deleted (`offboarding.removeFolder`). */
  removedFolders: string[];
  /** Folders kept, each with why (removeFolder off). */
  keptFolders: string[];
  action: OffboardAction;
  commit?: OffboardCommit;
}

export const offboardingBranch = (config: OnboardingConfig, accountId: AccountId): string =>
  `${config.offboarding.branchPrefix}${accountId}`;

export function hashOffboarding(deletions: string[], workflowPath: string, workflowText: string): string {
  const hash = createHash('sha256');
  for (const path of [...deletions].sort()) hash.update(`${path}\0`);
  hash.update(`${workflowPath}\0${workflowText}`);
  return hash.digest('hex');
}

export interface OffboardPlanOptions {
  /** Reopen a pull request a person closed unmerged. */
  force?: boolean;
}

export function planOffboarding(
  accountId: AccountId,
  obs: OffboardObservation,
  config: OnboardingConfig,
  options: OffboardPlanOptions = {},
): OffboardPlan {
  const { matrixKey, workflowPath } = config.github;
  const folders = Object.entries(obs.folders)
    .filter(([, f]) => f.tfvarsAccountId === accountId)
    .map(([path]) => path)
    .sort();
  const listed = obs.workflowText === undefined ? [] : readMatrixEntries(obs.workflowText, matrixKey);
  const matrixEntries = folders.filter((f) => listed.includes(f));
  const removedFolders = config.offboarding.removeFolder ? folders : [];
  const keptFolders = config.offboarding.removeFolder ? [] : folders;
  const base = { accountId, folders, matrixEntries, removedFolders, keptFolders };

  let workflowText = obs.workflowText ?? '';
  for (const entry of matrixEntries) workflowText = removeMatrixEntry(workflowText, matrixKey, entry).text;
  const deletions = removedFolders.flatMap((f) => (obs.folders[f]?.files ?? []).map((name) => `${f}/${name}`));
  const workflowChanged = matrixEntries.length > 0;
  if (!workflowChanged && deletions.length === 0) return { ...base, action: { type: 'none' } };

  const contentHash = hashOffboarding(deletions, workflowPath, workflowText);
  const commit: OffboardCommit = { deletions, workflowText, workflowChanged, contentHash };
  const open = obs.pulls.find((p) => p.state === 'open');
  if (open) {
    if (!open.marker || open.marker.accountId !== accountId || open.headIsOurs === false) {
      return { ...base, action: { type: 'edited', pull: open } };
    }
    if (open.marker.hash === contentHash && open.headSha === open.marker.commit) {
      return { ...base, action: { type: 'keep', pull: open }, commit };
    }
    return { ...base, action: { type: 'update', pull: open }, commit };
  }
  const declined = obs.pulls.find((p) => p.state === 'closed' && !p.merged && p.marker?.accountId === accountId);
  if (declined && !options.force) return { ...base, action: { type: 'declined', pull: declined } };
  return { ...base, action: { type: 'open' }, commit };
}
