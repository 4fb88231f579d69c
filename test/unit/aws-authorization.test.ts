/**
 * IAM evaluation on the AWS stand-in (local/aws/authorization.ts): identity, resource, trust, session and boundary
 * policies and SCPs decide every request, and a refusal answers as each service answers it, naming what decided.
 */
import { CreateRoleCommand, DeleteRoleCommand, GetRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { DescribeAccountCommand, ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { PolicyStatement } from '../../local/aws/policy';
import { type AwsStandIn, type Credentials, startAwsStandIn } from '../../local/aws/server';

const BUCKET = 'run-files';

let aws: AwsStandIn;
let mgmt: string;
let app: Credentials;

const config = (credentials?: Credentials) => ({ ...aws.clientConfig(credentials), maxAttempts: 1 });

/** The error a promise rejects with (name, HTTP status, message). */
async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to be refused');
}

/** Replaces the inline policy of the `app` role (a function role as the local runtime creates them). */
function grant(...statements: PolicyStatement[]) {
  aws.state.putRolePolicy(mgmt, 'app', 'AppPolicy', { Version: '2012-10-17', Statement: statements });
}

const allow = (Action: string | string[], Resource: string | string[] = '*'): PolicyStatement => ({
  Effect: 'Allow',
  Action,
  Resource,
});

beforeAll(async () => {
  aws = await startAwsStandIn({
    iam: {
      serviceControlPolicies: {
        policies: [
          {
            name: 'ProtectCicdRoles',
            targets: ['Workloads'],
            document: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Deny', Action: 'iam:DeleteRole', Resource: 'arn:aws:iam::*:role/cicd' }],
            },
          },
        ],
      },
    },
  });
  mgmt = aws.accounts.management;
  aws.state.createRole(mgmt, {
    roleName: 'app',
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
  });
  app = aws.state.sessionFor(`arn:aws:iam::${mgmt}:role/app`, 'app-fn');
  await new S3Client({ ...config(), forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  await aws.stop();
});

beforeEach(() => {
  grant(allow('organizations:DescribeAccount', `arn:aws:organizations::${mgmt}:account/o-*/*`));
});

describe('IAM evaluation on the AWS stand-in', () => {
  it('refuses what no identity policy allows, as each service answers, and allows what one does', async () => {
    // Prepare
    const caller = `arn:aws:sts::${mgmt}:assumed-role/app/app-fn`;
    const s3 = new S3Client({ ...config(app), forcePathStyle: true });

    // Act
    const allowed = await new OrganizationsClient(config(app)).send(new DescribeAccountCommand({ AccountId: mgmt }));
    const organizations = await refusal(new OrganizationsClient(config(app)).send(new ListAccountsCommand({})));
    const iam = await refusal(new IAMClient(config(app)).send(new ListRolesCommand({})));
    const sns = await refusal(
      new SNSClient(config(app)).send(new PublishCommand({ TopicArn: aws.topicArn, Message: 'x' })),
    );
    const s3Put = await refusal(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'runs/a.json', Body: '{}' })));

    // Assess
    expect(allowed.Account?.Id).toBe(mgmt);
    expect(organizations).toEqual({
      name: 'AccessDeniedException',
      status: 403,
      message: `User: ${caller} is not authorized to perform: organizations:ListAccounts because no identity-based policy allows the organizations:ListAccounts action`,
    });
    expect([iam.name, iam.status]).toEqual(['AccessDenied', 403]);
    // SNS's wire code AuthorizationError, which the SDK surfaces as its modelled exception.
    expect([sns.name, sns.status]).toEqual(['AuthorizationErrorException', 403]);
    expect(sns.message).toBe(
      `User: ${caller} is not authorized to perform: sns:Publish on resource: ${aws.topicArn} because no identity-based policy allows the sns:Publish action`,
    );
    expect(s3Put).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: ${caller} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${BUCKET}/runs/a.json" because no identity-based policy allows the s3:PutObject action`,
    });
    expect(aws.authorization.denials.map((d) => d.action)).toEqual(
      expect.arrayContaining(['organizations:ListAccounts', 'iam:ListRoles', 'sns:Publish', 's3:PutObject']),
    );
  });

  it('names the identity policy or resource policy whose statement denies explicitly', async () => {
    // Prepare
    grant(allow(['organizations:*', 's3:PutObject']), {
      Effect: 'Deny',
      Action: 'organizations:ListAccounts',
      Resource: '*',
    });
    aws.authorization.resourcePolicies.set(`arn:aws:s3:::${BUCKET}`, {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${BUCKET}/locked/*`,
        } as PolicyStatement,
      ],
    });
    const s3 = new S3Client({ ...config(app), forcePathStyle: true });

    // Act
    const identity = await refusal(new OrganizationsClient(config(app)).send(new ListAccountsCommand({})));
    const resource = await refusal(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'locked/a', Body: 'x' })));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'open/a', Body: 'x' }));
    aws.authorization.resourcePolicies.delete(`arn:aws:s3:::${BUCKET}`);

    // Assess
    expect(identity.message).toMatch(/ListAccounts with an explicit deny in an identity-based policy: AppPolicy$/);
    expect(resource.message).toMatch(
      /s3:PutObject on resource: "arn:aws:s3:::run-files\/locked\/a" with an explicit deny in a resource-based policy$/,
    );
  });

  it('applies a secret’s resource policy, set through Secrets Manager, to every read of it', async () => {
    // Prepare
    const admin = new SecretsManagerClient(config());
    const { ARN } = await admin.send(new CreateSecretCommand({ Name: 'github', SecretString: '{"token":"t"}' }));
    grant(allow('secretsmanager:GetSecretValue', `${ARN}`));
    const read = () => new SecretsManagerClient(config(app)).send(new GetSecretValueCommand({ SecretId: ARN }));
    const before = await read();

    // Act
    await admin.send(
      new PutResourcePolicyCommand({
        SecretId: ARN,
        ResourcePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: '*',
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
              Condition: { StringNotEquals: { 'aws:PrincipalArn': `arn:aws:iam::${mgmt}:role/other` } },
            },
          ],
        }),
      }),
    );
    const denied = await refusal(read());
    const policy = await admin.send(new GetResourcePolicyCommand({ SecretId: ARN }));

    // Assess
    expect(before.SecretString).toBe('{"token":"t"}');
    expect([denied.name, denied.status]).toEqual(['AccessDeniedException', 403]);
    expect(denied.message).toMatch(
      /secretsmanager:GetSecretValue on resource: .* with an explicit deny in a resource-based policy$/,
    );
    expect(JSON.parse(policy.ResourcePolicy ?? '{}').Statement[0].Effect).toBe('Deny');
  });

  it('applies service control policies to member accounts only, naming the one that denies', async () => {
    // Prepare: the member access role (AdministratorAccess) in a workload account (under Workloads) and the tooling one
    const assume = async (accountId: string) => {
      const { Credentials: c } = await new STSClient(config()).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'scp',
        }),
      );
      return {
        accessKeyId: c?.AccessKeyId ?? '',
        secretAccessKey: c?.SecretAccessKey ?? '',
        sessionToken: c?.SessionToken,
      };
    };
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: aws.pipelineRoleArn }, Action: 'sts:AssumeRole' }],
    });
    const workload = new IAMClient(config(await assume(aws.accounts.workloads[0])));
    const tooling = new IAMClient(config(await assume(aws.accounts.tooling)));
    for (const client of [workload, tooling])
      await client.send(new CreateRoleCommand({ RoleName: 'cicd', AssumeRolePolicyDocument: trust }));

    // Act
    const denied = await refusal(workload.send(new DeleteRoleCommand({ RoleName: 'cicd' })));
    await tooling.send(new DeleteRoleCommand({ RoleName: 'cicd' }));

    // Assess
    expect(denied).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: arn:aws:sts::${aws.accounts.workloads[0]}:assumed-role/OrganizationAccountAccessRole/scp is not authorized to perform: iam:DeleteRole on resource: arn:aws:iam::${aws.accounts.workloads[0]}:role/cicd with an explicit deny in a service control policy: ProtectCicdRoles`,
    });
    expect(aws.state.findRole(aws.accounts.tooling, 'cicd')).toBeUndefined();
  });

  it('needs an allowing SCP at every level when FullAWSAccess is not attached (an allow list)', async () => {
    // Prepare
    const listed = await startAwsStandIn({
      iam: {
        serviceControlPolicies: {
          fullAWSAccess: false,
          policies: [
            {
              name: 'AllowAll',
              targets: ['root', 'Workloads', 'Dev'],
              document: { Version: '2012-10-17', Statement: [allow('*')] },
            },
            {
              name: 'OnlyReads',
              targets: ['012345678901'],
              document: { Version: '2012-10-17', Statement: [allow('iam:Get*')] },
            },
          ],
        },
      },
    });
    const { Credentials: c } = await new STSClient({ ...listed.clientConfig(), maxAttempts: 1 }).send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::012345678901:role/OrganizationAccountAccessRole',
        RoleSessionName: 'dev',
      }),
    );
    const dev = new IAMClient({
      ...listed.clientConfig({
        accessKeyId: c?.AccessKeyId ?? '',
        secretAccessKey: c?.SecretAccessKey ?? '',
        sessionToken: c?.SessionToken,
      }),
      maxAttempts: 1,
    });

    // Act
    const read = await dev.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' }));
    const write = await refusal(dev.send(new CreateRoleCommand({ RoleName: 'x', AssumeRolePolicyDocument: '{}' })));
    await listed.stop();

    // Assess
    expect(read.Role?.RoleName).toBe('OrganizationAccountAccessRole');
    expect(write.message).toMatch(
      /iam:CreateRole on resource: .* because no service control policy allows the iam:CreateRole action$/,
    );
  });

  it('evaluates AssumeRole on both sides: the caller’s identity policy with its organization condition, then the trust', async () => {
    // Prepare: the grant of the synthesized function roles, into any account of this organization only
    grant({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: 'arn:aws:iam::*:role/OrganizationAccountAccessRole',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JavaScript template
      Condition: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
    });
    const outside = '999999999999';
    aws.state.createRole(outside, {
      roleName: 'OrganizationAccountAccessRole',
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${mgmt}:root` }, Action: 'sts:AssumeRole' }],
      },
    });
    const sts = new STSClient(config(app));
    const assume = (accountId: string, roleName = 'OrganizationAccountAccessRole') =>
      sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`, RoleSessionName: 'fn' }));

    // Act
    const inside = await assume(aws.accounts.workloads[1]);
    const notInOrganization = await refusal(assume(outside));
    const pipelineTrust = await refusal(
      new STSClient(config(aws.state.sessionFor(aws.pipelineRoleArn))).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${aws.accounts.workloads[1]}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'gh',
        }),
      ),
    );

    // Assess
    expect(inside.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(notInOrganization.message).toBe(
      `User: arn:aws:sts::${mgmt}:assumed-role/app/app-fn is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${outside}:role/OrganizationAccountAccessRole because no identity-based policy allows the sts:AssumeRole action`,
    );
    expect(pipelineTrust.message).toMatch(
      /sts:AssumeRole on resource: .* because no resource-based policy allows the sts:AssumeRole action$/,
    );
  });

  it('limits a session to its session policy and a role to its permissions boundary', async () => {
    // Prepare
    const workload = aws.accounts.workloads[1];
    const { Credentials: c } = await new STSClient(config()).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${workload}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'read-only',
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [allow('iam:GetRole')] }),
      }),
    );
    const session = new IAMClient(
      config({
        accessKeyId: c?.AccessKeyId ?? '',
        secretAccessKey: c?.SecretAccessKey ?? '',
        sessionToken: c?.SessionToken,
      }),
    );
    aws.state.createPolicy(mgmt, {
      name: 'OnlyDescribe',
      document: { Version: '2012-10-17', Statement: [allow('organizations:Describe*')] },
    });
    grant(allow(['organizations:*']));
    aws.state.putRolePermissionsBoundary(mgmt, 'app', `arn:aws:iam::${mgmt}:policy/OnlyDescribe`);

    // Act
    const read = await session.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' }));
    const write = await refusal(session.send(new CreateRoleCommand({ RoleName: 'x', AssumeRolePolicyDocument: '{}' })));
    const bounded = await refusal(new OrganizationsClient(config(app)).send(new ListAccountsCommand({})));
    aws.state.deleteRolePermissionsBoundary(mgmt, 'app');

    // Assess
    expect(read.Role?.RoleName).toBe('OrganizationAccountAccessRole');
    expect(write.message).toMatch(
      /iam:CreateRole on resource: .* because no session policy allows the iam:CreateRole action$/,
    );
    expect(bounded.message).toMatch(/because no permissions boundary allows the organizations:ListAccounts action$/);
  });

  it('asks KMS for the data key of an encrypted topic as the publisher, and S3 for ListBucket before saying NoSuchKey', async () => {
    // Prepare
    const keyArn = `arn:aws:kms:us-east-1:${mgmt}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    aws.authorization.topicKeys.set(aws.topicArn, keyArn);
    aws.authorization.resourcePolicies.set(keyArn, {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${mgmt}:root` },
          Action: 'kms:*',
          Resource: '*',
        } as PolicyStatement,
      ],
    });
    const publish = () =>
      new SNSClient(config(app)).send(new PublishCommand({ TopicArn: aws.topicArn, Message: 'drift' }));
    const read = () =>
      new S3Client({ ...config(app), forcePathStyle: true }).send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/missing.json' }),
      );

    // Act
    grant(allow('sns:Publish', aws.topicArn), allow('s3:GetObject', `arn:aws:s3:::${BUCKET}/runs/*`));
    const withoutKey = await refusal(publish());
    const withoutList = await refusal(read());
    grant(
      allow('sns:Publish', aws.topicArn),
      allow(['kms:Decrypt', 'kms:GenerateDataKey*'], keyArn),
      allow('s3:GetObject', `arn:aws:s3:::${BUCKET}/runs/*`),
      allow('s3:ListBucket', `arn:aws:s3:::${BUCKET}`),
    );
    const published = await publish();
    const withList = await refusal(read());
    aws.authorization.topicKeys.delete(aws.topicArn);

    // Assess
    expect([withoutKey.name, withoutKey.status]).toEqual(['KMSAccessDeniedException', 400]);
    expect(withoutKey.message).toMatch(
      /kms:GenerateDataKey on resource: .*key\/1234abcd.* because no identity-based policy allows/,
    );
    expect(published.MessageId).toEqual(expect.any(String));
    expect([withoutList.name, withoutList.status]).toEqual(['AccessDenied', 403]);
    expect(withoutList.message).toMatch(/s3:ListBucket on resource: "arn:aws:s3:::run-files"/);
    expect([withList.name, withList.status]).toEqual(['NoSuchKey', 404]);
  });

  it('authorizes nothing when evaluation is off', async () => {
    // Prepare
    const plain = await startAwsStandIn({ iam: false });
    plain.state.createRole(plain.accounts.management, {
      roleName: 'bare',
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
    });
    const bare = plain.state.sessionFor(`arn:aws:iam::${plain.accounts.management}:role/bare`);

    // Act
    const listed = await new OrganizationsClient({ ...plain.clientConfig(bare), maxAttempts: 1 }).send(
      new ListAccountsCommand({}),
    );
    await plain.stop();

    // Assess
    expect(listed.Accounts?.length).toBeGreaterThan(1);
    expect(plain.authorization.enabled).toBe(false);
  });
});
