import {
  EntityAlreadyExistsException,
  IAMServiceException,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  type Role,
} from '@aws-sdk/client-iam';
import { STSServiceException } from '@aws-sdk/client-sts';
import { type OnboardingConfig, type OnboardingConfigInput, parseConfig } from '../../functions/lib/config';

export const MEMBER_ACCOUNT = '012345678901';
export const PIPELINE_ROLE_ARN = 'arn:aws:iam::111111111111:role/GitHubAction-AssumeRoleWithAction';
export const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
export const ROLE_ARN = `arn:aws:iam::${MEMBER_ACCOUNT}:role/cicd`;
export const MANAGED_TAG = { Key: 'managed-by', Value: 'oidc-account-onboarding' };

/** A valid configuration with an external id; `overrides` are merged at the top level before validation. */
export function testConfig(overrides: Partial<OnboardingConfigInput> = {}): OnboardingConfig {
  return parseConfig({
    toolingAccountId: '111111111111',
    externalId: 'acme-terraform',
    github: {
      owner: 'acme',
      repo: 'terraform-aws',
      auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
    },
    terraform: {},
    ...overrides,
  });
}

/** The statement of a correct cicd role's trust policy, in the shape this tool writes it. */
export const desiredStatement = {
  Effect: 'Allow',
  Principal: { AWS: PIPELINE_ROLE_ARN },
  Action: 'sts:AssumeRole',
  Condition: { StringEquals: { 'sts:ExternalId': 'acme-terraform' } },
};
export const desiredTrust = { Version: '2012-10-17', Statement: [desiredStatement] };

/** A role as GetRole returns it: the trust policy URL-encoded. */
export function existingRole(overrides: Partial<Role> & { trust?: unknown } = {}): Role {
  const { trust = desiredTrust, ...rest } = overrides;
  return {
    RoleName: 'cicd',
    Path: '/',
    Arn: ROLE_ARN,
    RoleId: 'AROAEXAMPLEROLEID0001',
    CreateDate: new Date('2024-01-01T00:00:00Z'),
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust)),
    Tags: [MANAGED_TAG],
    ...rest,
  };
}

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

export const noSuchRole = () =>
  new NoSuchEntityException({ message: 'The role with name cicd cannot be found.', ...meta(404) });
export const roleAlreadyExists = () =>
  new EntityAlreadyExistsException({ message: 'Role with name cicd already exists.', ...meta(409) });
export const malformedPolicy = () =>
  new MalformedPolicyDocumentException({ message: 'Invalid principal in policy: "AWS":"arn:…"', ...meta(400) });
export const iamThrottling = () =>
  new IAMServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', ...meta(400) });
export const stsAccessDenied = (role: string) =>
  new STSServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    message: `User: arn:aws:sts::000000000000:assumed-role/onboarding/x is not authorized to perform: sts:AssumeRole on resource: ${role}`,
    ...meta(403),
  });

export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
export const SESSION_TOKEN = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN';
export const assumedCredentials = {
  AccessKeyId: 'ASIAEXAMPLEKEYID0001',
  SecretAccessKey: SECRET_ACCESS_KEY,
  SessionToken: SESSION_TOKEN,
  Expiration: new Date('2030-01-01T00:15:00Z'),
};
