// Conditional requests as GitHub serves them: every 200 answer to a GET carries an ETag of its content, and a GET
// whose If-None-Match names the current one is answered 304 without a body (which, as on GitHub, costs no rate limit).
import { createHash } from 'node:crypto';

/** The weak ETag of a JSON answer. */
export function etagOf(body: unknown): string {
  return `W/"${createHash('sha256').update(JSON.stringify(body)).digest('hex')}"`;
}

/** Whether an If-None-Match header names `etag` (or `*`). */
export function notModified(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return String(ifNoneMatch)
    .split(',')
    .some((tag) => tag.trim() === etag || tag.trim() === '*');
}
