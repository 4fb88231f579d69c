import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { pipelineRoleArn } from '../../functions/lib/config';
import { ConfigError } from '../../functions/lib/errors';
import { githubSubjectClaims } from '../../infra/constructs/github-oidc-access';
import { acknowledgements, minimalConfig, nagViolations } from '../support/cdk';
import { minimalToolingConfig, synthToolingStack } from '../support/tooling-cdk';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function pipelineRole(template: Template) {
  const roles = Object.values(
    template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'GitHubAction-AssumeRoleWithAction' } }),
  );
  expect(roles).toHaveLength(1);
  return roles[0] as { Properties: { AssumeRolePolicyDocument: { Statement: Statement[] }; Path: string } };
}

/** Every statement of the identity policies in the template (the pipeline role is the only role). */
function identityStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

/** A resource as text, with `Fn::GetAtt`/`Ref`/`Fn::Join` written out the way cdk-nag does (`<Id.Arn>`). */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
  return parts.map(render).join(separator);
}

const withConfig = (onboarding: Record<string, unknown>, tooling: Record<string, unknown> = {}) =>
  synthToolingStack({
    onboarding: { ...minimalConfig, ...onboarding },
    tooling: { ...minimalToolingConfig, ...tooling },
  });

describe('tooling stack: GitHub OIDC access', () => {
  const { stack, template, config } = synthToolingStack();

  it('registers the GitHub OIDC provider for the sts.amazonaws.com audience, without thumbprints, and keeps it', () => {
    // Act
    const providers = Object.values(template.findResources('AWS::IAM::OIDCProvider'));

    // Assess
    expect(providers).toEqual([
      {
        Type: 'AWS::IAM::OIDCProvider',
        Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      },
    ]);
  });

  it('creates the pipeline role under the name and path every cicd role trusts', () => {
    // Act
    const role = pipelineRole(template);

    // Assess
    expect(`arn:aws:iam::${config.toolingAccountId}:role${role.Properties.Path}GitHubAction-AssumeRoleWithAction`).toBe(
      pipelineRoleArn(config),
    );
    template.hasResource('AWS::IAM::Role', { DeletionPolicy: 'Retain' });
  });

  it('trusts only web identity tokens for sts.amazonaws.com from the base branch of the configured repository', () => {
    // Act
    const trust = pipelineRole(template).Properties.AssumeRolePolicyDocument.Statement;

    // Assess
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: {
          Federated: {
            Ref: stack.getLogicalId(stack.access.node.findChild('Provider').node.defaultChild as CfnElement),
          },
        },
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': ['repo:acme/terraform-aws:ref:refs/heads/main'],
          },
        },
      },
    ]);
  });

  it('pins the sub claim to each configured branch and environment, and to pull requests only when asked', () => {
    // Act
    const subjects = (t: Template) =>
      pipelineRole(t).Properties.AssumeRolePolicyDocument.Statement.map(
        (s) => (s.Condition as { StringEquals: Record<string, unknown> }).StringEquals,
      );
    const configured = withConfig(
      { github: { ...minimalConfig.github, baseBranch: 'trunk' } },
      { allowedBranches: ['main', 'release'], allowedEnvironments: ['production'], allowPullRequests: true },
    );
    const environmentOnly = withConfig({}, { allowedBranches: [], allowedEnvironments: ['production'] });

    // Assess
    expect(subjects(configured.template)).toEqual([
      {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': [
          'repo:acme/terraform-aws:ref:refs/heads/main',
          'repo:acme/terraform-aws:ref:refs/heads/release',
          'repo:acme/terraform-aws:environment:production',
          'repo:acme/terraform-aws:pull_request',
        ],
      },
    ]);
    expect(subjects(environmentOnly.template)).toEqual([
      {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': ['repo:acme/terraform-aws:environment:production'],
      },
    ]);
  });

  it.each([
    [{}, { allowedBranches: ['release/*'] }, 'tooling.allowedBranches[0] is "release/*"'],
    [{}, { allowedBranches: ['main', 'v?'] }, 'tooling.allowedBranches[1] is "v?"'],
    [{}, { allowedEnvironments: ['prod-*'] }, 'tooling.allowedEnvironments[0] is "prod-*"'],
    [{ github: { ...minimalConfig.github, baseBranch: '*' } }, {}, 'github.baseBranch is "*"'],
  ])('refuses a wildcard in the trusted subjects, naming the field (%#)', (onboarding, tooling, field) => {
    // Act
    const synth = () => withConfig(onboarding, tooling);

    // Assess
    expect(synth).toThrow(ConfigError);
    expect(synth).toThrow(`${field}: wildcards (* or ?) are not allowed in the pipeline role's trust`);
  });

  it('refuses a wildcard owner or repository even when the construct is used without the config schema', () => {
    // Prepare
    const subjects = { owner: 'acme', repo: '*', branches: ['main'], environments: [], pullRequests: false };

    // Act & Assess
    expect(() => githubSubjectClaims(subjects)).toThrow('subjects.repo is "*": wildcards (* or ?) are not allowed');
    expect(() => githubSubjectClaims({ ...subjects, repo: 'terraform-aws', owner: 'ac?e' })).toThrow(
      'subjects.owner is "ac?e"',
    );
  });

  it('refuses a trust that no workflow run could use', () => {
    expect(() => withConfig({}, { allowedBranches: [] })).toThrow(
      /no GitHub subject may assume the pipeline role; list at least one of tooling.allowedBranches/,
    );
  });

  it('names the field of a bad tooling setting', () => {
    // Act
    const synth = () => synthToolingStack({ onboarding: minimalConfig, tooling: { organizationId: 'acme' } });

    // Assess
    expect(synth).toThrow(ConfigError);
    expect(synth).toThrow(/tooling.organizationId: an AWS Organizations id such as "o-a1b2c3d4e5"/);
  });

  it('uses an existing provider of the tooling account instead of creating a second one', () => {
    // Prepare
    const arn = 'arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com';

    // Act
    const { template: existing } = withConfig({}, { oidcProviderArn: arn });

    // Assess
    existing.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(pipelineRole(existing).Properties.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
      Principal: { Federated: arn },
    });
    expect(() =>
      withConfig(
        {},
        { oidcProviderArn: 'arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com' },
      ),
    ).toThrow('tooling.oidcProviderArn is in account 222222222222, but the pipeline role lives in toolingAccountId');
  });

  it('lets the pipeline assume only the cicd role, and only in accounts of the configured organization', () => {
    // Act
    const assume = identityStatements(template).filter((s) => asList(s.Action).some((a) => a.startsWith('sts:')));

    // Assess
    expect(assume).toEqual([
      {
        Sid: 'AssumeCicdRoleInOrganization',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/cicd']] },
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } },
      },
    ]);
  });

  it('follows a configured cicd role name and path', () => {
    // Act
    const { template: custom } = withConfig({ cicdRoleName: 'terraform', cicdRolePath: '/ci/' });
    const assume = identityStatements(custom).filter((s) => s.Sid === 'AssumeCicdRoleInOrganization');

    // Assess
    expect(assume.map((s) => render(s.Resource))).toEqual(['arn:<AWS::Partition>:iam::*:role/ci/terraform']);
  });
});

describe('tooling stack: Terraform state', () => {
  const { stack, template } = synthToolingStack();
  const bucketId = stack.getLogicalId(stack.state.bucket.node.defaultChild as CfnElement);
  const logsId = stack.getLogicalId(stack.state.accessLogsBucket.node.defaultChild as CfnElement);

  it('keeps states in a versioned, encrypted, private bucket that outlives the stack and logs every access', () => {
    // Act
    const bucket = template.findResources('AWS::S3::Bucket')[bucketId];

    // Assess
    expect(bucket).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketName: 'tf-build-terraform-state',
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'tf-build-terraform-state/' },
      },
    });
  });

  it('refuses plain HTTP on the state bucket and on its log bucket', () => {
    // Act
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));

    // Assess
    expect(policies.map((p) => p.Properties.Bucket).sort((a, b) => a.Ref.localeCompare(b.Ref))).toEqual(
      [{ Ref: bucketId }, { Ref: logsId }].sort((a, b) => a.Ref.localeCompare(b.Ref)),
    );
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  it('lets only S3 log delivery for the state bucket write into the private, expiring log bucket', () => {
    // Act
    const logs = template.findResources('AWS::S3::Bucket')[logsId];
    const delivery = Object.values(template.findResources('AWS::S3::BucketPolicy'))
      .filter((p) => p.Properties.Bucket.Ref === logsId)
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Statement & { Principal: unknown }>)
      .filter((s) => s.Effect === 'Allow');

    // Assess
    expect(logs).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 365, Status: 'Enabled' }] },
      },
    });
    expect(delivery).toEqual([
      expect.objectContaining({
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Condition: {
          ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId, 'Arn'] } },
          StringEquals: { 'aws:SourceAccount': '111111111111' },
        },
      }),
    ]);
  });

  it('gives the pipeline what use_lockfile needs: list, read and write states, delete only lock files', () => {
    // Prepare
    const { stack: prefixed, template: prefixedTemplate } = withConfig({
      terraform: { stateKeyPrefix: 'states/' },
    });
    const id = prefixed.getLogicalId(prefixed.state.bucket.node.defaultChild as CfnElement);

    // Act
    const s3 = identityStatements(prefixedTemplate).filter((s) => asList(s.Action).some((a) => a.startsWith('s3:')));

    // Assess
    expect(s3.map((s) => [asList(s.Action), render(s.Resource), s.Condition])).toEqual([
      [['s3:ListBucket'], `<${id}.Arn>`, undefined],
      [['s3:GetObject', 's3:PutObject'], `<${id}.Arn>/states/*`, undefined],
      [['s3:DeleteObject'], `<${id}.Arn>/states/*.tflock`, undefined],
    ]);
  });

  it('grants no delete at all when S3 native locking is off, and no DynamoDB unless a lock table is set', () => {
    // Act
    const actions = identityStatements(withConfig({ terraform: { useLockfile: false } }).template).flatMap((s) =>
      asList(s.Action),
    );

    // Assess
    expect(actions.sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject', 'sts:AssumeRole']);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it('creates the DynamoDB lock table when one is configured and lets the pipeline take and release locks on it', () => {
    // Act
    const { stack: locked, template: lockedTemplate } = withConfig({ terraform: { lockTable: 'tf-locks' } });
    const tableId = locked.getLogicalId(locked.state.lockTable?.node.defaultChild as CfnElement);
    const dynamo = identityStatements(lockedTemplate).filter((s) =>
      asList(s.Action).some((a) => a.startsWith('dynamodb:')),
    );

    // Assess
    lockedTemplate.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: 'tf-locks',
        KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    });
    expect(dynamo).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
      }),
    ]);
  });
});

describe('tooling stack: cdk-nag', () => {
  it.each([
    ['defaults', {}],
    [
      'prefix, lock table and lockfile off',
      { terraform: { stateKeyPrefix: 'states/', lockTable: 'tf-locks', useLockfile: false } },
    ],
  ])('passes the AwsSolutions checks with no unacknowledged finding (%s)', (_name, onboarding) => {
    // Act
    const { stack } = withConfig(onboarding, { allowedEnvironments: ['production'] });
    const violations = nagViolations(stack).map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources[0]?.constructPath}`,
    );

    // Assess
    expect(violations).toEqual([]);
  });

  it('has a live cdk-nag check: an unencrypted, unlogged bucket is reported', () => {
    // Prepare
    const { stack } = synthToolingStack();
    new Bucket(stack, 'PlainBucket');

    // Act
    const rules = nagViolations(stack).map((v) => v.ruleName);

    // Assess
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  it('gives every acknowledgement a written reason', () => {
    // Act
    const acks = acknowledgements(synthToolingStack().stack);

    // Assess
    expect(acks.map((a) => a.id.replace(/^Annotation::/, '')).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::<TerraformStateBucket94AB3E94.Arn>/*.tflock]',
      'AwsSolutions-IAM5[Resource::<TerraformStateBucket94AB3E94.Arn>/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/cicd]',
      'AwsSolutions-S1',
    ]);
    for (const ack of acks) expect(String(ack.reason).length).toBeGreaterThan(40);
  });
});
