/**
 * AWS Secrets Manager (awsJson1_1, `secretsmanager.*`): CreateSecret, PutSecretValue, GetSecretValue, DescribeSecret,
 * and the secret's resource policy (Put/Get/DeleteResourcePolicy), which the IAM evaluation applies to every request.
 */
import { randomUUID } from 'node:crypto';
import { authorizationSettings } from './authorization-settings';
import { parsePolicyDocument } from './policy';
import { AwsError } from './protocols';
import { demoteCurrentVersion, type Secret } from './secrets-store';
import type { JsonOperation, JsonService, OperationContext } from './service';

type Context = OperationContext<Record<string, unknown>>;

const notFound = () =>
  new AwsError('ResourceNotFoundException', 400, "Secrets Manager can't find the specified secret.");

function secretOf({ state, caller, input }: Context): Secret {
  const secretId = input.SecretId;
  if (typeof secretId !== 'string' || secretId === '') {
    throw new AwsError('InvalidParameterException', 400, 'You must provide a value for SecretId.');
  }
  const secret = state.secrets.findSecret(caller.accountId, secretId);
  if (!secret) throw notFound();
  return secret;
}

function addVersion(secret: Secret, input: Record<string, unknown>) {
  const secretString = typeof input.SecretString === 'string' ? input.SecretString : undefined;
  const secretBinary = typeof input.SecretBinary === 'string' ? input.SecretBinary : undefined;
  if (secretString === undefined && secretBinary === undefined) {
    throw new AwsError('InvalidParameterException', 400, 'You must provide either SecretString or SecretBinary.');
  }
  const id = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
  const existing = secret.versions.find((v) => v.id === id);
  if (existing) {
    if (existing.secretString !== secretString || existing.secretBinary !== secretBinary) {
      throw new AwsError(
        'ResourceExistsException',
        400,
        `You can't modify an existing version, you can only create a new version.`,
      );
    }
    return existing;
  }
  demoteCurrentVersion(secret);
  const version = { id, secretString, secretBinary, stages: ['AWSCURRENT'], createdDate: new Date() };
  secret.versions.push(version);
  return version;
}

const operations: Record<string, JsonOperation> = {
  CreateSecret: ({ state, caller, input }) => {
    const name = input.Name;
    if (typeof name !== 'string' || !/^[\w/+=.@-]{1,512}$/.test(name)) {
      throw new AwsError(
        'InvalidParameterException',
        400,
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    if (state.secrets.findSecret(caller.accountId, name)) {
      throw new AwsError(
        'ResourceExistsException',
        400,
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const secret = state.secrets.createSecret(caller.accountId, name);
    secret.description = typeof input.Description === 'string' ? input.Description : undefined;
    const hasValue = input.SecretString !== undefined || input.SecretBinary !== undefined;
    const version = hasValue ? addVersion(secret, input) : undefined;
    return { ARN: secret.arn, Name: secret.name, VersionId: version?.id };
  },

  PutSecretValue: (context) => {
    const secret = secretOf(context);
    const version = addVersion(secret, context.input);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: version.stages };
  },

  GetSecretValue: (context) => {
    const secret = secretOf(context);
    const { VersionId, VersionStage } = context.input;
    const version = secret.versions.find((v) =>
      typeof VersionId === 'string'
        ? v.id === VersionId
        : v.stages.includes(typeof VersionStage === 'string' ? VersionStage : 'AWSCURRENT'),
    );
    if (!version) {
      throw new AwsError(
        'ResourceNotFoundException',
        400,
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.secretString,
      SecretBinary: version.secretBinary,
      VersionStages: version.stages,
      CreatedDate: version.createdDate,
    };
  },

  PutResourcePolicy: (context) => {
    const secret = secretOf(context);
    const text = context.input.ResourcePolicy;
    if (typeof text !== 'string' || text === '') {
      throw new AwsError('InvalidParameterException', 400, 'You must provide a value for ResourcePolicy.');
    }
    let policy: ReturnType<typeof parsePolicyDocument>;
    try {
      policy = parsePolicyDocument(text);
    } catch {
      throw new AwsError('MalformedPolicyDocumentException', 400, 'This resource policy contains a syntax error.');
    }
    authorizationSettings(context.state).resourcePolicies.set(secret.arn, policy);
    return { ARN: secret.arn, Name: secret.name };
  },

  GetResourcePolicy: (context) => {
    const secret = secretOf(context);
    const policy = authorizationSettings(context.state).resourcePolicies.get(secret.arn);
    return { ARN: secret.arn, Name: secret.name, ResourcePolicy: policy ? JSON.stringify(policy) : undefined };
  },

  DeleteResourcePolicy: (context) => {
    const secret = secretOf(context);
    authorizationSettings(context.state).resourcePolicies.delete(secret.arn);
    return { ARN: secret.arn, Name: secret.name };
  },

  DescribeSecret: (context) => {
    const secret = secretOf(context);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      CreatedDate: secret.createdDate,
      VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.id, v.stages])),
    };
  },
};

export const secretsManagerService: JsonService = {
  protocol: 'json',
  name: 'secretsmanager',
  targetPrefix: 'secretsmanager',
  operations,
  throttlingError: () => new AwsError('ThrottlingException', 400, 'Rate exceeded'),
  failureError: () => new AwsError('InternalServiceError', 500, 'An error occurred on the server side.'),
};
