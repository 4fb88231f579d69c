import type { IAMClient } from '@aws-sdk/client-iam';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { STSClient } from '@aws-sdk/client-sts';
import { ensureCicdRole } from './cicd-role-apply';
import { retiredSettings } from './cicd-role-retired';
import type { OnboardingConfig } from './config';
import { AccountNotAssumable, AccountNotReady, AccountNotSelected } from './errors';
import { logger } from './logger';
import { type AwsCredentialIdentity, assumeMemberAccount } from './member-account';
import { readAccount } from './organization';
import { resolveProfile, withProfile } from './profiles';
import { planSelection } from './selection';
import { ensureRoleSessionPolicy, sessionName } from './session-policy';
import type { RoleResult } from './types';

/**
 * ensure-cicd-role's step: the account as Organizations describes it now (the filters and the profile), a member
 * session narrowed to the cicd role, then the role converged (cicd-role-apply.ts ensureCicdRole).
 */

export interface CicdRoleStepDeps {
  config: OnboardingConfig;
  /** Organizations of the management account: the account as it is now, for the filters and the organization id. */
  organizations: OrganizationsClient;
  /** STS of the management account, used to assume the member access role. */
  sts: STSClient;
  /** IAM of the member account, from the assumed-role credentials. */
  iamFor: (credentials: AwsCredentialIdentity) => IAMClient;
  partition?: string;
}

export interface CicdRoleRequest {
  accountId: string;
  /** Step Functions execution ARN: the member-account session's name (`onboarding-<execution>`). */
  executionId?: string;
  /** `event` (an account-creation event) means the role is most likely missing. */
  trigger?: string;
  /** `true`: an explicit re-run that overrides the configured filters (never the management or tooling account). */
  force?: unknown;
  /** `true`: an invited account, with no access role until a person creates one (AccountNotAssumable, the steps). */
  invited?: unknown;
}

export async function convergeAccountRole(deps: CicdRoleStepDeps, request: CicdRoleRequest): Promise<RoleResult> {
  const { config, partition } = deps;
  const { accountId } = request;
  // Invoked directly or not, the function governs only the accounts the configuration selects, as Organizations
  // describes them now (the input's OU path and tags are not trusted).
  const account = await readAccount(deps.organizations, accountId);
  const selection = planSelection(account, config, { force: request.force === true });
  if (selection.decision === 'wait') throw new AccountNotReady(selection.reason);
  if (selection.decision === 'skip') {
    throw new AccountNotSelected(
      `ensure-cicd-role leaves account ${accountId} alone (${selection.rule}): ${selection.reason} Nothing was changed.`,
    );
  }
  const { organizationId } = account;
  if (!organizationId) {
    logger.warn('Organizations named no organization id in the account ARN: the trust goes without aws:PrincipalOrgID');
  }
  const { profile, reason } = resolveProfile(account, config);
  const session = await assumeMemberAccount(deps.sts, accountId, config.memberAccessRoleNames, {
    partition,
    sessionName: sessionName('onboarding', request.executionId),
    policy: ensureRoleSessionPolicy(
      withProfile(config, profile),
      accountId,
      partition,
      retiredSettings(config, profile),
    ),
  }).catch((err: unknown) => {
    if (request.invited === true && err instanceof AccountNotReady) {
      throw new AccountNotAssumable(accessRoleSteps(config, accountId, partition ?? 'aws', err.message));
    }
    throw err;
  });
  const role = await ensureCicdRole(deps.iamFor(session.credentials), config, accountId, {
    partition,
    expectNew: request.trigger === 'event',
    profile,
    ...(organizationId ? { organizationId } : {}),
  });
  const result: RoleResult = { ...role, accessRole: session.accessRole };
  logger.info('cicd role converged', { ...result, profile: profile.name, profileReason: reason });
  return result;
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
