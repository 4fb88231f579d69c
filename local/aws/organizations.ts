/** AWS Organizations (awsJson1_1, `AWSOrganizationsV20161128.*`): the organization tree, accounts and CreateAccount. */

import type { CreateAccountRequest } from './account-creation';
import { policyOperations } from './organization-policies';
import type { Account, OrganizationalUnit } from './organization-tree';
import { AwsError } from './protocols';
import type { JsonOperation, JsonService, OperationContext } from './service';
import type { AwsState } from './state';
import type { Tag } from './state-common';

type Context = OperationContext<Record<string, unknown>>;

const invalidInput = (message: string, reason = 'INVALID_INPUT') =>
  new AwsError('InvalidInputException', 400, message, { Reason: reason });

function str(context: Context, name: string, required = true): string {
  const value = context.input[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw invalidInput(`You must specify a value for ${name}.`, 'INPUT_REQUIRED');
    return '';
  }
  if (typeof value !== 'string') throw invalidInput(`${name} must be a string.`);
  return value;
}

/** NextToken pagination with the service's bound on MaxResults (20 for most list calls). */
function paginate<T>(context: Context, operation: string, items: T[], limit = 20) {
  const max = context.input.MaxResults === undefined ? limit : Number(context.input.MaxResults);
  if (!Number.isInteger(max) || max < 1) {
    throw invalidInput('You provided a value that is less than the minimum allowed value.', 'MIN_VALUE_EXCEEDED');
  }
  if (max > limit) {
    throw invalidInput('You provided a value that exceeds the maximum allowed value.', 'MAX_VALUE_EXCEEDED');
  }
  let start = 0;
  const token = context.input.NextToken;
  if (typeof token === 'string' && token !== '') {
    const decoded = (() => {
      try {
        return JSON.parse(Buffer.from(token, 'base64url').toString()) as { op?: string; at?: number };
      } catch {
        return {};
      }
    })();
    if (decoded.op !== operation || !Number.isInteger(decoded.at)) {
      throw invalidInput('The specified pagination token is invalid.', 'INVALID_NEXT_TOKEN');
    }
    start = decoded.at as number;
  }
  const end = start + max;
  const nextToken =
    end < items.length ? Buffer.from(JSON.stringify({ op: operation, at: end })).toString('base64url') : undefined;
  return { page: items.slice(start, end), NextToken: nextToken };
}

const accountShape = (state: AwsState, account: Account) => ({
  Id: account.id,
  Arn: state.organization.accountArn(account.id),
  Email: account.email,
  Name: account.name,
  Status: account.status,
  State: account.status,
  JoinedMethod: account.joinedMethod,
  JoinedTimestamp: account.joinedTimestamp,
});

const unitShape = (unit: OrganizationalUnit) => ({ Id: unit.id, Arn: unit.arn, Name: unit.name });

function requireParent(state: AwsState, parentId: string): void {
  if (!state.organization.isParent(parentId))
    throw new AwsError(
      'ParentNotFoundException',
      404,
      "We can't find a root or OU with the ParentId that you specified.",
    );
}

function parentRef(state: AwsState, parentId: string) {
  return { Id: parentId, Type: parentId === state.organization.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' };
}

function tagsOf(value: unknown): Tag[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidInput('Tags must be a list.');
  return value.map((tag: { Key?: unknown; Value?: unknown }) => {
    if (typeof tag?.Key !== 'string' || tag.Key === '' || typeof tag.Value !== 'string') {
      throw invalidInput('You provided an invalid tag.', 'INVALID_INPUT');
    }
    return { Key: tag.Key, Value: tag.Value };
  });
}

/** The tags of an account, OU or root, by resource id. */
function taggable(state: AwsState, resourceId: string): { tags: Tag[] } {
  const target = state.organization.accounts.get(resourceId) ?? state.organization.organizationalUnits.get(resourceId);
  if (target) return target;
  if (resourceId === state.organization.rootId) return state.organization.rootTags;
  throw new AwsError(
    'TargetNotFoundException',
    404,
    "We can't find a root, OU, account, or policy with the TargetId that you specified.",
  );
}

const createAccountStatus = (request: CreateAccountRequest) => ({
  Id: request.id,
  AccountName: request.accountName,
  State: request.state,
  RequestedTimestamp: request.requestedTimestamp,
  CompletedTimestamp: request.completedTimestamp,
  AccountId: request.accountId,
  FailureReason: request.failureReason,
});

function organizationShape(state: AwsState) {
  const management = state.organization.getAccount(state.organization.managementAccountId);
  return {
    Id: state.organization.organizationId,
    Arn: state.organization.organizationArn,
    FeatureSet: 'ALL',
    MasterAccountArn: state.organization.accountArn(management.id),
    MasterAccountId: management.id,
    MasterAccountEmail: management.email,
    AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
  };
}

const operations: Record<string, JsonOperation> = {
  ...policyOperations,
  DescribeOrganization: ({ state }) => ({ Organization: organizationShape(state) }),

  /** Only when the stand-in started outside an organization (`organization: 'none'`); the caller becomes its management account. */
  CreateOrganization: (context) => {
    const { state } = context;
    if (state.organization.inUse) {
      throw new AwsError(
        'AlreadyInOrganizationException',
        409,
        'The provided account is already a member of an organization.',
      );
    }
    const featureSet = str(context, 'FeatureSet', false) || 'ALL';
    if (featureSet !== 'ALL' && featureSet !== 'CONSOLIDATED_BILLING') {
      throw invalidInput('You provided a value that does not match the required pattern.', 'INVALID_ENUM');
    }
    state.organization.inUse = true;
    return { Organization: organizationShape(state) };
  },

  ListRoots: (context) => {
    const { state } = context;
    const roots = [{ Id: state.organization.rootId, Arn: state.organization.rootArn, Name: 'Root', PolicyTypes: [] }];
    const { page, NextToken } = paginate(context, 'ListRoots', roots);
    return { Roots: page, NextToken };
  },

  DescribeAccount: (context) => ({
    Account: accountShape(context.state, context.state.organization.getAccount(str(context, 'AccountId'))),
  }),

  ListAccounts: (context) => {
    const { state } = context;
    const { page, NextToken } = paginate(context, 'ListAccounts', [...state.organization.accounts.values()]);
    return { Accounts: page.map((account) => accountShape(state, account)), NextToken };
  },

  ListAccountsForParent: (context) => {
    const { state } = context;
    const parentId = str(context, 'ParentId');
    requireParent(state, parentId);
    const ids = state.organization.childAccountIds(parentId);
    const { page, NextToken } = paginate(context, `ListAccountsForParent:${parentId}`, ids);
    return { Accounts: page.map((id) => accountShape(state, state.organization.getAccount(id))), NextToken };
  },

  ListOrganizationalUnitsForParent: (context) => {
    const { state } = context;
    const parentId = str(context, 'ParentId');
    requireParent(state, parentId);
    const ids = state.organization.childUnitIds(parentId);
    const { page, NextToken } = paginate(context, `ListOrganizationalUnitsForParent:${parentId}`, ids);
    return {
      OrganizationalUnits: page.map((id) =>
        unitShape(state.organization.organizationalUnits.get(id) as OrganizationalUnit),
      ),
      NextToken,
    };
  },

  ListChildren: (context) => {
    const { state } = context;
    const parentId = str(context, 'ParentId');
    const childType = str(context, 'ChildType');
    requireParent(state, parentId);
    if (childType !== 'ACCOUNT' && childType !== 'ORGANIZATIONAL_UNIT') {
      throw invalidInput('You specified an invalid value for ChildType.', 'INVALID_ENUM');
    }
    const ids =
      childType === 'ACCOUNT'
        ? state.organization.childAccountIds(parentId)
        : state.organization.childUnitIds(parentId);
    const { page, NextToken } = paginate(context, `ListChildren:${parentId}:${childType}`, ids);
    return { Children: page.map((Id) => ({ Id, Type: childType })), NextToken };
  },

  ListParents: (context) => {
    const { state } = context;
    const childId = str(context, 'ChildId');
    const child = state.organization.accounts.get(childId) ?? state.organization.organizationalUnits.get(childId);
    if (!child)
      throw new AwsError(
        'ChildNotFoundException',
        404,
        "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
      );
    return { Parents: [parentRef(state, child.parentId)] };
  },

  DescribeOrganizationalUnit: (context) => {
    const unit = context.state.organization.organizationalUnits.get(str(context, 'OrganizationalUnitId'));
    if (!unit)
      throw new AwsError(
        'OrganizationalUnitNotFoundException',
        404,
        "We can't find an OU with the OrganizationalUnitId that you specified.",
      );
    return { OrganizationalUnit: unitShape(unit) };
  },

  CreateOrganizationalUnit: (context) => {
    const parentId = str(context, 'ParentId');
    requireParent(context.state, parentId);
    const unit = context.state.organization.createOrganizationalUnit(
      str(context, 'Name'),
      parentId,
      tagsOf(context.input.Tags),
    );
    return { OrganizationalUnit: unitShape(unit) };
  },

  ListTagsForResource: (context) => {
    const target = taggable(context.state, str(context, 'ResourceId'));
    const { page, NextToken } = paginate(context, 'ListTagsForResource', target.tags, 100);
    return { Tags: page, NextToken };
  },

  TagResource: (context) => {
    const target = taggable(context.state, str(context, 'ResourceId'));
    const merged = new Map(target.tags.map((t) => [t.Key, t.Value]));
    for (const tag of tagsOf(context.input.Tags)) merged.set(tag.Key, tag.Value);
    target.tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
    return {};
  },

  UntagResource: (context) => {
    const target = taggable(context.state, str(context, 'ResourceId'));
    const keys = Array.isArray(context.input.TagKeys) ? (context.input.TagKeys as string[]) : [];
    target.tags = target.tags.filter((t) => !keys.includes(t.Key));
    return {};
  },

  CreateAccount: (context) => {
    const email = str(context, 'Email');
    const accountName = str(context, 'AccountName');
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 64) {
      throw invalidInput('You provided an invalid email address.', 'INVALID_EMAIL_ADDRESS_TARGET');
    }
    if (accountName.length > 50) throw invalidInput('The account name is too long.', 'MAX_LENGTH_EXCEEDED');
    const request = context.state.accountCreation.startCreateAccount({
      accountName,
      email,
      roleName: str(context, 'RoleName', false) || undefined,
      tags: tagsOf(context.input.Tags),
    });
    context.state.organizationEvents.createAccountCall(request, context.caller);
    return { CreateAccountStatus: createAccountStatus(request) };
  },

  DescribeCreateAccountStatus: (context) => ({
    CreateAccountStatus: createAccountStatus(
      context.state.accountCreation.pollCreateAccount(str(context, 'CreateAccountRequestId')),
    ),
  }),

  CloseAccount: (context) => {
    context.state.departures.closeAccount(str(context, 'AccountId'), context.caller);
    return {};
  },

  RemoveAccountFromOrganization: (context) => {
    context.state.departures.removeAccount(str(context, 'AccountId'), context.caller);
    return {};
  },

  MoveAccount: (context) => {
    context.state.organization.moveAccount(
      str(context, 'AccountId'),
      str(context, 'SourceParentId'),
      str(context, 'DestinationParentId'),
      context.caller,
    );
    return {};
  },
};

/** Only the management account administers the organization; members may only describe it. */
function guarded(name: string, operation: JsonOperation): JsonOperation {
  return (context) => {
    const { state, caller } = context;
    const outside =
      !state.organization.accounts.has(caller.accountId) ||
      (!state.organization.inUse && name !== 'CreateOrganization');
    if (outside) {
      throw new AwsError('AWSOrganizationsNotInUseException', 404, 'Your account is not a member of an organization.');
    }
    if (caller.accountId !== state.organization.managementAccountId && name !== 'DescribeOrganization') {
      throw new AwsError('AccessDeniedException', 403, "You don't have permissions to access this resource.");
    }
    return operation(context);
  };
}

export const organizationsService: JsonService = {
  protocol: 'json',
  name: 'organizations',
  targetPrefix: 'AWSOrganizationsV20161128',
  operations: Object.fromEntries(Object.entries(operations).map(([name, op]) => [name, guarded(name, op)])),
  throttlingError: () =>
    new AwsError(
      'TooManyRequestsException',
      429,
      "AWS Organizations can't complete your request because another request is already in progress. Try again later.",
      {
        Type: 'AWSOrganizations',
      },
    ),
  failureError: () =>
    new AwsError(
      'ServiceException',
      500,
      "AWS Organizations can't complete your request because of an internal service error. Try again later.",
    ),
};
