import { resolve } from 'node:path';
import {
  Aws,
  aws_iam as iam,
  type aws_lambda as lambda,
  aws_logs as logs,
  type RemovalPolicy,
  aws_stepfunctions as sfn,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { buildDefinition } from '../state-machine-definition';

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

export interface DefinitionStateMachineProps {
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
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * A STANDARD state machine from an ASL file, as both workflows deploy theirs: its own log group (`StateMachineLogs`,
 * level ALL with execution data), X-Ray tracing, and the grants CDK cannot derive from a file: invoking exactly the
 * given functions and publishing to the topic. Created as `StateMachine` in `scope`.
 */
export function definitionStateMachine(scope: Construct, props: DefinitionStateMachineProps): sfn.StateMachine {
  const logGroup = new logs.LogGroup(scope, 'StateMachineLogs', {
    retention: props.logRetention,
    removalPolicy: props.logRemovalPolicy,
  });
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
