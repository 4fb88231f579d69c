import { createHash } from 'node:crypto';
import type { RetiredSettings } from './cicd-role-retired';
import type { OnboardingConfig } from './config';
import { ConfigError } from './errors';
import type { PolicyDocument, PolicyStatement } from './trust-policy';

/**
 * Session policies and session names of the member-account sessions. The member access role
 * (`OrganizationAccountAccessRole`, `AWSControlTowerExecution`) is an administrator of the account; every
 * `sts:AssumeRole` into it passes one of these as its `Policy`, so the session can do only what its purpose needs
 * (IAM allows a call only when both the role's policies and the session policy allow it). Pure.
 *
 * - `reconcile`: reads the cicd role (`iam:GetRole`, `iam:ListAttachedRolePolicies`: what observeRole calls) and
 *   nothing else.
 * - `ensure-cicd-role`: reads and manages the cicd role only: creates it with the managed tag (and only the configured
 *   permissions boundary, or none), tags it with the managed tag, replaces its trust policy, attaches only the
 *   configured `cicdPolicyArns` (`iam:PolicyARN`) and sets only the configured boundary (`iam:PermissionsBoundary`).
 *   It detaches only the policies, and removes only the boundaries, that another profile sets and the account's
 *   profile does not (cicd-role-retired.ts): a policy a person attached cannot be detached. Nothing is deleted.
 */

/** STS accepts at most 2,048 characters of plain-text session policy (before packing). */
export const MAX_SESSION_POLICY_LENGTH = 2048;

/**
 * The cicd role's ARNs, whatever its path (the configured one, or another for an adopted role): role names are unique
 * in an account, so these name that one role and no other.
 */
export function cicdRoleResources(config: OnboardingConfig, accountId: string, partition = 'aws'): string[] {
  const base = `arn:${partition}:iam::${accountId}:role`;
  return [`${base}/${config.cicdRoleName}`, `${base}/*/${config.cicdRoleName}`];
}

const READ_ACTIONS = ['iam:GetRole', 'iam:ListAttachedRolePolicies'];

/** The reconcile check's session: reads the cicd role, nothing else. */
export function reconcileSessionPolicy(config: OnboardingConfig, accountId: string, partition = 'aws'): PolicyDocument {
  return checked({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadCicdRole',
        Effect: 'Allow',
        Action: READ_ACTIONS,
        Resource: cicdRoleResources(config, accountId, partition),
      },
    ],
  });
}

/**
 * ensure-cicd-role's session: the cicd role only, the configured policies and boundary only (`config` is the
 * configuration with the account's profile applied), and the removal of only what another profile set (`retired`).
 */
export function ensureRoleSessionPolicy(
  config: OnboardingConfig,
  accountId: string,
  partition = 'aws',
  retired: RetiredSettings = { policyArns: [], boundaryArns: [] },
): PolicyDocument {
  const Resource = cicdRoleResources(config, accountId, partition);
  const { key, value } = config.managedTag;
  const onlyManagedTag = {
    StringEquals: { [`aws:RequestTag/${key}`]: value },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [key] },
  };
  const boundary = config.permissionsBoundaryArn;
  const statements: PolicyStatement[] = [
    { Sid: 'ReadCicdRoleAndTrust', Effect: 'Allow', Action: [...READ_ACTIONS, 'iam:UpdateAssumeRolePolicy'], Resource },
    {
      Sid: 'CreateCicdRole',
      Effect: 'Allow',
      Action: 'iam:CreateRole',
      Resource,
      // With the managed tag and the configured boundary (or none at all).
      Condition: boundary
        ? { ...onlyManagedTag, StringEquals: { ...onlyManagedTag.StringEquals, 'iam:PermissionsBoundary': boundary } }
        : { ...onlyManagedTag, Null: { 'iam:PermissionsBoundary': 'true' } },
    },
    { Sid: 'TagCicdRole', Effect: 'Allow', Action: 'iam:TagRole', Resource, Condition: onlyManagedTag },
    {
      Sid: 'AttachConfiguredPolicies',
      Effect: 'Allow',
      Action: 'iam:AttachRolePolicy',
      Resource,
      Condition: { ArnEquals: { 'iam:PolicyARN': config.cicdPolicyArns } },
    },
  ];
  if (boundary) {
    statements.push({
      Sid: 'SetConfiguredBoundary',
      Effect: 'Allow',
      Action: 'iam:PutRolePermissionsBoundary',
      Resource,
      Condition: { StringEquals: { 'iam:PermissionsBoundary': boundary } },
    });
  }
  statements.push(...retiringStatements(retired, Resource));
  return checked({ Version: '2012-10-17', Statement: statements });
}

/** Detaching another profile's policies and removing another profile's boundary, each only when there is one. */
function retiringStatements(retired: RetiredSettings, Resource: string[]): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (retired.policyArns.length > 0) {
    statements.push({
      Sid: 'DetachOtherProfilesPolicies',
      Effect: 'Allow',
      Action: 'iam:DetachRolePolicy',
      Resource,
      Condition: { ArnEquals: { 'iam:PolicyARN': retired.policyArns } },
    });
  }
  if (retired.boundaryArns.length > 0) {
    statements.push({
      Sid: 'RemoveOtherProfilesBoundary',
      Effect: 'Allow',
      Action: 'iam:DeleteRolePermissionsBoundary',
      Resource,
      Condition: { StringEquals: { 'iam:PermissionsBoundary': retired.boundaryArns } },
    });
  }
  return statements;
}

function checked(policy: PolicyDocument): PolicyDocument {
  const length = JSON.stringify(policy).length;
  if (length > MAX_SESSION_POLICY_LENGTH) {
    throw new ConfigError(
      `The session policy of the member-account session is ${length} characters, over STS's ${MAX_SESSION_POLICY_LENGTH}: ` +
        "shorten cicdPolicyArns (fewer or shorter policy ARNs, the profiles' included), cicdRoleName or cicdRolePath",
    );
  }
  return policy;
}

/** Characters STS accepts in a role session name, and its length. */
const SESSION_NAME_CHARACTER = /[^\w+=,.@-]/g;
const MAX_SESSION_NAME = 64;

/**
 * `<purpose>-<run>`: the session name CloudTrail records on every call made with the session (the `assumed-role/…/<name>`
 * ARN), so each call in a member account can be tied to the execution that made it. `run` is an execution name or
 * ARN (its last part is the name), a reconcile run id, … Characters STS refuses become `-`; a name over 64 characters
 * keeps its start and ends in 8 hex digits of a hash of the whole, so two long runs still differ.
 */
export function sessionName(purpose: string, run?: string): string {
  const name = run?.startsWith('arn:') ? run.slice(run.lastIndexOf(':') + 1) : run;
  if (!name) return purpose;
  const full = `${purpose}-${name.replace(SESSION_NAME_CHARACTER, '-')}`;
  if (full.length <= MAX_SESSION_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_SESSION_NAME - hash.length - 1)}-${hash}`;
}
