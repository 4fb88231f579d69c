import { resolve } from 'node:path';
import {
  Aws,
  Duration,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  aws_secretsmanager as secretsmanager,
  type aws_stepfunctions as sfn,
  type aws_sns as sns,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { OnboardingConfig } from '../../functions/lib/config';
import { DEPARTURE_EVENT_PATTERNS } from '../../functions/lib/departure';
import { definitionStateMachine, type ExecutionAlarms, executionAlarms } from './definition-state-machine';
import { eventsRoleOf } from './events-role';

export interface OffboardingWorkflowProps {
  readonly config: OnboardingConfig;
  /** Where failures are published (the onboarding failure topic). */
  readonly topic: sns.ITopic;
  /** Folder holding the bundles `<name>/index.mjs`. @default dist/functions */
  readonly functionsDir?: string;
  /** @default state-machines/offboard-account.asl.json */
  readonly definitionFile?: string;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** @default RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The offboard-account workflow: resolve-departure (reads Organizations only), open-offboarding-pull-request (reads
 * the GitHub secret only), the state machine, and one rule per departure event (functions/lib/departure.ts). No
 * function holds a permission on the departed account itself: the tool does not govern it any more.
 */
export class OffboardingWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly alarms: ExecutionAlarms;
  readonly resolveDeparture: lambda.Function;
  readonly openPullRequest: lambda.Function;
  readonly rules: events.Rule[];

  constructor(scope: Construct, id: string, props: OffboardingWorkflowProps) {
    super(scope, id);
    const { config } = props;
    const managementAccountId = config.managementAccountId ?? Aws.ACCOUNT_ID;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    const fn = (fid: string, name: string, description: string, timeout: Duration) => {
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
        memorySize: 512,
        role,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        environment: {
          ONBOARDING_CONFIG: Stack.of(this).toJsonString({ ...config, managementAccountId }),
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'oidc-account-onboarding',
          POWERTOOLS_LOG_LEVEL: config.logLevel,
        },
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) have no resource-level permissions.',
      });
      return f;
    };

    this.resolveDeparture = fn(
      'ResolveDeparture',
      'resolve-departure',
      'Offboarding: reads a departure event and the account status in Organizations',
      Duration.seconds(30),
    );
    this.openPullRequest = fn(
      'OpenOffboardingPullRequest',
      'open-offboarding-pull-request',
      "Offboarding: opens the pull request that takes a departed account's folder out of the Terraform repo",
      Duration.minutes(2),
    );

    const arn = (resource: string) => `arn:${Aws.PARTITION}:organizations::${managementAccountId}:${resource}`;
    this.resolveDeparture.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadAccounts',
        actions: ['organizations:DescribeAccount', 'organizations:ListParents', 'organizations:ListTagsForResource'],
        resources: [arn('account/o-*/*')],
      }),
    );
    this.resolveDeparture.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadOrganizationalUnits',
        actions: ['organizations:DescribeOrganizationalUnit', 'organizations:ListParents'],
        resources: [arn('ou/o-*/ou-*')],
      }),
    );
    const account = config.managementAccountId ?? '<AWS::AccountId>';
    for (const resource of ['account/o-*/*', 'ou/o-*/ou-*']) {
      Validations.of(this.resolveDeparture.role ?? this.resolveDeparture).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:organizations::${account}:${resource}]`,
        reason:
          'Organizations ARNs embed the organization id, unknown at synth; they are pinned to this management account and the actions are read-only.',
      });
    }
    githubSecret(this, config.github.auth.secretArn).grantRead(this.openPullRequest);

    this.stateMachine = definitionStateMachine(this, {
      comment: 'Offboards an account that was closed or left the organization: one pull request, its role untouched',
      definitionFile: props.definitionFile ?? 'state-machines/offboard-account.asl.json',
      substitutions: {
        ResolveDepartureFunctionArn: this.resolveDeparture.functionArn,
        OpenOffboardingPullRequestFunctionArn: this.openPullRequest.functionArn,
        FailureTopicArn: props.topic.topicArn,
      },
      functions: [this.resolveDeparture, this.openPullRequest],
      invokeSid: 'InvokeOffboardingFunctions',
      topic: props.topic,
      logRetention,
      logRemovalPolicy,
    });
    this.alarms = executionAlarms(this, this.stateMachine, props.topic, {
      failed:
        'An offboarding failed: a departed account may still be in the workflow matrix. The failure notification names the error; fix it, then redrive the execution or start one with {"accountId": "…"}.',
      timedOut:
        'An offboarding timed out (3 h, longer than every retry on its way). Find where it hung, then redrive it or start one with {"accountId": "…"}.',
      throttled: 'Step Functions throttled offboardings: they go on later by themselves.',
    });

    const target = new targets.SfnStateMachine(this.stateMachine, {
      role: eventsRoleOf(this.stateMachine),
      retryAttempts: 10,
      maxEventAge: Duration.hours(6),
    });
    this.rules = Object.entries(DEPARTURE_EVENT_PATTERNS).map(
      ([name, pattern]) =>
        new events.Rule(this, `${name}Rule`, {
          description: `Offboard an account on ${name}`,
          eventPattern: {
            source: [...pattern.source],
            detailType: [...pattern['detail-type']],
            detail: JSON.parse(JSON.stringify(pattern.detail)) as Record<string, unknown>,
          },
          targets: [target],
        }),
    );
  }
}

function githubSecret(scope: Construct, arn: string): secretsmanager.ISecret {
  return /-[A-Za-z0-9]{6}$/.test(arn)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'GitHubSecret', arn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, 'GitHubSecret', arn);
}
