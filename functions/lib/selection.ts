import type { OnboardingConfig } from './config';
import type { AccountId, OrganizationalUnitRef } from './types';

/**
 * The account's selection: whether the tool governs an account at all. One pure planner used by every caller
 * (resolve-account on an event or a re-run, the reconcile inventory and batch check, `cli plan`), so the sweep and an
 * onboarding never disagree about which accounts count.
 */

/** What selection looks at; each caller observes it its own cheap way (DescribeAccount, ListAccounts, …). */
export interface SelectionFacts {
  accountId: AccountId;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, PENDING_ACTIVATION, … */
  status: string;
  /** The OUs above the account (any depth); only ids are compared. */
  ouPath: Pick<OrganizationalUnitRef, 'id' | 'name'>[];
  /** The account's tags; `undefined` while not read yet (tags can only exclude, so they are checked last). */
  tags?: Record<string, string>;
}

/** Why an account is skipped, by name (in the outcome of a skipped onboarding, `rule`). */
export type SkipRule =
  | 'management-account'
  | 'tooling-account'
  | 'not-active'
  | 'excluded-account'
  | 'excluded-ou'
  | 'excluded-tag';

export type Selection =
  | { decision: 'onboard' }
  /** A just-created account activates within minutes: the caller retries rather than skipping it. */
  | { decision: 'wait'; reason: string }
  | { decision: 'skip'; rule: SkipRule; reason: string };

export interface SelectionOptions {
  /**
   * An explicit `force` run overrides the configured filters (excluded ids, OUs, tags): someone asked for this
   * account by id. It never overrides the management account, the tooling account (only
   * `filters.onboardToolingAccount` does) or an account that is not ACTIVE.
   */
  force?: boolean;
}

type SelectionConfig = Pick<OnboardingConfig, 'managementAccountId' | 'toolingAccountId' | 'filters'>;

/** Whether the account is onboarded, waited for, or skipped, with the reason as a sentence for logs and reports. */
export function planSelection(
  facts: SelectionFacts,
  config: SelectionConfig,
  options: SelectionOptions = {},
): Selection {
  const { accountId, status } = facts;
  if (config.managementAccountId !== undefined && accountId === config.managementAccountId) {
    return skip(
      'management-account',
      `Account ${accountId} is the organization's management account, which is never onboarded.`,
    );
  }
  // The pipeline's own account: a cicd role there would let the pipeline (and, with allowPullRequests, pull-request
  // runs) administer the account that holds its identity. Only an explicit setting onboards it.
  if (accountId === config.toolingAccountId && config.filters.onboardToolingAccount !== true) {
    return skip(
      'tooling-account',
      `Account ${accountId} is the tooling account (toolingAccountId), which is onboarded only with filters.onboardToolingAccount: true.`,
    );
  }
  if (status === 'PENDING_ACTIVATION') {
    return {
      decision: 'wait',
      reason: `Account ${accountId} is PENDING_ACTIVATION; onboarding continues once it is ACTIVE.`,
    };
  }
  if (status !== 'ACTIVE') {
    return skip('not-active', `Account ${accountId} is ${status}; only ACTIVE accounts are onboarded.`);
  }
  if (options.force) return { decision: 'onboard' };

  const { excludeAccountIds, excludeOuIds, excludeTags } = config.filters;
  if (excludeAccountIds.includes(accountId))
    return skip('excluded-account', `Account ${accountId} is listed in filters.excludeAccountIds.`);
  const ou = facts.ouPath.find((o) => excludeOuIds.includes(o.id));
  if (ou) {
    return skip(
      'excluded-ou',
      `Account ${accountId} is under OU ${ou.name} (${ou.id}), which is listed in filters.excludeOuIds.`,
    );
  }
  const tags = facts.tags ?? {};
  const tag = excludeTags.find(({ key, value }) => Object.hasOwn(tags, key) && (value === '*' || tags[key] === value));
  if (tag) {
    return skip(
      'excluded-tag',
      `Account ${accountId} has tag ${tag.key}=${tags[tag.key]}, which matches filters.excludeTags.`,
    );
  }
  return { decision: 'onboard' };
}

const skip = (rule: SkipRule, reason: string): Selection => ({ decision: 'skip', rule, reason });
