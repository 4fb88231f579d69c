/**
 * Records the event log of every aws-local-stepfunctions execution started while recording: execution input and
 * output, each state's input and output, retries, caught errors and their causes. The runner (local/step-functions.ts)
 * keeps consuming the log as before; this only copies each event on its way through.
 */
import { StateMachine } from 'aws-local-stepfunctions';

type Execution = ReturnType<StateMachine['run']>;
export type ExecutionEvent = Execution['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface ExecutionEventRecorder {
  events: ExecutionEvent[];
  stop(): void;
}

export function recordExecutionEvents(): ExecutionEventRecorder {
  const events: ExecutionEvent[] = [];
  const run = StateMachine.prototype.run;
  const spy = jest.spyOn(StateMachine.prototype, 'run').mockImplementation(function (this: StateMachine, ...args) {
    const execution = run.apply(this, args);
    const source = execution.eventLogs;
    async function* copied(): AsyncGenerator<ExecutionEvent> {
      for await (const event of source) {
        events.push(event);
        yield event;
      }
    }
    return { ...execution, eventLogs: copied() };
  });
  return { events, stop: () => spy.mockRestore() };
}
