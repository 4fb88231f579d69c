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
  /** Repo folder of the account, `<accountsDir>/<slug>`. */
  folder: string;
  slug: string;
}

/** What the onboarding was started by. */
export type Trigger = 'event' | 'manual' | 'reconcile';

export type ResolveResult =
  | { decision: 'pending'; createAccountRequestId: string }
  | { decision: 'skip'; accountId: AccountId; reason: string }
  | { decision: 'onboard'; account: AccountContext; trigger: Trigger; force: boolean; drift: string[] };

export type RoleOutcome = 'created' | 'updated' | 'unchanged';

export interface RoleResult {
  outcome: RoleOutcome;
  roleArn: string;
  /** Human-readable list of what changed, e.g. `trust policy updated`, `attached AdministratorAccess`. */
  changes: string[];
  /** The member access role that worked. */
  accessRole: string;
}

export type PullRequestOutcome = 'already-onboarded' | 'opened' | 'updated' | 'unchanged' | 'declined';

export interface PullRequestResult {
  outcome: PullRequestOutcome;
  branch: string;
  number?: number;
  url?: string;
  /** Paths added or changed by the onboarding commit. */
  files: string[];
}
