/**
 * What the event-started workflow runners (local/lifecycle.ts, local/offboarding.ts) share: their source handlers as
 * state machine steps, run as the functions' roles when IAM is evaluated, and the runs their events start.
 */
import { randomUUID } from 'node:crypto';
import type { StepHandler } from '../step-functions';
import type { LocalEnvironment } from './types';

/** A function's handler module (functions/<name>/handler.ts): the handler factory and its default dependencies. */
interface HandlerModule {
  makeHandler(deps: never): (event: never, context: never) => Promise<unknown>;
  defaultDeps(): unknown;
}

/** A source handler as a step, invoked through the environment's Lambda runtime (its role under IAM evaluation). */
export function sourceStep(env: LocalEnvironment, name: string, mod: HandlerModule): StepHandler {
  const handler = mod.makeHandler(mod.defaultDeps() as never);
  const invoke = env.iam?.runtime.invoke ?? ((_: string, invocation: () => Promise<unknown>) => invocation());
  return (event) =>
    invoke(name, () => handler(event as never, { functionName: name, awsRequestId: randomUUID() } as never));
}

/** The runs events started, and a wait for all of them, runs started meanwhile included. */
export function eventRuns<T>() {
  const started: Array<Promise<T>> = [];
  return {
    add(run: Promise<T>): void {
      started.push(run);
    },
    /** Waits until every run has ended (runs may start while others finish); returns them all, in start order. */
    async settle(): Promise<T[]> {
      let seen = -1;
      while (seen !== started.length) {
        seen = started.length;
        await Promise.all(started);
      }
      return Promise.all(started);
    },
  };
}
