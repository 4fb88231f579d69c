import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { AwsThrottled, ConfigError } from './errors';

/**
 * Where reconciliation keeps its per-run files (the snapshot and each batch's results), so that no state payload
 * carries them. `@aws-sdk/client-s3` is not a dependency of this project yet; until it is, S3 is reached with two
 * SigV4-signed requests (PutObject, GetObject) through the SDK's own signer. Swapping in the S3 client changes only
 * `s3ObjectStore`.
 */
export interface ObjectStore {
  putJson(key: string, value: unknown): Promise<void>;
  getJson<T>(key: string): Promise<T>;
}

export interface S3ObjectStoreOptions {
  bucket: string;
  region: string;
  /** The SDK's credential provider, e.g. `new STSClient({}).config.credentials`. */
  credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** An S3-compatible endpoint (a local stand-in): addressed path-style. Default: AWS, virtual-hosted style. */
  endpoint?: string;
  fetch?: typeof fetch;
}

const toBytes = (data: ArrayBuffer | ArrayBufferView): Uint8Array =>
  ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the signer expects. */
class Sha256 {
  private hash: Hash | Hmac;
  private readonly secret?: Uint8Array | string;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : toBytes(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export function s3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const { bucket, region } = options;
  const doFetch = options.fetch ?? fetch;
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials: options.credentials,
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const base = options.endpoint
    ? new URL(`${options.endpoint.replace(/\/+$/, '')}/${bucket}/`)
    : new URL(`https://${bucket}.s3.${region}.amazonaws.com/`);
  const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

  async function send(method: 'GET' | 'PUT', key: string, body?: string): Promise<Response> {
    const url = new URL(encodeKey(key), base);
    const headers: Record<string, string> = { host: url.host };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const res = await doFetch(url, { method, headers: signed.headers, ...(body !== undefined ? { body } : {}) });
    if (res.ok) return res;
    const text = await res.text();
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${res.status}`;
    const what = `s3:${method === 'GET' ? 'GetObject' : 'PutObject'} of s3://${bucket}/${key}`;
    if (res.status === 503 || code === 'SlowDown') {
      throw new AwsThrottled(`AWS throttled ${what} (${code}); the state machine retries later`);
    }
    const error = new Error(`${what} failed: ${code}`);
    error.name = code;
    throw error;
  }

  return {
    async putJson(key, value) {
      await send('PUT', key, JSON.stringify(value));
    },
    async getJson<T>(key: string) {
      return (await (await send('GET', key)).json()) as T;
    },
  };
}

/** An in-memory store for tests and the embedded runner. */
export function memoryObjectStore(): ObjectStore & { keys(): string[] } {
  const objects = new Map<string, string>();
  return {
    async putJson(key, value) {
      objects.set(key, JSON.stringify(value));
    },
    async getJson<T>(key: string) {
      const text = objects.get(key);
      if (text === undefined) {
        const error = new Error(`NoSuchKey: ${key}`);
        error.name = 'NoSuchKey';
        throw error;
      }
      return JSON.parse(text) as T;
    },
    keys: () => [...objects.keys()].sort(),
  };
}

/**
 * The store of a reconcile function: bucket from RECONCILE_BUCKET, credentials from the SDK's default chain;
 * with AWS_ENDPOINT_URL(_S3) set (embedded stand-ins) the endpoint is addressed path-style.
 */
export function objectStoreFromEnv(env: NodeJS.ProcessEnv): ObjectStore {
  const bucket = env.RECONCILE_BUCKET;
  if (!bucket) throw new ConfigError('RECONCILE_BUCKET is not set: the reconcile functions keep their run files there');
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return s3ObjectStore({
    bucket,
    region: env.AWS_REGION ?? 'us-east-1',
    credentials: new STSClient({}).config.credentials,
    ...(endpoint ? { endpoint } : {}),
  });
}
