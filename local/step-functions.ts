/**
 * Runs a state machine file with aws-local-stepfunctions, the way Step Functions runs it once deployed.
 *
 * How the pieces map onto the deployed service:
 * - The definition is built as CDK builds it (infra/state-machine-definition.ts: the file plus the retriers of its
 *   service integrations), then `${Name}` definition substitutions are replaced (CDK passes the same map as
 *   `definitionSubstitutions`, plus `Partition`).
 * - A `taskResourceLocalHandlers` entry replaces a whole Task: it receives the state's effective input (after
 *   `Parameters`) and its return value goes through `ResultSelector`/`ResultPath`. So `lambdaInvoke()` below
 *   emulates the `arn:aws:states:::lambda:invoke` integration: the handler gets `Parameters.Payload` and the task
 *   result is `{ StatusCode, ExecutedVersion, Payload }`, exactly what `ResultSelector` sees in AWS.
 * - Errors: the library matches `Retry`/`Catch` `ErrorEquals` against the thrown error's `name` and puts its
 *   `message` in `Cause`. In AWS, a Lambda function error becomes `Error` = the Node.js runtime's `errorType`
 *   (the error's `name`) and `Cause` = the JSON `{"errorType","errorMessage","trace"}`. `lambdaInvoke()` rethrows
 *   with that same name and cause, so a handler's `throw new AccountNotReady('…')` is matched by
 *   `"ErrorEquals": ["AccountNotReady"]` here as it is in AWS.
 * - `Wait` states and retry intervals are overridden to 0 ms, so backoff never slows a test.
 */
import { readFileSync } from 'node:fs';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { buildDefinition } from '../infra/state-machine-definition';

export const ONBOARD_ACCOUNT_ASL = 'state-machines/onboard-account.asl.json';

export const TEST_REGION = 'us-east-1';
export const TEST_ACCOUNT = '000000000000';

/** The ARNs the test run substitutes; the CDK stack passes its real ones under the same names. */
export const ONBOARD_ACCOUNT_SUBSTITUTIONS = {
  Partition: 'aws',
  ResolveAccountFunctionArn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:resolve-account`,
  EnsureCicdRoleFunctionArn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:ensure-cicd-role`,
  OpenPullRequestFunctionArn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:open-pull-request`,
  FailureTopicArn: `arn:aws:sns:${TEST_REGION}:${TEST_ACCOUNT}:onboarding-failures`,
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** The `${Name}` placeholders a definition file uses. */
export function definitionPlaceholders(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))].sort();
}

/**
 * Builds a definition as CDK deploys it (the file plus its integrations' retriers: infra/state-machine-definition.ts)
 * and replaces every `${Name}`; a placeholder without a value is an error, as it is in CloudFormation. `Partition`
 * is `aws` unless given, as the stack substitutes it for every definition.
 */
export function loadDefinition(path: string, substitutions: Record<string, string>): StateMachineDefinition {
  const values: Record<string, string> = { Partition: 'aws', ...substitutions };
  const text = buildDefinition(path).replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${path}: no substitution for \${${name}}`);
    return value;
  });
  return JSON.parse(text) as StateMachineDefinition;
}

/**
 * One validated `StateMachine` per definition text. Step Functions validates a definition once, when the state
 * machine is created or updated, not on every execution; the library validates in its constructor (about 150 ms for
 * the reconcile definition), so building it per run would charge every local execution with a create.
 * `run()` keeps no state between executions, so concurrent runs may share one instance.
 */
const stateMachines = new Map<string, StateMachine>();

function stateMachineFor(definition: StateMachineDefinition): StateMachine {
  const key = JSON.stringify(definition);
  let machine = stateMachines.get(key);
  if (!machine) {
    machine = new StateMachine(definition);
    stateMachines.set(key, machine);
  }
  return machine;
}

/** Reads a definition file as it is, without the builder's retriers or substitutions (for structural checks). */
export function readDefinition(path: string): StateMachineDefinition {
  return JSON.parse(readFileSync(path, 'utf8')) as StateMachineDefinition;
}

/** A Lambda handler as the state machine sees it: event in, JSON out, named errors thrown. */
// biome-ignore lint/suspicious/noExplicitAny: handlers are stubs or real handlers with their own event types
export type StepHandler = (event: any) => unknown;

/** Error as Step Functions reports a Lambda function error: `name` is the errorType, `message` the Cause JSON. */
class LambdaFunctionError extends Error {
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

/** Wraps a handler as the `lambda:invoke` integration does (see the header comment). */
export function lambdaInvoke(handler: StepHandler): (input: Json) => Promise<Json> {
  return async (input) => {
    const payload = (input as { Payload?: Json } | null)?.Payload ?? null;
    try {
      const result = await handler(structuredClone(payload));
      return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: (result ?? null) as Json };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const cause = JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n') });
      throw new LambdaFunctionError(e.name, cause);
    }
  };
}

/** The `Parameters` the sns:publish integration receives. */
export interface PublishedMessage {
  TopicArn: string;
  Subject: string;
  Message: string;
}

export interface OnboardingHandlers {
  resolveAccount: StepHandler;
  ensureCicdRole?: StepHandler;
  openPullRequest?: StepHandler;
  /** Publishes a failure notification; defaults to recording it and answering like SNS. */
  publish?: (message: PublishedMessage) => unknown;
}

export type { Json };

export type ExecutionOutcome =
  | { status: 'SUCCEEDED'; output: Json }
  | { status: 'FAILED'; error: string; cause: string | undefined };

export interface ExecutionReport {
  outcome: ExecutionOutcome;
  /** Messages handed to SNS, in order. */
  notifications: PublishedMessage[];
  /** State names in the order they were entered. */
  states: string[];
  /** Retries per state name. */
  retries: Record<string, number>;
}

export const TEST_EXECUTION_ID = `arn:aws:states:${TEST_REGION}:${TEST_ACCOUNT}:execution:onboard-account:test-execution`;

const notImplemented = (step: string) => () => {
  throw new Error(`the test gave no ${step} handler`);
};

/** Runs the onboarding state machine file with the given step handlers; never touches AWS. */
export async function runOnboarding(
  input: Json,
  handlers: OnboardingHandlers,
  options: { executionName?: string } = {},
): Promise<ExecutionReport> {
  const definition = loadDefinition(ONBOARD_ACCOUNT_ASL, ONBOARD_ACCOUNT_SUBSTITUTIONS);
  const executionName = options.executionName ?? 'test-execution';
  const executionId = `arn:aws:states:${TEST_REGION}:${TEST_ACCOUNT}:execution:onboard-account:${executionName}`;
  const notifications: PublishedMessage[] = [];
  const publish = async (params: Json): Promise<Json> => {
    const message = params as unknown as PublishedMessage;
    await handlers.publish?.(message);
    notifications.push(message);
    return { MessageId: `message-${notifications.length}` };
  };
  const taskNames = Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name]) => name);

  const execution = stateMachineFor(definition).run(input, {
    overrides: {
      taskResourceLocalHandlers: {
        ResolveAccount: lambdaInvoke(handlers.resolveAccount),
        EnsureCicdRole: lambdaInvoke(handlers.ensureCicdRole ?? notImplemented('ensure-cicd-role')),
        OpenPullRequest: lambdaInvoke(handlers.openPullRequest ?? notImplemented('open-pull-request')),
        NotifyInputFailure: publish,
        NotifyAccountFailure: publish,
      },
      waitTimeOverrides: { WaitForAccountCreation: 0 },
      retryIntervalOverrides: Object.fromEntries(taskNames.map((name) => [name, 0])),
    },
    context: { Execution: { Id: executionId, Name: executionName } },
  });

  return { ...(await observe(execution)), notifications };
}

/** Waits for an execution, recording the states entered and the retries per state from its event log. */
async function observe(
  execution: ReturnType<StateMachine['run']>,
): Promise<{ outcome: ExecutionOutcome; states: string[]; retries: Record<string, number> }> {
  const states: string[] = [];
  const retries: Record<string, number> = {};
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') states.push(event.state.name);
      if (event.type === 'StateRetried') retries[event.state.name] = (retries[event.state.name] ?? 0) + 1;
    }
  })();
  let outcome: ExecutionOutcome;
  try {
    outcome = { status: 'SUCCEEDED', output: (await execution.result) as Json };
  } catch (error) {
    if (!(error instanceof ExecutionError)) throw error;
    const failure = error.cause as Error;
    outcome = { status: 'FAILED', error: failure.name, cause: failure.message };
  }
  await collecting;
  return { outcome, states, retries };
}

// ---- any state machine -------------------------------------------------------------------------------------------

type StateDefinitions = StateMachineDefinition['States'];

/** Every Task state name, Map item processors and Parallel branches included. */
function taskStateNames(states: StateDefinitions): string[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const s = state as {
      Type: string;
      ItemProcessor?: { States: StateDefinitions };
      Iterator?: { States: StateDefinitions };
      Branches?: Array<{ States: StateDefinitions }>;
    };
    const nested = [
      ...(s.ItemProcessor ? [s.ItemProcessor.States] : []),
      ...(s.Iterator ? [s.Iterator.States] : []),
      ...(s.Branches ?? []).map((b) => b.States),
    ].flatMap(taskStateNames);
    return s.Type === 'Task' ? [name, ...nested] : nested;
  });
}

export interface RunStateMachineOptions {
  executionName?: string;
  /** `$$.Execution.StartTime`; default now. */
  startTime?: string;
  /** Milliseconds a Wait state takes, by state name (default 0: no Wait slows a local run). */
  waitMs?: Record<string, number>;
}

/**
 * Runs any state machine file with a local handler per Task state (by state name, nested states included).
 * A handler receives the state's effective input (after `Parameters`); wrap Lambda steps in `lambdaInvoke()`.
 * Wait states and retry intervals take no time.
 */
export async function runStateMachine(
  file: string,
  substitutions: Record<string, string>,
  handlersByState: Record<string, (input: Json) => unknown>,
  input: Json,
  options: RunStateMachineOptions = {},
): Promise<Omit<ExecutionReport, 'notifications'>> {
  const definition = loadDefinition(file, substitutions);
  const executionName = options.executionName ?? 'test-execution';
  const machineName = file.replace(/^.*\//, '').replace(/\.asl\.json$/, '');
  const executionId = `arn:aws:states:${TEST_REGION}:${TEST_ACCOUNT}:execution:${machineName}:${executionName}`;
  const taskNames = taskStateNames(definition.States);
  const waitNames = Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Wait')
    .map(([name]) => name);
  const execution = stateMachineFor(definition).run(input, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(
        Object.entries(handlersByState).map(([name, fn]) => [name, async (i: Json) => (await fn(i)) as Json]),
      ),
      waitTimeOverrides: Object.fromEntries(waitNames.map((name) => [name, options.waitMs?.[name] ?? 0])),
      retryIntervalOverrides: Object.fromEntries(taskNames.map((name) => [name, 0])),
    },
    context: {
      Execution: {
        Id: executionId,
        Name: executionName,
        StartTime: options.startTime ?? new Date().toISOString(),
      },
    },
  });
  return observe(execution);
}
