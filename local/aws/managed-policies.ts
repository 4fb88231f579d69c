/**
 * Managed policy documents as IAM evaluates them: customer managed ones from the stand-in's state, AWS managed ones
 * from the small catalog below. The catalog holds the documents of the AWS managed policies that principals of the
 * stand-in call with (AdministratorAccess on the member access roles and on the stand-in's administrator) and a few
 * narrow ones whose documents are short enough to keep exactly; an AWS managed policy outside it can still be
 * attached (AWS_MANAGED_POLICIES below) but grants nothing here, which the stand-in says when it denies.
 */
import type { PolicyDocument } from './policy';
import type { AwsState } from './state';

const allow = (Action: string | string[], extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Action,
  Resource: '*',
  ...extra,
});

const document = (...Statement: Array<Record<string, unknown>>): PolicyDocument => ({
  Version: '2012-10-17',
  Statement,
});

const AWS_MANAGED_DOCUMENTS: Record<string, PolicyDocument> = {
  AdministratorAccess: document(allow('*')),
  PowerUserAccess: document(
    { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
    allow([
      'account:GetAccountInformation',
      'account:GetPrimaryEmail',
      'account:ListRegions',
      'iam:CreateServiceLinkedRole',
      'iam:DeleteServiceLinkedRole',
      'iam:ListRoles',
      'organizations:DescribeOrganization',
    ]),
  ),
  IAMFullAccess: document(
    allow([
      'iam:*',
      'organizations:DescribeAccount',
      'organizations:DescribeOrganization',
      'organizations:DescribeOrganizationalUnit',
      'organizations:DescribePolicy',
      'organizations:ListChildren',
      'organizations:ListParents',
      'organizations:ListPoliciesForTarget',
      'organizations:ListRoots',
      'organizations:ListPolicies',
      'organizations:ListTargetsForPolicy',
    ]),
  ),
  IAMReadOnlyAccess: document(
    allow([
      'iam:GenerateCredentialReport',
      'iam:GenerateServiceLastAccessedDetails',
      'iam:Get*',
      'iam:List*',
      'iam:SimulateCustomPolicy',
      'iam:SimulatePrincipalPolicy',
    ]),
  ),
  AmazonS3FullAccess: document(allow(['s3:*', 's3-object-lambda:*'])),
  AmazonS3ReadOnlyAccess: document(
    allow(['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*']),
  ),
};

const AWS_MANAGED_PREFIX = 'arn:aws:iam::aws:policy/';

/** The AWS managed policies a role of the stand-in can be given (AttachRolePolicy, a permissions boundary). */
export const AWS_MANAGED_POLICIES = [
  'AdministratorAccess',
  'ReadOnlyAccess',
  'PowerUserAccess',
  'SecurityAudit',
  'IAMFullAccess',
  'IAMReadOnlyAccess',
  'AmazonS3FullAccess',
  'AmazonS3ReadOnlyAccess',
  'AmazonDynamoDBFullAccess',
  'AWSCloudFormationFullAccess',
  'job-function/ViewOnlyAccess',
  'job-function/Billing',
].map((name) => `${AWS_MANAGED_PREFIX}${name}`);

/** Whether the stand-in knows what this AWS managed policy allows. */
export function isKnownAwsManagedPolicy(arn: string): boolean {
  return arn.startsWith(AWS_MANAGED_PREFIX) && arn.slice(AWS_MANAGED_PREFIX.length) in AWS_MANAGED_DOCUMENTS;
}

/**
 * The document of a managed policy: customer managed (in `accountId`) or AWS managed from the catalog; undefined when
 * it does not exist or (AWS managed) is not in the catalog.
 */
export function managedPolicyDocument(state: AwsState, accountId: string, arn: string): PolicyDocument | undefined {
  if (arn.startsWith(AWS_MANAGED_PREFIX)) return AWS_MANAGED_DOCUMENTS[arn.slice(AWS_MANAGED_PREFIX.length)];
  const policy = state.iam.customerPolicy(accountId, arn);
  return policy ? (JSON.parse(policy.document) as PolicyDocument) : undefined;
}

/** The policy every IAM user of the stand-in holds: it only issues keys to its own administrators. */
export const ADMINISTRATOR_ACCESS = `${AWS_MANAGED_PREFIX}AdministratorAccess`;
