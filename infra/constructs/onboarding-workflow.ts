import {
  Aws,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  type aws_lambda as lambda,
  RemovalPolicy,
  type aws_stepfunctions as sfn,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_sns_subscriptions as subscriptions,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../functions/lib/metrics';
import { AccountClaims } from './account-claims';
import { definitionStateMachine, type ExecutionAlarms, executionAlarms, topicAlarm } from './definition-state-machine';
import { eventsRoleOf } from './events-role';
import { type LambdaStepSettings, lambdaStep } from './lambda-step';
import { grantAssumeMemberAccessRoles, grantGitHubSecretRead, grantOrganizationsRead } from './step-grants';

export interface OnboardingWorkflowProps extends LambdaStepSettings {
  /** The state machine definition. @default state-machines/onboard-account.asl.json */
  readonly definitionFile?: string;
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

  constructor(scope: Construct, id: string, props: OnboardingWorkflowProps) {
    super(scope, id);
    this.props = props;
    const { config } = props;

    this.resolveAccount = lambdaStep(this, 'ResolveAccount', props, {
      bundle: 'resolve-account',
      description: 'Onboarding: normalises the input and resolves the account (OU path, tags, repo folder)',
      timeout: Duration.seconds(30),
      memorySize: 256,
    });
    grantOrganizationsRead(this.resolveAccount, config, { createAccountStatus: true });
    // One writer per account creation: the first event's execution claims the account (account-claim.ts).
    this.claims = new AccountClaims(this, 'Claims', { claimant: this.resolveAccount });

    this.ensureCicdRole = lambdaStep(this, 'EnsureCicdRole', props, {
      bundle: 'ensure-cicd-role',
      description: 'Onboarding: creates or converges the cicd role in the member account',
      timeout: Duration.seconds(60),
      memorySize: 256,
    });
    // It reads the account itself (filters, organization id), as if invoked directly.
    grantOrganizationsRead(this.ensureCicdRole, config);
    grantAssumeMemberAccessRoles(this.ensureCicdRole, config);

    this.openPullRequest = lambdaStep(this, 'OpenPullRequest', props, {
      bundle: 'open-pull-request',
      description: 'Onboarding: opens one pull request adding the account folder and its matrix entry',
      timeout: Duration.seconds(120),
      memorySize: 512,
    });
    grantGitHubSecretRead(this, this.openPullRequest, config);

    const failure = this.encryptedFailureTopic();
    this.failureTopicKey = failure.key;
    this.failureTopic = failure.topic;

    this.stateMachine = this.onboardingStateMachine();
    this.alarms = this.failureAlarms();

    this.deadLetterQueue = this.eventsDeadLetterQueue();
    this.rules = this.triggerRules();
  }

  /** The failure topic, encrypted with its own key that CloudWatch alarms of this account may use to publish. */
  private encryptedFailureTopic(): { key: kms.Key; topic: sns.Topic } {
    // Only alarms of this account (confused deputy: no other account's alarm can use the key or topic).
    const thisAccountsAlarms = {
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    };
    const key = new kms.Key(this, 'FailureTopicKey', {
      description: 'Encrypts the AWS account onboarding failure topic',
      enableKeyRotation: true,
      // SNS keeps no message once delivered: nothing encrypted with the key outlives the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Publishers need the key: the state machines and reconcile-report get it with grantPublish; CloudWatch
    // alarms publish as the cloudwatch.amazonaws.com service, which only the key policy can allow.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: thisAccountsAlarms,
      }),
    );
    const topic = new sns.Topic(this, 'FailureTopic', {
      displayName: 'AWS account onboarding failures',
      enforceSSL: true,
      masterKey: key,
    });
    // The topic policy (enforceSSL) replaces SNS's default one, so the alarms of this account are allowed by name.
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: thisAccountsAlarms,
      }),
    );
    for (const email of this.props.config.notifications.emails) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    return { key, topic };
  }

  /** Dead-letter queue of the EventBridge targets that start executions (this and the lifecycle workflows'). */
  private eventsDeadLetterQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'EventsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the EventBridge targets that start the onboarding.',
    });
    return queue;
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
      logRetention: this.props.logRetention,
      logRemovalPolicy: this.props.logRemovalPolicy,
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
