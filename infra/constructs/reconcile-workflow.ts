import {
  Duration,
  aws_iam as iam,
  type aws_lambda as lambda,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  aws_scheduler as scheduler,
  aws_scheduler_targets as schedulerTargets,
  type aws_stepfunctions as sfn,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  acknowledgeFailureTopicKeyGrant,
  definitionStateMachine,
  type ExecutionAlarms,
  executionAlarms,
} from './definition-state-machine';
import { type LambdaStepSettings, lambdaStep } from './lambda-step';
import {
  acknowledgeOrganizationsResources,
  grantAssumeMemberAccessRoles,
  grantGitHubSecretRead,
  organizationsArn,
} from './step-grants';

export interface ReconcileWorkflowProps extends LambdaStepSettings {
  /** The onboarding state machine that remediation starts executions of. */
  readonly onboardingStateMachine: sfn.IStateMachine;
  /** Where drift reports and failures are published (the onboarding failure topic). */
  readonly topic: sns.ITopic;
  /** @default state-machines/reconcile.asl.json */
  readonly definitionFile?: string;
}

/**
 * The reconcile workflow: inventory, check, repository and report functions, the state machine that runs the checks
 * over batches of accounts alongside the repository read, the bucket that holds each run's files, and the schedule
 * that starts it (also runnable by hand with `{}` or `{"mode": "report" | "remediate"}`).
 */
export class ReconcileWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Failed, timed-out and throttled sweeps, to the topic. */
  readonly alarms: ExecutionAlarms;
  readonly bucket: s3.Bucket;
  readonly schedule: scheduler.Schedule;
  readonly inventory: lambda.Function;
  readonly check: lambda.Function;
  readonly repository: lambda.Function;
  readonly report: lambda.Function;

  private readonly props: ReconcileWorkflowProps;

  constructor(scope: Construct, id: string, props: ReconcileWorkflowProps) {
    super(scope, id);
    this.props = props;
    this.bucket = this.runBucket();

    const environment = {
      RECONCILE_BUCKET: this.bucket.bucketName,
      RECONCILE_TOPIC_ARN: props.topic.topicArn,
      ONBOARDING_STATE_MACHINE_ARN: props.onboardingStateMachine.stateMachineArn,
    };
    // 10,000 accounts: ~500 ListAccounts pages, a few minutes at most.
    this.inventory = lambdaStep(this, 'Inventory', props, {
      bundle: 'reconcile-inventory',
      description: 'Reconcile: lists the accounts to check',
      timeout: Duration.minutes(10),
      memorySize: 512,
      environment,
    });
    // 100 accounts x 3 calls at config.reconcile.concurrency: seconds; the timeout leaves room for throttling.
    this.check = lambdaStep(this, 'Check', props, {
      bundle: 'reconcile-check',
      description: 'Reconcile: checks one batch of accounts for drift',
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment,
    });
    // One tarball of the repo, streamed (only file names, tfvars and the workflow are kept), and the PR listing.
    this.repository = lambdaStep(this, 'Repository', props, {
      bundle: 'reconcile-repo',
      description: 'Reconcile: reads the Terraform repo once (folders, matrix, onboarding pull requests)',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      environment,
    });
    this.report = lambdaStep(this, 'Report', props, {
      bundle: 'reconcile-report',
      description: 'Reconcile: reports drift and starts remediations within the budget',
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment,
    });

    this.grantStepPermissions();

    this.stateMachine = this.reconcileStateMachine();
    this.alarms = this.sweepAlarms();
    this.schedule = this.sweepSchedule();
  }

  /** The bucket of each run's files (snapshot, repository, batch results, report), kept a week. */
  private runBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'RunBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Run files (snapshot, repository, batch results, report) only matter for the run and a few days of inspection.
      lifecycleRules: [{ expiration: Duration.days(7), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds transient run files (expired after 7 days) written and read only by the four reconcile functions; access is audited by CloudTrail, so server access logs would add a second bucket for no reader.',
    });
    return bucket;
  }

  /** What each step does beyond its logs: run files, Organizations reads, member roles, the secret, the topic. */
  private grantStepPermissions(): void {
    const { config, topic, onboardingStateMachine } = this.props;
    this.grantRunFiles(this.inventory, ['s3:PutObject']);
    this.grantRunFiles(this.check, ['s3:GetObject', 's3:PutObject']);
    this.grantRunFiles(this.repository, ['s3:PutObject']);
    this.grantRunFiles(this.report, ['s3:GetObject', 's3:PutObject']);
    this.grantOrganizationsReads();
    grantAssumeMemberAccessRoles(this.check, config);
    grantGitHubSecretRead(this, this.repository, config);
    topic.grantPublish(this.report);
    acknowledgeFailureTopicKeyGrant(this.report.role ?? this.report);
    this.report.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartOnboarding',
        actions: ['states:StartExecution'],
        resources: [onboardingStateMachine.stateMachineArn],
      }),
    );
  }

  /** Failed, timed-out and throttled sweeps, to the topic. */
  private sweepAlarms(): ExecutionAlarms {
    return executionAlarms(this, this.stateMachine, this.props.topic, {
      failed:
        'A reconcile sweep failed, so drift was neither reported nor remediated in that run. The failure notification names the error; fix it, then redrive the execution or start one with {"mode": "report"}.',
      timedOut:
        'A reconcile sweep timed out (12 h, longer than every retry on its way at 10,000 accounts). Open the reconcile executions, find where it hung, then redrive it or start a new one with {"mode": "report"}.',
      throttled:
        'Step Functions throttled reconcile sweeps: they go on later by themselves. If one then fails or times out, redrive it; if throttling persists, check the Step Functions state-transition quotas of the account.',
    });
  }

  /** Starts a sweep on `reconcile.schedule` in `reconcile.mode`. */
  private sweepSchedule(): scheduler.Schedule {
    const { config } = this.props;
    return new scheduler.Schedule(this, 'Schedule', {
      description: `Reconciles account onboarding (${config.reconcile.mode} mode)`,
      schedule: scheduler.ScheduleExpression.expression(config.reconcile.schedule),
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({ mode: config.reconcile.mode }),
        retryAttempts: 3,
      }),
    });
  }

  private grantRunFiles(f: lambda.Function, actions: string[]): void {
    f.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'RunFiles', actions, resources: [this.bucket.arnForObjects('runs/*')] }),
    );
    const bucketId = Stack.of(this).resolve(Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket));
    Validations.of(f.role ?? f).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/runs/*]`,
      reason:
        "Each run writes files under runs/<execution name>/, unknown at synth; the grant is limited to this bucket's runs/ prefix.",
    });
  }

  /** ListAccounts has no resource-level permissions; the rest is pinned to this organization's ARNs. */
  private grantOrganizationsReads(): void {
    const { config } = this.props;
    this.inventory.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'ListAccounts', actions: ['organizations:ListAccounts'], resources: ['*'] }),
    );
    Validations.of(this.inventory.role ?? this.inventory).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Organizations ListAccounts has no resource-level permissions.',
    });
    this.inventory.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListExcludedOus',
        actions: ['organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
        resources: [organizationsArn(config, 'root/o-*/r-*'), organizationsArn(config, 'ou/o-*/ou-*')],
      }),
    );
    acknowledgeOrganizationsResources(this.inventory, config, ['root/o-*/r-*', 'ou/o-*/ou-*']);
    this.check.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadAccountTags',
        actions: ['organizations:ListTagsForResource'],
        resources: [organizationsArn(config, 'account/o-*/*')],
      }),
    );
    acknowledgeOrganizationsResources(this.check, config, ['account/o-*/*']);
  }

  private reconcileStateMachine(): sfn.StateMachine {
    return definitionStateMachine(this, {
      comment: 'Keeps every account onboarded: detects drift, reports it, remediates within a budget',
      definitionFile: this.props.definitionFile ?? 'state-machines/reconcile.asl.json',
      substitutions: {
        InventoryFunctionArn: this.inventory.functionArn,
        CheckFunctionArn: this.check.functionArn,
        RepositoryFunctionArn: this.repository.functionArn,
        ReportFunctionArn: this.report.functionArn,
        TopicArn: this.props.topic.topicArn,
      },
      functions: [this.inventory, this.check, this.repository, this.report],
      invokeSid: 'InvokeReconcileFunctions',
      topic: this.props.topic,
      logRetention: this.props.logRetention,
      logRemovalPolicy: this.props.logRemovalPolicy,
    });
  }
}
