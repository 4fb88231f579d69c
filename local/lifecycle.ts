/**
 * The invited-account and moved-account workflows on the local stand-ins: state-machines/onboard-invited-account.asl.json
 * and state-machines/account-moved.asl.json run with aws-local-stepfunctions and the real onboarding handlers (from
 * source, each as its synthesized role when IAM is evaluated), started by the events the AWS stand-in emits when they
 * match the rules' patterns (functions/lib/lifecycle-events.ts). Only the management account's default bus is
 * listened to, as the deployed rules are: a member's own AcceptHandshake call is logged in (and delivered to) the
 * member account. Kept apart from environment.ts, like local/offboarding.ts.
 */
import { randomUUID } from 'node:crypto';
import { INVITED_EVENT_PATTERNS, MOVED_EVENT_PATTERNS } from '../functions/lib/lifecycle-events';
import type { LocalEnvironment } from './environment';
import { eventRuns, sourceStep } from './environment/event-runs';
import { lambdaArn } from './environment/names';
import { type EventPattern, matchesEventPattern } from './event-pattern';
import { type ExecutionOutcome, type Json, lambdaInvoke, runStateMachine } from './step-functions';

export const INVITED_ASL = 'state-machines/onboard-invited-account.asl.json';
export const MOVED_ASL = 'state-machines/account-moved.asl.json';

export type LifecycleWorkflow = 'invited' | 'moved';

export interface LifecycleRun {
  workflow: LifecycleWorkflow;
  name: string;
  input: unknown;
  outcome: ExecutionOutcome;
  states: string[];
  notifications: Array<{ Subject: string; Message: string }>;
}

export interface LifecycleRunnerOptions {
  /** Milliseconds each WaitForAccessRole takes locally (default 0), so a test can create the role meanwhile. */
  accessRoleWaitMs?: number;
}

export interface LifecycleRunner {
  start(workflow: LifecycleWorkflow, input: unknown, name?: string): Promise<LifecycleRun>;
  /** The rule whose pattern matches the event, and its workflow (as EventBridge on the management account decides). */
  ruleFor(event: unknown): { rule: string; workflow: LifecycleWorkflow } | undefined;
  /** Delivers the management account's events to the matching rules; `settle()` waits for the runs. */
  listen(): () => void;
  settle(): Promise<LifecycleRun[]>;
}

const RULES: Record<LifecycleWorkflow, Record<string, unknown>> = {
  invited: INVITED_EVENT_PATTERNS,
  moved: MOVED_EVENT_PATTERNS,
};

export async function lifecycleRunner(
  env: LocalEnvironment,
  options: LifecycleRunnerOptions = {},
): Promise<LifecycleRunner> {
  const resolve = sourceStep(env, 'resolve-account', await import('../functions/resolve-account/handler'));
  const ensure = sourceStep(env, 'ensure-cicd-role', await import('../functions/ensure-cicd-role/handler'));
  const open = sourceStep(env, 'open-pull-request', await import('../functions/open-pull-request/handler'));

  let count = 0;
  const start = async (workflow: LifecycleWorkflow, input: unknown, name?: string): Promise<LifecycleRun> => {
    const executionName = name ?? `${workflow}-${++count}-${randomUUID().slice(0, 8)}`;
    const notifications: LifecycleRun['notifications'] = [];
    const publish = (params: Json) => {
      notifications.push(params as unknown as LifecycleRun['notifications'][number]);
      return { MessageId: `message-${notifications.length}` };
    };
    const report = await runStateMachine(
      workflow === 'invited' ? INVITED_ASL : MOVED_ASL,
      {
        ResolveAccountFunctionArn: lambdaArn('resolve-account'),
        EnsureCicdRoleFunctionArn: lambdaArn('ensure-cicd-role'),
        OpenPullRequestFunctionArn: lambdaArn('open-pull-request'),
        FailureTopicArn: env.env.RECONCILE_TOPIC_ARN ?? 'arn:aws:sns:us-east-1:000000000000:local',
        AccessRoleWaitSeconds: JSON.stringify(env.config.invitations.accessRoleWaitSeconds),
      },
      {
        ResolveAccount: lambdaInvoke(resolve),
        EnsureCicdRole: lambdaInvoke(ensure),
        OpenPullRequest: lambdaInvoke(open),
        NotifyResolveFailure: publish,
        NotifyAccountFailure: publish,
        ReportExcluded: publish,
        ReportProfileFiles: publish,
      },
      input as Json,
      { executionName, waitMs: { WaitForAccessRole: options.accessRoleWaitMs ?? 0 } },
    );
    return { workflow, name: executionName, input, outcome: report.outcome, states: report.states, notifications };
  };

  const ruleFor = (event: unknown) => {
    for (const [workflow, patterns] of Object.entries(RULES) as Array<[LifecycleWorkflow, Record<string, unknown>]>) {
      const rule = Object.entries(patterns).find(([, p]) => matchesEventPattern(event, p as EventPattern))?.[0];
      if (rule) return { rule, workflow };
    }
    return undefined;
  };

  const runs = eventRuns<LifecycleRun>();
  const listen = () => {
    const standIn = env.aws.standIn;
    if (!standIn) throw new Error('Lifecycle events come from the embedded AWS stand-in only');
    return standIn.onEvent((event) => {
      // The rules live on the management account's default bus: a member's own calls never reach it.
      if (event.account !== env.aws.managementAccountId) return;
      const match = ruleFor(event);
      if (match) runs.add(start(match.workflow, event, `${match.rule}-${String(event.id).slice(0, 8)}`));
    });
  };
  return { start, ruleFor, listen, settle: runs.settle };
}
