/** The member access check: the role the functions assume in member accounts, tried in a sample of them. */
import {
  type Account,
  DescribeOrganizationCommand,
  type OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { assumeMemberAccount } from '../../functions/lib/member-account';
import { reconcileSessionPolicy, sessionName } from '../../functions/lib/session-policy';
import { awsClientConfig } from '../shared';
import { type Context, fail, HOME_REGION, type Outcome, pass, warn } from './checks';

/** The newest active member accounts (not the management account, not excluded), at most `context.sample`. */
export async function sampleAccounts(context: Context, organizations: OrganizationsClient): Promise<Account[]> {
  const management = (await organizations.send(new DescribeOrganizationCommand({}))).Organization?.MasterAccountId;
  const accounts: Account[] = [];
  for await (const page of paginateListAccounts({ client: organizations }, {})) accounts.push(...(page.Accounts ?? []));
  const excluded = new Set(context.config.filters.excludeAccountIds);
  return accounts
    .filter((a) => a.Id && a.Id !== management && !excluded.has(a.Id) && (a.State ?? a.Status) === 'ACTIVE')
    .sort((a, b) => (b.JoinedTimestamp?.getTime() ?? 0) - (a.JoinedTimestamp?.getTime() ?? 0))
    .slice(0, context.sample);
}

export async function checkMemberAccess(
  context: Context,
  sample: Account[],
): Promise<Outcome & { accessRole?: string }> {
  const { config, options } = context;
  if (sample.length === 0) return warn('no member account to try', 'run doctor again once the organization has one');
  const sts = new STSClient(awsClientConfig(options, HOME_REGION));
  const results = await Promise.all(
    sample.map(async (account) => {
      try {
        const session = await assumeMemberAccount(sts, account.Id as string, config.memberAccessRoleNames, {
          sessionName: sessionName('doctor', new Date().toISOString()),
          // Read-only, like the sweep's: doctor only proves that the role can be assumed.
          policy: reconcileSessionPolicy(config, account.Id as string),
        });
        return { account, role: session.accessRole };
      } catch (error) {
        return { account, error: (error as Error).name };
      }
    }),
  );
  const failed = results.filter((r) => r.error);
  const ids = (rs: typeof results) => rs.map((r) => `${r.account.Name} (${r.account.Id})`).join(', ');
  if (failed.length > 0) {
    return fail(
      `none of ${config.memberAccessRoleNames.join(', ')} could be assumed in ${ids(failed)}`,
      `create ${config.memberAccessRoleNames[0]} in those accounts trusting the management account (an invited account does not have it), or list the role your organization uses in memberAccessRoleNames`,
    );
  }
  return {
    ...pass(`assumed ${[...new Set(results.map((r) => r.role))].join(', ')} in ${ids(results)}`),
    accessRole: results[0]?.role,
  };
}
