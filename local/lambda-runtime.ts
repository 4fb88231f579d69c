/**
 * How the local runtime runs a Lambda function's invocations (`LambdaRuntime`), and the credentials it runs them with.
 *
 * Each local Lambda function calls AWS with its own execution role's credentials, as in Lambda, where the runtime puts
 * the role session's keys in the function's environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`). The local functions share one process, so here these variables are scoped to an invocation:
 * while a function runs, and in everything it awaits, `process.env` answers its credentials; elsewhere the process's
 * own. The SDK's default credential chain reads them when a client first signs a request and keeps them, so each
 * function's clients sign as its role (every handler module builds its own clients; a client shared by two
 * functions would sign as the first one that used it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

type ScopedVariables = Record<string, string | undefined>;

const scope = new AsyncLocalStorage<ScopedVariables>();
let installed = false;

/** Puts a view in front of `process.env` that answers the current invocation's credential variables first. */
function install(): void {
  if (installed) return;
  installed = true;
  const scoped = (key: string | symbol): ScopedVariables | undefined => {
    const variables = typeof key === 'string' ? scope.getStore() : undefined;
    return variables && key in variables ? variables : undefined;
  };
  process.env = new Proxy(process.env, {
    get: (target, key, receiver) => {
      const variables = scoped(key);
      return variables ? variables[key as string] : Reflect.get(target, key, receiver);
    },
    has: (target, key) => {
      const variables = scoped(key);
      return variables ? variables[key as string] !== undefined : Reflect.has(target, key);
    },
    // Writes go to process.env itself (its own setter): without this trap the default set would define the property
    // on the proxy with a partial descriptor, which Node refuses (a second environment in one process, npm run bench).
    set: (target, key, value) => Reflect.set(target, key, value),
    getOwnPropertyDescriptor: (target, key) => {
      const variables = scoped(key);
      if (!variables) return Reflect.getOwnPropertyDescriptor(target, key);
      const value = variables[key as string];
      return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
    },
  });
}

/** Runs `fn` (and everything it awaits) with `credentials` as its AWS credential variables. */
export function withCredentials<T>(credentials: SessionCredentials, fn: () => T): T {
  install();
  return scope.run(
    {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      // Nothing else may supply credentials to the function: not a profile, not a web identity token.
      AWS_PROFILE: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    },
    fn,
  );
}

/**
 * Runs the invocations of the local functions. `generation` counts a function's cold starts: a handler built for an
 * older generation is dropped and the next invocation builds a new one, as a new Lambda container would (module
 * state of the TypeScript sources, such as a cached GitHub client, starts over).
 */
export interface LambdaRuntime {
  invoke<T>(functionName: string, invocation: () => T): T;
  generation(functionName: string): number;
}

/** Invocations as they are: no credentials of their own, no cold starts. */
export const PLAIN_RUNTIME: LambdaRuntime = { invoke: (_, invocation) => invocation(), generation: () => 0 };
