import {
  Duration,
  aws_events as events,
  type aws_lambda as lambda,
  type aws_stepfunctions as sfn,
  type aws_sns as sns,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEPARTURE_EVENT_PATTERNS } from '../../functions/lib/departure';
import { definitionStateMachine, type ExecutionAlarms, executionAlarms } from './definition-state-machine';
import { eventsRoleOf } from './events-role';
import { type LambdaStepSettings, lambdaStep } from './lambda-step';
import { grantGitHubSecretRead, grantOrganizationsRead } from './step-grants';

export interface OffboardingWorkflowProps extends LambdaStepSettings {
  /** Where failures are published (the onboarding failure topic). */
  readonly topic: sns.ITopic;
  /** @default state-machines/offboard-account.asl.json */
  readonly definitionFile?: string;
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
    this.resolveDeparture = lambdaStep(this, 'ResolveDeparture', props, {
      bundle: 'resolve-departure',
      description: 'Offboarding: reads a departure event and the account status in Organizations',
      timeout: Duration.seconds(30),
      memorySize: 512,
    });
    this.openPullRequest = lambdaStep(this, 'OpenOffboardingPullRequest', props, {
      bundle: 'open-offboarding-pull-request',
      description:
        "Offboarding: opens the pull request that takes a departed account's folder out of the Terraform repo",
      timeout: Duration.minutes(2),
      memorySize: 512,
    });
    grantOrganizationsRead(this.resolveDeparture, config);
    grantGitHubSecretRead(this, this.openPullRequest, config);

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
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
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
