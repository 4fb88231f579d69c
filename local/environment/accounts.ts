/**
 * Accounts as an operator makes and inspects them: CreateAccount through the Organizations API (with the events it
 * causes), and the `cicd` role an onboarding leaves in a member account.
 */
import { GetRoleCommand, ListAttachedRolePoliciesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  type CreateAccountStatus,
  DescribeCreateAccountStatusCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { OnboardingConfig } from '../../functions/lib/config';
import { AccountCreationFailed } from '../../functions/lib/errors';
import { decodePolicyDocument } from '../../functions/lib/trust-policy';
import type { AwsStandIn } from '../aws/server';
import { type ClientConfig, memberIam } from '../bootstrap';
import { LOCAL_REGION, randomSuffix } from './names';
import type { CreatedAccount, RoleView } from './types';

const defaultEmail = (name: string) =>
  `aws+${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomSuffix()}@example.com`;

/** Polls DescribeCreateAccountStatus until the request is no longer in progress (at most 600 polls). */
async function awaitCreation(
  organizations: OrganizationsClient,
  created: CreateAccountStatus | undefined,
  pollMs: number,
): Promise<CreateAccountStatus | undefined> {
  const requestId = created?.Id as string;
  let status = created;
  for (let polls = 0; status?.State === 'IN_PROGRESS' && polls < 600; polls++) {
    await new Promise((r) => setTimeout(r, pollMs));
    status = (await organizations.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId })))
      .CreateAccountStatus;
  }
  return status;
}

/** CreateAccount, waited for; the events are the stand-in's, or built from the answer on another endpoint. */
export function accountCreator(
  organizations: OrganizationsClient,
  standIn: AwsStandIn | undefined,
  managementAccountId: string,
) {
  return async (name: string, opts: { email?: string } = {}): Promise<CreatedAccount> => {
    const collected: Record<string, unknown>[] = [];
    const unsubscribe = standIn?.onEvent((e) => {
      collected.push(e as unknown as Record<string, unknown>);
    });
    try {
      const created = await organizations.send(
        new CreateAccountCommand({ AccountName: name, Email: opts.email ?? defaultEmail(name) }),
      );
      const requestId = created.CreateAccountStatus?.Id as string;
      const status = await awaitCreation(organizations, created.CreateAccountStatus, standIn ? 5 : 1000);
      if (status?.State !== 'SUCCEEDED' || !status.AccountId) {
        throw new AccountCreationFailed(
          `CreateAccount ${requestId} for ${name} ended ${status?.State}: ${status?.FailureReason ?? 'no reason given'} (expected SUCCEEDED with an account id)`,
        );
      }
      // Another endpoint emits no EventBridge events: build the CreateAccountResult one from the API's answer.
      const events = standIn
        ? collected.filter((e) => JSON.stringify(e.detail).includes(`"${requestId}"`))
        : [createAccountResultEvent(managementAccountId, status)];
      return { requestId, accountId: status.AccountId, events };
    } finally {
      unsubscribe?.();
    }
  };
}

/** The CreateAccountResult service event EventBridge delivers when a CreateAccount request ends. */
function createAccountResultEvent(managementAccountId: string, status: CreateAccountStatus): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'AWS Service Event via CloudTrail',
    source: 'aws.organizations',
    account: managementAccountId,
    time: now,
    region: LOCAL_REGION,
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: { accountId: managementAccountId, invokedBy: 'AWS Internal' },
      eventTime: now,
      eventSource: 'organizations.amazonaws.com',
      eventName: 'CreateAccountResult',
      awsRegion: LOCAL_REGION,
      requestParameters: null,
      responseElements: null,
      eventID: crypto.randomUUID(),
      readOnly: false,
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: managementAccountId,
      serviceEventDetails: {
        createAccountStatus: {
          id: status.Id,
          state: status.State,
          accountName: status.AccountName,
          accountId: status.AccountId,
          requestedTimestamp: status.RequestedTimestamp?.toISOString(),
          completedTimestamp: status.CompletedTimestamp?.toISOString(),
        },
      },
      eventCategory: 'Management',
    },
  };
}

/** The `cicd` role of a member account as IAM reports it, or undefined when there is none. */
export function roleReader(clientConfig: ClientConfig, config: OnboardingConfig) {
  return async (accountId: string): Promise<RoleView | undefined> => {
    const iam = await memberIam(clientConfig, accountId, config.memberAccessRoleNames);
    try {
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: config.cicdRoleName }));
      const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: config.cicdRoleName }));
      return {
        arn: Role?.Arn ?? '',
        trustPolicy: decodePolicyDocument(Role?.AssumeRolePolicyDocument ?? '{}'),
        policies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''),
        tags: Object.fromEntries((Role?.Tags ?? []).map((t) => [t.Key, t.Value])),
      };
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw error;
    }
  };
}
