/**
 * The shape every Lambda handler of this project shares (issue 15.5): a schema for the event the state machine
 * sends, a `run` that holds the step's work given its dependencies, and the Lambda entry point that builds the
 * dependencies once per container. A handler file is then its event schema, its dependencies and a few lines of
 * orchestration; the work itself lives in `functions/lib`.
 *
 *   export const { makeHandler, defaultDeps, handler } = defineHandler({
 *     name: 'resolve-departure',
 *     event: z.object({ input: z.unknown(), executionId: z.optional(z.string()) }),
 *     deps: () => ({ config: configFromEnv(), organizations }),
 *     run: async (event, deps) => { ... },
 *   });
 *
 * `makeHandler(deps)` is what tests call with stand-in clients (`defaultDeps()` builds the production ones, which
 * the local runner points at the stand-ins through the environment); `handler` is what Lambda calls.
 */
import * as z from 'zod/mini';
import './zod';
import { InvalidInput } from './errors';
import { logger, startInvocation } from './logger';

export interface HandlerSpec<Event, Deps, Result> {
  /** The function's name, used in the InvalidInput message. */
  name: string;
  /** What the function accepts; anything else fails as InvalidInput before any call, naming the bad fields. */
  event: z.ZodMiniType<Event>;
  /** The production dependencies; built on the first invocation of a container and kept. */
  deps: () => Deps;
  /** Keys added to every log line of the invocation (e.g. the account id). */
  logKeys?: (event: Event) => Record<string, unknown>;
  run: (event: Event, deps: Deps, context?: unknown) => Promise<Result>;
}

export type Handler<Result> = (event: unknown, context?: unknown) => Promise<Result>;

/** The zod issues of a rejected event as `path: message` pairs, at most five. */
export function describeIssues(error: z.core.$ZodError): string {
  const problems = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`);
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return problems.join('; ') + more;
}

/** Parses `raw` with `schema` or throws InvalidInput naming the function, the bad fields and that nothing changed. */
export function parseEvent<T>(name: string, schema: z.ZodMiniType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new InvalidInput(
      `${name} got an event it does not accept: ${describeIssues(result.error)}. Nothing was changed.`,
    );
  }
  return result.data;
}

const executionIdOf = (raw: unknown): unknown =>
  raw && typeof raw === 'object' ? (raw as { executionId?: unknown }).executionId : undefined;

export function defineHandler<Event, Deps, Result>(
  spec: HandlerSpec<Event, Deps, Result>,
): { makeHandler: (deps: Deps) => Handler<Result>; defaultDeps: () => Deps; handler: Handler<Result> } {
  const makeHandler =
    (deps: Deps): Handler<Result> =>
    async (raw, context) => {
      startInvocation(context, executionIdOf(raw));
      const event = parseEvent(spec.name, spec.event, raw);
      if (spec.logKeys) logger.appendPersistentKeys(spec.logKeys(event));
      return spec.run(event, deps, context);
    };
  let cached: Handler<Result> | undefined;
  const handler: Handler<Result> = (raw, context) => {
    cached ??= makeHandler(spec.deps());
    return cached(raw, context);
  };
  return { makeHandler, defaultDeps: spec.deps, handler };
}

/** A 12-digit AWS account id as a string. */
const ACCOUNT_ID = 'expected a 12-digit account id as a string';
export const accountIdSchema = z.string({ error: ACCOUNT_ID }).check(z.regex(/^\d{12}$/, ACCOUNT_ID));

/** The Step Functions execution ARN every state passes as `executionId`. */
export const executionIdSchema = z.optional(z.string());
