// How the stand-in writes answers: GitHub's error body, its request id and primary rate-limit headers on every answer,
// JSON (or a Buffer as is, for the tarball).
import type { ServerResponse } from 'node:http';

const DOCS = 'https://docs.github.com/rest';
const LIMIT = 5000;

export const errorBody = (status: number, message: string, errors?: unknown[]) => ({
  message,
  ...(errors ? { errors } : {}),
  documentation_url: DOCS,
  status: `${status}`,
});

export class Wire {
  private rateRemaining = LIMIT;
  private requestCounter = 0;

  /** `scopes()`: a classic token's scopes, sent as `x-oauth-scopes` when there are any */
  constructor(private readonly scopes: () => string[] | undefined) {}

  send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.rateRemaining = Math.max(this.rateRemaining - 1, 0);
    this.requestCounter += 1;
    const payload = body === undefined ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const scopes = this.scopes();
    response.writeHead(status, {
      'x-github-request-id': `STANDIN:${this.requestCounter}`,
      'x-ratelimit-limit': `${LIMIT}`,
      'x-ratelimit-remaining': `${this.rateRemaining}`,
      'x-ratelimit-used': `${LIMIT - this.rateRemaining}`,
      'x-ratelimit-reset': `${Math.floor(Date.now() / 1000) + 3600}`,
      'x-ratelimit-resource': 'core',
      ...(scopes ? { 'x-oauth-scopes': scopes.join(', ') } : {}),
      ...(payload ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      ...headers,
    });
    response.end(payload);
  }

  /** 304 Not Modified: no body, and no rate limit used. */
  sendNotModified(response: ServerResponse, etag: string): void {
    this.requestCounter += 1;
    response.writeHead(304, { etag, 'x-github-request-id': `STANDIN:${this.requestCounter}` });
    response.end();
  }
}
