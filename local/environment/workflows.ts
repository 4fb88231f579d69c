/**
 * The state machines an environment runs with aws-local-stepfunctions, each Lambda task calling a real handler:
 * onboard-account (started by the rules and by StartExecution), reconcile and refresh (by hand, by StartExecution,
 * and by a reconcile report for the dashboard). On the embedded AWS stand-in each is also registered behind its
 * ARN, so StartExecution, DescribeExecution and the operators' tools (the CLI) reach it.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { s3ObjectStore } from '../../functions/lib/object-store';
import type { RefreshResult } from '../../functions/lib/refresh';
import type { ReportResult } from '../../functions/reconcile-report/handler';
import type { AwsStandIn } from '../aws/server';
import { type ExecutionRecord, stepFunctions } from '../aws/states';
import type { ClientConfig } from '../bootstrap';
import type { LambdaRuntime } from '../lambda-runtime';
import {
  type ExecutionReport,
  type Json,
  lambdaInvoke,
  ONBOARD_ACCOUNT_ASL,
  runOnboarding,
  runStateMachine,
  type StepHandler,
} from '../step-functions';
import { type HandlerKind, loadHandlers, ONBOARDING_FUNCTIONS, RECONCILE_FUNCTIONS } from './handlers';
import { lambdaArn, randomSuffix, type StateMachineArns } from './names';
import type { ReconcileReportFile, ReconcileRun, ReconcileRunOptions, RefreshRun, StartedExecution } from './types';

const RECONCILE_ASL = 'state-machines/reconcile.asl.json';
const REFRESH_ASL = 'state-machines/refresh.asl.json';

/** What the workflows run against: the AWS endpoint, the failure topic, the handlers' kind and runtime. */
export interface WorkflowContext {
  standIn?: AwsStandIn;
  clientConfig: ClientConfig;
  sns: SNSClient;
  topicArn: string;
  arns: StateMachineArns;
  /** The reconcile run files' bucket (RECONCILE_BUCKET). */
  bucket: string;
  handlers: HandlerKind;
  runtime?: LambdaRuntime;
}

/** The NotifyFailure task: publishes the message to its topic, as the SNS integration does. */
const notifyFailure = (sns: SNSClient) => async (params: Json) => {
  const message = params as { TopicArn: string; Subject: string; Message: string };
  const published = await sns.send(
    new PublishCommand({ TopicArn: message.TopicArn, Subject: message.Subject, Message: message.Message }),
  );
  return { MessageId: published.MessageId ?? '' };
};

/** The executions started on the stand-in since `startedBefore` whose state machine `keep`s, as they ended. */
function startedSince(
  executions: ExecutionRecord[],
  startedBefore: number,
  keep: (stateMachineArn: string) => boolean,
  withOutput: boolean,
): StartedExecution[] {
  return executions
    .slice(startedBefore)
    .filter((e) => keep(e.stateMachineArn))
    .map((e) => ({
      name: e.name,
      input: JSON.parse(e.input) as unknown,
      status: e.status,
      ...(withOutput && e.output !== undefined ? { output: JSON.parse(e.output) as unknown } : {}),
      ...(e.error === undefined ? {} : { error: e.error }),
    }));
}

/** onboard-account: starts one execution with this input, as StartExecution does, and waits for it. */
export async function onboardingWorkflow(ctx: WorkflowContext) {
  const handlers = await loadHandlers(ONBOARDING_FUNCTIONS, ctx.handlers, ctx.runtime);
  let executions = 0;
  const startExecution = (input: unknown, name?: string): Promise<ExecutionReport> =>
    runOnboarding(
      input as Json,
      {
        resolveAccount: handlers['resolve-account'],
        ensureCicdRole: handlers['ensure-cicd-role'],
        openPullRequest: handlers['open-pull-request'],
        publish: async (message) => {
          await ctx.sns.send(
            new PublishCommand({ TopicArn: ctx.topicArn, Subject: message.Subject, Message: message.Message }),
          );
        },
      },
      { executionName: name ?? `local-${++executions}-${randomSuffix()}` },
    );
  if (ctx.standIn) {
    stepFunctions(ctx.standIn.state).register(ctx.arns.onboarding, (input, name) => startExecution(input, name), {
      definitionFile: ONBOARD_ACCOUNT_ASL,
    });
  }
  return startExecution;
}

/** reconcile: runs one sweep in `mode`; returns once it and the onboardings it started have ended. */
export function reconcileWorkflow(ctx: WorkflowContext) {
  let handlers: Promise<Record<(typeof RECONCILE_FUNCTIONS)[number], StepHandler>> | undefined;
  let runs = 0;
  const runReconcile = async (mode: 'report' | 'remediate', opts: ReconcileRunOptions = {}): Promise<ReconcileRun> => {
    handlers ??= loadHandlers(RECONCILE_FUNCTIONS, ctx.handlers, ctx.runtime);
    const fns = await handlers;
    const sfn = ctx.standIn && stepFunctions(ctx.standIn.state);
    const startedBefore = sfn?.executions().length ?? 0;
    const run = await runStateMachine(
      RECONCILE_ASL,
      {
        InventoryFunctionArn: lambdaArn('reconcile-inventory'),
        CheckFunctionArn: lambdaArn('reconcile-check'),
        RepositoryFunctionArn: lambdaArn('reconcile-repo'),
        ReportFunctionArn: lambdaArn('reconcile-report'),
        TopicArn: ctx.topicArn,
      },
      {
        Inventory: lambdaInvoke(fns['reconcile-inventory']),
        CheckBatch: lambdaInvoke(fns['reconcile-check']),
        ReadRepository: lambdaInvoke(fns['reconcile-repo']),
        Report: lambdaInvoke(fns['reconcile-report']),
        NotifyFailure: notifyFailure(ctx.sns),
      },
      { mode },
      { executionName: opts.executionName ?? `reconcile-${++runs}-${randomSuffix()}`, startTime: opts.startTime },
    );
    // Only the onboardings (and the dashboard's render): a sweep started through StartExecution must not wait for itself.
    await sfn?.settle(ctx.arns.onboarding);
    await sfn?.settle(ctx.arns.refresh);
    const executions = startedSince(sfn?.executions() ?? [], startedBefore, (arn) => arn !== ctx.arns.refresh, true);
    if (run.outcome.status !== 'SUCCEEDED') return { ...run, executions };
    const result = run.outcome.output as unknown as ReportResult;
    const store = s3ObjectStore({
      client: new S3Client({ ...ctx.clientConfig, forcePathStyle: true }),
      bucket: ctx.bucket,
    });
    const report = await store.getJson<ReconcileReportFile>(result.reportKey);
    return { ...run, result, report, executions };
  };
  // Behind StartExecution too, so operators' tools (the CLI) can start sweeps.
  if (ctx.standIn) {
    stepFunctions(ctx.standIn.state).register(
      ctx.arns.reconcile,
      async (input, name) => {
        const mode = (input as { mode?: string } | null)?.mode === 'remediate' ? 'remediate' : 'report';
        const run = await runReconcile(mode, { executionName: name });
        return { outcome: run.outcome, states: run.states, retries: run.retries };
      },
      { definitionFile: RECONCILE_ASL },
    );
  }
  return runReconcile;
}

/** refresh (functions/refresh): the schedule's runs, a reconcile report's render, by hand. */
export function refreshWorkflow(ctx: WorkflowContext, defaultInput: () => Record<string, unknown>) {
  let handler: Promise<Record<'refresh', StepHandler>> | undefined;
  let runs = 0;
  const runRefresh = async (
    input: Record<string, unknown> = defaultInput(),
    opts: { executionName?: string } = {},
  ): Promise<RefreshRun> => {
    handler ??= loadHandlers(['refresh'] as const, ctx.handlers, ctx.runtime);
    const fns = await handler;
    const sfn = ctx.standIn && stepFunctions(ctx.standIn.state);
    const startedBefore = sfn?.executions().length ?? 0;
    const run = await runStateMachine(
      REFRESH_ASL,
      { RefreshFunctionArn: lambdaArn('refresh'), TopicArn: ctx.topicArn },
      { Refresh: lambdaInvoke(fns.refresh), NotifyFailure: notifyFailure(ctx.sns) },
      input as Json,
      { executionName: opts.executionName ?? `refresh-${++runs}-${randomSuffix()}` },
    );
    await sfn?.settle(ctx.arns.onboarding);
    const executions = startedSince(
      sfn?.executions() ?? [],
      startedBefore,
      (arn) => arn === ctx.arns.onboarding,
      false,
    );
    const result =
      run.outcome.status === 'SUCCEEDED' && (run.outcome.output as { outcome?: string } | null)?.outcome
        ? (run.outcome.output as unknown as RefreshResult)
        : undefined;
    return { outcome: run.outcome, states: run.states, ...(result ? { result } : {}), executions };
  };
  if (ctx.standIn) {
    stepFunctions(ctx.standIn.state).register(
      ctx.arns.refresh,
      async (input, name) => {
        const run = await runRefresh((input ?? {}) as Record<string, unknown>, { executionName: name });
        return { outcome: run.outcome, states: run.states, retries: {} };
      },
      { definitionFile: REFRESH_ASL },
    );
  }
  return runRefresh;
}
