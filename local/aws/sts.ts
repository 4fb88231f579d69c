/**
 * STS (awsQuery, 2011-06-15): AssumeRole across accounts, checked against the role's trust policy; the session keeps
 * the request's session policies, which local/aws/authorization.ts applies to every call made with it.
 */

import type { Role } from './iam-store';
import { parseRoleArn } from './iam-trust';
import { managedPolicyDocument } from './managed-policies';
import { type PolicyDocument, parsePolicyDocument, trustPolicyAllows } from './policy';
import { AwsError, queryList } from './protocols';
import type { QueryOperation, QueryService } from './service';
import type { AwsState } from './state';

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** The session policies of an AssumeRole request: the inline `Policy` and the managed `PolicyArns` (at most 10). */
function sessionPolicies(state: AwsState, roleAccountId: string, input: URLSearchParams): PolicyDocument[] {
  const policies: PolicyDocument[] = [];
  const inline = input.get('Policy');
  if (inline) policies.push(parsePolicyDocument(inline));
  const arns = queryList(input, 'PolicyArns').map((item) => (typeof item === 'string' ? item : (item.arn ?? '')));
  if (arns.length > 10) {
    throw new AwsError('ValidationError', 400, 'The number of policy ARNs exceeds the maximum of 10.');
  }
  for (const arn of arns) {
    const document = managedPolicyDocument(state, roleAccountId, arn);
    if (!document) throw new AwsError('InvalidParameterValue', 400, `The policy ${arn} does not exist.`);
    policies.push(document);
  }
  return policies;
}

function checkSessionName(sessionName: string): void {
  if (!SESSION_NAME.test(sessionName)) {
    throw new AwsError(
      'ValidationError',
      400,
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
    );
  }
}

/** The requested `DurationSeconds`, within the role's maximum (one hour for a chained session). */
function sessionDuration(input: URLSearchParams, role: Role, chained: boolean): number {
  const duration = Number(input.get('DurationSeconds') ?? 3600);
  const limit = chained ? Math.min(3600, role.maxSessionDuration) : role.maxSessionDuration;
  if (!Number.isInteger(duration) || duration < 900 || duration > limit) {
    throw new AwsError(
      'ValidationError',
      400,
      chained && duration > 3600
        ? 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'
        : 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  return duration;
}

const operations: Record<string, QueryOperation> = {
  GetCallerIdentity: ({ caller }) => ({ UserId: caller.userId, Account: caller.accountId, Arn: caller.arn }),

  AssumeRole: ({ state, caller, input }) => {
    const roleArn = input.get('RoleArn') ?? '';
    const sessionName = input.get('RoleSessionName') ?? '';
    const externalId = input.get('ExternalId') ?? undefined;
    checkSessionName(sessionName);
    const parsed = parseRoleArn(roleArn);
    if (!parsed) {
      throw new AwsError('ValidationError', 400, `${roleArn} is invalid`);
    }
    const denied = () =>
      new AwsError(
        'AccessDenied',
        403,
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    const account = state.organization.accounts.get(parsed.accountId);
    if (account && account.assumeDenialsLeft > 0) {
      account.assumeDenialsLeft -= 1;
      throw denied();
    }
    const role = state.iam.findRole(parsed.accountId, parsed.roleName);
    if (!role || role.arn !== roleArn || account?.status === 'SUSPENDED' || account?.status === 'PENDING_CLOSURE')
      throw denied();
    const allowed = trustPolicyAllows(state.iam.trustPolicyDocument(role), 'sts:AssumeRole', caller, {
      'sts:ExternalId': externalId,
      'sts:RoleSessionName': sessionName,
      'aws:PrincipalArn': caller.principalArn,
      'aws:PrincipalAccount': caller.accountId,
      'aws:PrincipalOrgID': state.organization.accounts.has(caller.accountId)
        ? state.organization.organizationId
        : undefined,
    });
    if (!allowed) throw denied();
    const duration = sessionDuration(input, role, caller.kind === 'assumed-role');
    const session = state.credentials.issueRoleSession(
      role,
      sessionName,
      duration,
      sessionPolicies(state, role.accountId, input),
    );
    return {
      AssumedRoleUser: {
        AssumedRoleId: `${role.roleId}:${sessionName}`,
        Arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`,
      },
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: session.expiration,
      },
      PackedPolicySize: input.get('Policy') ? 6 : undefined,
    };
  },
};

export const stsService: QueryService = {
  protocol: 'query',
  name: 'sts',
  version: '2011-06-15',
  namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  operations,
  throttlingError: () => new AwsError('Throttling', 400, 'Rate exceeded'),
  failureError: (status) =>
    status === 503
      ? new AwsError('ServiceUnavailable', 503, 'Service is unavailable. Please try again later.')
      : new AwsError('InternalFailure', 500, 'The request processing has failed because of an unknown error.'),
};
