import type { BatchMarker } from './batch-change';
import { type Change, change } from './changes';
import type { OnboardingConfig } from './config';
import { TFVARS_FILE } from './onboarding-change';
import type { AccountFacts, BatchPull, OnboardingPull, RepoObservation } from './repo-plan';
import { accountFolder, accountSlug, collisionSlug } from './slug';
import type { AccountId } from './types';

/**
 * Which folder of the repository is the account's (repo-plan.ts planRepo's first decision, made here once for
 * every caller), and the lookups over an observation it needs: the folders each account id owns, the folders open
 * pull requests claim, and each account's view of the batch pull requests that list it. Pure.
 */

// ---- index -----------------------------------------------------------------------------------------------------

interface Claim {
  number: number;
  accountId: AccountId;
}

interface RepoIndex {
  foldersByAccountId: Map<AccountId, string[]>;
  /** Folder -> open onboarding pull requests (single or batch) of any account whose marker names it, lowest first. */
  claims: Map<string, Claim[]>;
  /** Account -> its view of every batch pull request whose marker lists it, newest first. */
  batchPulls: Map<AccountId, OnboardingPull[]>;
}

const indexes = new WeakMap<RepoObservation, RepoIndex>();

/** Lookups over the whole observation, built once per observation (reconciliation plans thousands of accounts). */
function indexOf(obs: RepoObservation): RepoIndex {
  const hit = indexes.get(obs);
  if (hit) return hit;
  const foldersByAccountId = new Map<AccountId, string[]>();
  for (const folder of Object.keys(obs.folders).sort()) {
    const id = obs.folders[folder]?.tfvarsAccountId;
    if (id) foldersByAccountId.set(id, [...(foldersByAccountId.get(id) ?? []), folder]);
  }
  const claims = new Map<string, Claim[]>();
  const batchPulls = new Map<AccountId, OnboardingPull[]>();
  const open: Array<{ number: number; accountId: AccountId; folder: string }> = [];
  for (const pull of obs.pulls) {
    const folder = pull.marker?.folder;
    if (pull.state !== 'open' || !folder || pull.marker?.accountId !== pull.accountId) continue;
    open.push({ number: pull.number, accountId: pull.accountId, folder });
  }
  for (const batch of obs.batches ?? []) {
    for (const entry of batch.marker?.accounts ?? []) {
      const view = batchView(batch, entry.accountId, entry.folder);
      batchPulls.set(entry.accountId, [...(batchPulls.get(entry.accountId) ?? []), view]);
      if (batch.state === 'open') open.push({ number: batch.number, accountId: entry.accountId, folder: entry.folder });
    }
  }
  for (const { folder, ...claim } of open.sort((a, b) => a.number - b.number)) {
    claims.set(folder, [...(claims.get(folder) ?? []), claim]);
  }
  for (const views of batchPulls.values()) views.sort((a, b) => b.number - a.number);
  const index = { foldersByAccountId, claims, batchPulls };
  indexes.set(obs, index);
  return index;
}

/** One account's view of a batch pull request: what its single pull request would look like. */
function batchView(batch: BatchPull, accountId: AccountId, folder: string): OnboardingPull {
  const marker = batch.marker as BatchMarker;
  return {
    number: batch.number,
    accountId,
    state: batch.state,
    merged: batch.merged,
    url: batch.url,
    headSha: batch.headSha,
    marker: { accountId, folder, hash: marker.hash, commit: marker.commit },
    ...(batch.headIsOurs === undefined ? {} : { headIsOurs: batch.headIsOurs }),
    batch: batch.key,
  };
}

/** The account's pull requests, its own and its views of batch pull requests, newest first. */
export const accountPulls = (obs: RepoObservation, accountId: AccountId): OnboardingPull[] => {
  const batches = indexOf(obs).batchPulls.get(accountId) ?? [];
  const own = obs.pulls.filter((p) => p.accountId === accountId);
  return batches.length === 0 ? own : [...own, ...batches].sort((a, b) => b.number - a.number);
};

/** The folders whose tfvars name the account, sorted. */
export const foldersNaming = (obs: RepoObservation, accountId: AccountId): string[] =>
  indexOf(obs).foldersByAccountId.get(accountId) ?? [];

// ---- placement -------------------------------------------------------------------------------------------------

export type Placement =
  | {
      kind: 'placed';
      folder: string;
      slug: string;
      takenFolder?: { folder: string; reason: string };
      /** A finding for a person that does not stop a complete folder from counting as onboarded. */
      ambiguity?: Change;
    }
  | { kind: 'blocked'; folder: string; slug: string; change: Change };

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Why `folder` is not free for the account, or undefined when it is. */
function takenBy(
  obs: RepoObservation,
  folder: string,
  accountId: AccountId,
  ownPull?: number,
  claimed?: ReadonlyMap<string, AccountId>,
): string | undefined {
  const held = obs.folders[folder];
  if (held) {
    if (held.tfvarsAccountId === accountId) return undefined;
    if (held.tfvarsAccountId) return `its ${TFVARS_FILE} names account ${held.tfvarsAccountId}`;
    return `it holds ${held.files.join(', ')} without a ${TFVARS_FILE} naming this account`;
  }
  // An earlier open pull request of another account claims it: the lower number keeps it (deterministic, and the
  // later one sees the earlier when it re-checks after opening).
  const claim = (indexOf(obs).claims.get(folder) ?? []).find(
    (p) => p.accountId !== accountId && (ownPull === undefined || p.number < ownPull),
  );
  if (claim) return `onboarding pull request #${claim.number} of account ${claim.accountId} adds it`;
  const planned = claimed?.get(folder);
  return planned && planned !== accountId ? `account ${planned} of the same batch gets it` : undefined;
}

/** Decides the account's folder, once, for every caller. */
export function placeAccount(
  account: AccountFacts,
  obs: RepoObservation,
  config: OnboardingConfig,
  claimed?: ReadonlyMap<string, AccountId>,
): Placement {
  const { accountId } = account;
  const dir = config.github.accountsDir;
  const slug = accountSlug(account.name, accountId);
  const expected = accountFolder(dir, slug);
  const owned = foldersNaming(obs, accountId);

  if (owned.length > 1) {
    const folder = owned.includes(expected) ? expected : (owned[0] as string);
    const detail =
      `${owned.join(', ')} all name account ${accountId} in ${TFVARS_FILE}: one account has one folder, so at most ` +
      'one is right. A person fixes aws_account_id in the others (the tool never rewrites it)';
    return { kind: 'placed', folder, slug: basename(folder), ambiguity: change('tfvars-account-id', detail) };
  }
  if (owned[0]) return { kind: 'placed', folder: owned[0], slug: basename(owned[0]) };

  const held = obs.folders[expected];
  if (held?.files.includes(TFVARS_FILE) && !held.tfvarsAccountId) {
    const detail =
      `${expected}/${TFVARS_FILE} names no aws_account_id: if ${expected} is account ${accountId}'s folder, set ` +
      `aws_account_id = "${accountId}" there; if it is not, rename it. The tool never rewrites a tfvars`;
    return { kind: 'blocked', folder: expected, slug, change: change('tfvars-account-id', detail) };
  }
  const holder = held?.tfvarsAccountId;
  const holderFolders = holder ? foldersNaming(obs, holder) : [];
  if (holder && holderFolders.length > 1) {
    // Two folders name one account and one of them carries this account's name: most likely a typo in its id.
    const detail =
      `${expected}/${TFVARS_FILE} names account ${holder}, which ${holderFolders.filter((f) => f !== expected).join(', ')} ` +
      `also names: if ${expected} is account ${accountId}'s folder, its aws_account_id has a typo. A person fixes it`;
    return { kind: 'blocked', folder: expected, slug, change: change('tfvars-account-id', detail) };
  }

  // An open pull request keeps the folder it adds while that folder stays free for it: a folder freed elsewhere
  // never pulls two pull requests toward it at once.
  const own = accountPulls(obs, accountId).find((p) => p.state === 'open');
  const ownPull = own?.number;
  const sticky = own?.marker?.accountId === accountId ? own.marker.folder : undefined;
  if (sticky && sticky !== expected && isAccountFolder(dir, sticky) && !obs.folders[sticky]) {
    if (!takenBy(obs, sticky, accountId, ownPull, claimed)) {
      return { kind: 'placed', folder: sticky, slug: basename(sticky) };
    }
  }
  const expectedTaken = takenBy(obs, expected, accountId, ownPull, claimed);
  if (!expectedTaken) return { kind: 'placed', folder: expected, slug };
  const altSlug = collisionSlug(slug, accountId);
  const alt = accountFolder(dir, altSlug);
  const altTaken = takenBy(obs, alt, accountId, ownPull, claimed);
  if (!altTaken) {
    return { kind: 'placed', folder: alt, slug: altSlug, takenFolder: { folder: expected, reason: expectedTaken } };
  }
  const detail = `neither ${expected} (${expectedTaken}) nor ${alt} (${altTaken}) is free for account ${accountId}: a person picks its folder (add one whose ${TFVARS_FILE} names it)`;
  return { kind: 'blocked', folder: expected, slug, change: change('folder-missing', detail, 'no free folder') };
}

/** A folder directly inside the accounts dir, as accountFolder builds them (a marker can be edited by anyone). */
function isAccountFolder(dir: string, folder: string): boolean {
  try {
    return accountFolder(dir, basename(folder)) === folder;
  } catch {
    return false;
  }
}
