/**
 * The embedded runtime behind `npm start` and the end-to-end tests: AWS and GitHub (embedded stand-ins or
 * endpoints given by the user), the organization and repository bootstrapped through their APIs, the EventBridge
 * rules of the synthesized stack, and the onboarding state machine run with aws-local-stepfunctions where each
 * Lambda task calls a real handler. The parts live in local/environment/: endpoints, setup, handlers, rules,
 * workflows, accounts, teardown, names.
 */
import './polyfills';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SNSClient } from '@aws-sdk/client-sns';
import { accountCreator, roleReader } from './environment/accounts';
import { type AwsEndpoint, startAws, startGitHub } from './environment/endpoints';
import { stateMachineArns } from './environment/names';
import { eventRouter, synthesizedRules } from './environment/rules';
import { functionEnvironment, type Setup, setStateMachineArn, setUpEndpoints } from './environment/setup';
import { teardown } from './environment/teardown';
import type { LocalEnvironment, LocalEnvironmentOptions } from './environment/types';
import { onboardingWorkflow, reconcileWorkflow, refreshWorkflow, type WorkflowContext } from './environment/workflows';
import { type IamEvaluation, startIamEvaluation } from './iam-evaluation';
import { refuseRealAccounts } from './setup-errors';

export type { Credentials } from './bootstrap';
export { ensureBundles } from './environment/handlers';
export { LOCAL_REGION } from './environment/names';
export type {
  CreatedAccount,
  Delivery,
  EventRule,
  LocalEnvironment,
  LocalEnvironmentOptions,
  ReconcileReportFile,
  ReconcileRun,
  ReconcileRunOptions,
  RefreshRun,
  RoleView,
} from './environment/types';

/**
 * IAM as deployed (local/iam-evaluation.ts): each function runs as its synthesized role and the stand-in
 * authorizes every call it makes. Off on another endpoint and with `aws: { iam: false }`.
 */
async function iamEvaluation(aws: AwsEndpoint, setup: Setup, env: Record<string, string>) {
  if (!aws.standIn?.authorization.enabled) return undefined;
  const arns = stateMachineArns(setup.bootstrap.managementAccountId);
  return startIamEvaluation(aws.standIn, setup.config, {
    topicArn: setup.bootstrap.topicArn,
    bucket: env.RECONCILE_BUCKET as string,
    claimsBucket: env.CLAIMS_BUCKET as string,
    onboardingStateMachineArn: arns.onboarding,
    reconcileStateMachineArn: arns.reconcile,
    offboardingStateMachineArn: arns.offboarding,
    refreshStateMachineArn: arns.refresh,
  });
}

/** The state machines, registered on the stand-in, and the ARNs the functions start them by. */
async function startWorkflows(
  options: LocalEnvironmentOptions,
  aws: AwsEndpoint,
  setup: Setup,
  env: Record<string, string>,
  iam: IamEvaluation | undefined,
) {
  const ctx: WorkflowContext = {
    standIn: aws.standIn,
    clientConfig: aws.clientConfig,
    sns: new SNSClient(aws.clientConfig),
    topicArn: setup.bootstrap.topicArn,
    arns: stateMachineArns(setup.bootstrap.managementAccountId),
    bucket: env.RECONCILE_BUCKET as string,
    handlers: options.handlers ?? 'source',
    runtime: iam?.runtime,
  };
  const startExecution = await onboardingWorkflow(ctx);
  setStateMachineArn(env, 'ONBOARDING_STATE_MACHINE_ARN', ctx.arns.onboarding);
  setStateMachineArn(env, 'REFRESH_STATE_MACHINE_ARN', options.refreshOnReconcile ? ctx.arns.refresh : undefined);
  return {
    arns: ctx.arns,
    startExecution,
    runReconcile: reconcileWorkflow(ctx),
    runRefresh: refreshWorkflow(ctx, () => ({ when: setup.config.refresh.when })),
  };
}

export async function startLocalEnvironment(options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
  refuseRealAccounts(options.awsEndpoint, options.allowRealAccounts);
  const stops = teardown();
  try {
    const aws = await startAws(options, stops);
    const organizations = new OrganizationsClient(aws.clientConfig);
    const github = await startGitHub(options, stops);
    const setup = await setUpEndpoints(options, aws, github, organizations);
    const { bootstrap, config } = setup;
    const env = await functionEnvironment(aws, setup);
    const iam = await iamEvaluation(aws, setup, env);
    const workflows = await startWorkflows(options, aws, setup, env, iam);
    const rules = await synthesizedRules(config);
    return {
      config,
      aws: {
        endpoint: aws.endpoint,
        standIn: aws.standIn,
        managementAccountId: bootstrap.managementAccountId,
        toolingAccountId: bootstrap.toolingAccountId,
        credentials: aws.credentials,
      },
      github: {
        url: github.url,
        owner: github.owner,
        repo: github.repo,
        standIn: github.standIn,
        octokit: github.octokit,
        accountIds: setup.accountIds,
      },
      iam,
      rules,
      notes: setup.notes,
      env,
      startExecution: workflows.startExecution,
      onboardingStateMachineArn: workflows.arns.onboarding,
      deliver: eventRouter(rules, workflows.startExecution),
      createAccount: accountCreator(organizations, aws.standIn, bootstrap.managementAccountId),
      readRole: roleReader(aws.clientConfig, config),
      runReconcile: workflows.runReconcile,
      reconcileStateMachineArn: workflows.arns.reconcile,
      runRefresh: workflows.runRefresh,
      refreshStateMachineArn: workflows.arns.refresh,
      stop: () => stops.stopAll(),
    };
  } catch (error) {
    await stops.stopAllQuietly();
    throw error;
  }
}
