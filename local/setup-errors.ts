/**
 * The named errors of setting up a local run (`npm start`, `oidc-account-onboarding local`): the endpoints, the
 * organization, the repository. Each message says what happened and what was expected; the run exits with
 * SETUP_EXIT_CODE and prints `<name>: <message>`, never a stack trace.
 */

/** Exit codes of `npm start` (README "Try it on your machine"): the CLI's, for the same outcomes. */
export const RUN_EXIT = { ok: 0, failed: 1, usage: 2, setup: 3 } as const;

export abstract class SetupError extends Error {
  abstract override readonly name: string;
}

/** Nothing answered at the endpoint (connection refused, unknown host, timeout). */
export class EndpointUnreachable extends SetupError {
  override readonly name = 'EndpointUnreachable' as const;
}

/** The AWS endpoint has no organization for the credentials and would not create one, or refused to describe it. */
export class OrganizationUnavailable extends SetupError {
  override readonly name = 'OrganizationUnavailable' as const;
}

/** The AWS endpoint refused the credentials. */
export class AwsCredentialsRefused extends SetupError {
  override readonly name = 'AwsCredentialsRefused' as const;
}

/** A step of preparing the AWS endpoint (tooling account, pipeline role, secret, topic, bucket) failed. */
export class AwsSetupFailed extends SetupError {
  override readonly name = 'AwsSetupFailed' as const;
}

/** `--aws-endpoint` is AWS itself and `--allow-real-accounts` was not given. */
export class RealAccountsRefused extends SetupError {
  override readonly name = 'RealAccountsRefused' as const;
}

/** The repository at the GitHub endpoint cannot be read, seeded or written with the token. */
export class RepositoryUnavailable extends SetupError {
  override readonly name = 'RepositoryUnavailable' as const;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * The network failure behind an error (its own `code` or one along its `cause` chain: the SDK's, undici's,
 * Octokit's wrapping of fetch), or undefined when the endpoint did answer.
 */
export function networkFailure(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const { code, name, errors, message } = current as {
      code?: unknown;
      name?: unknown;
      errors?: unknown;
      message?: unknown;
    };
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (name === 'TimeoutError') return 'timeout';
    // fetch refuses the ports browsers block (e.g. 1, 9, 25) before connecting.
    if (message === 'bad port') return 'a port fetch refuses to connect to';
    // Node's happy-eyeballs connect reports an AggregateError of one failure per address.
    if (Array.isArray(errors)) {
      const inner = errors.map(networkFailure).find(Boolean);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `name: message` of anything thrown, for messages that quote a cause. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0]}`;
  return String(error);
}

/** AWS itself rather than a stand-in or an emulator: `*.amazonaws.com`, `*.amazonaws.com.cn`, `*.api.aws`. */
export function isRealAwsEndpoint(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase();
  } catch {
    return false;
  }
  return /(^|\.)(amazonaws\.com(\.cn)?|api\.aws)$/.test(host);
}

/** Refuses `--aws-endpoint` on AWS itself unless the run was told it may create real accounts there. */
export function refuseRealAccounts(awsEndpoint: string | undefined, allowRealAccounts: boolean | undefined): void {
  if (!awsEndpoint || !isRealAwsEndpoint(awsEndpoint) || allowRealAccounts) return;
  throw new RealAccountsRefused(
    `--aws-endpoint ${awsEndpoint} is AWS itself, where this run would create real accounts (CreateAccount cannot be undone; a closed account stays for 90 days), an organization if there is none, a tooling account, roles, a secret and a topic: expected a stand-in or another AWS-compatible endpoint, or --allow-real-accounts to do it in the real organization of the credentials`,
  );
}
