import type { IAMClient } from '@aws-sdk/client-iam';
import {
  type OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  paginateListTagsForResource,
} from '@aws-sdk/client-organizations';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { STSClient } from '@aws-sdk/client-sts';
import { isThrottling, rethrowAws } from './aws-errors';
import { observeRole, type RoleObservation } from './cicd-role';
import type { OnboardingConfig } from './config';
import type { InventoryAccount } from './drift';
import { AccountNotReady, AwsThrottled } from './errors';
import { type AwsCredentialIdentity, assumeMemberAccount } from './member-account';
import { organizationIdOf } from './organization-id';
import type { RemediationPlan } from './remediation-plan';
import { planSelection } from './selection';
import { reconcileSessionPolicy } from './session-policy';
import type { AccountId } from './types';

/** The I/O pieces of reconciliation; drift.ts decides what is wrong. */

/** Accounts per Map iteration: 10,000 accounts are 100 iterations, each a few hundred AWS calls. */
export const BATCH_SIZE = 100;

/** Batches the Map state checks at once: its MaxConcurrency in state-machines/reconcile.asl.json. */
export const MAP_CONCURRENCY = 5;

/**
 * Accounts per batch: BATCH_SIZE, or fewer so that a small organization still fills the Map's parallel slots
 * (100 accounts are 5 batches of 20, checked 50 at once, not 1 batch checked 10 at once); never fewer than
 * `concurrency`, the accounts a batch checks at once.
 */
export const batchSizeFor = (accounts: number, concurrency: number): number =>
  Math.min(BATCH_SIZE, Math.max(concurrency, Math.ceil(accounts / MAP_CONCURRENCY)));

export type ReconcileMode = 'report' | 'remediate';

/**
 * What the inventory step writes once per run and every later step reads. The repository is read alongside the
 * checks, into its own file (`repoKey`): no account's role read waits for a GitHub download.
 */
export interface ReconcileSnapshot {
  runId: string;
  mode: ReconcileMode;
  /** Every account of the organization (suspended and excluded ones too: folders are matched against them). */
  accounts: InventoryAccount[];
  /** Ids of the accounts to check, in batch order. */
  checked: AccountId[];
  /** Accounts per batch (batchSizeFor); BATCH_SIZE when absent. */
  batchSize?: number;
  skipped: Array<{ accountId: AccountId; reason: string }>;
  /** The organization's id, which every cicd trust policy requires of its principal (`aws:PrincipalOrgID`). */
  organizationId?: string;
}

/** Organizations' error for a call that was throttled, as AwsThrottled; anything else unchanged. */
async function orgCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isThrottling(err)) throw new AwsThrottled(`Organizations throttled ${what}; the state machine retries later`);
    throw err;
  }
}

/** Every account of the organization, one paginated ListAccounts (20 per page). */
export async function listAccounts(org: OrganizationsClient): Promise<InventoryAccount[]> {
  return (await listOrganization(org)).accounts;
}

/**
 * Every account of the organization and the organization's id (read from the accounts' ARNs, which name it: no
 * DescribeOrganization), one paginated ListAccounts.
 */
export async function listOrganization(
  org: OrganizationsClient,
): Promise<{ accounts: InventoryAccount[]; organizationId?: string }> {
  return orgCall('ListAccounts', async () => {
    const accounts: InventoryAccount[] = [];
    let organizationId: string | undefined;
    for await (const page of paginateListAccounts({ client: org }, {})) {
      for (const a of page.Accounts ?? []) {
        if (!a.Id) continue;
        organizationId ??= organizationIdOf(a.Arn);
        accounts.push({
          accountId: a.Id,
          name: a.Name ?? '',
          email: a.Email ?? '',
          status: a.State ?? a.Status ?? 'UNKNOWN',
        });
      }
    }
    accounts.sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
    return { accounts, ...(organizationId ? { organizationId } : {}) };
  });
}

/** Accounts at any depth under the excluded OUs: cost grows with those OUs, not with the organization. */
export async function accountsUnderOus(org: OrganizationsClient, ouIds: string[]): Promise<Map<AccountId, string>> {
  const found = new Map<AccountId, string>();
  const visit = async (parentId: string, excludedOu: string): Promise<void> => {
    await orgCall('ListAccountsForParent', async () => {
      for await (const page of paginateListAccountsForParent({ client: org }, { ParentId: parentId })) {
        for (const a of page.Accounts ?? []) if (a.Id && !found.has(a.Id)) found.set(a.Id, excludedOu);
      }
    });
    const children: string[] = [];
    await orgCall('ListOrganizationalUnitsForParent', async () => {
      for await (const page of paginateListOrganizationalUnitsForParent({ client: org }, { ParentId: parentId })) {
        for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) children.push(ou.Id);
      }
    });
    for (const child of children) await visit(child, excludedOu);
  };
  for (const ouId of ouIds) await visit(ouId, ouId);
  return found;
}

/**
 * Which accounts are checked: those selection.ts would onboard, from what ListAccounts and the excluded OUs tell
 * (tags are read per account in the check step, where the same planner runs again with them).
 */
export function selectAccounts(
  accounts: InventoryAccount[],
  config: OnboardingConfig,
  excludedByOu: Map<AccountId, string>,
): { checked: AccountId[]; skipped: ReconcileSnapshot['skipped'] } {
  const checked: AccountId[] = [];
  const skipped: ReconcileSnapshot['skipped'] = [];
  for (const { accountId, status } of accounts) {
    const ou = excludedByOu.get(accountId);
    const selection = planSelection({ accountId, status, ouPath: ou ? [{ id: ou, name: ou }] : [] }, config);
    if (selection.decision === 'onboard') checked.push(accountId);
    else skipped.push({ accountId, reason: selection.reason });
  }
  return { checked, skipped };
}

export const batchCount = (accounts: number, size = BATCH_SIZE): number => Math.ceil(accounts / size);

export function batchSlice<T>(items: T[], batch: number, size = BATCH_SIZE): T[] {
  return items.slice(batch * size, (batch + 1) * size);
}

/** `runs/<execution name>`: where a run's files live. */
export const runPrefix = (executionName: string): string => `runs/${executionName.replace(/[^\w.-]/g, '-')}`;
export const snapshotKey = (prefix: string): string => `${prefix}/snapshot.json`;
export const resultsKey = (snapshot: string, batch: number): string =>
  `${snapshot.replace(/\/snapshot\.json$/, '')}/results/${batch}.json`;
export const reportKey = (snapshot: string): string => `${snapshot.replace(/\/snapshot\.json$/, '')}/report.json`;
/** The repository snapshot (RepoSnapshot) of the run, next to its account snapshot. */
export const repoKey = (snapshot: string): string => `${snapshot.replace(/\/snapshot\.json$/, '')}/repo.json`;

/** `yyyymmddHHMM` (UTC) of the run's start: readable and stable across retries of a step. */
export function runIdOf(startTime: string | Date): string {
  const d = new Date(startTime);
  if (Number.isNaN(d.getTime())) throw new Error(`Not a timestamp: ${String(startTime)}`);
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 12);
}

export interface RoleReaders {
  sts: STSClient;
  iamFor: (credentials: AwsCredentialIdentity) => IAMClient;
  partition?: string;
}

/**
 * The cicd role of one account as cicd-role.ts observeRole reads it, through the first member access role that
 * can be assumed (or `not-assumable`), in a session that may only read the cicd role (reconcileSessionPolicy) named
 * `session` (sessionName: `reconcile-<run>`, `plan-…`). Throttling becomes AwsThrottled.
 */
export async function observeMemberRole(
  readers: RoleReaders,
  config: OnboardingConfig,
  accountId: AccountId,
  session: string,
): Promise<RoleObservation> {
  let credentials: AwsCredentialIdentity;
  try {
    ({ credentials } = await assumeMemberAccount(readers.sts, accountId, config.memberAccessRoleNames, {
      partition: readers.partition,
      sessionName: session,
      policy: reconcileSessionPolicy(config, accountId, readers.partition),
    }));
  } catch (err) {
    if (!(err instanceof AccountNotReady)) throw err;
    return {
      kind: 'not-assumable',
      message:
        `none of ${config.memberAccessRoleNames.join(', ')} can be assumed from the management account. ` +
        'An account invited into the organization has no OrganizationAccountAccessRole: its administrator must create ' +
        `one of these roles trusting the management account (AdministratorAccess), then the next run onboards it.`,
    };
  }
  return observeRole(readers.iamFor(credentials), config, accountId);
}

/** The account's tags (one paginated ListTagsForResource), for selection.ts; none read when no tag filter is set. */
export async function accountTags(
  org: OrganizationsClient,
  config: OnboardingConfig,
  accountId: AccountId,
): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  if (config.filters.excludeTags.length === 0) return tags;
  await orgCall('ListTagsForResource', async () => {
    for await (const page of paginateListTagsForResource({ client: org }, { ResourceId: accountId })) {
      for (const { Key, Value } of page.Tags ?? []) if (Key !== undefined) tags[Key] = Value ?? '';
    }
  });
  return tags;
}

// ---- remediation -----------------------------------------------------------------------------------------------

/** `reconcile-<yyyymmddHHMM>-<accountId>`: readable, and one per account per run (a retried step starts nothing twice). */
export const remediationExecutionName = (runId: string, accountId: AccountId): string =>
  `reconcile-${runId}-${accountId}`;

export interface RemediationOutcome {
  started: Array<{ accountId: AccountId; executionName: string }>;
  /** Started by an earlier attempt of this run (ExecutionAlreadyExists). */
  alreadyStarted: Array<{ accountId: AccountId; executionName: string }>;
  /** Over this run's budget: left for the next run. */
  deferred: AccountId[];
  /** Of the started: role-only executions, whose folders follow in the next sweep's batch pull request. */
  roleFirst?: AccountId[];
  /** Accounts handed to the refresh for batch pull requests (remediation-handoff.ts). */
  batched?: { accounts: AccountId[]; pullRequests: number; requestKey: string; executionName: string };
}

/**
 * Starts one onboarding execution per account of the remediation plan (remediation-plan.ts) that takes one:
 * `{"trigger": "reconcile", "drift"}` on the single path, `{"trigger": "backfill"}` (role only) for a role-first
 * account. An execution of the same name means an earlier attempt of this run started it.
 */
export async function startRemediations(
  sfn: SFNClient,
  stateMachineArn: string,
  runId: string,
  accepted: RemediationPlan['accepted'],
): Promise<Pick<RemediationOutcome, 'started' | 'alreadyStarted'>> {
  const outcome: Pick<RemediationOutcome, 'started' | 'alreadyStarted'> = { started: [], alreadyStarted: [] };
  for (const { account, path } of accepted) {
    if (path === 'batch') continue;
    const { accountId } = account;
    const executionName = remediationExecutionName(runId, accountId);
    const input =
      path === 'role-first'
        ? { accountId, trigger: 'backfill' }
        : { accountId, trigger: 'reconcile', drift: account.remediableDrift };
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }));
      outcome.started.push({ accountId, executionName });
    } catch (err) {
      if ((err as { name?: string }).name === 'ExecutionAlreadyExists') {
        outcome.alreadyStarted.push({ accountId, executionName });
        continue;
      }
      rethrowAws(err, `states:StartExecution ${executionName}`);
    }
  }
  return outcome;
}
