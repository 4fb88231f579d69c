// What every route of the GitHub stand-in shares: the route and request shapes, GitHub's error answers, its
// pagination (`link` header) and its base64 wrapping.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
    /** the request broke a rule of GitHub's that the OpenAPI schema does not express: recorded as invalid */
    readonly invalidRequest = false,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies, already validated against GitHub's schema
  body: any;
  /** the token the request was authenticated with, when any */
  token?: string;
}

export interface RouteResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** the OpenAPI path template, e.g. /repos/{owner}/{repo}/git/trees */
  path: string;
  /** how the request authenticates: a token (default) or the GitHub App's JWT */
  auth?: 'token' | 'app-jwt';
  handle(request: RouteRequest): Promise<RouteResponse>;
}

/** The path every repository route starts with. */
export const REPO = '/repos/{owner}/{repo}';

export const validationFailed = (errors: unknown[], invalidRequest = false) =>
  new HttpError(422, 'Validation Failed', errors, invalidRequest);
export const notFound = () => new HttpError(404, 'Not Found');
/** A request GitHub refuses for a rule its OpenAPI description does not spell out. */
export const invalid = (message: string) => new HttpError(422, message, undefined, true);

export const now = () => new Date().toISOString();

/** GitHub wraps base64 content at 60 characters. */
export function wrapBase64(bytes: Uint8Array): string {
  return (
    Buffer.from(bytes)
      .toString('base64')
      .match(/.{1,60}/g) ?? []
  )
    .map((line) => `${line}\n`)
    .join('');
}

export function paginate<T>(
  items: T[],
  query: Record<string, string>,
  pageUrl: (page: number) => string,
): RouteResponse {
  const perPage = Math.min(Number(query.per_page ?? 30), 100);
  const page = Math.max(Number(query.page ?? 1), 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const links: string[] = [];
  if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

/** Writes count against GitHub's secondary limits for content creation. */
export function isContentCreating(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method);
}
