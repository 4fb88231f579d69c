import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { synthOnboardingStack } from '../support/cdk';

describe('onboarding alarms and failure topic key', () => {
  const { stack, template } = synthOnboardingStack();
  const { onboarding } = stack;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const topicRef = { Ref: logicalId(onboarding.failureTopic) };

  it('encrypts the failure topic with its own rotated key, which only CloudWatch alarms of this account may use', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(onboarding.failureTopicKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: {
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toContain('alias/aws/sns');
  });

  it('lets EventBridge start the onboarding only for rules of this account and region', () => {
    // Prepare
    const roles = template.findResources('AWS::IAM::Role');
    const eventsRole = Object.entries(roles).find(([id]) => id.includes('EventsRole'));

    // Assess
    expect(eventsRole?.[1].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':rule/*',
                ],
              ],
            },
          },
        },
      },
    ]);
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RoleArn: { 'Fn::GetAtt': [eventsRole?.[0], 'Arn'] } })],
    });
  });

  it('lets only the alarms of this account publish to the topic as CloudWatch', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topicRef,
            Condition: {
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });

  it.each([
    ['onboarding', 'ExecutionsFailed'],
    ['onboarding', 'ExecutionsTimedOut'],
    ['onboarding', 'ExecutionThrottled'],
    ['reconcile', 'ExecutionsFailed'],
    ['reconcile', 'ExecutionsTimedOut'],
    ['reconcile', 'ExecutionThrottled'],
  ])('alarms on %s %s >= 1 in five minutes, to the failure topic', (machine, metric) => {
    // Prepare
    const stateMachine = machine === 'onboarding' ? onboarding.stateMachine : stack.reconcile.stateMachine;

    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: metric,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stateMachine) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
    });
  });

  it('alarms when a reconcile sweep reports drifted accounts, on the metric reconcile-report publishes', () => {
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'OidcAccountOnboarding',
      MetricName: 'DriftedAccounts',
      Dimensions: [{ Name: 'service', Value: 'reconcile' }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topicRef],
    });
    // The onboarding's, the reconcile's (and its drift alarm) and the refresh's three (infra/constructs/refresh-workflow.ts).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
  });

  it('says in each alarm what happened and what to do', () => {
    // Act
    const descriptions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties.AlarmDescription as string,
    );

    // Assess
    expect(descriptions).toHaveLength(10);
    for (const description of descriptions) expect(description).toMatch(/redrive|drift report|next scheduled run/i);
  });
});
