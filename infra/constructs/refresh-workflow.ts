import {
  Duration,
  aws_iam as iam,
  type aws_lambda as lambda,
  Stack,
  type aws_s3 as s3,
  aws_scheduler as scheduler,
  aws_scheduler_targets as schedulerTargets,
  type aws_stepfunctions as sfn,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { definitionStateMachine, type ExecutionAlarms, executionAlarms } from './definition-state-machine';
import { type LambdaStepSettings, lambdaStep } from './lambda-step';
import { grantGitHubSecretRead, grantOrganizationsRead } from './step-grants';

export interface RefreshWorkflowProps extends LambdaStepSettings {
  /** Where failures are published (the onboarding failure topic). */
  readonly topic: sns.ITopic;
  /** The onboarding state machine: a box ticked on the dashboard starts an execution of it. */
  readonly onboardingStateMachine: sfn.IStateMachine;
  /**
   * The reconcile run bucket: the refresh keeps `refresh/state.json` there and reads what reconcile reports hand over:
   * the drift for the dashboard (`runs/dashboard-drift.json`), a remediating sweep's batch request.
   */
  readonly bucket: s3.IBucket;
  /** @default state-machines/refresh.asl.json */
  readonly definitionFile?: string;
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
    this.refresh = lambdaStep(this, 'Refresh', props, {
      bundle: 'refresh',
      description:
        "Refresh: regenerates the tool's own conflicting onboarding pull requests, keeps the dashboard issue",
      // The ASL's task timeout (330 s) is above it: regenerating many pull requests after a burst of merges.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: {
        REFRESH_BUCKET: props.bucket.bucketName,
        RECONCILE_BUCKET: props.bucket.bucketName,
        ...(config.dashboard.enabled
          ? { ONBOARDING_STATE_MACHINE_ARN: props.onboardingStateMachine.stateMachineArn }
          : {}),
      },
    });

    grantRefreshPermissions(this, this.refresh, props);

    this.stateMachine = definitionStateMachine(this, {
      comment: "Refreshes the tool's own onboarding pull requests and the dashboard issue",
      definitionFile: props.definitionFile ?? 'state-machines/refresh.asl.json',
      substitutions: { RefreshFunctionArn: this.refresh.functionArn, TopicArn: props.topic.topicArn },
      functions: [this.refresh],
      invokeSid: 'InvokeRefreshFunction',
      topic: props.topic,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
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

/**
 * The refresh function's grants: its state object (and the 404 of a missing one), the accounts a regenerated pull
 * request is rendered from, the GitHub secret and, with the dashboard, the last drift and the re-runs it asks for.
 */
function grantRefreshPermissions(scope: Construct, fn: lambda.IFunction, props: RefreshWorkflowProps): void {
  const { config } = props;
  const refreshState = props.bucket.arnForObjects('refresh/state.json');
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'RefreshState',
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [refreshState],
    }),
  );
  // A missing object is answered 404 NoSuchKey only with s3:ListBucket; without it S3 says 403 AccessDenied.
  fn.addToRolePolicy(
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
  // The folder of a regenerated pull request is rendered from the account as resolve-account reads it (name, email,
  // OU path and tags: functions/lib/organization.ts readAccount).
  grantOrganizationsRead(fn, config);
  // What a reconcile report hands over: the drift for the dashboard, a remediating sweep's batch request.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadReconcileHandOff',
      actions: ['s3:GetObject'],
      resources: [
        ...(config.dashboard.enabled ? [props.bucket.arnForObjects('runs/dashboard-drift.json')] : []),
        props.bucket.arnForObjects('runs/*/remediation-batches.json'),
      ],
    }),
  );
  const bucketId = Stack.of(scope).resolve(
    Stack.of(scope).getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket),
  );
  Validations.of(fn.role ?? fn).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/runs/*/remediation-batches.json]`,
    reason:
      "A remediating sweep's batch request is written under runs/<execution name>/, unknown at synth; read-only, this one file name of each run.",
  });
  if (config.dashboard.enabled) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartDashboardReruns',
        actions: ['states:StartExecution'],
        resources: [props.onboardingStateMachine.stateMachineArn],
      }),
    );
  }
  grantGitHubSecretRead(scope, fn, config);
}
