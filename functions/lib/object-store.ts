import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isServerError, isThrottling, rethrowAws } from './aws-errors';
import { ConfigError } from './errors';

/**
 * Where reconciliation keeps its per-run files (the snapshot and each batch's results), so that no state payload
 * carries them.
 */
export interface ObjectStore {
  putJson(key: string, value: unknown): Promise<void>;
  getJson<T>(key: string): Promise<T>;
}

export interface S3ObjectStoreOptions {
  /** The S3 client; `objectStoreFromEnv` decides its endpoint and addressing style. */
  client: S3Client;
  bucket: string;
}

/**
 * Throttling and 5xx that outlasted the SDK's retries become `AwsThrottled` / `AwsUnavailable` (retried by the state
 * machine); any other error (e.g. `NoSuchKey`) becomes an `Error` named after S3's error code that says which call
 * on which object failed.
 */
function rethrowS3(err: unknown, what: string): never {
  if (isThrottling(err) || isServerError(err)) rethrowAws(err, what);
  const code = (err as { name?: unknown } | undefined)?.name;
  const error = new Error(`${what} failed: ${typeof code === 'string' ? code : String(err)}`, { cause: err });
  if (typeof code === 'string') error.name = code;
  throw error;
}

export function s3ObjectStore({ client, bucket }: S3ObjectStoreOptions): ObjectStore {
  return {
    async putJson(key, value) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(value),
            ContentType: 'application/json',
          }),
        );
      } catch (err) {
        rethrowS3(err, `s3:PutObject of s3://${bucket}/${key}`);
      }
    },
    async getJson<T>(key: string) {
      const what = `s3:GetObject of s3://${bucket}/${key}`;
      let text: string | undefined;
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        text = await res.Body?.transformToString();
      } catch (err) {
        rethrowS3(err, what);
      }
      if (text === undefined) throw new Error(`${what} returned no body`);
      return JSON.parse(text) as T;
    },
  };
}

/**
 * The store of a reconcile function: bucket from RECONCILE_BUCKET, credentials and region from the SDK's default
 * chain; with AWS_ENDPOINT_URL(_S3) set (embedded stand-ins, which the SDK reads itself) objects are addressed
 * path-style, as S3-compatible stand-ins expect.
 */
export function objectStoreFromEnv(env: NodeJS.ProcessEnv): ObjectStore {
  const bucket = env.RECONCILE_BUCKET;
  if (!bucket) throw new ConfigError('RECONCILE_BUCKET is not set: the reconcile functions keep their run files there');
  const standIn = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  return s3ObjectStore({ client: new S3Client(standIn ? { forcePathStyle: true } : {}), bucket });
}
