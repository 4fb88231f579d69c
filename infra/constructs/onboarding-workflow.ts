import { resolve } from 'node:path';
import {
  Aws,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  aws_secretsmanager as secretsmanager,
  type aws_stepfunctions as sfn,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_sns_subscriptions as subscriptions,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { OnboardingConfig } from '../../functions/lib/config';
import { METRICS_NAMESPACE } from '../../functions/lib/metrics';
import { AccountClaims } from './account-claims';
import { definitionStateMachine, type ExecutionAlarms, executionAlarms, topicAlarm } from './definition-state-machine';
import { eventsRoleOf } from './events-role';

export interface OnboardingWorkflowProps {
  /** The validated configuration (see infra/config.ts); handed to every function as ONBOARDING_CONFIG. */
  readonly config: OnboardingConfig;
  /** Folder holding the bundles `<name>/index.mjs` built by esbuild.config.mjs. @default dist/functions */
  readonly functionsDir?: string;
  /** The state machine definition. @default state-machines/onboard-account.asl.json */
  readonly definitionFile?: string;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log groups when the stack is deleted. @default RETAIN (they are the audit trail) */
  readonly logRemovalPolicy?: RemovalPolicy;
}

interface StepFunctionOptions {
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
}

/** The alarms that notify the failure topic. */
export interface OnboardingAlarms extends ExecutionAlarms {
  /** A reconcile sweep found drifted accounts (metric DriftedAccounts of reconcile-report). */
  readonly drift: cloudwatch.Alarm;
}

/**
 * The onboarding workflow: three step functions, the onboard-account state machine that runs them, the
 * failure topic it notifies (and the alarms that notify it), and the EventBridge rules that start it for every
 * new account.
 */
export class OnboardingWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly failureTopic: sns.Topic;
  /** Customer-managed key of the failure topic: CloudWatch alarms cannot publish with the AWS managed SNS key. */
  readonly failureTopicKey: kms.Key;
  readonly alarms: OnboardingAlarms;
  readonly deadLetterQueue: sqs.Queue;
  readonly resolveAccount: lambda.Function;
  readonly ensureCicdRole: lambda.Function;
  readonly openPullRequest: lambda.Function;
  readonly rules: events.Rule[];
  /** The bucket of the one-writer-per-account claims (resolve-account). */
  readonly claims: AccountClaims;

  private readonly props: OnboardingWorkflowProps;
  private readonly functionsDir: string;
  private readonly logRetention: logs.RetentionDays;
  private readonly logRemovalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: OnboardingWorkflowProps) {
    super(scope, id);
    this.props = props;
    this.functionsDir = resolve(props.functionsDir ?? 'dist/functions');
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    const { config } = props;
    const managementAccountId = config.managementAccountId ?? Aws.ACCOUNT_ID;

    this.resolveAccount = this.stepFunction('ResolveAccount', 'resolve-account', {
      description: 'Onboarding: normalises the input and resolves the account (OU path, tags, repo folder)',
      timeout: Duration.seconds(30),
      memorySize: 256,
    });
    this.grantOrganizationsRead(this.resolveAccount, managementAccountId);
    // One writer per account creation: the first event's execution claims the account (account-claim.ts).
    this.claims = new AccountClaims(this, 'Claims', { claimant: this.resolveAccount });

    this.ensureCicdRole = this.stepFunction('EnsureCicdRole', 'ensure-cicd-role', {
      description: 'Onboarding: creates or converges the cicd role in the member account',
      timeout: Duration.seconds(60),
      memorySize: 256,
    });
    // It reads the account itself (filters, organization id), as if invoked directly.
    this.grantOrganizationsRead(this.ensureCicdRole, managementAccountId, { createAccountStatus: false });
    this.grantAssumeMemberAccessRoles(this.ensureCicdRole);

    this.openPullRequest = this.stepFunction('OpenPullRequest', 'open-pull-request', {
      description: 'Onboarding: opens one pull request adding the account folder and its matrix entry',
      timeout: Duration.seconds(120),
      memorySize: 512,
    });
    githubSecret(this, config.github.auth.secretArn).grantRead(this.openPullRequest);

    this.failureTopicKey = new kms.Key(this, 'FailureTopicKey', {
      description: 'Encrypts the AWS account onboarding failure topic',
      enableKeyRotation: true,
      // SNS keeps no message once delivered: nothing encrypted with the key outlives the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Publishers need the key: the state machines and reconcile-report get it with grantPublish; CloudWatch
    // alarms publish as the cloudwatch.amazonaws.com service, which only the key policy can allow.
    // Only for alarms of this account (confused deputy: no other account's alarm can use the key through CloudWatch).
    this.failureTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    this.failureTopic = new sns.Topic(this, 'FailureTopic', {
      displayName: 'AWS account onboarding failures',
      enforceSSL: true,
      masterKey: this.failureTopicKey,
    });
    // The topic policy (enforceSSL) replaces SNS's default one, so the alarms of this account are allowed by name.
    this.failureTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.failureTopic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    for (const email of config.notifications.emails) {
      this.failureTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    this.stateMachine = this.onboardingStateMachine();
    this.alarms = this.failureAlarms();

    this.deadLetterQueue = new sqs.Queue(this, 'EventsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the EventBridge targets that start the onboarding.',
    });
    this.rules = this.triggerRules();
  }

  private stepFunction(id: string, name: string, options: StepFunctionOptions): lambda.Function {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: this.logRetention,
      removalPolicy: this.logRemovalPolicy,
    });
    // An explicit role: the default one carries the AWS managed AWSLambdaBasicExecutionRole policy.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${name} function`,
    });
    logGroup.grantWrite(role);
    const runtimeConfig = {
      ...this.props.config,
      managementAccountId: this.props.config.managementAccountId ?? Aws.ACCOUNT_ID,
    };
    const fn = new lambda.Function(this, id, {
      description: options.description,
      code: lambda.Code.fromAsset(resolve(this.functionsDir, name)),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: options.timeout,
      memorySize: options.memorySize,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        ONBOARDING_CONFIG: Stack.of(this).toJsonString(runtimeConfig),
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'oidc-account-onboarding',
        POWERTOOLS_LOG_LEVEL: this.props.config.logLevel,
      },
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) and Organizations DescribeCreateAccountStatus have no resource-level permissions.',
    });
    return fn;
  }

  /** Read-only Organizations access to this organization's accounts and OUs (and CreateAccount requests). */
  private grantOrganizationsRead(
    fn: lambda.Function,
    managementAccountId: string,
    { createAccountStatus = true }: { createAccountStatus?: boolean } = {},
  ): void {
    const arn = (resource: string) => `arn:${Aws.PARTITION}:organizations::${managementAccountId}:${resource}`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadAccounts',
        actions: ['organizations:DescribeAccount', 'organizations:ListParents', 'organizations:ListTagsForResource'],
        resources: [arn('account/o-*/*')],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadOrganizationalUnits',
        actions: ['organizations:DescribeOrganizationalUnit', 'organizations:ListParents'],
        resources: [arn('ou/o-*/ou-*')],
      }),
    );
    if (createAccountStatus) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadCreateAccountStatus',
          // DescribeCreateAccountStatus supports no resource-level permissions.
          actions: ['organizations:DescribeCreateAccountStatus'],
          resources: ['*'],
        }),
      );
    }
    const account = this.props.config.managementAccountId ?? '<AWS::AccountId>';
    for (const resource of ['account/o-*/*', 'ou/o-*/ou-*']) {
      Validations.of(fn.role ?? fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::${account}:${resource}]`,
        reason:
          'Organizations ARNs embed the organization id, unknown at synth; the account and OU ARNs are pinned to this management account and the actions are read-only.',
      });
    }
  }

  /** AssumeRole into the configured member access roles of any account, as long as it is in our organization. */
  private grantAssumeMemberAccessRoles(fn: lambda.Function): void {
    const resources = this.props.config.memberAccessRoleNames.map((name) => `arn:${Aws.PARTITION}:iam::*:role/${name}`);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AssumeMemberAccessRoles',
        actions: ['sts:AssumeRole'],
        resources,
        // The role must belong to the organization of the calling role (IAM policy variable, resolved by IAM).
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JavaScript template
        conditions: { StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } },
      }),
    );
    for (const name of this.props.config.memberAccessRoleNames) {
      Validations.of(fn.role ?? fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${name}]`,
        reason:
          'New accounts are not known at synth: the function may assume only the named member access roles, and only in accounts of this organization (aws:ResourceOrgID condition).',
      });
    }
  }

  private onboardingStateMachine(): sfn.StateMachine {
    // The definition comes from a file, so CDK cannot derive the grants: exactly the three functions (unqualified
    // ARNs, as the definition invokes them) and the topic.
    return definitionStateMachine(this, {
      comment: 'Onboards one AWS account: cicd role in the account, pull request in the Terraform repo',
      definitionFile: this.props.definitionFile ?? 'state-machines/onboard-account.asl.json',
      substitutions: {
        ResolveAccountFunctionArn: this.resolveAccount.functionArn,
        EnsureCicdRoleFunctionArn: this.ensureCicdRole.functionArn,
        OpenPullRequestFunctionArn: this.openPullRequest.functionArn,
        FailureTopicArn: this.failureTopic.topicArn,
      },
      functions: [this.resolveAccount, this.ensureCicdRole, this.openPullRequest],
      invokeSid: 'InvokeStepFunctions',
      topic: this.failureTopic,
      logRetention: this.logRetention,
      logRemovalPolicy: this.logRemovalPolicy,
    });
  }

  /**
   * Alarms to the failure topic. Each failed execution also sends its own readable notification; the alarms
   * are the backstop (a notification that could not be sent, a timeout) and the drift signal of the sweep.
   */
  private failureAlarms(): OnboardingAlarms {
    return {
      ...executionAlarms(this, this.stateMachine, this.failureTopic, {
        failed:
          'An AWS account onboarding execution failed. The failure notification names the account and the cause; re-run with StartExecution {"accountId": "..."} or redrive it.',
        timedOut:
          'An AWS account onboarding execution timed out (7 h, longer than every wait and retry on its way). Open the state machine executions, find the timed-out one and redrive it or start a new one with its accountId.',
        throttled:
          'Step Functions throttled AWS account onboarding executions: they go on later by themselves. If one then fails or times out, redrive it; if throttling persists, check the Step Functions state-transition quotas of the account.',
      }),
      drift: topicAlarm(
        this,
        'DriftAlarm',
        this.failureTopic,
        'The reconcile sweep found onboarded accounts that drifted (role, trust policy, folder or matrix entry). Read the drift report sent to this topic or the report in the run bucket.',
        {
          // Published by reconcile-report (Powertools Metrics, service "reconcile") once per sweep.
          metric: new cloudwatch.Metric({
            namespace: METRICS_NAMESPACE,
            metricName: 'DriftedAccounts',
            dimensionsMap: { service: 'reconcile' },
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.hours(1),
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
      ),
    };
  }

  /** Starts an execution with the raw event as input; the resolve-account function understands every shape. */
  private triggerRules(): events.Rule[] {
    const target = new targets.SfnStateMachine(this.stateMachine, {
      role: eventsRoleOf(this.stateMachine),
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 10,
      maxEventAge: Duration.hours(6),
    });
    const rule = (id: string, description: string, eventPattern: events.EventPattern) =>
      new events.Rule(this, id, { description, eventPattern, targets: [target] });

    const rules = [
      rule('CreateAccountResultRule', 'Onboard an account when Organizations finishes creating it', {
        source: ['aws.organizations'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: { eventSource: ['organizations.amazonaws.com'], eventName: ['CreateAccountResult'] },
      }),
      rule('CreateAccountCallRule', 'Onboard an account once a successful CreateAccount call completes (polls)', {
        source: ['aws.organizations'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['organizations.amazonaws.com'],
          eventName: ['CreateAccount'],
          // A refused call created nothing.
          errorCode: [{ exists: false }],
        },
      }),
    ];
    if (this.props.config.controlTower.enabled) {
      rules.push(
        rule('ControlTowerAccountRule', 'Onboard an account Control Tower created or updated', {
          source: ['aws.controltower'],
          detailType: ['AWS Service Event via CloudTrail'],
          detail: { eventName: ['CreateManagedAccount', 'UpdateManagedAccount'] },
        }),
      );
    }
    return rules;
  }
}

/** A GitHub secret given by complete ARN (with the 6-character suffix) or by partial ARN (without it). */
function githubSecret(scope: Construct, arn: string): secretsmanager.ISecret {
  return /-[A-Za-z0-9]{6}$/.test(arn)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'GitHubSecret', arn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, 'GitHubSecret', arn);
}
