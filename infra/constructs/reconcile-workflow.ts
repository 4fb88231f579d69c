import { resolve } from 'node:path';
import {
  Aws,
  Duration,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  aws_s3 as s3,
  aws_scheduler as scheduler,
  aws_scheduler_targets as schedulerTargets,
  aws_secretsmanager as secretsmanager,
  type aws_stepfunctions as sfn,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { OnboardingConfig } from '../../functions/lib/config';
import {
  acknowledgeFailureTopicKeyGrant,
  definitionStateMachine,
  type ExecutionAlarms,
  executionAlarms,
} from './definition-state-machine';

export interface ReconcileWorkflowProps {
  /** The validated configuration; `reconcile.schedule` and `reconcile.mode` drive the schedule. */
  readonly config: OnboardingConfig;
  /** The onboarding state machine that remediation starts executions of. */
  readonly onboardingStateMachine: sfn.IStateMachine;
  /** Where drift reports and failures are published (the onboarding failure topic). */
  readonly topic: sns.ITopic;
  /** Folder holding the bundles `<name>/index.mjs`. @default dist/functions */
  readonly functionsDir?: string;
  /** @default state-machines/reconcile.asl.json */
  readonly definitionFile?: string;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** @default RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
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
    const { config } = props;
    const managementAccountId = config.managementAccountId ?? Aws.ACCOUNT_ID;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.bucket = new s3.Bucket(this, 'RunBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Run files (snapshot, repository, batch results, report) only matter for the run and a few days of inspection.
      lifecycleRules: [{ expiration: Duration.days(7), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds transient run files (expired after 7 days) written and read only by the four reconcile functions; access is audited by CloudTrail, so server access logs would add a second bucket for no reader.',
    });

    const environment = {
      RECONCILE_BUCKET: this.bucket.bucketName,
      RECONCILE_TOPIC_ARN: props.topic.topicArn,
      ONBOARDING_STATE_MACHINE_ARN: props.onboardingStateMachine.stateMachineArn,
    };
    const fn = (fid: string, name: string, description: string, timeout: Duration, memorySize: number) => {
      const logGroup = new logs.LogGroup(this, `${fid}Logs`, {
        retention: logRetention,
        removalPolicy: logRemovalPolicy,
      });
      const role = new iam.Role(this, `${fid}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of the ${name} function`,
      });
      logGroup.grantWrite(role);
      const f = new lambda.Function(this, fid, {
        description,
        code: lambda.Code.fromAsset(resolve(props.functionsDir ?? 'dist/functions', name)),
        handler: 'index.handler',
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        timeout,
        memorySize,
        role,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        environment: {
          ONBOARDING_CONFIG: Stack.of(this).toJsonString({ ...config, managementAccountId }),
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'oidc-account-onboarding',
          POWERTOOLS_LOG_LEVEL: config.logLevel,
          ...environment,
        },
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments/PutTelemetryRecords and organizations:ListAccounts have no resource-level permissions.',
      });
      return f;
    };

    // 10,000 accounts: ~500 ListAccounts pages, a few minutes at most.
    this.inventory = fn(
      'Inventory',
      'reconcile-inventory',
      'Reconcile: lists the accounts to check',
      Duration.minutes(10),
      512,
    );
    // 100 accounts x 3 calls at config.reconcile.concurrency: seconds; the timeout leaves room for throttling.
    this.check = fn(
      'Check',
      'reconcile-check',
      'Reconcile: checks one batch of accounts for drift',
      Duration.minutes(5),
      512,
    );
    // One tarball of the repo, streamed (only file names, tfvars and the workflow are kept), and the PR listing.
    this.repository = fn(
      'Repository',
      'reconcile-repo',
      'Reconcile: reads the Terraform repo once (folders, matrix, onboarding pull requests)',
      Duration.minutes(10),
      1024,
    );
    this.report = fn(
      'Report',
      'reconcile-report',
      'Reconcile: reports drift and starts remediations within the budget',
      Duration.minutes(5),
      512,
    );

    this.grantRunFiles(this.inventory, ['s3:PutObject']);
    this.grantRunFiles(this.check, ['s3:GetObject', 's3:PutObject']);
    this.grantRunFiles(this.repository, ['s3:PutObject']);
    this.grantRunFiles(this.report, ['s3:GetObject', 's3:PutObject']);
    this.grantOrganizationsReads(managementAccountId);
    this.grantAssumeMemberAccessRoles(this.check);
    githubSecret(this, config.github.auth.secretArn).grantRead(this.repository);
    props.topic.grantPublish(this.report);
    acknowledgeFailureTopicKeyGrant(this.report.role ?? this.report);
    this.report.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartOnboarding',
        actions: ['states:StartExecution'],
        resources: [props.onboardingStateMachine.stateMachineArn],
      }),
    );

    this.stateMachine = this.reconcileStateMachine(logRetention, logRemovalPolicy);
    this.alarms = executionAlarms(this, this.stateMachine, props.topic, {
      failed:
        'A reconcile sweep failed, so drift was neither reported nor remediated in that run. The failure notification names the error; fix it, then redrive the execution or start one with {"mode": "report"}.',
      timedOut:
        'A reconcile sweep timed out (12 h, longer than every retry on its way at 10,000 accounts). Open the reconcile executions, find where it hung, then redrive it or start a new one with {"mode": "report"}.',
      throttled:
        'Step Functions throttled reconcile sweeps: they go on later by themselves. If one then fails or times out, redrive it; if throttling persists, check the Step Functions state-transition quotas of the account.',
    });

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
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

  private grantOrganizationsReads(managementAccountId: string): void {
    const arn = (resource: string) => `arn:${Aws.PARTITION}:organizations::${managementAccountId}:${resource}`;
    this.inventory.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'ListAccounts', actions: ['organizations:ListAccounts'], resources: ['*'] }),
    );
    this.inventory.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListExcludedOus',
        actions: ['organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
        resources: [arn('root/o-*/r-*'), arn('ou/o-*/ou-*')],
      }),
    );
    this.check.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadAccountTags',
        actions: ['organizations:ListTagsForResource'],
        resources: [arn('account/o-*/*')],
      }),
    );
    const account = this.props.config.managementAccountId ?? '<AWS::AccountId>';
    const reason =
      'Organizations ARNs embed the organization id, unknown at synth; they are pinned to this management account and the actions are read-only.';
    for (const resource of ['root/o-*/r-*', 'ou/o-*/ou-*']) {
      Validations.of(this.inventory.role ?? this.inventory).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::${account}:${resource}]`,
        reason,
      });
    }
    Validations.of(this.check.role ?? this.check).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::${account}:account/o-*/*]`,
      reason,
    });
  }

  /** Same grant as the onboarding's ensure-cicd-role: only the named access roles, only in this organization. */
  private grantAssumeMemberAccessRoles(f: lambda.Function): void {
    const names = this.props.config.memberAccessRoleNames;
    f.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AssumeMemberAccessRoles',
        actions: ['sts:AssumeRole'],
        resources: names.map((name) => `arn:${Aws.PARTITION}:iam::*:role/${name}`),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JavaScript template
        conditions: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
      }),
    );
    for (const name of names) {
      Validations.of(f.role ?? f).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${name}]`,
        reason:
          'Every account of the organization is checked: only the named member access roles, only in accounts of this organization (aws:ResourceOrgID). IAM reads happen through that role, in the member account.',
      });
    }
  }

  private reconcileStateMachine(retention: logs.RetentionDays, removalPolicy: RemovalPolicy): sfn.StateMachine {
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
      logRetention: retention,
      logRemovalPolicy: removalPolicy,
    });
  }
}

/** A GitHub secret given by complete ARN (with the 6-character suffix) or by partial ARN (without it). */
function githubSecret(scope: Construct, arn: string): secretsmanager.ISecret {
  return /-[A-Za-z0-9]{6}$/.test(arn)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'GitHubSecret', arn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, 'GitHubSecret', arn);
}
