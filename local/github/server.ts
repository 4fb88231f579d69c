// An embedded stand-in for GitHub's REST API, used by `npm start` and the end-to-end tests. It serves the endpoints
// this project calls on 127.0.0.1 (random free port), keeps the repository as a real bare git repo on disk (so the
// result can be cloned and diffed), checks every request against GitHub's official OpenAPI description, and can
// inject the failures real GitHub produces (secondary rate limits, 502s).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitStore } from './git-store';
import { GitStoreError } from './git-types';
import { type OpenApiValidator, sharedValidator } from './openapi';
import type { CredentialGrants } from './repo-context';
import { HttpError, type Route, type RouteResponse } from './route-kit';
import { RepoModel } from './routes';

export interface GitHubStandInOptions {
  /** bare repository directory (created when missing, reused when it is one); default: a temp dir removed by stop() */
  dir?: string;
  owner?: string;
  repo?: string;
  /** when set, every repository request must carry `Authorization: token|Bearer <token>` (or an issued app token) */
  token?: string;
  /** when set, GitHub App JWTs must carry this `iss` (the JWT signature itself is not checked) */
  appId?: string | number;
  /** login of the authenticated user: author of pull requests and commits; default `onboarding-bot` */
  login?: string;
  /**
   * when set, only the routes it accepts are served (`route` as in `requests`, e.g. `GET /repos/{owner}/{repo}/pulls`)
   * and every other one answers 404, as a GitHub-compatible API that implements a part of GitHub's would
   */
  serves?: (method: string, route: string) => boolean;
}

export interface RecordedRequest {
  method: string;
  /** e.g. `POST /repos/{owner}/{repo}/git/trees`; the raw path for unknown routes */
  route: string;
  status: number;
  /** writes count against GitHub's secondary (content-creation) limits */
  contentCreating: boolean;
  /** the `X-GitHub-Api-Version` header the request carried, if any */
  apiVersion?: string;
}

export interface InvalidRequest {
  method: string;
  route: string;
  url: string;
  problems: string[];
}

export interface GitHubFaults {
  /** the next `count` content-creating requests get 403 "secondary rate limit" with `retry-after` */
  secondaryRateLimit?: { count: number; retryAfterSeconds: number };
  /** the next `count` requests get 502 */
  badGateway?: { count: number };
  /** limits the faults above to the requests it accepts; `route` as in `requests`, e.g. `POST /repos/{owner}/{repo}/pulls` */
  only?: (method: string, route: string) => boolean;
}

export interface GitHubStandIn {
  /** base URL for Octokit's `baseUrl` */
  url: string;
  /** the bare repository: `git clone <repoDir>` shows what was committed */
  repoDir: string;
  owner: string;
  repo: string;
  defaultBranch: string;
  requests: RecordedRequest[];
  /** What GitHub tells of the credentials' permissions (changed in place by tests). */
  grants: CredentialGrants;
  invalidRequests: InvalidRequest[];
  store: GitStore;
  setFaults(faults: GitHubFaults): void;
  /** commits `files` (path → text) to main; returns the commit sha */
  seed(files: Record<string, string>, message?: string): Promise<string>;
  /** text of `path` at a branch, tag or commit; undefined when missing */
  readFile(ref: string, path: string): Promise<string | undefined>;
  /** every pull request (all states) as GET pulls/{n} returns it */
  listPulls(): Promise<Record<string, unknown>[]>;
  /** throws, listing each problem, when any request broke GitHub's API description */
  assertNoInvalidRequests(): void;
  stop(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
/** the REST API versions GitHub supports; a request naming another one gets 400 */
const API_VERSIONS = new Set(['2022-11-28']);
const SECONDARY_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';
/** path parameters that may contain slashes (branch names, file paths) */
const MULTI_SEGMENT = new Set(['ref', 'path', 'basehead']);

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return MULTI_SEGMENT.has(name) ? '(.*)' : '([^/]+)';
  });
  return { ...route, names, pattern: new RegExp(`^${source}/?$`) };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes count against GitHub's secondary limits for content creation. */
function isContentCreating(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method);
}

function bearer(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function jwtIssuer(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (token.split('.').length !== 3 || !payload) return undefined;
  try {
    return String(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).iss);
  } catch {
    return undefined;
  }
}

export async function startGitHubStandIn(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'terraform-aws';
  const login = options.login ?? 'onboarding-bot';
  const defaultBranch = 'main';
  const ownsDir = options.dir === undefined;
  const repoDir = options.dir ?? join(mkdtempSync(join(tmpdir(), 'github-stand-in-')), `${repo}.git`);
  const removeOwnDir = () => ownsDir && rmSync(join(repoDir, '..'), { recursive: true, force: true });
  let store: GitStore;
  let validator: OpenApiValidator;
  try {
    validator = sharedValidator();
    store = await GitStore.open(repoDir, defaultBranch);
  } catch (error) {
    removeOwnDir();
    throw error;
  }

  const requests: RecordedRequest[] = [];
  const invalidRequests: InvalidRequest[] = [];
  let faults: GitHubFaults = {};
  let rateRemaining = 5000;
  let requestCounter = 0;
  let model: RepoModel | undefined;
  let routes: CompiledRoute[] = [];
  // GitHub applies each request atomically; serialising them keeps ref updates and merges race-free here.
  let queue: Promise<unknown> = Promise.resolve();
  const serialise = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    rateRemaining = Math.max(rateRemaining - 1, 0);
    requestCounter += 1;
    // A Buffer is sent as is (the tarball); anything else as JSON.
    const payload = body === undefined ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    response.writeHead(status, {
      'x-github-request-id': `STANDIN:${requestCounter}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': `${rateRemaining}`,
      'x-ratelimit-used': `${5000 - rateRemaining}`,
      'x-ratelimit-reset': `${Math.floor(Date.now() / 1000) + 3600}`,
      'x-ratelimit-resource': 'core',
      ...(model?.grants.tokenScopes ? { 'x-oauth-scopes': model.grants.tokenScopes.join(', ') } : {}),
      ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      ...headers,
    });
    response.end(payload);
  }

  const errorBody = (status: number, message: string, errors?: unknown[]) => ({
    message,
    ...(errors ? { errors } : {}),
    documentation_url: DOCS,
    status: `${status}`,
  });

  function authorised(route: CompiledRoute, header: string | undefined): string | undefined {
    const token = bearer(header);
    if (route.auth === 'app-jwt') {
      const issuer = token && jwtIssuer(token);
      if (!issuer) return 'A JSON web token could not be decoded';
      if (options.appId !== undefined && issuer !== String(options.appId)) return 'Bad credentials';
      return undefined;
    }
    if (options.token === undefined) return undefined;
    if (!token) return 'Requires authentication';
    if (token !== options.token && !model?.isIssuedToken(token)) return 'Bad credentials';
    return undefined;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const raw = await readBody(request);
    const apiVersion = request.headers['x-github-api-version'];
    const record = (route: string, status: number) =>
      requests.push({
        method,
        route,
        status,
        contentCreating: isContentCreating(method),
        ...(typeof apiVersion === 'string' ? { apiVersion } : {}),
      });

    let matched: { route: CompiledRoute; params: Record<string, string> } | undefined;
    for (const route of routes) {
      if (route.method !== method || (options.serves && !options.serves(method, `${method} ${route.path}`))) continue;
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
      matched = { route, params };
      break;
    }
    if (!matched) {
      record(`${method} ${url.pathname}`, 404);
      send(response, 404, errorBody(404, 'Not Found'));
      return;
    }
    const { route, params } = matched;
    const routeName = `${method} ${route.path}`;
    const reply = (status: number, body?: unknown, headers?: Record<string, string>) => {
      record(routeName, status);
      send(response, status, body, headers);
    };
    if (typeof apiVersion === 'string' && !API_VERSIONS.has(apiVersion)) {
      reply(400, errorBody(400, `Unsupported 'X-GitHub-Api-Version': ${apiVersion}`));
      return;
    }

    if (
      (params.owner !== undefined && params.owner.toLowerCase() !== owner.toLowerCase()) ||
      (params.repo !== undefined && params.repo.toLowerCase() !== repo.toLowerCase())
    ) {
      reply(404, errorBody(404, 'Not Found'));
      return;
    }
    const authProblem = authorised(route, request.headers.authorization);
    if (authProblem) {
      reply(401, errorBody(401, authProblem));
      return;
    }

    // Validate before any fault so an invalid request is recorded even when a fault answers it.
    let body: unknown;
    const problems: string[] = [];
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        problems.push('body is not valid JSON');
      }
    }
    const query = Object.fromEntries(url.searchParams.entries());
    if (problems.length === 0) problems.push(...validator.validate(method, route.path, { path: params, query, body }));
    if (problems.length > 0) invalidRequests.push({ method, route: routeName, url: request.url ?? '', problems });

    const applies = !faults.only || faults.only(method, routeName);
    if (applies && faults.badGateway && faults.badGateway.count > 0) {
      faults.badGateway.count -= 1;
      reply(502, { message: 'Server Error' });
      return;
    }
    if (applies && isContentCreating(method) && faults.secondaryRateLimit && faults.secondaryRateLimit.count > 0) {
      faults.secondaryRateLimit.count -= 1;
      reply(403, errorBody(403, SECONDARY_LIMIT_MESSAGE), {
        'retry-after': `${faults.secondaryRateLimit.retryAfterSeconds}`,
      });
      return;
    }
    if (problems.length > 0) {
      const status = problems.includes('body is not valid JSON') ? 400 : 422;
      const message = status === 400 ? 'Problems parsing JSON' : `Invalid request.\n\n${problems.join('\n')}`;
      reply(status, errorBody(status, message));
      return;
    }

    let result: RouteResponse;
    try {
      result = await serialise(() =>
        route.handle({ params, query, body, token: bearer(request.headers.authorization) }),
      );
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.invalidRequest) {
          invalidRequests.push({ method, route: routeName, url: request.url ?? '', problems: [error.message] });
        }
        reply(error.status, errorBody(error.status, error.message, error.errors));
        return;
      }
      if (error instanceof GitStoreError) {
        const status = error.kind === 'missing' ? 404 : 422;
        reply(status, errorBody(status, error.message));
        return;
      }
      reply(500, errorBody(500, error instanceof Error ? error.message : String(error)));
      return;
    }
    // Conditional requests as GitHub serves them: every 200 answer to a GET carries an ETag of its content; a GET
    // whose If-None-Match names the current one is answered 304 without a body (and, as on GitHub, costs no rate limit).
    if (method === 'GET' && result.status === 200 && result.body !== undefined && !Buffer.isBuffer(result.body)) {
      const etag = `W/"${createHash('sha256').update(JSON.stringify(result.body)).digest('hex')}"`;
      const asked = request.headers['if-none-match'];
      if (
        asked &&
        String(asked)
          .split(',')
          .some((tag) => tag.trim() === etag || tag.trim() === '*')
      ) {
        record(routeName, 304);
        response.writeHead(304, { etag, 'x-github-request-id': `STANDIN:${++requestCounter}` });
        response.end();
        return;
      }
      reply(result.status, result.body, { ...result.headers, etag });
      return;
    }
    reply(result.status, result.body, result.headers);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, errorBody(500, String(error)));
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  model = new RepoModel(store, { owner, repo, login, baseUrl: url, defaultBranch });
  routes = model.routes().map(compile);
  const repoModel = model;

  return {
    url,
    repoDir,
    owner,
    repo,
    defaultBranch,
    requests,
    grants: repoModel.grants,
    invalidRequests,
    store,
    setFaults(next) {
      faults = {
        ...next,
        secondaryRateLimit: next.secondaryRateLimit && { ...next.secondaryRateLimit },
        badGateway: next.badGateway && { ...next.badGateway },
      };
    },
    seed(files, message = 'Seed repository') {
      const who = { name: login, email: `${login}@users.noreply.github.com`, date: new Date().toISOString() };
      return serialise(() => store.commitFiles(defaultBranch, files, message, who));
    },
    readFile(ref, path) {
      return serialise(() => store.readText(ref, path));
    },
    listPulls() {
      return serialise(() => repoModel.listPulls());
    },
    assertNoInvalidRequests() {
      if (invalidRequests.length === 0) return;
      const lines = invalidRequests.map((r) => `${r.method} ${r.url}: ${r.problems.join('; ')}`);
      throw new Error(`GitHub stand-in received requests that break GitHub's API description:\n${lines.join('\n')}`);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeOwnDir();
    },
  };
}
