import { CfnOutput, aws_iam as iam, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OnboardingConfig } from '../functions/lib/config';
import { InvitedAccountWorkflow, MovedAccountWorkflow, validateProfiles } from './constructs/lifecycle-workflows';
import { OffboardingWorkflow } from './constructs/offboarding-workflow';
import { OnboardingWorkflow } from './constructs/onboarding-workflow';
import { ReconcileWorkflow } from './constructs/reconcile-workflow';
import { RefreshWorkflow } from './constructs/refresh-workflow';
import { readTemplateSets, templatesDir } from './templates-module.mjs';

export interface OnboardingStackProps extends StackProps {
  readonly config: OnboardingConfig;
  /** Folder holding the function bundles. @default dist/functions */
  readonly functionsDir?: string;
}

/** Deploys into the management account (us-east-1, where Organizations events arrive). Composes only. */
export class OnboardingStack extends Stack {
  readonly onboarding: OnboardingWorkflow;
  readonly reconcile: ReconcileWorkflow;
  /** Present when `offboarding.enabled`. */
  readonly offboarding?: OffboardingWorkflow;
  /** Present when `invitations.enabled`. */
  readonly invited?: InvitedAccountWorkflow;
  /** Present when `moves.enabled`. */
  readonly moved?: MovedAccountWorkflow;
  /** Present when `refresh.enabled` (the default). */
  readonly refresh?: RefreshWorkflow;

  constructor(scope: Construct, id: string, props: OnboardingStackProps) {
    super(scope, id, props);
    // The profiles against the template sets the build embeds (templates/ or ONBOARDING_TEMPLATES_DIR).
    validateProfiles(this, props.config, Object.keys(readTemplateSets(templatesDir())));
    this.onboarding = new OnboardingWorkflow(this, 'Onboarding', {
      config: props.config,
      functionsDir: props.functionsDir,
    });
    new CfnOutput(this, 'OnboardingStateMachineArn', {
      description: 'Start a manual onboarding with {"accountId": "012345678901"}',
      value: this.onboarding.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'FailureTopicArn', { value: this.onboarding.failureTopic.topicArn });
    this.reconcile = new ReconcileWorkflow(this, 'Reconcile', {
      config: props.config,
      functionsDir: props.functionsDir,
      onboardingStateMachine: this.onboarding.stateMachine,
      topic: this.onboarding.failureTopic,
    });
    new CfnOutput(this, 'ReconcileStateMachineArn', {
      description: 'Start a sweep by hand with {"mode": "report"} or {"mode": "remediate"}',
      value: this.reconcile.stateMachine.stateMachineArn,
    });
    if (props.config.invitations.enabled) {
      this.invited = new InvitedAccountWorkflow(this, 'Invited', { config: props.config, onboarding: this.onboarding });
      new CfnOutput(this, 'InvitedAccountStateMachineArn', { value: this.invited.stateMachine.stateMachineArn });
    }
    if (props.config.moves.enabled) {
      this.moved = new MovedAccountWorkflow(this, 'Moved', { config: props.config, onboarding: this.onboarding });
      new CfnOutput(this, 'MovedAccountStateMachineArn', { value: this.moved.stateMachine.stateMachineArn });
    }
    if (props.config.refresh.enabled) this.refresh = this.addRefresh(props);
    if (props.config.offboarding.enabled) {
      const offboarding = new OffboardingWorkflow(this, 'Offboarding', {
        config: props.config,
        functionsDir: props.functionsDir,
        topic: this.onboarding.failureTopic,
      });
      // A remediating sweep hands orphan folders of departed accounts to the offboarding workflow.
      this.reconcile.report.addEnvironment('OFFBOARDING_STATE_MACHINE_ARN', offboarding.stateMachine.stateMachineArn);
      this.reconcile.report.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'StartOffboarding',
          actions: ['states:StartExecution'],
          resources: [offboarding.stateMachine.stateMachineArn],
        }),
      );
      new CfnOutput(this, 'OffboardingStateMachineArn', {
        description: 'Offboard an account that left by hand with {"accountId": "012345678901"}',
        value: offboarding.stateMachine.stateMachineArn,
      });
      this.offboarding = offboarding;
    }
  }
  /**
   * The refresh; each reconcile report hands it the drift for the dashboard (with the dashboard on) and a remediating
   * sweep's batch pull requests, and starts it.
   */
  private addRefresh(props: OnboardingStackProps): RefreshWorkflow {
    const refresh = new RefreshWorkflow(this, 'Refresh', {
      config: props.config,
      functionsDir: props.functionsDir,
      topic: this.onboarding.failureTopic,
      onboardingStateMachine: this.onboarding.stateMachine,
      bucket: this.reconcile.bucket,
    });
    new CfnOutput(this, 'RefreshStateMachineArn', {
      description: 'Refresh by hand with {}, {"when": "behind-base"}, {"force": ["012345678901"]} or {"render": true}',
      value: refresh.stateMachine.stateMachineArn,
    });
    this.reconcile.report.addEnvironment('REFRESH_STATE_MACHINE_ARN', refresh.stateMachine.stateMachineArn);
    this.reconcile.report.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StartRefresh',
        actions: ['states:StartExecution'],
        resources: [refresh.stateMachine.stateMachineArn],
      }),
    );
    return refresh;
  }
}
