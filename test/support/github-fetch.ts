/**
 * The one GitHub double (the stand-in in local/github: a real git repository, pull requests, every request validated
 * against GitHub's OpenAPI description), seen through Octokit's `request: { fetch }` as the client-side tests need
 * it: whatever API root the client is configured with (`https://api.github.com`, `…/api/v3`) reaches the stand-in,
 * every request is logged with its headers, and fault knobs answer a request before it gets there (statuses, network
 * errors, rate limits, an integration that may not write).
 */
import { Octokit } from '@octokit/rest';
import { type GitHubStandIn, type GitHubStandInOptions, startGitHubStandIn } from '../../local/github/server';

export interface LoggedRequest {
  method: string;
  /** From `/repos/…` or `/app/…` on, decoded, e.g. `/repos/acme/terraform-aws/git/refs/heads/onboarding/1`. */
  path: string;
  query: string;
  status: number;
  /** Request headers (lower-case names), kept so tests can prove what was (not) sent. */
  headers: Record<string, string>;
}

type Fault = (() => Response) | 'network';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    out[key.toLowerCase()] = value;
  });
  return out;
}

export class StandInFetch {
  readonly requests: LoggedRequest[] = [];
  /** Makes every repository write answer 403 "Resource not accessible by integration". */
  denyWrites = false;
  private readonly faults: Fault[] = [];
  private readonly pathFaults: Array<{ method: string; pattern: RegExp; status: number; times: number }> = [];

  constructor(readonly standIn: GitHubStandIn) {}

  /** Octokit's `request.fetch`. */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = headersOf(init);
    const at = url.pathname.search(/\/(repos|app)\//);
    const path = at >= 0 ? url.pathname.slice(at) : url.pathname;
    const entry: LoggedRequest = { method, path: decodeURIComponent(path), query: url.search, status: 0, headers };
    this.requests.push(entry);
    const fault = this.faults.shift();
    if (fault === 'network') throw new TypeError('fetch failed', { cause: new Error('connect ECONNRESET') });
    const rule = this.pathFaults.find((f) => f.times > 0 && f.method === method && f.pattern.test(path));
    if (rule) rule.times--;
    const write = method !== 'GET' && method !== 'HEAD';
    const response = fault
      ? fault()
      : rule
        ? json(rule.status, { message: 'Injected failure' })
        : this.denyWrites && write && path.startsWith('/repos/')
          ? json(403, { message: 'Resource not accessible by integration', status: '403' })
          : await globalThis.fetch(`${this.standIn.url}${path}${url.search}`, {
              method,
              headers: init?.headers,
              body: init?.body,
              redirect: 'manual',
            });
    entry.status = response.status;
    return response;
  };

  /** The next `n` requests answer `status` (502 by default). */
  failNext(n: number, status = 502): void {
    for (let i = 0; i < n; i++)
      this.faults.push(() => json(status, { message: status === 502 ? 'Bad Gateway' : 'Server Error' }));
  }

  /** The next `times` requests with this method whose path matches answer `status` (e.g. a crash before POST pulls). */
  failOn(method: string, pattern: RegExp, status = 502, times = 1): void {
    this.pathFaults.push({ method, pattern, status, times });
  }

  /** The next `n` requests fail at the network level (fetch throws). */
  networkErrorNext(n: number): void {
    for (let i = 0; i < n; i++) this.faults.push('network');
  }

  /** The next `n` requests hit GitHub's secondary rate limit (403 with `retry-after`). */
  secondaryRateLimitNext(n: number, retryAfterSeconds = 0): void {
    for (let i = 0; i < n; i++) {
      this.faults.push(() =>
        json(
          403,
          { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
          { 'retry-after': String(retryAfterSeconds) },
        ),
      );
    }
  }

  /** The next `n` requests hit the primary rate limit (403, `x-ratelimit-remaining: 0`). */
  rateLimitNext(n: number): void {
    const reset = String(Math.floor(Date.now() / 1000) + 1800);
    for (let i = 0; i < n; i++) {
      this.faults.push(() =>
        json(
          403,
          { message: 'API rate limit exceeded for installation.' },
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
        ),
      );
    }
  }

  // ---- what the repository holds ------------------------------------------------------------------------------

  /** The commit a branch points at. */
  branchSha(branch: string): Promise<string | undefined> {
    return this.standIn.store.resolveRef(`refs/heads/${branch}`);
  }

  async branches(): Promise<string[]> {
    return (await this.standIn.store.matchingRefs('refs/heads/')).map((r) => r.ref.replace(/^refs\/heads\//, ''));
  }

  /** Every pull request, as GET pulls/{n} returns it. */
  pulls(): Promise<Array<{ number: number; state: string; body: string | null; head: { ref: string } }>> {
    return this.standIn.listPulls() as never;
  }

  /** A person's commit on `branch`: each path set to its text, or removed when null. Returns the commit sha. */
  async commitFiles(branch: string, files: Record<string, string | null>, message = 'Change'): Promise<string> {
    if (!(await this.branchSha(branch))) throw new Error(`no branch ${branch}`);
    const who = { name: 'A Person', email: 'person@example.com', date: new Date().toISOString() };
    return this.standIn.store.commitFiles(branch, files, message, who);
  }
}

/** A stand-in seeded with `files` on main, seen through a {@link StandInFetch}; `stop()` when done. */
export async function seededGitHub(
  files: Record<string, string>,
  options: GitHubStandInOptions = {},
): Promise<StandInFetch & { octokit: Octokit; stop(): Promise<void> }> {
  const standIn = await startGitHubStandIn(options);
  await standIn.seed(files);
  const double = new StandInFetch(standIn);
  const octokit = new Octokit({
    request: { fetch: double.fetch },
    ...(options.token ? { auth: options.token } : {}),
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  return Object.assign(double, { octokit, stop: () => standIn.stop() });
}
