// One request through the stand-in, in GitHub's order: route, API version, repository, credentials, validation
// against GitHub's OpenAPI description (recorded even when a fault answers), injected faults, the route itself
// (requests applied one at a time, as GitHub applies each atomically), then the answer with its ETag.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { etagOf, notModified } from './conditional';
import { authProblem, bearer, type CredentialRules } from './credentials';
import type { FaultInjector } from './faults';
import { GitStoreError } from './git-types';
import type { OpenApiValidator } from './openapi';
import { HttpError, isContentCreating, type RouteRequest, type RouteResponse } from './route-kit';
import { type CompiledRoute, matchRoute } from './router';
import type { InvalidRequest, RecordedRequest } from './server';
import { errorBody, type Wire } from './wire';

/** the REST API versions GitHub supports; a request naming another one gets 400 */
const API_VERSIONS = new Set(['2022-11-28']);

export interface DispatchSetup {
  owner: string;
  repo: string;
  routes: CompiledRoute[];
  serves?: (method: string, route: string) => boolean;
  credentials: CredentialRules;
  validator: OpenApiValidator;
  faults: FaultInjector;
  wire: Wire;
  requests: RecordedRequest[];
  invalidRequests: InvalidRequest[];
  /** runs route handlers one after the other */
  serialise<T>(work: () => Promise<T>): Promise<T>;
}

/** What the dispatcher knows of the request once its route is found. */
interface Call {
  method: string;
  routeName: string;
  url: string;
  route: CompiledRoute;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The route's answer, GitHub's error bodies for what it threw. */
function errorResponse(error: unknown): RouteResponse {
  if (error instanceof HttpError)
    return { status: error.status, body: errorBody(error.status, error.message, error.errors) };
  if (error instanceof GitStoreError) {
    const status = error.kind === 'missing' ? 404 : 422;
    return { status, body: errorBody(status, error.message) };
  }
  return { status: 500, body: errorBody(500, error instanceof Error ? error.message : String(error)) };
}

export class Dispatcher {
  constructor(private readonly setup: DispatchSetup) {}

  async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const raw = await readBody(request);
    const apiVersion = request.headers['x-github-api-version'];
    const record = (route: string, status: number) =>
      this.setup.requests.push({
        method,
        route,
        status,
        contentCreating: isContentCreating(method),
        ...(typeof apiVersion === 'string' ? { apiVersion } : {}),
      });
    const matched = matchRoute(this.setup.routes, method, url.pathname, this.setup.serves);
    if (!matched) {
      record(`${method} ${url.pathname}`, 404);
      this.setup.wire.send(response, 404, errorBody(404, 'Not Found'));
      return;
    }
    const routeName = `${method} ${matched.route.path}`;
    const query = Object.fromEntries(url.searchParams.entries());
    const call: Call = { method, routeName, url: request.url ?? '', ...matched, query, headers: request.headers };
    const answer = await this.answer(call, raw);
    if (answer.status === 304) {
      record(routeName, 304);
      this.setup.wire.sendNotModified(response, answer.headers?.etag as string);
      return;
    }
    record(routeName, answer.status);
    this.setup.wire.send(response, answer.status, answer.body, answer.headers);
  }

  private async answer(call: Call, raw: string): Promise<RouteResponse> {
    const refusal = this.refusal(call);
    if (refusal) return { status: refusal.status, body: errorBody(refusal.status, refusal.message) };
    const { body, problems } = this.validate(call, raw);
    const fault = this.setup.faults.take(call.method, call.routeName);
    if (fault) return fault;
    if (problems.length > 0) {
      const status = problems.includes('body is not valid JSON') ? 400 : 422;
      const message = status === 400 ? 'Problems parsing JSON' : `Invalid request.\n\n${problems.join('\n')}`;
      return { status, body: errorBody(status, message) };
    }
    const token = bearer(call.headers.authorization);
    return this.run(call, { params: call.params, query: call.query, body, token });
  }

  /** Why the request is refused before validation (unsupported API version, another repository, credentials). */
  private refusal({ params, route, headers }: Call): { status: number; message: string } | undefined {
    const apiVersion = headers['x-github-api-version'];
    if (typeof apiVersion === 'string' && !API_VERSIONS.has(apiVersion)) {
      return { status: 400, message: `Unsupported 'X-GitHub-Api-Version': ${apiVersion}` };
    }
    const { owner, repo } = this.setup;
    if (
      (params.owner !== undefined && params.owner.toLowerCase() !== owner.toLowerCase()) ||
      (params.repo !== undefined && params.repo.toLowerCase() !== repo.toLowerCase())
    ) {
      return { status: 404, message: 'Not Found' };
    }
    const problem = authProblem(route.auth, headers.authorization, this.setup.credentials);
    return problem ? { status: 401, message: problem } : undefined;
  }

  /** The parsed body and every way the request breaks GitHub's API description (recorded as invalid). */
  private validate(call: Call, raw: string): { body: unknown; problems: string[] } {
    let body: unknown;
    const problems: string[] = [];
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        problems.push('body is not valid JSON');
      }
    }
    if (problems.length === 0) {
      const parts = { path: call.params, query: call.query, body };
      problems.push(...this.setup.validator.validate(call.method, call.route.path, parts));
    }
    if (problems.length > 0) this.recordInvalid(call, problems);
    return { body, problems };
  }

  private recordInvalid({ method, routeName, url }: Call, problems: string[]): void {
    this.setup.invalidRequests.push({ method, route: routeName, url, problems });
  }

  private async run(call: Call, request: RouteRequest): Promise<RouteResponse> {
    let result: RouteResponse;
    try {
      result = await this.setup.serialise(() => call.route.handle(request));
    } catch (error) {
      if (error instanceof HttpError && error.invalidRequest) this.recordInvalid(call, [error.message]);
      return errorResponse(error);
    }
    if (call.method !== 'GET' || result.status !== 200 || result.body === undefined || Buffer.isBuffer(result.body)) {
      return result;
    }
    const etag = etagOf(result.body);
    if (notModified(call.headers['if-none-match'], etag)) return { status: 304, headers: { etag } };
    return { ...result, headers: { ...result.headers, etag } };
  }
}
