import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { isServerError, isThrottling, rethrowAws } from './aws-errors';
import type { OnboardingConfig } from './config';
import {
  ConfigError,
  GitHubAuthFailed,
  GitHubConflict,
  GitHubRateLimited,
  GitHubRequestRejected,
  GitHubUnavailable,
  OnboardingError,
} from './errors';
import { logger } from './logger';

export const USER_AGENT = 'oidc-account-onboarding';
/** The REST API version every request names (GitHub answers 400 to a version it no longer supports). */
export const GITHUB_API_VERSION = '2022-11-28';
export const REQUIRED_APP_PERMISSIONS = 'Contents: write, Pull requests: write, Workflows: write (and Metadata: read)';

/** Secrets are re-read after this long so a rotated token reaches warm containers. */
const SECRET_TTL_MS = 5 * 60 * 1000;
/** Longest secondary-rate-limit pause taken in-process; longer ones go back to the state machine. */
const MAX_IN_PROCESS_RETRY_AFTER_S = 60;
/** Quick in-process retries of 5xx and network failures (backoff 1 s, 4 s); the state machine retries beyond. */
const SERVER_ERROR_RETRIES = 2;

const OctokitWithPlugins = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof OctokitWithPlugins>;

export interface GitHubClientOptions {
  /** A fetch implementation (tests pass a fake GitHub's). */
  fetch?: typeof fetch;
  /** Milliseconds per second of retry-after/backoff; tests pass 0 to retry at once. */
  retryAfterBaseMs?: number;
  /**
   * What the function does with the repository (a GitHub App's installation token is scoped to it): `write` opens
   * pull requests (open-pull-request), `read` only reads (reconcile-repo, plan), `refresh` writes pull requests and the dashboard issue
   * (refresh). Default `write`.
   */
  access?: GitHubAccess;
}

export type GitHubAccess = 'read' | 'write' | 'refresh';

/**
 * The permissions of an installation token, per access: labels and comments on a pull request go through the issues
 * API, which a token with Pull requests: write may use on pull requests.
 */
export const INSTALLATION_TOKEN_PERMISSIONS: Record<GitHubAccess, Record<string, 'read' | 'write'>> = {
  write: { contents: 'write', pull_requests: 'write', workflows: 'write', metadata: 'read' },
  read: { contents: 'read', pull_requests: 'read', metadata: 'read' },
  /** The refresh: regenerates pull requests as open-pull-request does, and keeps the dashboard issue. */
  refresh: { contents: 'write', pull_requests: 'write', workflows: 'write', issues: 'write', metadata: 'read' },
};

type AppAuth = ReturnType<typeof createAppAuth>;
type AuthHook = NonNullable<AppAuth['hook']>;

/**
 * createAppAuth, but every installation token it uses is scoped to one repository and these permissions (the
 * strategy's own hook asks for the installation's every repository and permission). Tokens are still cached by
 * @octokit/auth-app and renewed before they expire, so a warm container's client keeps working.
 */
function scopedAppAuth(repositoryNames: string[], permissions: Record<string, 'read' | 'write'>) {
  return (options: Parameters<typeof createAppAuth>[0]) => {
    const auth = createAppAuth(options);
    const scope = { type: 'installation' as const, repositoryNames, permissions };
    const hook: AuthHook = async (request, route, parameters) => {
      const merge = request.endpoint.merge as (
        route: unknown,
        parameters?: unknown,
      ) => { url?: string; headers: Record<string, string> };
      const endpoint = merge(route, parameters);
      // The App's own endpoints take its JWT: the strategy's hook knows them.
      if (/^(https?:\/\/[^/]+)?(\/api\/v3)?\/app(\/|$)/.test(endpoint.url ?? '')) {
        return auth.hook(request, route, parameters);
      }
      const { token } = await auth(scope);
      endpoint.headers.authorization = `token ${token}`;
      return request(endpoint as unknown as Parameters<typeof request>[0]);
    };
    return Object.assign((authOptions: Parameters<AppAuth>[0]) => auth(authOptions), { hook });
  };
}

export type GitHubCredentials =
  | { type: 'token'; token: string }
  | { type: 'app'; appId: string; privateKey: string; installationId: number };

const secretCache = new Map<string, { credentials: GitHubCredentials; expiresAt: number }>();
/** Every secret value read, so that error messages can be scrubbed of them whatever path they took. */
const knownSecrets = new Set<string>();

/** Drops cached credentials, e.g. after GitHub refused them, so the next call re-reads the secret. */
export function forgetGitHubCredentials(): void {
  secretCache.clear();
}

/**
 * The fetch given to every Octokit of this project (the functions', the CLI's, the local runner's): `inner` (default
 * the global fetch, looked up at call time) with `X-GitHub-Api-Version` on every request that does not name one.
 */
export function githubFetch(inner?: typeof fetch): typeof fetch {
  return (input, init) => {
    // Octokit passes a plain object; fakes in the tests read it as one, so a plain object is what goes on.
    const given = init?.headers;
    const headers: Record<string, string> = {};
    if (given instanceof Headers || Array.isArray(given)) {
      new Headers(given).forEach((value, name) => {
        headers[name] = value;
      });
    } else {
      Object.assign(headers, given);
    }
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'x-github-api-version')) {
      headers['x-github-api-version'] = GITHUB_API_VERSION;
    }
    return (inner ?? globalThis.fetch)(input, { ...init, headers });
  };
}

/** An Octokit for the configured repository: App or token auth from Secrets Manager, GitHub's rate limits honoured. */
export async function createGitHubClient(
  config: OnboardingConfig,
  secrets: SecretsManagerClient,
  options: GitHubClientOptions = {},
): Promise<GitHubClient> {
  const credentials = await readCredentials(config, secrets);
  const retryAfterBaseValue = options.retryAfterBaseMs ?? 1000;
  const common = {
    baseUrl: config.github.apiUrl.replace(/\/+$/, ''),
    userAgent: USER_AGENT,
    request: { fetch: githubFetch(options.fetch) },
    // Octokit's own warnings (deprecations, plugin trouble) go to the structured log, scrubbed; no request dumps.
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: unknown) => logger.warn(`octokit: ${scrub(String(message))}`),
      // Octokit logs every non-2xx answer as an error; the caller handles them (422 on a duplicate is normal).
      error: (message: unknown) => logger.debug(`octokit: ${scrub(String(message))}`),
    },
    retry: {
      retries: SERVER_ERROR_RETRIES,
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
      retryAfterBaseValue,
    },
    throttle: {
      // Off only for emulators (config github.pacing=false): the state machine's retries still cover rate limits.
      enabled: config.github.pacing,
      retryAfterBaseValue,
      onSecondaryRateLimit: (
        retryAfter: number,
        opts: { method: string; url: string },
        _o: unknown,
        retryCount: number,
      ) => {
        const again = retryCount < 1 && retryAfter <= MAX_IN_PROCESS_RETRY_AFTER_S;
        logger.warn('GitHub secondary rate limit', { method: opts.method, url: opts.url, retryAfter, retrying: again });
        return again;
      },
      // A primary limit resets within the hour: the state machine's backoff waits, not the Lambda.
      onRateLimit: (retryAfter: number, opts: { method: string; url: string }) => {
        logger.warn('GitHub primary rate limit', { method: opts.method, url: opts.url, retryAfter });
        return false;
      },
    },
  };
  if (credentials.type === 'token') return new OctokitWithPlugins({ ...common, auth: credentials.token });
  const access = options.access ?? 'write';
  return new OctokitWithPlugins({
    ...common,
    authStrategy: scopedAppAuth([config.github.repo], INSTALLATION_TOKEN_PERMISSIONS[access]),
    auth: { appId: credentials.appId, privateKey: credentials.privateKey, installationId: credentials.installationId },
  });
}

/** The credentials in the configured secret (cached for SECRET_TTL_MS); `cli doctor` reads them too. */
export async function readCredentials(
  config: OnboardingConfig,
  secrets: SecretsManagerClient,
): Promise<GitHubCredentials> {
  const { secretArn, type } = config.github.auth;
  const cacheKey = `${type}:${secretArn}`;
  const cached = secretCache.get(cacheKey);
  if (cached && cached.expiresAt > Date.now()) return cached.credentials;
  let secretString: string | undefined;
  try {
    secretString = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (err) {
    // Throttling and 5xx pass, so the state machine retries them as AwsThrottled / AwsUnavailable.
    if (isThrottling(err) || isServerError(err)) rethrowAws(err, `secretsmanager:GetSecretValue of ${secretArn}`);
    const name = (err as { name?: string }).name ?? 'Error';
    throw new GitHubAuthFailed(
      `Could not read the GitHub credentials secret ${secretArn} (${name}): check that it exists and that the function may call secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)`,
    );
  }
  if (!secretString) throw new ConfigError(`github.auth.secretArn ${secretArn} holds no SecretString`);
  const credentials = parseCredentials(type, secretString.trim(), secretArn);
  for (const value of credentialSecrets(credentials)) knownSecrets.add(value);
  secretCache.set(cacheKey, { credentials, expiresAt: Date.now() + SECRET_TTL_MS });
  return credentials;
}

function parseCredentials(type: 'app' | 'token', raw: string, secretArn: string): GitHubCredentials {
  let parsed: unknown = raw;
  if (raw.startsWith('{')) {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError(`Secret ${secretArn} starts with "{" but is not valid JSON`);
    }
  }
  const field = (name: string): unknown =>
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)[name] : undefined;
  if (type === 'token') {
    const token = typeof parsed === 'string' ? parsed : field('token');
    if (typeof token !== 'string' || token.length === 0 || /\s/.test(token)) {
      throw new ConfigError(
        `Secret ${secretArn} (github.auth.type "token") must hold {"token": "…"} or the bare token`,
      );
    }
    return { type, token };
  }
  const appId = field('appId');
  const privateKey = field('privateKey');
  const installationId = Number(field('installationId'));
  if (
    !(typeof appId === 'string' || typeof appId === 'number') ||
    typeof privateKey !== 'string' ||
    !privateKey.includes('PRIVATE KEY') ||
    !Number.isInteger(installationId) ||
    installationId <= 0
  ) {
    throw new ConfigError(
      `Secret ${secretArn} (github.auth.type "app") must hold {"appId", "privateKey" (PEM), "installationId"}`,
    );
  }
  return { type, appId: String(appId), privateKey: privateKey.replace(/\\n/g, '\n'), installationId };
}

function credentialSecrets(c: GitHubCredentials): string[] {
  if (c.type === 'token') return [c.token];
  // The PEM body lines are what could leak; the armour lines are not secret.
  return [c.privateKey, ...c.privateKey.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))];
}

function scrub(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (secret.length >= 8) out = out.split(secret).join('[REDACTED]');
  // Token shapes GitHub issues, even ones we never read (e.g. an installation token echoed back).
  return out.replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, '[REDACTED]');
}

interface HttpErrorLike {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | undefined>; data?: unknown };
}

/** The HTTP status of an Octokit error, or undefined for anything else. */
/** The commit the base branch points at. A missing branch is a configuration problem, not a transient one. */
export async function baseCommitSha(octokit: Octokit, config: OnboardingConfig): Promise<string> {
  const { owner, repo, baseBranch } = config.github;
  try {
    return (await octokit.rest.git.getRef({ owner, repo, ref: `heads/${baseBranch}` })).data.object.sha;
  } catch (err) {
    if (httpStatus(err) === 404) {
      throw new ConfigError(
        `github.baseBranch "${baseBranch}" was not found in ${owner}/${repo}, or the credentials cannot see that repository`,
      );
    }
    throw toNamedGitHubError(err, `read branch ${baseBranch}`);
  }
}

export function httpStatus(err: unknown): number | undefined {
  const status = (err as HttpErrorLike | undefined)?.status;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

/** The message GitHub gave for an error (including validation details), scrubbed of secrets. */
export function githubMessage(err: unknown): string {
  const message = (err as HttpErrorLike | undefined)?.message;
  return scrub(typeof message === 'string' ? message : String(err));
}

/**
 * Maps an Octokit (or network) error to the named error the state machine matches on. The result is a NEW
 * error carrying only a status and a scrubbed message: Octokit errors hold the request, headers included.
 */
export function toNamedGitHubError(err: unknown, action = 'GitHub request'): OnboardingError {
  if (err instanceof OnboardingError) return err;
  const status = httpStatus(err);
  const message = githubMessage(err).replace(/ - https:\/\/docs\.github\.com\S*/g, '');
  const headers = (err as HttpErrorLike | undefined)?.response?.headers ?? {};
  const named = ((): OnboardingError => {
    if (status === undefined) return new GitHubUnavailable(`${action} failed before GitHub answered: ${message}`);
    const rateLimited =
      status === 429 ||
      (status === 403 &&
        (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(message) || 'retry-after' in headers));
    if (rateLimited) {
      const retryAfter = headers['retry-after'] ?? headers['x-ratelimit-reset'];
      return new GitHubRateLimited(
        `${action}: GitHub rate limit (HTTP ${status}: ${message})${retryAfter ? `; retry after ${retryAfter}` : ''}. Retried by the state machine with backoff`,
      );
    }
    if (status >= 500)
      return new GitHubUnavailable(
        `${action}: GitHub answered HTTP ${status} (${message}); retried by the state machine`,
      );
    if (status === 401) {
      return new GitHubAuthFailed(
        `${action}: GitHub refused the credentials (HTTP 401: ${message}). Check the token or GitHub App in the secret named by github.auth.secretArn`,
      );
    }
    if (status === 403 || status === 404) {
      return new GitHubAuthFailed(
        `${action}: GitHub denied access (HTTP ${status}: ${message}). The token or GitHub App installation needs access to the repository with ${REQUIRED_APP_PERMISSIONS}`,
      );
    }
    if (status === 409 || (status === 422 && /fast.forward|does not exist|already exists|conflict/i.test(message))) {
      return new GitHubConflict(
        `${action}: a concurrent change moved the branch (HTTP ${status}: ${message}); retried by the state machine`,
      );
    }
    // Any other 4xx (400, 410, 451, a validation 422, …) gets the same answer again; 408 is GitHub timing out.
    if (status >= 400 && status < 500 && status !== 408) {
      return new GitHubRequestRejected(
        `${action}: GitHub rejected the request (HTTP ${status}: ${message}); not retried, sending it again gets the same answer`,
      );
    }
    return new GitHubUnavailable(
      `${action}: GitHub answered HTTP ${status} (${message}); retried by the state machine`,
    );
  })();
  if (status !== undefined) Object.defineProperty(named, 'status', { value: status, enumerable: true });
  return named;
}

/** `call`, with any error it throws as the named error of `action` (toNamedGitHubError). */
export async function gh<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toNamedGitHubError(err, action);
  }
}
