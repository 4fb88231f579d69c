import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../functions/lib/config';
import { OnboardingWorkflow } from '../../infra/constructs/onboarding-workflow';
import { ReconcileWorkflow } from '../../infra/constructs/reconcile-workflow';
import { minimalConfig, nagViolations, placeholderFunctionsDir } from '../support/cdk';

/** The two workflows composed as the onboarding stack composes them. */
function synthReconcile(raw: unknown) {
  const config = parseConfig(raw);
  const stack = new Stack(new App(), 'ReconcileTest', { env: { region: 'us-east-1' } });
  const functionsDir = placeholderFunctionsDir();
  const onboarding = new OnboardingWorkflow(stack, 'Onboarding', { config, functionsDir });
  new ReconcileWorkflow(stack, 'Reconcile', {
    config,
    functionsDir,
    onboardingStateMachine: onboarding.stateMachine,
    topic: onboarding.failureTopic,
  });
  return { stack, template: Template.fromStack(stack) };
}

describe('ReconcileWorkflow', () => {
  const { template, stack } = synthReconcile({
    ...minimalConfig,
    reconcile: { schedule: 'cron(0 6 * * ? *)', mode: 'remediate' },
  });

  const policyOf = (functionDescriptionStart: string) => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp(`^${functionDescriptionStart}`) },
    });
    const [fn] = Object.values(fns) as Array<{ Properties: { Role: { 'Fn::GetAtt': [string] } } }>;
    const roleId = fn?.Properties.Role['Fn::GetAtt'][0];
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: roleId }] },
    }) as Record<string, { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }>;
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
  };
  const actionsOf = (statements: Array<{ Action: string | string[] }>) =>
    statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

  it('starts the reconcile state machine on the configured schedule with the configured mode', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      State: 'ENABLED',
      Target: {
        Arn: { Ref: Match.stringLikeRegexp('^ReconcileStateMachine') },
        Input: JSON.stringify({ mode: 'remediate' }),
      },
    });
  });

  it('keeps run files in an encrypted, TLS-only, private bucket that forgets them after 7 days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 7, Status: 'Enabled' })]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('runs the four functions on arm64 Node.js 24 with timeouts under the 15-minute limit', () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^Reconcile:') },
    }) as Record<string, { Properties: { Runtime: string; Architectures: string[]; Timeout: number } }>;
    expect(
      Object.values(fns).map((f) => [f.Properties.Runtime, f.Properties.Architectures, f.Properties.Timeout]),
    ).toEqual([
      ['nodejs24.x', ['arm64'], 600],
      ['nodejs24.x', ['arm64'], 300],
      ['nodejs24.x', ['arm64'], 600],
      ['nodejs24.x', ['arm64'], 300],
    ]);
  });

  it('grants each function only what its step does', () => {
    expect(actionsOf(policyOf('Reconcile: lists'))).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'organizations:ListAccounts',
        'organizations:ListAccountsForParent',
        'organizations:ListOrganizationalUnitsForParent',
        's3:PutObject',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    // Only the repository step reads the GitHub secret; it writes its snapshot and reads nothing else.
    expect(actionsOf(policyOf('Reconcile: reads the Terraform repo'))).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:PutObject',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    expect(actionsOf(policyOf('Reconcile: checks'))).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'organizations:ListTagsForResource',
        's3:GetObject',
        's3:PutObject',
        'sts:AssumeRole',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const report = policyOf('Reconcile: reports');
    expect(actionsOf(report)).toEqual(
      [
        // The failure topic's customer-managed key, to publish the drift report.
        'kms:Decrypt',
        'kms:GenerateDataKey*',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:PutObject',
        'sns:Publish',
        'states:StartExecution',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    expect(report.find((s) => s.Action === 'states:StartExecution')).toMatchObject({
      Resource: { Ref: expect.stringMatching(/^OnboardingStateMachine/) },
    });
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement reasoned', () => {
    expect(nagViolations(stack)).toEqual([]);
  });
});
