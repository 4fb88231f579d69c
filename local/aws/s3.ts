/**
 * Amazon S3 (REST-XML, path-style `/<bucket>/<key>`), as much as the reconcile workflow's run files need:
 * CreateBucket, HeadBucket, DeleteBucket, ListObjectsV2, PutObject, GetObject, HeadObject, DeleteObject. Requests
 * carry no `X-Amz-Target` or `Action`: the server routes them by the SigV4 credential scope's service, `s3`.
 * Buckets are global to the stand-in and owned by the account that created them; objects live in memory.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsError, escapeXml, type WireResponse } from './protocols';
import type { RestOperation, RestRequest, RestService } from './service';
import type { AwsState } from './state';

export interface S3Object {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export interface S3Bucket {
  name: string;
  accountId: string;
  creationDate: Date;
  objects: Map<string, S3Object>;
}

const bucketsByState = new WeakMap<AwsState, Map<string, S3Bucket>>();

/** The buckets of one stand-in, by name (for tests and the embedded runtime). */
export function s3Buckets(state: AwsState): Map<string, S3Bucket> {
  let buckets = bucketsByState.get(state);
  if (!buckets) {
    buckets = new Map();
    bucketsByState.set(state, buckets);
  }
  return buckets;
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Bucket and key of a path-style request path. */
export function target(path: string): { bucket: string; key?: string } {
  const rest = path.replace(/^\/+/, '');
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: decodeURIComponent(rest) };
  const key = rest.slice(slash + 1);
  return { bucket: decodeURIComponent(rest.slice(0, slash)), ...(key ? { key: decodeURIComponent(key) } : {}) };
}

function xml(status: number, body: string, requestId: string, headers: Record<string, string> = {}): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId, ...headers },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

const empty = (status: number, requestId: string, headers: Record<string, string> = {}): WireResponse => ({
  status,
  headers: { 'x-amz-request-id': requestId, ...headers },
  body: '',
});

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

function requireBucket(state: AwsState, accountId: string, name: string): S3Bucket {
  const bucket = s3Buckets(state).get(name);
  if (!bucket) throw new AwsError('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: name });
  if (bucket.accountId !== accountId) throw new AwsError('AccessDenied', 403, 'Access Denied');
  return bucket;
}

function requireObject(bucket: S3Bucket, key: string): S3Object {
  const object = bucket.objects.get(key);
  if (!object) throw new AwsError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
  return object;
}

const objectHeaders = (o: S3Object): Record<string, string> => ({
  etag: o.etag,
  'content-type': o.contentType,
  'last-modified': o.lastModified.toUTCString(),
  'accept-ranges': 'bytes',
});

const operations: Record<string, RestOperation> = {
  CreateBucket: ({ state, caller, input, requestId }) => {
    const { bucket: name } = target(input.path);
    if (!BUCKET_NAME.test(name) || name.includes('..')) {
      throw new AwsError('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: name });
    }
    const buckets = s3Buckets(state);
    const existing = buckets.get(name);
    if (existing) {
      throw existing.accountId === caller.accountId
        ? new AwsError(
            'BucketAlreadyOwnedByYou',
            409,
            'Your previous request to create the named bucket succeeded and you already own it.',
            { BucketName: name },
          )
        : new AwsError(
            'BucketAlreadyExists',
            409,
            'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
            { BucketName: name },
          );
    }
    buckets.set(name, { name, accountId: caller.accountId, creationDate: new Date(), objects: new Map() });
    return empty(200, requestId, { location: `/${name}` });
  },

  HeadBucket: ({ state, caller, input, requestId }) => {
    requireBucket(state, caller.accountId, target(input.path).bucket);
    return empty(200, requestId, { 'x-amz-bucket-region': state.options.region });
  },

  DeleteBucket: ({ state, caller, input, requestId }) => {
    const bucket = requireBucket(state, caller.accountId, target(input.path).bucket);
    if (bucket.objects.size > 0) {
      throw new AwsError('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', {
        BucketName: bucket.name,
      });
    }
    s3Buckets(state).delete(bucket.name);
    return empty(204, requestId);
  },

  ListObjectsV2: ({ state, caller, input, requestId }) => {
    const bucket = requireBucket(state, caller.accountId, target(input.path).bucket);
    const prefix = input.query.get('prefix') ?? '';
    const delimiter = input.query.get('delimiter') ?? '';
    const maxKeys = Math.min(Number(input.query.get('max-keys') ?? 1000), 1000);
    const after = input.query.get('continuation-token') ?? input.query.get('start-after') ?? '';
    const keys = [...bucket.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const contents: string[] = [];
    const prefixes = new Set<string>();
    let last = '';
    let truncated = false;
    for (const key of keys) {
      if (contents.length + prefixes.size >= maxKeys) {
        truncated = true;
        break;
      }
      last = key;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut !== -1) {
        prefixes.add(key.slice(0, cut + delimiter.length));
        continue;
      }
      const o = bucket.objects.get(key) as S3Object;
      contents.push(
        `<Contents><Key>${escapeXml(key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified>` +
          `<ETag>${escapeXml(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
    }
    const token = input.query.get('continuation-token');
    return xml(
      200,
      `<ListBucketResult xmlns="${XMLNS}"><Name>${escapeXml(bucket.name)}</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
        `<KeyCount>${contents.length + prefixes.size}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
        (delimiter ? `<Delimiter>${escapeXml(delimiter)}</Delimiter>` : '') +
        `<IsTruncated>${truncated}</IsTruncated>` +
        (token ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : '') +
        (truncated ? `<NextContinuationToken>${escapeXml(last)}</NextContinuationToken>` : '') +
        contents.join('') +
        [...prefixes].map((p) => `<CommonPrefixes><Prefix>${escapeXml(p)}</Prefix></CommonPrefixes>`).join('') +
        '</ListBucketResult>',
      requestId,
    );
  },

  PutObject: ({ state, caller, input, requestId }) => {
    const { bucket: name, key = '' } = target(input.path);
    const bucket = requireBucket(state, caller.accountId, name);
    if (header(input.headers, 'x-amz-copy-source')) {
      throw new AwsError('NotImplemented', 501, 'CopyObject is not served by the stand-in.');
    }
    if (Buffer.byteLength(key) > 1024) throw new AwsError('KeyTooLongError', 400, 'Your key is too long');
    // Conditional writes, as S3 serves them: If-None-Match: * creates only; If-Match replaces only that version.
    const existing = bucket.objects.get(key);
    const ifNoneMatch = header(input.headers, 'if-none-match');
    const ifMatch = header(input.headers, 'if-match');
    if (ifNoneMatch !== undefined && (ifNoneMatch.trim() !== '*' || existing)) {
      if (ifNoneMatch.trim() !== '*') throw new AwsError('NotImplemented', 501, 'If-None-Match takes only *');
      throw new AwsError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'If-None-Match',
      });
    }
    if (ifMatch !== undefined) {
      if (!existing) throw new AwsError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
      if (existing.etag !== ifMatch.trim()) {
        throw new AwsError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', {
          Condition: 'If-Match',
        });
      }
    }
    const etag = `"${createHash('md5').update(input.body).digest('hex')}"`;
    bucket.objects.set(key, {
      body: input.body,
      contentType: header(input.headers, 'content-type') ?? 'binary/octet-stream',
      etag,
      lastModified: new Date(),
    });
    return empty(200, requestId, { etag });
  },

  GetObject: ({ state, caller, input, requestId }) => {
    const { bucket: name, key = '' } = target(input.path);
    const object = requireObject(requireBucket(state, caller.accountId, name), key);
    return { status: 200, headers: { 'x-amz-request-id': requestId, ...objectHeaders(object) }, body: object.body };
  },

  HeadObject: ({ state, caller, input, requestId }) => {
    const { bucket: name, key = '' } = target(input.path);
    const object = requireObject(requireBucket(state, caller.accountId, name), key);
    return empty(200, requestId, { ...objectHeaders(object), 'content-length': String(object.body.length) });
  },

  DeleteObject: ({ state, caller, input, requestId }) => {
    const { bucket: name, key = '' } = target(input.path);
    requireBucket(state, caller.accountId, name).objects.delete(key);
    return empty(204, requestId);
  },
};

/** The operation a request asks for, from its method and whether it names a key. */
function actionOf({ method, path, query }: RestRequest): string {
  const { key } = target(path);
  if (key === undefined) {
    if (method === 'PUT') return 'CreateBucket';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'DELETE') return 'DeleteBucket';
    if (method === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2';
    return `${method} bucket`;
  }
  const verbs: Record<string, string> = {
    PUT: 'PutObject',
    GET: 'GetObject',
    HEAD: 'HeadObject',
    DELETE: 'DeleteObject',
  };
  return verbs[method] ?? `${method} object`;
}

/** S3's error document; HEAD answers carry no body, only the status. */
function errorResponse(error: AwsError, requestId: string, method: string): WireResponse {
  if (method === 'HEAD') return empty(error.status, requestId);
  const extra = Object.entries(error.extra)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('');
  return xml(
    error.status,
    `<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>${extra}` +
      `<RequestId>${requestId}</RequestId><HostId>stand-in</HostId></Error>`,
    requestId,
  );
}

export const s3Service: RestService = {
  protocol: 'rest-xml',
  name: 's3',
  actionOf,
  operations,
  errorResponse,
  throttlingError: () => new AwsError('SlowDown', 503, 'Please reduce your request rate.'),
  failureError: (status) =>
    status === 503
      ? new AwsError('ServiceUnavailable', 503, 'Please reduce your request rate.')
      : new AwsError('InternalError', 500, 'We encountered an internal error. Please try again.'),
};
