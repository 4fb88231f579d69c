/** IAM (awsQuery, 2010-05-08): roles, their trust policies, managed and inline policies, tags and boundaries. */

import type { ManagedPolicy, Role } from './iam-store';
import { noSuchRole } from './iam-validation';
import { AwsError, queryList } from './protocols';
import type { QueryOperation, QueryService } from './service';
import type { AwsState } from './state';
import type { Tag } from './state-common';

/** RFC 3986 encoding, as IAM returns policy documents (every character but `A-Za-z0-9-._~` is escaped). */
export const encodePolicy = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw new AwsError(
      'ValidationError',
      400,
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

const tagsOf = (params: URLSearchParams, name = 'Tags'): Tag[] =>
  queryList(params, name).map((item) => {
    const record = typeof item === 'string' ? { Key: item } : item;
    return { Key: record.Key ?? '', Value: record.Value ?? '' };
  });

function roleShape(state: AwsState, role: Role, detailed: boolean): Record<string, unknown> {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate,
    AssumeRolePolicyDocument: encodePolicy(state.iam.trustPolicyText(role)),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    PermissionsBoundary:
      detailed && role.permissionsBoundaryArn
        ? { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: role.permissionsBoundaryArn }
        : undefined,
    Tags: detailed && role.tags.length > 0 ? role.tags : undefined,
  };
}

/** Marker pagination over a list: the marker is the offset, opaque to callers. */
function page<T>(items: T[], params: URLSearchParams): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const maxItems = Number(params.get('MaxItems') ?? 100);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    throw new AwsError(
      'ValidationError',
      400,
      `1 validation error detected: Value '${params.get('MaxItems')}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
    );
  }
  const marker = params.get('Marker');
  const start = marker ? Number(Buffer.from(marker, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidInput', 400, 'Invalid Marker.');
  const end = start + maxItems;
  const truncated = end < items.length;
  return {
    items: items.slice(start, end),
    IsTruncated: truncated,
    Marker: truncated ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

function readableRole(state: AwsState, accountId: string, roleName: string): Role {
  const role = state.iam.requireRole(accountId, roleName);
  // Eventual consistency: a fresh role is not visible to reads for a while.
  if (role.invisibleReads > 0) {
    role.invisibleReads -= 1;
    throw noSuchRole(roleName);
  }
  if (Date.now() < role.visibleAt) throw noSuchRole(roleName);
  return role;
}

const operations: Record<string, QueryOperation> = {
  GetRole: ({ state, caller, input }) => ({
    Role: roleShape(state, readableRole(state, caller.accountId, required(input, 'RoleName')), true),
  }),

  CreateRole: ({ state, caller, input }) => {
    const maxSession = input.get('MaxSessionDuration');
    const role = state.iam.createRole(caller.accountId, {
      roleName: required(input, 'RoleName'),
      assumeRolePolicyDocument: required(input, 'AssumeRolePolicyDocument'),
      path: input.get('Path') ?? undefined,
      description: input.get('Description') ?? undefined,
      maxSessionDuration: maxSession ? Number(maxSession) : undefined,
      permissionsBoundary: input.get('PermissionsBoundary') ?? undefined,
      tags: tagsOf(input),
    });
    const { roleInvisibleReads, roleVisibleAfterMs } = state.knobs;
    role.invisibleReads = roleInvisibleReads;
    role.visibleAt = roleVisibleAfterMs > 0 ? Date.now() + roleVisibleAfterMs : 0;
    return { Role: roleShape(state, role, true) };
  },

  UpdateAssumeRolePolicy: ({ state, caller, input }) => {
    state.iam.updateAssumeRolePolicy(caller.accountId, required(input, 'RoleName'), required(input, 'PolicyDocument'));
    return undefined;
  },

  UpdateRole: ({ state, caller, input }) => {
    const role = state.iam.requireRole(caller.accountId, required(input, 'RoleName'));
    const description = input.get('Description');
    const maxSession = input.get('MaxSessionDuration');
    if (description !== null) role.description = description;
    if (maxSession !== null) role.maxSessionDuration = Number(maxSession);
    return {};
  },

  DeleteRole: ({ state, caller, input }) => {
    state.iam.deleteRole(caller.accountId, required(input, 'RoleName'));
    return undefined;
  },

  ListRoles: ({ state, caller, input }) => {
    const prefix = input.get('PathPrefix') ?? '/';
    const roles = state.iam.listRoles(caller.accountId).filter((role) => role.path.startsWith(prefix));
    const { items, ...rest } = page(roles, input);
    return { Roles: items.map((role) => roleShape(state, role, false)), ...rest };
  },

  AttachRolePolicy: ({ state, caller, input }) => {
    state.iam.attachRolePolicy(caller.accountId, required(input, 'RoleName'), required(input, 'PolicyArn'));
    return undefined;
  },

  DetachRolePolicy: ({ state, caller, input }) => {
    state.iam.detachRolePolicy(caller.accountId, required(input, 'RoleName'), required(input, 'PolicyArn'));
    return undefined;
  },

  ListAttachedRolePolicies: ({ state, caller, input }) => {
    const role = state.iam.requireRole(caller.accountId, required(input, 'RoleName'));
    const attached = [...role.attached].map(([PolicyArn, PolicyName]) => ({ PolicyName, PolicyArn }));
    const { items, ...rest } = page(attached, input);
    return { AttachedPolicies: items, ...rest };
  },

  ListRolePolicies: ({ state, caller, input }) => {
    const role = state.iam.requireRole(caller.accountId, required(input, 'RoleName'));
    const { items, ...rest } = page([...role.inline.keys()].sort(), input);
    return { PolicyNames: items, ...rest };
  },

  PutRolePolicy: ({ state, caller, input }) => {
    const roleName = required(input, 'RoleName');
    state.iam.putRolePolicy(
      caller.accountId,
      roleName,
      required(input, 'PolicyName'),
      required(input, 'PolicyDocument'),
    );
    return undefined;
  },

  GetRolePolicy: ({ state, caller, input }) => {
    const role = state.iam.requireRole(caller.accountId, required(input, 'RoleName'));
    const policyName = required(input, 'PolicyName');
    const document = role.inline.get(policyName);
    if (document === undefined) {
      throw new AwsError('NoSuchEntity', 404, `The role policy with name ${policyName} cannot be found.`);
    }
    return { RoleName: role.name, PolicyName: policyName, PolicyDocument: encodePolicy(document) };
  },

  DeleteRolePolicy: ({ state, caller, input }) => {
    state.iam.deleteRolePolicy(caller.accountId, required(input, 'RoleName'), required(input, 'PolicyName'));
    return undefined;
  },

  TagRole: ({ state, caller, input }) => {
    state.iam.tagRole(caller.accountId, required(input, 'RoleName'), tagsOf(input));
    return undefined;
  },

  UntagRole: ({ state, caller, input }) => {
    const keys = queryList(input, 'TagKeys').filter((k): k is string => typeof k === 'string');
    state.iam.untagRole(caller.accountId, required(input, 'RoleName'), keys);
    return undefined;
  },

  ListRoleTags: ({ state, caller, input }) => {
    const role = state.iam.requireRole(caller.accountId, required(input, 'RoleName'));
    const { items, ...rest } = page(role.tags, input);
    return { Tags: items, ...rest };
  },

  PutRolePermissionsBoundary: ({ state, caller, input }) => {
    state.iam.putRolePermissionsBoundary(
      caller.accountId,
      required(input, 'RoleName'),
      required(input, 'PermissionsBoundary'),
    );
    return undefined;
  },

  DeleteRolePermissionsBoundary: ({ state, caller, input }) => {
    state.iam.deleteRolePermissionsBoundary(caller.accountId, required(input, 'RoleName'));
    return undefined;
  },

  CreatePolicy: ({ state, caller, input }) => {
    const policy = state.iam.createPolicy(caller.accountId, {
      name: required(input, 'PolicyName'),
      document: required(input, 'PolicyDocument'),
      path: input.get('Path') ?? undefined,
      description: input.get('Description') ?? undefined,
    });
    return { Policy: policyShape(policy) };
  },

  GetPolicy: ({ state, caller, input }) => {
    const arn = required(input, 'PolicyArn');
    state.iam.requirePolicy(caller.accountId, arn);
    const policy = state.iam.customerPolicy(caller.accountId, arn);
    if (policy) return { Policy: policyShape(policy) };
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    const path = arn.slice('arn:aws:iam::aws:policy'.length, arn.length - name.length);
    return { Policy: { PolicyName: name, Arn: arn, Path: path, DefaultVersionId: 'v1', IsAttachable: true } };
  },
};

function policyShape(policy: ManagedPolicy) {
  return {
    PolicyName: policy.name,
    PolicyId: policy.policyId,
    Arn: policy.arn,
    Path: policy.path,
    DefaultVersionId: 'v1',
    AttachmentCount: 0,
    IsAttachable: true,
    Description: policy.description,
    CreateDate: policy.createDate,
    UpdateDate: policy.createDate,
  };
}

export const iamService: QueryService = {
  protocol: 'query',
  name: 'iam',
  version: '2010-05-08',
  namespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  operations,
  throttlingError: () => new AwsError('Throttling', 400, 'Rate exceeded'),
  failureError: (status) =>
    status === 503
      ? new AwsError('ServiceUnavailable', 503, 'Service is unavailable. Please try again later.')
      : new AwsError('InternalFailure', 500, 'The request processing has failed because of an unknown error.'),
};
