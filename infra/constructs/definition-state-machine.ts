import { resolve } from 'node:path';
import {
  Aws,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  Duration,
  aws_iam as iam,
  type aws_lambda as lambda,
  aws_logs as logs,
  aws_stepfunctions as sfn,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { buildDefinition } from '../state-machine-definition';
import { type LogSettings, logGroupProps } from './lambda-step';

/**
 * Publishing to the failure topic needs its key: `grantPublish` adds `kms:Decrypt` and `kms:GenerateDataKey*` on
 * that one key, which cdk-nag flags for the action wildcard. Call on every construct that holds such a grant.
 */
export function acknowledgeFailureTopicKeyGrant(scope: IConstruct): void {
  Validations.of(scope).acknowledge({
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason:
      "Publishing to the KMS-encrypted failure topic: SNS asks for data keys on the publisher's behalf; the grant is limited to the topic's own customer-managed key.",
  });
}

export interface DefinitionStateMachineProps extends LogSettings {
  readonly comment: string;
  /**
   * The ASL file. Deployed as the definition builder makes it (the file plus its integrations' retriers, see
   * infra/state-machine-definition.ts), the same definition the tests execute, with `substitutions` and `Partition`.
   * Its execution timeout is the file's top-level `TimeoutSeconds`.
   */
  readonly definitionFile: string;
  readonly substitutions: Record<string, string>;
  /** The functions the definition invokes, by unqualified ARN. */
  readonly functions: lambda.IFunction[];
  /** Sid of the invoke statement. */
  readonly invokeSid: string;
  /** The topic the definition publishes failures to. */
  readonly topic: sns.ITopic;
}

/**
 * A STANDARD state machine from an ASL file, as both workflows deploy theirs: its own log group (`StateMachineLogs`,
 * level ALL with execution data), X-Ray tracing, and the grants CDK cannot derive from a file: invoking exactly the
 * given functions and publishing to the topic. Created as `StateMachine` in `scope`.
 */
export function definitionStateMachine(scope: Construct, props: DefinitionStateMachineProps): sfn.StateMachine {
  const logGroup = new logs.LogGroup(scope, 'StateMachineLogs', logGroupProps(props));
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    comment: props.comment,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromString(buildDefinition(resolve(props.definitionFile))),
    // ARNs in the files name the partition as ${Partition}: aws, aws-cn or aws-us-gov, wherever the stack deploys.
    definitionSubstitutions: { Partition: Aws.PARTITION, ...props.substitutions },
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    tracingEnabled: true,
  });
  stateMachine.addToRolePolicy(
    new iam.PolicyStatement({
      sid: props.invokeSid,
      actions: ['lambda:InvokeFunction'],
      resources: props.functions.map((fn) => fn.functionArn),
    }),
  );
  props.topic.grantPublish(stateMachine);
  acknowledgeFailureTopicKeyGrant(stateMachine);
  Validations.of(stateMachine).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'CloudWatch Logs delivery actions (CreateLogDelivery, ...) and X-Ray actions have no resource-level permissions.',
  });
  return stateMachine;
}

type AlarmCondition = Pick<cloudwatch.AlarmProps, 'metric' | 'threshold' | 'comparisonOperator'>;

/** An alarm that notifies the topic as soon as one period breaches; no data is no alarm. Created as `id` in `scope`. */
export function topicAlarm(
  scope: Construct,
  id: string,
  topic: sns.ITopic,
  description: string,
  condition: AlarmCondition,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    ...condition,
    alarmDescription: description,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  return alarm;
}

/** The alarms every state machine has, on its AWS/States execution metrics. */
export interface ExecutionAlarms {
  /** An execution failed (its own notification may have failed too). */
  readonly executionsFailed: cloudwatch.Alarm;
  /** An execution ran past the definition's TimeoutSeconds: no notification of its own is sent then. */
  readonly executionsTimedOut: cloudwatch.Alarm;
  /** Step Functions throttled the state machine's transitions (ExecutionThrottled). */
  readonly executionsThrottled: cloudwatch.Alarm;
}

/** What each execution alarm tells the reader: what happened and what to do. */
export interface ExecutionAlarmDescriptions {
  readonly failed: string;
  readonly timedOut: string;
  readonly throttled: string;
}

/**
 * The execution alarms of a state machine, to the topic, on any failed, timed-out or throttled execution in five
 * minutes: `ExecutionsFailedAlarm`, `ExecutionsTimedOutAlarm` and `ExecutionThrottledAlarm` in `scope`.
 */
export function executionAlarms(
  scope: Construct,
  stateMachine: sfn.IStateMachine,
  topic: sns.ITopic,
  descriptions: ExecutionAlarmDescriptions,
): ExecutionAlarms {
  const sum = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
  const atLeastOne = (metric: cloudwatch.IMetric): AlarmCondition => ({
    metric,
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });
  return {
    executionsFailed: topicAlarm(
      scope,
      'ExecutionsFailedAlarm',
      topic,
      descriptions.failed,
      atLeastOne(stateMachine.metricFailed(sum)),
    ),
    executionsTimedOut: topicAlarm(
      scope,
      'ExecutionsTimedOutAlarm',
      topic,
      descriptions.timedOut,
      atLeastOne(stateMachine.metricTimedOut(sum)),
    ),
    executionsThrottled: topicAlarm(
      scope,
      'ExecutionThrottledAlarm',
      topic,
      descriptions.throttled,
      atLeastOne(stateMachine.metricThrottled(sum)),
    ),
  };
}
