/** Shapes exchanged between the steps of the onboarding state machine. Plain JSON, no secrets. */

/** A 12-digit AWS account id, always a string (leading zeros are real). */
export type AccountId = string;

export interface OrganizationalUnitRef {
  id: string;
  name: string;
}

export interface AccountContext {
  accountId: AccountId;
  name: string;
  email: string;
  status: string;
  /** From the root down to the account's parent: `[{id:'r-…',name:'Root'}, {id:'ou-…',name:'Workloads'}]`. */
  ouPath: OrganizationalUnitRef[];
  tags: Record<string, string>;
  /** The organization's id (`o-…`, from the account's ARN): the cicd trust requires it (`aws:PrincipalOrgID`). */
  organizationId?: string;
}

/** An account with the folder the repository plan chose for it (repo-plan.ts decides; nothing else does). */
export interface PlacedAccount extends Pick<AccountContext, 'accountId' | 'name' | 'email'> {
  /** `<accountsDir>/<slug>` */
  folder: string;
  slug: string;
}

/** What the onboarding was started by; `backfill` executions converge the role only (no pull request of their own). */
export type Trigger = 'event' | 'manual' | 'reconcile' | 'backfill';

export type ResolveResult =
  | { decision: 'pending'; createAccountRequestId: string }
  /** `rule` names why (selection.ts SkipRule: management-account, tooling-account, excluded-ou, …). */
  | { decision: 'skip'; accountId: AccountId; rule: string; reason: string }
  /** Another execution of the same account creation holds the account's claim (account-claim.ts): nothing to do. */
  | { decision: 'duplicate'; accountId: AccountId; claimedBy: string; claimedAt: string }
  | { decision: 'onboard'; account: AccountContext; trigger: Trigger; force: boolean; drift: string[] };

/** `not-managed`: the role is someone else's (no managed tag, adoption off); nothing was changed. */
export type RoleOutcome = 'created' | 'updated' | 'unchanged' | 'not-managed';

export interface RoleResult {
  outcome: RoleOutcome;
  roleArn: string;
  /** Human-readable list of what changed, e.g. `trust policy updated`, `attached AdministratorAccess`. */
  changes: string[];
  /** The member access role that worked. */
  accessRole: string;
}

/**
 * `edited`: the pull request or its branch holds a person's work (or is not ours), so it was left as it is;
 * `blocked`: the repository needs a person's decision first (see `changes`); nothing was written.
 */
export type PullRequestOutcome =
  | 'already-onboarded'
  | 'opened'
  | 'updated'
  | 'unchanged'
  | 'declined'
  | 'edited'
  | 'blocked';

export interface PullRequestResult {
  outcome: PullRequestOutcome;
  branch: string;
  /** The account's folder, as written (or as found on the base branch). */
  folder: string;
  number?: number;
  url?: string;
  /** Paths added or changed by the onboarding commit. */
  files: string[];
  /** What needs a person, for `edited` and `blocked`. */
  changes?: string[];
  /** A moved account (reportProfileFiles): the profile now applying and the files it would render differently. */
  profile?: { name: string; reason: string; differences: string[] };
}
