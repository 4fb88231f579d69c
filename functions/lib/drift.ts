import type { Change, DriftClass } from './changes';
import { change, DRIFT_CLASSES } from './changes';
import type { OnboardingConfig } from './config';
import { TFVARS_FILE } from './onboarding-change';
import { planRepo, type RepoObservation } from './repo-plan';
import type { AccountId } from './types';

export { type Change, DRIFT_CLASSES, type DriftClass } from './changes';

/**
 * Drift for reconciliation: the planners' changes (cicd-role.ts planRole, repo-plan.ts planRepo) for every account,
 * summarised. Nothing here calls AWS or GitHub, and nothing here decides what is wrong: the same plans an
 * onboarding applies, so an account reported clean is one an onboarding would not change.
 */

/** An account as ListAccounts describes it. */
export interface InventoryAccount {
  accountId: AccountId;
  name: string;
  email: string;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION */
  status: string;
}

export interface AccountResult {
  accountId: AccountId;
  name: string;
  findings: Change[];
  /** Set when an open, up-to-date onboarding pull request awaits review: the repo part is in hand. */
  pendingPullRequest?: string;
}

export interface OrphanFolder {
  folder: string;
  accountId?: AccountId;
  reason: string;
}

/**
 * The repository changes of each account (planRepo), with its pending pull request when one holds exactly them.
 * @throws WorkflowMatrixNotFound when the workflow is missing or has no editable matrix: every account is affected,
 *   so the run fails with a message that says what to fix rather than reporting 10,000 findings.
 */
export function repoDrift(
  accounts: InventoryAccount[],
  observation: RepoObservation,
  config: OnboardingConfig,
): AccountResult[] {
  return accounts.map((account) => {
    const plan = planRepo(account, observation, config);
    const result: AccountResult = { accountId: account.accountId, name: account.name, findings: plan.changes };
    return plan.action.type === 'keep' ? { ...result, pendingPullRequest: plan.action.pull.url } : result;
  });
}

/**
 * Folders under the accounts dir whose account is not (or no longer) an active member: it left the organization,
 * is suspended or closing, or the tfvars names no account at all. Reported only: deleting Terraform state is a
 * person's decision.
 */
export function orphanFolders(accounts: InventoryAccount[], observation: RepoObservation): OrphanFolder[] {
  const accountsById = new Map(accounts.map((a) => [a.accountId, a]));
  const orphans: OrphanFolder[] = [];
  for (const [folder, { tfvarsAccountId }] of Object.entries(observation.folders).sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    if (!tfvarsAccountId) {
      orphans.push({ folder, reason: `${folder}/${TFVARS_FILE} names no account id (aws_account_id)` });
      continue;
    }
    const account = accountsById.get(tfvarsAccountId);
    if (!account) {
      orphans.push({
        folder,
        accountId: tfvarsAccountId,
        reason: `account ${tfvarsAccountId} is not a member of the organization (it left, or the id is wrong)`,
      });
    } else if (account.status !== 'ACTIVE' && account.status !== 'PENDING_ACTIVATION') {
      orphans.push({
        folder,
        accountId: tfvarsAccountId,
        reason: `account ${tfvarsAccountId} (${account.name}) is ${account.status}`,
      });
    }
  }
  return orphans;
}

// ---- summary ---------------------------------------------------------------------------------------------------

export interface DriftedAccount {
  accountId: AccountId;
  name: string;
  /** Distinct classes, in DRIFT_CLASSES order. */
  drift: DriftClass[];
  /** The classes of the changes an onboarding carries out (decided per change); the rest need a person. */
  remediableDrift: DriftClass[];
  details: string[];
  /** An onboarding would carry out at least one of its changes: remediation starts one. */
  remediable: boolean;
}

export interface DriftSummary {
  accountsChecked: number;
  driftedAccounts: number;
  /** Findings per class (orphan folders included); every class present, zero or not. */
  counts: Record<DriftClass, number>;
  accounts: DriftedAccount[];
  orphanFolders: OrphanFolder[];
  /** Accounts whose onboarding pull request is open and current: awaiting review, not drift. */
  pendingPullRequests: Array<{ accountId: AccountId; url: string }>;
  /** Accounts not checked and why (management account, filters), by reason. */
  skipped: number;
}

const classOrder = (c: DriftClass): number => DRIFT_CLASSES.indexOf(c);

/**
 * One account's result from its role and repository changes. An account no member access role can be assumed in
 * cannot be onboarded, so none of its repository changes is remediable until a person makes it assumable (a folder
 * in the matrix for an account the pipeline cannot enter would only fail every pipeline run).
 */
export function combineFindings(
  account: { accountId: AccountId; name: string },
  role: Change[],
  repo: Change[],
): AccountResult {
  const unreachable = role.some((c) => c.class === 'account-not-assumable');
  const blocked = unreachable
    ? repo.map((c) => (c.remediable ? change(c.class, c.detail, 'the account cannot be assumed yet') : c))
    : repo;
  return { accountId: account.accountId, name: account.name, findings: [...role, ...blocked] };
}

/** Counts by class and the drifted accounts, sorted by account id. */
export function summarize(results: AccountResult[], orphans: OrphanFolder[] = [], skipped = 0): DriftSummary {
  const counts = Object.fromEntries(DRIFT_CLASSES.map((c) => [c, 0])) as Record<DriftClass, number>;
  const accounts: DriftedAccount[] = [];
  const pendingPullRequests: DriftSummary['pendingPullRequests'] = [];
  for (const r of [...results].sort((a, b) => (a.accountId < b.accountId ? -1 : 1))) {
    if (r.pendingPullRequest) pendingPullRequests.push({ accountId: r.accountId, url: r.pendingPullRequest });
    if (r.findings.length === 0) continue;
    for (const f of r.findings) counts[f.class]++;
    const classes = (changes: Change[]) =>
      [...new Set(changes.map((f) => f.class))].sort((a, b) => classOrder(a) - classOrder(b));
    const remediableDrift = classes(r.findings.filter((f) => f.remediable));
    accounts.push({
      accountId: r.accountId,
      name: r.name,
      drift: classes(r.findings),
      remediableDrift,
      details: r.findings.map((f) => `${f.class}${f.remediable ? '' : ' (needs a person)'}: ${f.detail}`),
      remediable: remediableDrift.length > 0,
    });
  }
  counts['orphan-folder'] += orphans.length;
  return {
    accountsChecked: results.length,
    driftedAccounts: accounts.length,
    counts,
    accounts,
    orphanFolders: orphans,
    pendingPullRequests,
    skipped,
  };
}
