import {
  type CreateAccountStatus,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationalUnitCommand,
  ListParentsCommand,
  type OrganizationsClient,
  paginateListTagsForResource,
} from '@aws-sdk/client-organizations';
import { isServerError, isThrottling } from './aws-errors';
import { AccountCreationFailed, AccountNotFound, AwsThrottled, AwsUnavailable, InvalidInput } from './errors';
import type { ExecutionInput } from './execution-input';
import { organizationIdOf } from './organization-id';
import type { AccountContext, AccountId, OrganizationalUnitRef } from './types';

/** What Organizations knows about an account: the {@link AccountContext} without the repo folder. */
export type OrganizationAccount = Omit<AccountContext, 'folder' | 'slug'>;

export interface CreateAccountRequestStatus {
  state: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';
  accountId?: AccountId;
  failureReason?: string;
}

/** Organizations allows five levels of OUs; the guard only stops a malformed answer from looping. */
const MAX_DEPTH = 10;

/** What each read answers for an id that is not (or no longer) a member of the organization. */
const ACCOUNT_NOT_FOUND_NAMES = new Set([
  'AccountNotFoundException',
  'ChildNotFoundException',
  'TargetNotFoundException',
]);

const errorName = (error: unknown): string | undefined =>
  error instanceof Error ? error.name : (error as { name?: string } | undefined)?.name;

/** Maps the Organizations errors the workflow reacts to onto the named errors; anything else is rethrown as is. */
function translate(error: unknown, accountId: string | undefined, operation: string): never {
  const name = errorName(error);
  if (isThrottling(error)) {
    throw new AwsThrottled(
      `Organizations throttled ${operation} after the SDK's retries; the state machine retries it later`,
    );
  }
  if (isServerError(error)) {
    throw new AwsUnavailable(
      `Organizations failed ${operation} (${name}) after the SDK's retries; the state machine retries it later`,
    );
  }
  if (accountId && name && ACCOUNT_NOT_FOUND_NAMES.has(name)) {
    throw new AccountNotFound(
      `Account ${accountId} is not a member of this organization (${operation}: ${name}); ` +
        'check the id, or run the workflow from the management account of the organization that owns it',
    );
  }
  throw error;
}

async function call<T>(operation: string, accountId: string | undefined, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    translate(error, accountId, operation);
  }
}

type Parent = { id: string; root: boolean };

/**
 * Reads OU paths, from the root down to the account's parent: ListParents up to the root, and
 * DescribeOrganizationalUnit for each OU on the way (described while climbing to the next parent). The root is named
 * 'Root' without a ListRoots call. Each OU's path is read once per reader, so a reader shared by many accounts (the
 * backfill) costs one ListParents per account plus two calls per OU, not per account and level; a failed read is not
 * kept. A reader does not notice accounts or OUs moved after it read them: make one per run.
 */
export function ouPathReader(org: OrganizationsClient): (accountId: AccountId) => Promise<OrganizationalUnitRef[]> {
  const ouPaths = new Map<string, Promise<OrganizationalUnitRef[]>>();
  const parentOf = async (childId: string, accountId: AccountId): Promise<Parent> => {
    const { Parents } = await call('ListParents', accountId, () =>
      org.send(new ListParentsCommand({ ChildId: childId })),
    );
    const parent = Parents?.[0];
    if (!parent?.Id) {
      throw new AccountNotFound(`Organizations returned no parent for ${childId} of account ${accountId}`);
    }
    return { id: parent.Id, root: parent.Type === 'ROOT' };
  };
  const describe = (ouId: string, accountId: AccountId): Promise<OrganizationalUnitRef> =>
    call('DescribeOrganizationalUnit', accountId, () =>
      org.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId })),
    ).then(({ OrganizationalUnit }) => ({ id: ouId, name: OrganizationalUnit?.Name ?? ouId }));
  /** `below`: the OUs of this climb so far; a malformed answer that loops ends as too deep, never waits on itself. */
  const pathTo = (parent: Parent, accountId: AccountId, below: string[]): Promise<OrganizationalUnitRef[]> => {
    if (parent.root) return Promise.resolve([{ id: parent.id, name: 'Root' }]);
    if (below.length >= MAX_DEPTH || below.includes(parent.id)) {
      const nested = `Account ${accountId} is nested deeper than ${MAX_DEPTH} OUs; Organizations allows five levels`;
      return Promise.reject(new Error(nested));
    }
    const known = ouPaths.get(parent.id);
    if (known) return known;
    const path = Promise.all([
      parentOf(parent.id, accountId).then((above) => pathTo(above, accountId, [...below, parent.id])),
      describe(parent.id, accountId),
    ]).then(([above, ou]) => [...above, ou]);
    ouPaths.set(parent.id, path);
    path.catch(() => {
      if (ouPaths.get(parent.id) === path) ouPaths.delete(parent.id);
    });
    return path;
  };
  return async (accountId) => pathTo(await parentOf(accountId, accountId), accountId, []);
}

/** The account's tags, one paginated ListTagsForResource. */
export async function readTags(org: OrganizationsClient, accountId: AccountId): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  await call('ListTagsForResource', accountId, async () => {
    for await (const page of paginateListTagsForResource({ client: org }, { ResourceId: accountId })) {
      for (const { Key, Value } of page.Tags ?? []) if (Key !== undefined) tags[Key] = Value ?? '';
    }
  });
  return tags;
}

/**
 * Reads an account with the fewest Organizations calls: DescribeAccount, ListParents up to the root,
 * DescribeOrganizationalUnit for each OU on the way, ListTagsForResource (paginated). The three reads run concurrently.
 * @throws AccountNotFound when the id is not a member of the organization; AwsThrottled when Organizations throttles.
 */
export async function readAccount(
  org: OrganizationsClient,
  accountId: AccountId,
  /** Several accounts of one run share an OU-path reader; `tags: false` skips them (nothing looks at them). */
  reads: { ouPath?: ReturnType<typeof ouPathReader>; tags?: boolean } = {},
): Promise<OrganizationAccount> {
  const [described, ouPath, tags] = await Promise.all([
    call('DescribeAccount', accountId, () => org.send(new DescribeAccountCommand({ AccountId: accountId }))),
    (reads.ouPath ?? ouPathReader(org))(accountId),
    reads.tags === false ? {} : readTags(org, accountId),
  ]);
  const account = described.Account;
  if (!account) throw new AccountNotFound(`Organizations returned no description for account ${accountId}`);
  const organizationId = organizationIdOf(account.Arn);
  return {
    accountId,
    name: account.Name ?? '',
    email: account.Email ?? '',
    // `State` supersedes `Status` (retired in 2026); older endpoints and stand-ins only return `Status`.
    status: account.State ?? account.Status ?? 'UNKNOWN',
    ouPath,
    tags,
    ...(organizationId ? { organizationId } : {}),
  };
}

/**
 * The status of a CreateAccount request (`car-…`).
 * @throws InvalidInput when the organization has no such request; AwsThrottled when Organizations throttles.
 */
export async function describeCreateAccountStatus(
  org: OrganizationsClient,
  requestId: string,
): Promise<CreateAccountRequestStatus> {
  let status: CreateAccountStatus | undefined;
  try {
    ({ CreateAccountStatus: status } = await org.send(
      new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }),
    ));
  } catch (error) {
    if (errorName(error) === 'CreateAccountStatusNotFoundException') {
      throw new InvalidInput(
        `CreateAccount request ${requestId} is unknown to this organization: start the workflow with {"accountId": "…"} instead`,
      );
    }
    translate(error, undefined, 'DescribeCreateAccountStatus');
  }
  const state = status?.State;
  if (state !== 'SUCCEEDED' && state !== 'FAILED' && state !== 'IN_PROGRESS') {
    throw new Error(
      `Organizations returned an unexpected state ${String(state)} for CreateAccount request ${requestId}`,
    );
  }
  return {
    state,
    ...(status?.AccountId ? { accountId: status.AccountId } : {}),
    ...(status?.FailureReason ? { failureReason: status.FailureReason } : {}),
  };
}

const failed = (requestId: string | undefined, reason: string | undefined) =>
  new AccountCreationFailed(
    `Organizations reports CreateAccount request ${requestId ?? '(id not in the event)'} as FAILED: ${reason ?? 'no reason given'}. ` +
      'Nothing was onboarded; fix the cause (e.g. EMAIL_ALREADY_EXISTS: use another email) and create the account again.',
  );

/**
 * The account id an execution input names, or the pending request id while Organizations is still creating it.
 * @throws AccountCreationFailed when Organizations or Control Tower reports the creation as FAILED.
 */
export async function resolveAccountId(
  org: OrganizationsClient,
  input: ExecutionInput,
): Promise<AccountId | { pending: string }> {
  switch (input.kind) {
    case 'create-request': {
      const status = await describeCreateAccountStatus(org, input.requestId);
      if (status.state === 'IN_PROGRESS') return { pending: input.requestId };
      if (status.state === 'FAILED' || !status.accountId) throw failed(input.requestId, status.failureReason);
      return status.accountId;
    }
    case 'create-result':
      if (input.state === 'FAILED') throw failed(input.requestId, input.failureReason);
      return input.accountId;
    case 'control-tower':
      if (input.state === 'FAILED') {
        throw new AccountCreationFailed(
          `Control Tower reports ${input.eventName} FAILED for account ${input.accountId}: ${input.message ?? 'no message'}. ` +
            `Repair the enrollment in Control Tower, then start the workflow with {"accountId": "${input.accountId}"}.`,
        );
      }
      return input.accountId;
    default:
      return input.accountId;
  }
}
