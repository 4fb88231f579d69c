import type { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { ensureCicdRole } from '../lib/cicd-role';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { AccountNotAssumable, AccountNotReady, AccountNotSelected, InvalidInput } from '../lib/errors';
import { logger, startInvocation } from '../lib/logger';
import { type AwsCredentialIdentity, assumeMemberAccount, memberIamClients } from '../lib/member-account';
import { readAccount } from '../lib/organization';
import { resolveProfile, withProfile } from '../lib/profiles';
import { planSelection } from '../lib/selection';
import { ensureRoleSessionPolicy, sessionName } from '../lib/session-policy';
import type { AccountContext, RoleResult } from '../lib/types';

export interface EnsureCicdRoleEvent {
  /** The account resolve-account selected; only its id is used: the function reads the account itself. */
  account: Pick<AccountContext, 'accountId'> & Partial<AccountContext>;
  /** Step Functions execution ARN: for the logs, and the member-account session's name (`onboarding-<execution>`). */
  executionId?: string;
  /** What started the onboarding; `event` (an account-creation event) means the role is most likely missing. */
  trigger?: string;
  /** An explicit re-run that overrides the configured filters (never the management or tooling account). */
  force?: boolean;
  /**
   * An invited account (state-machines/onboard-invited-account.asl.json): no access role is assumable until a person
   * creates one, so that ends the call with AccountNotAssumable and the steps, and the state machine waits.
   */
  invited?: boolean;
}

export interface EnsureCicdRoleDeps {
  config: OnboardingConfig;
  /** Organizations of the management account: the account as it is now, for the filters and the organization id. */
  organizations: OrganizationsClient;
  /** STS of the management account, used to assume the member access role. */
  sts: STSClient;
  /** IAM of the member account, from the assumed-role credentials. */
  iamFor: (credentials: AwsCredentialIdentity) => IAMClient;
  partition?: string;
}

/** `aws`, `aws-cn` or `aws-us-gov` from the function's region, so ARNs are right outside the commercial partition. */
const partitionOf = (region = ''): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

export function makeHandler(
  deps: EnsureCicdRoleDeps,
): (event: EnsureCicdRoleEvent, context?: unknown) => Promise<RoleResult> {
  return async (event, context) => {
    startInvocation(context, event?.executionId);
    const accountId: unknown = event?.account?.accountId;
    if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) {
      throw new InvalidInput(
        `ensure-cicd-role expects {"account": {"accountId": "012345678901", ...}} with a 12-digit account id as a string; got ${JSON.stringify(accountId) ?? 'none'}`,
      );
    }
    logger.appendPersistentKeys({ accountId });
    const { config, partition } = deps;
    // Invoked directly or not, the function governs only the accounts the configuration selects, as Organizations
    // describes them now (the input's OU path and tags are not trusted).
    const account = await readAccount(deps.organizations, accountId);
    const selection = planSelection(account, config, { force: event.force === true });
    if (selection.decision === 'wait') throw new AccountNotReady(selection.reason);
    if (selection.decision === 'skip') {
      throw new AccountNotSelected(
        `ensure-cicd-role leaves account ${accountId} alone (${selection.rule}): ${selection.reason} Nothing was changed.`,
      );
    }
    const { organizationId } = account;
    if (!organizationId) {
      logger.warn(
        'Organizations named no organization id in the account ARN: the trust goes without aws:PrincipalOrgID',
      );
    }
    const { profile, reason } = resolveProfile(account, config);
    const session = await assumeMemberAccount(deps.sts, accountId, config.memberAccessRoleNames, {
      partition,
      sessionName: sessionName('onboarding', event.executionId),
      policy: ensureRoleSessionPolicy(withProfile(config, profile), accountId, partition),
    }).catch((err: unknown) => {
      if (event.invited === true && err instanceof AccountNotReady) {
        throw new AccountNotAssumable(accessRoleSteps(config, accountId, partition ?? 'aws', err.message));
      }
      throw err;
    });
    const role = await ensureCicdRole(deps.iamFor(session.credentials), config, accountId, {
      partition,
      expectNew: event.trigger === 'event',
      profile,
      ...(organizationId ? { organizationId } : {}),
    });
    const result: RoleResult = { ...role, accessRole: session.accessRole };
    logger.info('cicd role converged', { ...result, profile: profile.name, profileReason: reason });
    return result;
  };
}

/**
 * What a person does so an invited account can be onboarded: the exact role, its trust and its permissions. An
 * invited account has no OrganizationAccountAccessRole (Organizations creates it only in accounts it creates).
 */
export function accessRoleSteps(config: OnboardingConfig, accountId: string, partition: string, cause: string): string {
  const role = config.memberAccessRoleNames[0] as string;
  const management = config.managementAccountId ?? '<management account id>';
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${management}:root` }, Action: 'sts:AssumeRole' },
    ],
  });
  return (
    `Invited account ${accountId} has no member access role this tool can assume (${cause}). ` +
    `An administrator of account ${accountId} creates the role ${role} (any of ${config.memberAccessRoleNames.join(', ')} works) ` +
    `trusting the management account ${management}, with the permissions to manage IAM roles (AdministratorAccess, as in accounts Organizations creates): ` +
    `1) aws iam create-role --role-name ${role} --assume-role-policy-document '${trust}'; ` +
    `2) aws iam attach-role-policy --role-name ${role} --policy-arn arn:${partition}:iam::aws:policy/AdministratorAccess. ` +
    `Then start onboard-account with {"accountId": "${accountId}"} (or redrive this execution).`
  );
}

// Created once per container: the management account's Organizations (served from us-east-1) and STS;
// member-account IAM clients are built per call and share one HTTP handler (memberIamClients).
const organizations = new OrganizationsClient({ region: 'us-east-1' });
const sts = new STSClient({});

export const defaultDeps = (): EnsureCicdRoleDeps => ({
  config: configFromEnv(),
  organizations,
  sts,
  iamFor: memberIamClients(),
  partition: partitionOf(process.env.AWS_REGION),
});

let cached: ReturnType<typeof makeHandler> | undefined;

export const handler = async (event: EnsureCicdRoleEvent, context?: unknown): Promise<RoleResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event, context);
};
