import type { OnboardingConfig } from './config';
import { AccountNotReady } from './errors';
import type { OrganizationAccount } from './organization';

export interface SkipOptions {
  /**
   * An explicit `force` run overrides the configured filters (excluded ids, OUs, tags): someone asked for this
   * account by name. It never overrides the management account or an account that is not ACTIVE.
   */
  force?: boolean;
}

type SkipConfig = Pick<OnboardingConfig, 'managementAccountId' | 'filters'>;

/** Why an account is not onboarded, as a sentence for logs and notifications; undefined when it is onboarded. */
export function skipReason(
  account: OrganizationAccount,
  config: SkipConfig,
  options: SkipOptions = {},
): string | undefined {
  const { accountId } = account;
  if (config.managementAccountId !== undefined && accountId === config.managementAccountId) {
    return `Account ${accountId} is the organization's management account, which is never onboarded.`;
  }
  if (account.status === 'PENDING_ACTIVATION') {
    // A just-created account activates within minutes: let the state machine retry rather than skip it.
    throw new AccountNotReady(`Account ${accountId} is PENDING_ACTIVATION; onboarding continues once it is ACTIVE.`);
  }
  if (account.status !== 'ACTIVE') {
    return `Account ${accountId} is ${account.status}; only ACTIVE accounts are onboarded.`;
  }
  if (options.force) return undefined;

  const { excludeAccountIds, excludeOuIds, excludeTags } = config.filters;
  if (excludeAccountIds.includes(accountId)) {
    return `Account ${accountId} is listed in filters.excludeAccountIds.`;
  }
  const excludedOu = account.ouPath.find((ou) => excludeOuIds.includes(ou.id));
  if (excludedOu) {
    return `Account ${accountId} is under OU ${excludedOu.name} (${excludedOu.id}), which is listed in filters.excludeOuIds.`;
  }
  const excludedTag = excludeTags.find(
    ({ key, value }) => Object.hasOwn(account.tags, key) && (value === '*' || account.tags[key] === value),
  );
  if (excludedTag) {
    return `Account ${accountId} has tag ${excludedTag.key}=${account.tags[excludedTag.key]}, which matches filters.excludeTags.`;
  }
  return undefined;
}
