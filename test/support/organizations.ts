import {
  AccountNotFoundException,
  ChildNotFoundException,
  CreateAccountStatusNotFoundException,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationalUnitCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
  TargetNotFoundException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * An in-memory organization served through aws-sdk-client-mock, answering the reads resolve-account makes the way
 * Organizations does (errors included), so tests describe a tree instead of stubbing calls one by one.
 */

export interface FakeAccount {
  name: string;
  email?: string;
  state?: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED' | 'PENDING_ACTIVATION';
  /** Root id or OU id. */
  parentId: string;
  tags?: Record<string, string>;
}

export interface FakeCreateRequest {
  /** States returned by successive DescribeCreateAccountStatus calls; the last one repeats. */
  states: ('IN_PROGRESS' | 'SUCCEEDED' | 'FAILED')[];
  accountId?: string;
  failureReason?: string;
}

export interface FakeOrganization {
  rootId?: string;
  ous?: Record<string, { name: string; parentId: string }>;
  accounts?: Record<string, FakeAccount>;
  createRequests?: Record<string, FakeCreateRequest>;
  /** Tags per ListTagsForResource page, to exercise pagination. */
  tagPageSize?: number;
}

export const ROOT_ID = 'r-ab12';
const meta = { $metadata: { httpStatusCode: 400 } };

export function mockOrganizations(org: FakeOrganization) {
  const rootId = org.rootId ?? ROOT_ID;
  const ous = org.ous ?? {};
  const accounts = org.accounts ?? {};
  const pageSize = org.tagPageSize ?? 20;
  const polls = new Map<string, number>();
  const mock = mockClient(OrganizationsClient);

  mock.on(DescribeAccountCommand).callsFake(({ AccountId }) => {
    const account = AccountId ? accounts[AccountId] : undefined;
    if (!account)
      throw new AccountNotFoundException({ message: `You specified an account that doesn't exist.`, ...meta });
    const state = account.state ?? 'ACTIVE';
    return {
      Account: {
        Id: AccountId,
        Arn: `arn:aws:organizations::999999999999:account/o-exampleorg1/${AccountId}`,
        Name: account.name,
        Email: account.email ?? `aws+${account.name}@example.com`,
        State: state,
        Status: state === 'CLOSED' || state === 'PENDING_ACTIVATION' ? undefined : state,
        JoinedMethod: 'CREATED',
        JoinedTimestamp: new Date('2025-03-14T09:26:52Z'),
      },
    };
  });

  mock.on(ListParentsCommand).callsFake(({ ChildId }) => {
    const parentId = ChildId ? (accounts[ChildId]?.parentId ?? ous[ChildId]?.parentId) : undefined;
    if (!parentId)
      throw new ChildNotFoundException({
        message: 'We cannot find an organizational unit (OU) or AWS account with the ChildId that you specified.',
        ...meta,
      });
    return { Parents: [{ Id: parentId, Type: parentId === rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] };
  });

  mock.on(DescribeOrganizationalUnitCommand).callsFake(({ OrganizationalUnitId }) => {
    const ou = OrganizationalUnitId ? ous[OrganizationalUnitId] : undefined;
    if (!ou) throw new Error(`unknown OU ${OrganizationalUnitId}`);
    return {
      OrganizationalUnit: {
        Id: OrganizationalUnitId,
        Name: ou.name,
        Arn: `arn:aws:organizations::999999999999:ou/o-exampleorg1/${OrganizationalUnitId}`,
      },
    };
  });

  mock.on(ListTagsForResourceCommand).callsFake(({ ResourceId, NextToken }) => {
    const account = ResourceId ? accounts[ResourceId] : undefined;
    if (!account)
      throw new TargetNotFoundException({
        message: 'We cannot find a resource that matches the specified ID.',
        ...meta,
      });
    const all = Object.entries(account.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    const start = NextToken ? Number(NextToken) : 0;
    const end = start + pageSize;
    return { Tags: all.slice(start, end), NextToken: end < all.length ? String(end) : undefined };
  });

  mock.on(DescribeCreateAccountStatusCommand).callsFake(({ CreateAccountRequestId }) => {
    const id = CreateAccountRequestId ?? '';
    const request = org.createRequests?.[id];
    if (!request)
      throw new CreateAccountStatusNotFoundException({
        message: 'We cannot find a create account request with the CreateAccountRequestId that you specified.',
        ...meta,
      });
    const poll = polls.get(id) ?? 0;
    polls.set(id, poll + 1);
    const state = request.states[Math.min(poll, request.states.length - 1)];
    return {
      CreateAccountStatus: {
        Id: id,
        AccountName: 'HIDDEN',
        State: state,
        ...(state === 'SUCCEEDED' ? { AccountId: request.accountId } : {}),
        ...(state === 'FAILED' ? { FailureReason: request.failureReason } : {}),
      },
    };
  });

  return mock;
}
