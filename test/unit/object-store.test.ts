import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { AwsThrottled } from '../../functions/lib/errors';
import { objectStoreFromEnv, s3ObjectStore } from '../../functions/lib/object-store';

/** A minimal path-style S3 stand-in: PUT and GET of objects, NoSuchKey as S3 answers it, SlowDown on demand. */
interface Recorded {
  method: string;
  path: string;
  contentType: string | undefined;
}

let server: Server;
let endpoint: string;
const objects = new Map<string, string>();
const requests: Recorded[] = [];
let slowDown = false;

const xmlError = (res: ServerResponse, status: number, code: string) => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
};

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      requests.push({ method: req.method ?? '', path, contentType: req.headers['content-type'] });
      if (slowDown) return xmlError(res, 503, 'SlowDown');
      if (req.method === 'PUT') {
        objects.set(path, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { etag: '"1"' });
        return res.end();
      }
      const body = objects.get(path);
      if (body === undefined) return xmlError(res, 404, 'NoSuchKey');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, resolve));
  endpoint = `http://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  objects.clear();
  requests.length = 0;
  slowDown = false;
});

const client = () =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });

describe('S3 object store', () => {
  it('writes JSON that reads back unchanged, under the bucket and key asked for', async () => {
    // Prepare
    const store = s3ObjectStore({ client: client(), bucket: 'run-files' });
    const snapshot = { accounts: [{ id: '123456789012', slug: 'workload-dev-01' }], batches: 1 };

    // Act
    await store.putJson('runs/exec-1/snapshot.json', snapshot);
    const read = await store.getJson<typeof snapshot>('runs/exec-1/snapshot.json');

    // Assess
    expect(read).toEqual(snapshot);
    expect(requests[0]).toEqual({
      method: 'PUT',
      path: '/run-files/runs/exec-1/snapshot.json',
      contentType: 'application/json',
    });
  });

  it('reports a missing object as an error named NoSuchKey that says which object', async () => {
    // Prepare
    const store = s3ObjectStore({ client: client(), bucket: 'run-files' });

    // Act
    const reading = store.getJson('runs/exec-1/results-0.json');

    // Assess
    await expect(reading).rejects.toMatchObject({
      name: 'NoSuchKey',
      message: expect.stringContaining('s3://run-files/runs/exec-1/results-0.json'),
    });
  });

  it('turns S3 throttling (SlowDown) into AwsThrottled so the state machine retries', async () => {
    // Prepare
    const store = s3ObjectStore({ client: client(), bucket: 'run-files' });
    slowDown = true;

    // Act
    const writing = store.putJson('runs/exec-1/snapshot.json', {});

    // Assess
    await expect(writing).rejects.toBeInstanceOf(AwsThrottled);
  });
});

describe('objectStoreFromEnv', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('refuses to start without RECONCILE_BUCKET', () => {
    expect(() => objectStoreFromEnv({})).toThrow(/RECONCILE_BUCKET/);
  });

  it('addresses an endpoint given by AWS_ENDPOINT_URL path-style (stand-ins have no per-bucket host names)', async () => {
    // Prepare: the SDK reads the endpoint, region and credentials from the environment itself.
    process.env.AWS_ENDPOINT_URL = endpoint;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const store = objectStoreFromEnv({ ...process.env, RECONCILE_BUCKET: 'run-files' });

    // Act
    await store.putJson('runs/exec-2/snapshot.json', { ok: true });

    // Assess
    expect(requests.map((r) => r.path)).toEqual(['/run-files/runs/exec-2/snapshot.json']);
    expect(await store.getJson('runs/exec-2/snapshot.json')).toEqual({ ok: true });
  });
});
