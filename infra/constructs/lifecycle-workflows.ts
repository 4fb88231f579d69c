import {
  Annotations,
  Duration,
  aws_events as events,
  type aws_lambda as lambda,
  Stack,
  type aws_stepfunctions as sfn,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { OnboardingConfig } from '../../functions/lib/config';
import { ProfileShadowed, UnknownTemplatesFolder } from '../../functions/lib/errors';
import { cdkEventPattern, INVITED_EVENT_PATTERNS, MOVED_EVENT_PATTERNS } from '../../functions/lib/lifecycle-events';
import { checkProfiles } from '../../functions/lib/profiles';
import { definitionStateMachine, type ExecutionAlarms, executionAlarms } from './definition-state-machine';
import type { LogSettings } from './lambda-step';
import type { OnboardingWorkflow } from './onboarding-workflow';

/**
 * The workflows of an account's life after its creation, composed like the onboarding workflow and running its three
 * functions (resolve-account, ensure-cicd-role, open-pull-request: no new function, no new permission): a state
 * machine from an ASL file, its alarms, and one EventBridge rule per event (functions/lib/lifecycle-events.ts).
 * Departures have their own workflow (offboarding-workflow.ts).
 */

export interface LifecycleWorkflowProps extends LogSettings {
  readonly config: OnboardingConfig;
  /** The functions, failure topic and dead-letter queue they share. */
  readonly onboarding: OnboardingWorkflow;
}

interface WorkflowSpec {
  comment: string;
  definitionFile: string;
  substitutions: Record<string, string>;
  patterns: Record<string, { source: readonly string[]; 'detail-type': readonly string[]; detail: object }>;
  ruleDescription: (name: string) => string;
  alarms: { failed: string; timedOut: string; throttled: string };
}

abstract class LifecycleWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly alarms: ExecutionAlarms;
  readonly rules: events.Rule[];

  protected constructor(scope: Construct, id: string, props: LifecycleWorkflowProps, spec: WorkflowSpec) {
    super(scope, id);
    const { onboarding } = props;
    const functions: lambda.Function[] = [
      onboarding.resolveAccount,
      onboarding.ensureCicdRole,
      onboarding.openPullRequest,
    ];
    this.stateMachine = definitionStateMachine(this, {
      comment: spec.comment,
      definitionFile: spec.definitionFile,
      substitutions: {
        ResolveAccountFunctionArn: onboarding.resolveAccount.functionArn,
        EnsureCicdRoleFunctionArn: onboarding.ensureCicdRole.functionArn,
        OpenPullRequestFunctionArn: onboarding.openPullRequest.functionArn,
        FailureTopicArn: onboarding.failureTopic.topicArn,
        ...spec.substitutions,
      },
      functions,
      invokeSid: 'InvokeStepFunctions',
      topic: onboarding.failureTopic,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.alarms = executionAlarms(this, this.stateMachine, onboarding.failureTopic, spec.alarms);
    const target = new targets.SfnStateMachine(this.stateMachine, {
      deadLetterQueue: onboarding.deadLetterQueue,
      retryAttempts: 10,
      maxEventAge: Duration.hours(6),
    });
    this.rules = Object.entries(spec.patterns).map(
      ([name, pattern]) =>
        new events.Rule(this, `${name}Rule`, {
          description: spec.ruleDescription(name),
          eventPattern: cdkEventPattern(pattern),
          targets: [target],
        }),
    );
  }
}

/** Invited accounts (`invitations.enabled`): state-machines/onboard-invited-account.asl.json. */
export class InvitedAccountWorkflow extends LifecycleWorkflow {
  constructor(scope: Construct, id: string, props: LifecycleWorkflowProps) {
    super(scope, id, props, {
      comment: 'Onboards an invited AWS account once a member access role can be assumed',
      definitionFile: 'state-machines/onboard-invited-account.asl.json',
      substitutions: { AccessRoleWaitSeconds: JSON.stringify(props.config.invitations.accessRoleWaitSeconds) },
      patterns: INVITED_EVENT_PATTERNS,
      ruleDescription: (name) => `Onboard an invited account on ${name}`,
      alarms: {
        failed:
          'An invited account could not be onboarded (often AccountNotAssumable: nobody created its access role). The notification names the role to create and the trust it needs; then start onboard-account with {"accountId": "…"}.',
        timedOut:
          'An invited-account onboarding timed out (4 days, longer than the longest wait schedule). Find where it hung, then start onboard-account with {"accountId": "…"}.',
        throttled: 'Step Functions throttled invited-account onboardings: they go on later by themselves.',
      },
    });
  }
}

/** Moved accounts (`moves.enabled`): state-machines/account-moved.asl.json. */
export class MovedAccountWorkflow extends LifecycleWorkflow {
  constructor(scope: Construct, id: string, props: LifecycleWorkflowProps) {
    super(scope, id, props, {
      comment: 'Re-evaluates filters and profile of an account that moved between OUs',
      definitionFile: 'state-machines/account-moved.asl.json',
      substitutions: {},
      patterns: MOVED_EVENT_PATTERNS,
      ruleDescription: () => 'Re-evaluate filters and profile of an account that moved between OUs',
      alarms: {
        failed:
          'Handling a moved account failed: its role may not match its new profile. The notification names the error; fix it, then redrive the execution.',
        timedOut: 'Handling a moved account timed out (5 h). Find where it hung, then redrive it.',
        throttled: 'Step Functions throttled moved-account executions: they go on later by themselves.',
      },
    });
  }
}

/**
 * The profiles as synth sees them (functions/lib/profiles.ts checkProfiles): a profile that can never apply
 * (ProfileShadowed) or names a templates folder the build does not embed (UnknownTemplatesFolder) fails the synth;
 * overlapping profiles are reported as warnings (the first listed wins).
 */
export function validateProfiles(scope: Construct, config: OnboardingConfig, templateFolders: readonly string[]): void {
  const findings = checkProfiles(config.profiles, templateFolders);
  const unknown = findings.filter((f) => f.kind === 'unknown-templates');
  if (unknown.length > 0) throw new UnknownTemplatesFolder(unknown.map((f) => f.message).join('; '));
  const shadowed = findings.filter((f) => f.kind === 'shadowed');
  if (shadowed.length > 0) throw new ProfileShadowed(shadowed.map((f) => f.message).join('; '));
  for (const overlap of findings.filter((f) => f.kind === 'overlap')) {
    Annotations.of(Stack.of(scope)).addWarningV2('oidc-account-onboarding:profile-overlap', overlap.message);
  }
}
