/**
 * The offboard-account workflow on the local stand-ins: state-machines/offboard-account.asl.json run with
 * aws-local-stepfunctions and the real handlers (from source), started by the departure events the AWS stand-in
 * emits when they match the rules' patterns (functions/lib/departure.ts DEPARTURE_EVENT_PATTERNS). Kept apart from
 * environment.ts: it needs only what a LocalEnvironment already set up (process.env, the stand-ins).
 */
import { randomUUID } from 'node:crypto';
import { DEPARTURE_EVENT_PATTERNS } from '../functions/lib/departure';
import { stepFunctions } from './aws/states';
import type { LocalEnvironment } from './environment';
import { eventRuns, sourceStep } from './environment/event-runs';
import { lambdaArn, stateMachineArns } from './environment/names';
import { type EventPattern, matchesEventPattern } from './event-pattern';
import { type ExecutionOutcome, type Json, lambdaInvoke, runStateMachine } from './step-functions';

export const OFFBOARD_ACCOUNT_ASL = 'state-machines/offboard-account.asl.json';

export interface OffboardingRun {
  name: string;
  input: unknown;
  outcome: ExecutionOutcome;
  states: string[];
  notifications: Array<{ Subject: string; Message: string }>;
}

export interface OffboardingRunner {
  /** Starts one execution with this input, as StartExecution does, and waits for it. */
  start(input: unknown, name?: string): Promise<OffboardingRun>;
  /** The rule whose pattern matches the event, if any (as EventBridge decides). */
  ruleFor(event: unknown): string | undefined;
  /** Delivers every departure event the AWS stand-in emits to the matching rule; `settle()` waits for the runs. */
  listen(): () => void;
  /** Waits until every execution started by `listen` has ended; returns them all, in start order. */
  settle(): Promise<OffboardingRun[]>;
  /** The offboard-account state machine behind the stand-in's StartExecution (the sweep starts it in remediate mode). */
  stateMachineArn: string;
  /** Waits for the executions started through StartExecution (by a remediating sweep). */
  settleStarted(): Promise<void>;
}

export async function offboardingRunner(env: LocalEnvironment): Promise<OffboardingRunner> {
  // As their synthesized roles when IAM is evaluated (local/iam-evaluation.ts), as every other local function.
  const resolveStep = sourceStep(env, 'resolve-departure', await import('../functions/resolve-departure/handler'));
  const openStep = sourceStep(
    env,
    'open-offboarding-pull-request',
    await import('../functions/open-offboarding-pull-request/handler'),
  );

  let count = 0;
  const start = async (input: unknown, name?: string): Promise<OffboardingRun> => {
    const executionName = name ?? `offboard-${++count}-${randomUUID().slice(0, 8)}`;
    const notifications: OffboardingRun['notifications'] = [];
    const report = await runStateMachine(
      OFFBOARD_ACCOUNT_ASL,
      {
        ResolveDepartureFunctionArn: lambdaArn('resolve-departure'),
        OpenOffboardingPullRequestFunctionArn: lambdaArn('open-offboarding-pull-request'),
        FailureTopicArn: env.env.RECONCILE_TOPIC_ARN ?? 'arn:aws:sns:us-east-1:000000000000:local',
      },
      {
        ResolveDeparture: lambdaInvoke(resolveStep),
        OpenOffboardingPullRequest: lambdaInvoke(openStep),
        NotifyFailure: (params: Json) => {
          notifications.push(params as unknown as OffboardingRun['notifications'][number]);
          return { MessageId: `message-${notifications.length}` };
        },
      },
      input as Json,
      { executionName },
    );
    return { name: executionName, input, outcome: report.outcome, states: report.states, notifications };
  };

  const ruleFor = (event: unknown): string | undefined =>
    Object.entries(DEPARTURE_EVENT_PATTERNS).find(([, pattern]) =>
      matchesEventPattern(event, pattern as unknown as EventPattern),
    )?.[0];

  // Runs may start while others finish (the stand-in emits CloseAccountResult some time after CloseAccount).
  const runs = eventRuns<OffboardingRun>();
  const listen = () => {
    const standIn = env.aws.standIn;
    if (!standIn) throw new Error('Departure events come from the embedded AWS stand-in only');
    return standIn.onEvent((event) => {
      const rule = ruleFor(event);
      if (rule) runs.add(start(event, `${rule}-${String(event.id).slice(0, 8)}`));
    });
  };
  // Behind StartExecution too, and named to the reconcile-report function, which starts it for orphan folders.
  const stateMachineArn = stateMachineArns(env.aws.managementAccountId).offboarding;
  const standIn = env.aws.standIn;
  if (standIn) {
    stepFunctions(standIn.state).register(
      stateMachineArn,
      async (input, name) => ({ outcome: (await start(input, name)).outcome }),
      { definitionFile: OFFBOARD_ACCOUNT_ASL },
    );
  }
  env.env.OFFBOARDING_STATE_MACHINE_ARN = stateMachineArn;
  process.env.OFFBOARDING_STATE_MACHINE_ARN = stateMachineArn;
  const settleStarted = async () => {
    if (standIn) await stepFunctions(standIn.state).settle(stateMachineArn);
  };
  return { start, ruleFor, listen, settle: runs.settle, stateMachineArn, settleStarted };
}
