/**
 * AWS Step Functions (awsJson1_0, `AWSStepFunctions.*`): StartExecution, DescribeExecution, ListExecutions,
 * GetExecutionHistory, DescribeStateMachine and ListStateMachines over the state machines an embedding registers with
 * `stepFunctions(state).register(arn, run)` (the embedded runtime registers the onboarding state machine, whose
 * executions it runs with aws-local-stepfunctions).
 *
 * As in AWS, StartExecution answers at once and the execution runs on; `settle()` waits for them. Names are
 * unique per state machine: the same name with the same input while the execution runs answers the same execution
 * (StartExecution is idempotent for STANDARD workflows); otherwise the name is `ExecutionAlreadyExists`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AwsError } from './protocols';
import type { JsonOperation, JsonService } from './service';
import type { AwsState } from './state';

/** How an execution ended, as the embedding's runner reports it. */
export type ExecutionEnd =
  | { status: 'SUCCEEDED'; output?: unknown }
  | { status: 'FAILED'; error?: string; cause?: string };

/**
 * Runs one execution to its end; `name` is the execution name. It answers how the execution ended, either as is or
 * as the `outcome` of a report (what local/step-functions.ts runners return).
 */
export type ExecutionRunner = (input: unknown, name: string) => Promise<ExecutionEnd | { outcome: ExecutionEnd }>;

export interface RegisterOptions {
  /** The ASL file the state machine runs, served by DescribeStateMachine as its definition. */
  definitionFile?: string;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  /** The input as given (JSON text). */
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  /** Settles when the execution ends (never rejects). */
  done: Promise<void>;
  /**
   * GetExecutionHistory: ExecutionStarted, one `<Type>StateEntered` per state the runner reports entering (its
   * report's `states`, added when it ends), then ExecutionSucceeded or ExecutionFailed.
   */
  history: HistoryEvent[];
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

function addEvent(e: ExecutionRecord, type: string, details: Record<string, unknown> = {}): void {
  e.history.push({
    id: e.history.length + 1,
    previousEventId: e.history.length,
    timestamp: new Date(),
    type,
    ...details,
  });
}

/** The `Type` of each top-level state of a definition file, to name StateEntered events as AWS does. */
function stateTypes(definitionFile: string | undefined): Record<string, string> {
  if (!definitionFile) return {};
  const { States } = JSON.parse(readFileSync(definitionFile, 'utf8')) as { States: Record<string, { Type: string }> };
  return Object.fromEntries(Object.entries(States).map(([name, s]) => [name, s.Type]));
}

interface StateMachineRecord {
  arn: string;
  name: string;
  accountId: string;
  run: ExecutionRunner;
  definitionFile?: string;
  creationDate: Date;
}

interface Registry {
  machines: Map<string, StateMachineRecord>;
  /** By execution ARN, in start order. */
  executions: Map<string, ExecutionRecord>;
}

const registries = new WeakMap<AwsState, Registry>();

function registry(state: AwsState): Registry {
  let found = registries.get(state);
  if (!found) {
    found = { machines: new Map(), executions: new Map() };
    registries.set(state, found);
  }
  return found;
}

const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([\w-]{1,80})$/;

/** The Step Functions of one stand-in: registering state machines and following their executions. */
export function stepFunctions(state: AwsState) {
  const r = registry(state);
  return {
    /** Makes `arn` a state machine of the stand-in whose executions `run` runs. */
    register(arn: string, run: ExecutionRunner, options: RegisterOptions = {}): void {
      const match = STATE_MACHINE_ARN.exec(arn);
      if (!match) throw new Error(`Not a state machine ARN: ${arn}`);
      r.machines.set(arn, {
        arn,
        name: match[3] as string,
        accountId: match[2] as string,
        run,
        definitionFile: options.definitionFile,
        creationDate: new Date(),
      });
    },
    /** Every execution started so far, in start order. */
    executions(): ExecutionRecord[] {
      return [...r.executions.values()];
    },
    /** Waits until every execution started so far (of one state machine, when given) has ended. */
    async settle(stateMachineArn?: string): Promise<void> {
      const pending = [...r.executions.values()].filter(
        (e) => !stateMachineArn || e.stateMachineArn === stateMachineArn,
      );
      await Promise.all(pending.map((e) => e.done));
    },
  };
}

const invalid = (code: string, message: string) => new AwsError(code, 400, message);

function requireMachine(state: AwsState, accountId: string, arn: unknown): StateMachineRecord {
  if (typeof arn !== 'string' || !STATE_MACHINE_ARN.test(arn)) {
    throw invalid('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${String(arn)}'`);
  }
  const machine = registry(state).machines.get(arn);
  if (!machine || machine.accountId !== accountId) {
    throw invalid('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }
  return machine;
}

function requireExecution(state: AwsState, accountId: string, arn: unknown): ExecutionRecord {
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
    throw invalid('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${String(arn)}'`);
  }
  const execution = registry(state).executions.get(arn);
  if (!execution || !arn.includes(`:${accountId}:`)) {
    throw invalid('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  }
  return execution;
}

const describe = (e: ExecutionRecord) => ({
  executionArn: e.executionArn,
  stateMachineArn: e.stateMachineArn,
  name: e.name,
  status: e.status,
  startDate: e.startDate,
  stopDate: e.stopDate,
  input: e.input,
  output: e.output,
  error: e.error,
  cause: e.cause,
});

/** StartExecution's name and input, checked as Step Functions checks them. */
function executionRequest(input: Record<string, unknown>): { name: string; text: string; parsed: unknown } {
  const name = input.name === undefined ? randomUUID() : input.name;
  if (typeof name !== 'string' || !/^[\w-]{1,80}$/.test(name)) {
    throw invalid('InvalidName', `Invalid Name: '${String(name)}'`);
  }
  const text = input.input === undefined ? '{}' : input.input;
  if (typeof text !== 'string' || Buffer.byteLength(text) > 262_144) {
    throw invalid('InvalidExecutionInput', 'Invalid State Machine Execution Input: at most 256 KB of JSON text');
  }
  try {
    return { name, text, parsed: JSON.parse(text) };
  } catch {
    throw invalid('InvalidExecutionInput', `Invalid State Machine Execution Input: '${text.slice(0, 100)}'`);
  }
}

/** Runs the execution on the next tick (StartExecution answers before it makes its own calls), keeping its history. */
function runExecution(record: ExecutionRecord, machine: StateMachineRecord, parsed: unknown): Promise<void> {
  let types: Record<string, string> | undefined;
  return new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => machine.run(parsed, record.name))
    .then((ended) => {
      const entered = (ended as { states?: unknown }).states;
      if (Array.isArray(entered)) {
        types ??= stateTypes(machine.definitionFile);
        for (const s of entered) {
          addEvent(record, `${types[s] ?? 'Task'}StateEntered`, { stateEnteredEventDetails: { name: s } });
        }
      }
      return 'outcome' in ended ? ended.outcome : ended;
    })
    .then(
      (end) => {
        record.status = end.status;
        if (end.status === 'SUCCEEDED') record.output = JSON.stringify(end.output ?? null);
        else Object.assign(record, { error: end.error, cause: end.cause });
      },
      (error: unknown) => {
        record.status = 'FAILED';
        record.error = error instanceof Error ? error.name : 'Error';
        record.cause = error instanceof Error ? error.message : String(error);
      },
    )
    .finally(() => {
      record.stopDate = new Date();
      if (record.status === 'SUCCEEDED') {
        addEvent(record, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: record.output } });
      } else {
        addEvent(record, 'ExecutionFailed', {
          executionFailedEventDetails: { error: record.error, cause: record.cause },
        });
      }
    });
}

const operations: Record<string, JsonOperation> = {
  StartExecution: ({ state, caller, input }) => {
    const machine = requireMachine(state, caller.accountId, input.stateMachineArn);
    const { name, text, parsed } = executionRequest(input);
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const executions = registry(state).executions;
    const existing = executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === text) {
        return { executionArn, startDate: existing.startDate };
      }
      throw invalid('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      input: text,
      status: 'RUNNING',
      startDate: new Date(),
      done: Promise.resolve(),
      history: [],
    };
    addEvent(record, 'ExecutionStarted', { executionStartedEventDetails: { input: text } });
    record.done = runExecution(record, machine, parsed);
    executions.set(executionArn, record);
    return { executionArn, startDate: record.startDate };
  },

  DescribeExecution: ({ state, caller, input }) =>
    describe(requireExecution(state, caller.accountId, input.executionArn)),

  ListExecutions: ({ state, caller, input }) => {
    const machine = requireMachine(state, caller.accountId, input.stateMachineArn);
    const filter = input.statusFilter;
    const max = typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
    const start = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalid('InvalidToken', 'Invalid Token');
    const matching = [...registry(state).executions.values()]
      .filter((e) => e.stateMachineArn === machine.arn && (filter === undefined || e.status === filter))
      .reverse();
    const page = matching.slice(start, start + max);
    return {
      executions: page.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        stopDate: e.stopDate,
      })),
      nextToken: start + max < matching.length ? String(start + max) : undefined,
    };
  },

  GetExecutionHistory: ({ state, caller, input }) => {
    const execution = requireExecution(state, caller.accountId, input.executionArn);
    const events = input.reverseOrder === true ? [...execution.history].reverse() : execution.history;
    const max = typeof input.maxResults === 'number' && input.maxResults > 0 ? Math.min(input.maxResults, 1000) : 100;
    const start = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalid('InvalidToken', 'Invalid Token');
    return {
      events: events.slice(start, start + max),
      nextToken: start + max < events.length ? String(start + max) : undefined,
    };
  },

  DescribeStateMachine: ({ state, caller, input }) => {
    const machine = requireMachine(state, caller.accountId, input.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      type: 'STANDARD',
      definition: machine.definitionFile ? readFileSync(machine.definitionFile, 'utf8') : '{}',
      roleArn: `arn:aws:iam::${machine.accountId}:role/${machine.name}-role`,
      creationDate: machine.creationDate,
    };
  },

  ListStateMachines: ({ state, caller }) => ({
    stateMachines: [...registry(state).machines.values()]
      .filter((m) => m.accountId === caller.accountId)
      .map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: m.creationDate })),
  }),
};

export const statesService: JsonService = {
  protocol: 'json',
  name: 'states',
  targetPrefix: 'AWSStepFunctions',
  operations,
  throttlingError: () => new AwsError('ThrottlingException', 400, 'Rate exceeded'),
  failureError: (status) =>
    new AwsError(status === 503 ? 'ServiceUnavailable' : 'InternalFailure', status, 'The service is unavailable.'),
};
