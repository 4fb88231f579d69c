/**
 * What each request to the stand-in asks IAM, as the Service Authorization Reference describes the operation: the
 * action, the resource ARN and the account that owns it, the request's own condition keys and the resource-based
 * policy that applies (a role's trust policy, a topic, bucket, key or secret policy). Some requests ask more than once:
 * SNS asks KMS for a data key on the publisher's behalf when the topic is encrypted, and S3 answers a read of a missing
 * object with 403 unless the caller may also list the bucket.
 *
 * A request that names no resource the stand-in can find (an unknown role for AssumeRole, a malformed id) asks
 * nothing here: the operation answers it as the service does.
 */
import type { AuthorizationSettings } from './authorization-settings';
import type { Caller } from './credentials';
import type { Role } from './iam-store';
import type { PolicyDocument } from './policy';
import { AwsError, queryList } from './protocols';
import { s3Buckets, target } from './s3';
import type { RestRequest, Service } from './service';
import type { AwsState } from './state';
import type { Tag } from './state-common';

export type ContextValues = Record<string, string | string[]>;

/** One authorization question of a request. */
export interface AuthorizationCheck {
  /** `service:Action`, as IAM policies name it. */
  action: string;
  /** The resource ARN, or `*` for actions without resource-level permissions. */
  resource: string;
  /** The account that owns the resource (decides same-account or cross-account evaluation). */
  resourceAccount: string;
  /** Condition keys of this request (the global ones are added by the authorizer). */
  context: ContextValues;
  /** The resource-based policy of the resource, if it has one. */
  resourcePolicy?: PolicyDocument;
  /** How the service answers a denial of this check; default: its AccessDenied error. */
  denied?: (message: string) => AwsError;
}

export type RequestInput = URLSearchParams | Record<string, unknown> | RestRequest;

const tagContext = (prefix: string, tags: Tag[] | undefined): ContextValues =>
  Object.fromEntries((tags ?? []).map((tag) => [`${prefix}/${tag.Key}`, tag.Value]));

const requestTags = (tags: Tag[]): ContextValues =>
  tags.length === 0 ? {} : { ...tagContext('aws:RequestTag', tags), 'aws:TagKeys': tags.map((t) => t.Key) };

const queryTags = (params: URLSearchParams, name = 'Tags'): Tag[] =>
  queryList(params, name).flatMap((item) =>
    typeof item === 'object' ? [{ Key: item.Key ?? '', Value: item.Value ?? '' }] : [],
  );

/** The account of an ARN (`arn:partition:service:region:account:…`), or undefined. */
const arnAccount = (arn: string): string | undefined => /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1];

/**
 * A trust policy as IAM matches it: a principal written by ARN is matched by the unique id it had when the policy was
 * written, so a deleted (or recreated) principal shows, and matches, only as its old `AROA…` id.
 */
function trustPolicyForEvaluation(state: AwsState, role: Role, caller: Caller): PolicyDocument {
  const text = state.iam
    .trustPolicyText(role)
    .replaceAll(`"${caller.principalId}"`, JSON.stringify(caller.principalArn));
  return JSON.parse(text) as PolicyDocument;
}

function iamChecks(state: AwsState, caller: Caller, action: string, params: URLSearchParams): AuthorizationCheck[] {
  const account = caller.accountId;
  const check = (resource: string, context: ContextValues = {}): AuthorizationCheck[] => [
    { action: `iam:${action}`, resource, resourceAccount: account, context },
  ];
  const roleName = params.get('RoleName');
  if (roleName) {
    if (action === 'CreateRole') {
      const boundary = params.get('PermissionsBoundary');
      return check(`arn:aws:iam::${account}:role${params.get('Path') ?? '/'}${roleName}`, {
        ...requestTags(queryTags(params)),
        ...(boundary ? { 'iam:PermissionsBoundary': boundary } : {}),
      });
    }
    const role = state.iam.findRole(account, roleName);
    const context: ContextValues = tagContext('aws:ResourceTag', role?.tags);
    const boundary =
      action === 'PutRolePermissionsBoundary' ? params.get('PermissionsBoundary') : role?.permissionsBoundaryArn;
    if (boundary) context['iam:PermissionsBoundary'] = boundary;
    const policyArn = params.get('PolicyArn');
    if (policyArn) context['iam:PolicyARN'] = policyArn;
    if (action === 'TagRole') Object.assign(context, requestTags(queryTags(params)));
    if (action === 'UntagRole') {
      context['aws:TagKeys'] = queryList(params, 'TagKeys').filter((k): k is string => typeof k === 'string');
    }
    return check(role?.arn ?? `arn:aws:iam::${account}:role/${roleName}`, context);
  }
  if (action === 'CreatePolicy') {
    return check(`arn:aws:iam::${account}:policy${params.get('Path') ?? '/'}${params.get('PolicyName') ?? ''}`);
  }
  const policyArn = params.get('PolicyArn');
  return check(policyArn ?? '*');
}

function stsChecks(state: AwsState, caller: Caller, action: string, params: URLSearchParams): AuthorizationCheck[] {
  if (action === 'GetCallerIdentity') return []; // Needs no permission: it answers even when everything is denied.
  if (action !== 'AssumeRole')
    return [{ action: `sts:${action}`, resource: '*', resourceAccount: caller.accountId, context: {} }];
  const roleArn = params.get('RoleArn') ?? '';
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(roleArn);
  const role = match ? state.iam.findRole(match[1] as string, match[2] as string) : undefined;
  if (!role || role.arn !== roleArn) return []; // STS answers AccessDenied itself, naming no policy.
  const externalId = params.get('ExternalId');
  const sourceIdentity = params.get('SourceIdentity');
  return [
    {
      action: 'sts:AssumeRole',
      resource: role.arn,
      resourceAccount: role.accountId,
      resourcePolicy: trustPolicyForEvaluation(state, role, caller),
      context: {
        'sts:RoleSessionName': params.get('RoleSessionName') ?? '',
        ...(externalId !== null ? { 'sts:ExternalId': externalId } : {}),
        ...(sourceIdentity !== null ? { 'sts:SourceIdentity': sourceIdentity } : {}),
        ...tagContext('iam:ResourceTag', role.tags),
        ...tagContext('aws:ResourceTag', role.tags),
        ...requestTags(queryTags(params)),
      },
    },
  ];
}

function snsChecks(
  state: AwsState,
  settings: AuthorizationSettings,
  caller: Caller,
  action: string,
  params: URLSearchParams,
): AuthorizationCheck[] {
  const region = state.options.region;
  if (action === 'CreateTopic') {
    const arn = `arn:aws:sns:${region}:${caller.accountId}:${params.get('Name') ?? ''}`;
    return [{ action: 'sns:CreateTopic', resource: arn, resourceAccount: caller.accountId, context: {} }];
  }
  const topicArn = params.get('TopicArn') ?? params.get('TargetArn') ?? '';
  const owner = arnAccount(topicArn);
  if (!owner) return [];
  const checks: AuthorizationCheck[] = [
    {
      action: `sns:${action}`,
      resource: topicArn,
      resourceAccount: owner,
      context: {},
      resourcePolicy: settings.resourcePolicies.get(topicArn),
    },
  ];
  const keyArn = action === 'Publish' ? settings.topicKeys.get(topicArn) : undefined;
  if (keyArn) {
    // SNS asks KMS for a data key as the publisher (kms:ViaService); KMS answers with its own AccessDeniedException,
    // which SNS passes on as KMSAccessDenied.
    const denied = (message: string) =>
      new AwsError(
        'KMSAccessDenied',
        400,
        `${message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Proxy: null)`,
      );
    for (const kmsAction of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      checks.push({
        action: kmsAction,
        resource: keyArn,
        resourceAccount: arnAccount(keyArn) ?? owner,
        context: { 'kms:ViaService': `sns.${region}.amazonaws.com`, 'kms:CallerAccount': caller.accountId },
        resourcePolicy: settings.resourcePolicies.get(keyArn),
        denied,
      });
    }
  }
  return checks;
}

/** Organizations resources live in the management account: the root, OUs and accounts, by their ids. */
function organizationsChecks(state: AwsState, action: string, input: Record<string, unknown>): AuthorizationCheck[] {
  const management = state.organization.managementAccountId;
  const idParameter: Record<string, string> = {
    DescribeAccount: 'AccountId',
    MoveAccount: 'AccountId',
    ListParents: 'ChildId',
    ListTagsForResource: 'ResourceId',
    TagResource: 'ResourceId',
    UntagResource: 'ResourceId',
    DescribeOrganizationalUnit: 'OrganizationalUnitId',
    ListAccountsForParent: 'ParentId',
    ListOrganizationalUnitsForParent: 'ParentId',
    ListChildren: 'ParentId',
    CreateOrganizationalUnit: 'ParentId',
  };
  const check = (resource: string, context: ContextValues = {}): AuthorizationCheck[] => [
    { action: `organizations:${action}`, resource, resourceAccount: management, context },
  ];
  const parameter = idParameter[action];
  if (!parameter) return check('*');
  const id = input[parameter];
  if (typeof id !== 'string') return [];
  let resource: { arn: string; tags: Tag[] } | undefined;
  if (id === state.organization.rootId)
    resource = { arn: state.organization.rootArn, tags: state.organization.rootTags.tags };
  else if (/^ou-[a-z0-9]+-[a-z0-9]+$/.test(id)) {
    const unit = state.organization.organizationalUnits.get(id);
    resource = {
      arn: `arn:aws:organizations::${management}:ou/${state.organization.organizationId}/${id}`,
      tags: unit?.tags ?? [],
    };
  } else if (/^\d{12}$/.test(id)) {
    resource = { arn: state.organization.accountArn(id), tags: state.organization.accounts.get(id)?.tags ?? [] };
  }
  if (!resource) return [];
  const context = tagContext('aws:ResourceTag', resource.tags);
  if (action === 'TagResource' && Array.isArray(input.Tags)) Object.assign(context, requestTags(input.Tags as Tag[]));
  if (action === 'UntagResource' && Array.isArray(input.TagKeys)) context['aws:TagKeys'] = input.TagKeys as string[];
  return check(resource.arn, context);
}

function secretsManagerChecks(
  state: AwsState,
  settings: AuthorizationSettings,
  caller: Caller,
  action: string,
  input: Record<string, unknown>,
): AuthorizationCheck[] {
  const base = `arn:aws:secretsmanager:${state.options.region}:${caller.accountId}:secret:`;
  if (action === 'CreateSecret') {
    if (typeof input.Name !== 'string') return [];
    const tags = Array.isArray(input.Tags) ? (input.Tags as Tag[]) : [];
    const context = requestTags(tags);
    return [
      {
        action: 'secretsmanager:CreateSecret',
        resource: `${base}${input.Name}`,
        resourceAccount: caller.accountId,
        context,
      },
    ];
  }
  const secretId = input.SecretId;
  if (typeof secretId !== 'string' || secretId === '') return [];
  const secret = state.secrets.findSecret(caller.accountId, secretId);
  const resource = secret?.arn ?? (secretId.startsWith('arn:') ? secretId : `${base}${secretId}`);
  const context: ContextValues = { 'secretsmanager:SecretId': secretId };
  if (typeof input.VersionId === 'string') context['secretsmanager:VersionId'] = input.VersionId;
  if (typeof input.VersionStage === 'string') context['secretsmanager:VersionStage'] = input.VersionStage;
  return [
    {
      action: `secretsmanager:${action}`,
      resource,
      resourceAccount: secret?.accountId ?? arnAccount(resource) ?? caller.accountId,
      context,
      resourcePolicy: settings.resourcePolicies.get(resource),
    },
  ];
}

function statesChecks(caller: Caller, action: string, input: Record<string, unknown>): AuthorizationCheck[] {
  const arn = input.executionArn ?? input.stateMachineArn;
  if (action === 'ListStateMachines' || typeof arn !== 'string') {
    return action === 'ListStateMachines'
      ? [{ action: 'states:ListStateMachines', resource: '*', resourceAccount: caller.accountId, context: {} }]
      : [];
  }
  return [
    { action: `states:${action}`, resource: arn, resourceAccount: arnAccount(arn) ?? caller.accountId, context: {} },
  ];
}

const S3_ACTIONS: Record<string, { action: string; on: 'bucket' | 'object' }> = {
  CreateBucket: { action: 's3:CreateBucket', on: 'bucket' },
  HeadBucket: { action: 's3:ListBucket', on: 'bucket' },
  ListObjectsV2: { action: 's3:ListBucket', on: 'bucket' },
  DeleteBucket: { action: 's3:DeleteBucket', on: 'bucket' },
  PutObject: { action: 's3:PutObject', on: 'object' },
  GetObject: { action: 's3:GetObject', on: 'object' },
  HeadObject: { action: 's3:GetObject', on: 'object' },
  DeleteObject: { action: 's3:DeleteObject', on: 'object' },
};

function s3Checks(
  state: AwsState,
  settings: AuthorizationSettings,
  caller: Caller,
  action: string,
  request: RestRequest,
): AuthorizationCheck[] {
  const known = S3_ACTIONS[action];
  if (!known) return [];
  const { bucket: name, key } = target(request.path);
  const bucket = s3Buckets(state).get(name);
  const bucketArn = `arn:aws:s3:::${name}`;
  const owner = action === 'CreateBucket' ? caller.accountId : (bucket?.accountId ?? caller.accountId);
  const resourcePolicy = settings.resourcePolicies.get(bucketArn);
  const listContext: ContextValues =
    action === 'ListObjectsV2' ? { 's3:prefix': request.query.get('prefix') ?? '' } : {};
  const checks: AuthorizationCheck[] = [
    {
      action: known.action,
      resource: known.on === 'bucket' ? bucketArn : `${bucketArn}/${key ?? ''}`,
      resourceAccount: owner,
      context: { 's3:ResourceAccount': owner, ...listContext },
      resourcePolicy,
    },
  ];
  // Reading a missing object: S3 says NoSuchKey only to a caller that may list the bucket, AccessDenied to others.
  if (known.action === 's3:GetObject' && key !== undefined && bucket && !bucket.objects.has(key)) {
    checks.push({
      action: 's3:ListBucket',
      resource: bucketArn,
      resourceAccount: owner,
      context: { 's3:ResourceAccount': owner, 's3:prefix': key },
      resourcePolicy,
    });
  }
  return checks;
}

/** The authorization checks of one routed request, in the order the service makes them. */
export function authorizationChecks(
  state: AwsState,
  settings: AuthorizationSettings,
  service: Service,
  action: string,
  input: RequestInput,
  caller: Caller,
): AuthorizationCheck[] {
  switch (service.name) {
    case 'iam':
      return iamChecks(state, caller, action, input as URLSearchParams);
    case 'sts':
      return stsChecks(state, caller, action, input as URLSearchParams);
    case 'sns':
      return snsChecks(state, settings, caller, action, input as URLSearchParams);
    case 'organizations':
      return organizationsChecks(state, action, input as Record<string, unknown>);
    case 'secretsmanager':
      return secretsManagerChecks(state, settings, caller, action, input as Record<string, unknown>);
    case 'states':
      return statesChecks(caller, action, input as Record<string, unknown>);
    case 's3':
      return s3Checks(state, settings, caller, action, input as RestRequest);
    default:
      return [{ action: `${service.name}:${action}`, resource: '*', resourceAccount: caller.accountId, context: {} }];
  }
}
