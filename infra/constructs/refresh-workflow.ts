import { resolve } from 'node:path';
import {
  Aws,
  Duration,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  type aws_s3 as s3,
  aws_scheduler as scheduler,
  aws_scheduler_targets as schedulerTargets,
  aws_secretsmanager as secretsmanager,
  type aws_stepfunctions as sfn,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { OnboardingConfig } from '../../functions/lib/config';
import { definitionStateMachine, type ExecutionAlarms, executionAlarms } from './definition-state-machine';

export interface RefreshWorkflowProps {
  /** The validated configuration: `refresh.schedule`, `refresh.when`, `dashboard.enabled`. */
  readonly config: OnboardingConfig;
  /** Where failures are published (the onboarding failure topic). */
  readonly topic: sns.ITopic;
  /** The onboarding state machine: a box ticked on the dashboard starts an execution of it. */
  readonly onboardingStateMachine: sfn.IStateMachine;
  /**
   * The reconcile run bucket: the refresh keeps `refresh/state.json` there and reads the drift the last report left
   * for the dashboard (`runs/dashboard-drift.json`).
   */
  readonly bucket: s3.IBucket;
  /** Folder holding the bundles `<name>/index.mjs`. @default dist/functions */
  readonly functionsDir?: string;
  /** @default state-machines/refresh.asl.json */
  readonly definitionFile?: string;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** @default RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The refresh (issue 12.2 and 12.4): the refresh function, its state machine and the EventBridge Scheduler schedule
 * (`refresh.schedule`, default every 10 minutes) that starts it with `{"when": refresh.when}`. The function reads the
 * GitHub secret, describes accounts (the folder of a regenerated pull request is rendered from them), keeps one state
 * object, and with the dashboard on reads the last drift and starts onboardings a person asked for.
 */
export class RefreshWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly alarms: ExecutionAlarms;
  readonly refresh: lambda.Function;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: RefreshWorkflowProps) {
    super(scope, id);
    const { config } = props;
    const managementAccountId = config.managementAccountId ?? Aws.ACCOUNT_ID;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    const logGroup = new logs.LogGroup(this, 'RefreshLogs', {
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });
    const role = new iam.Role(this, 'RefreshRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the refresh function',
    });
    logGroup.grantWrite(role);
    this.refresh = new lambda.Function(this, 'Refresh', {
      description:
        "Refresh: regenerates the tool's own conflicting onboarding pull requests, keeps the dashboard issue",
      code: lambda.Code.fromAsset(resolve(props.functionsDir ?? 'dist/functions', 'refresh')),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // The ASL's task timeout (330 s) is above it: regenerating many pull requests after a burst of merges.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ONBOARDING_CONFIG: Stack.of(this).toJsonString({ ...config, managementAccountId }),
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'oidc-account-onboarding',
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        REFRESH_BUCKET: props.bucket.bucketName,
        RECONCILE_BUCKET: props.bucket.bucketName,
        ...(config.dashboard.enabled
          ? { ONBOARDING_STATE_MACHINE_ARN: props.onboardingStateMachine.stateMachineArn }
          : {}),
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) have no resource-level permissions.',
    });

    const refreshState = props.bucket.arnForObjects('refresh/state.json');
    this.refresh.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RefreshState',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [refreshState],
      }),
    );
    // A missing object is answered 404 NoSuchKey only with s3:ListBucket; without it S3 says 403 AccessDenied.
    this.refresh.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RefreshStateMissing',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: {
          StringEquals: {
            's3:prefix': config.dashboard.enabled
              ? ['refresh/state.json', 'runs/dashboard-drift.json']
              : ['refresh/state.json'],
          },
        },
      }),
    );
    const arn = (resource: string) => `arn:${Aws.PARTITION}:organizations::${managementAccountId}:${resource}`;
    // The folder of a regenerated pull request is rendered from the account as resolve-account reads it (name, email,
    // OU path and tags: functions/lib/organization.ts readAccount).
    this.refresh.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadAccounts',
        actions: ['organizations:DescribeAccount', 'organizations:ListParents', 'organizations:ListTagsForResource'],
        resources: [arn('account/o-*/*')],
      }),
    );
    this.refresh.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadOrganizationalUnits',
        actions: ['organizations:DescribeOrganizationalUnit', 'organizations:ListParents'],
        resources: [arn('ou/o-*/ou-*')],
      }),
    );
    for (const resource of ['account/o-*/*', 'ou/o-*/ou-*']) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::${config.managementAccountId ?? '<AWS::AccountId>'}:${resource}]`,
        reason:
          'Organizations ARNs embed the organization id, unknown at synth; pinned to this management account, read-only.',
      });
    }
    // What a reconcile report hands over: the drift for the dashboard, a remediating sweep's batch request.
    this.refresh.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadReconcileHandOff',
        actions: ['s3:GetObject'],
        resources: [
          ...(config.dashboard.enabled ? [props.bucket.arnForObjects('runs/dashboard-drift.json')] : []),
          props.bucket.arnForObjects('runs/*/remediation-batches.json'),
        ],
      }),
    );
    const bucketId = Stack.of(this).resolve(
      Stack.of(this).getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/runs/*/remediation-batches.json]`,
      reason:
        "A remediating sweep's batch request is written under runs/<execution name>/, unknown at synth; read-only, this one file name of each run.",
    });
    if (config.dashboard.enabled) {
      this.refresh.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'StartDashboardReruns',
          actions: ['states:StartExecution'],
          resources: [props.onboardingStateMachine.stateMachineArn],
        }),
      );
    }
    githubSecret(this, config.github.auth.secretArn).grantRead(this.refresh);

    this.stateMachine = definitionStateMachine(this, {
      comment: "Refreshes the tool's own onboarding pull requests and the dashboard issue",
      definitionFile: props.definitionFile ?? 'state-machines/refresh.asl.json',
      substitutions: { RefreshFunctionArn: this.refresh.functionArn, TopicArn: props.topic.topicArn },
      functions: [this.refresh],
      invokeSid: 'InvokeRefreshFunction',
      topic: props.topic,
      logRetention,
      logRemovalPolicy,
    });
    this.alarms = executionAlarms(this, this.stateMachine, props.topic, {
      failed:
        'A refresh failed (not a transient GitHub error, which ends Deferred): open onboarding pull requests may stay conflicted and the dashboard stale. The failure notification names the error; fix it, the next scheduled run refreshes again.',
      timedOut:
        'A refresh timed out (30 min). Open the refresh executions, find where it hung; the next scheduled run refreshes again.',
      throttled: 'Step Functions throttled refreshes: the next scheduled run refreshes again.',
    });

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Refreshes the onboarding pull requests (${config.refresh.when})${config.dashboard.enabled ? ' and the dashboard issue' : ''}`,
      schedule: scheduler.ScheduleExpression.expression(config.refresh.schedule),
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ when: config.refresh.when }),
        // A missed run is the next run's: no retry piling up behind a 10-minute schedule.
        retryAttempts: 0,
      }),
    });
  }
}

function githubSecret(scope: Construct, arn: string): secretsmanager.ISecret {
  return /-[A-Za-z0-9]{6}$/.test(arn)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'GitHubSecret', arn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, 'GitHubSecret', arn);
}
