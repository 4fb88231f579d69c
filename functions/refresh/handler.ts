import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Octokit } from '@octokit/rest';
import { isServerError, isThrottling, rethrowAws } from '../lib/aws-errors';
import { configFromEnv } from '../lib/config';
import { DASHBOARD_DRIFT_KEY, type DashboardDrift } from '../lib/dashboard';
import { ConfigError, InvalidInput } from '../lib/errors';
import { createGitHubClient } from '../lib/github-client';
import { type LambdaContext, startInvocation } from '../lib/logger';
import { readAccount } from '../lib/organization';
import {
  type RefreshDeps,
  type RefreshResult,
  type RefreshState,
  type RefreshStateStore,
  type RefreshWhen,
  refreshPullRequests,
} from '../lib/refresh';

/**
 * The schedule's input: `{}` or `{"when": "conflicted" | "behind-base"}` (default `refresh.when`), `{"force":
 * ["<account id>", …]}`, or `{"render": true}` (a reconcile run: skip the idle check, render the dashboard).
 */
export interface RefreshEvent {
  when?: RefreshWhen;
  force?: string[];
  render?: boolean;
}

export type RefreshHandlerDeps = Omit<RefreshDeps, 'octokit'> & { github: () => Promise<Octokit> };

export function makeHandler(deps: RefreshHandlerDeps) {
  let client: Promise<Octokit> | undefined;
  return async (event: RefreshEvent | null, context?: LambdaContext): Promise<RefreshResult> => {
    startInvocation(context, undefined);
    const when = event?.when ?? deps.config.refresh.when;
    if (when !== 'conflicted' && when !== 'behind-base') {
      throw new InvalidInput('refresh expects {"when": "conflicted" | "behind-base"} (default conflicted)');
    }
    const force = event?.force ?? [];
    if (!Array.isArray(force) || force.some((id) => typeof id !== 'string' || !/^\d{12}$/.test(id))) {
      throw new InvalidInput('refresh expects "force" as a list of 12-digit account ids');
    }
    if (event?.render !== undefined && typeof event.render !== 'boolean') {
      throw new InvalidInput('refresh expects "render" as true or false');
    }
    client ??= deps.github().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return refreshPullRequests({ ...deps, octokit: await client }, { when, force, render: event?.render === true });
  };
}

/** The refresh's memory between runs: one small object, `refresh/state.json`, in REFRESH_BUCKET. */
export function s3RefreshState(client: S3Client, bucket: string): RefreshStateStore {
  const Key = 'refresh/state.json';
  const fail = (err: unknown, what: string): never => {
    if (isThrottling(err) || isServerError(err)) rethrowAws(err, what);
    throw err;
  };
  return {
    async read() {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        return JSON.parse((await res.Body?.transformToString()) ?? 'null') as RefreshState | undefined;
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
        return fail(err, `s3:GetObject of s3://${bucket}/${Key}`);
      }
    },
    async write(state) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: JSON.stringify(state) }));
      } catch (err) {
        fail(err, `s3:PutObject of s3://${bucket}/${Key}`);
      }
    },
  };
}

export function s3DashboardDrift(client: S3Client, bucket: string): () => Promise<DashboardDrift | undefined> {
  return async () => {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: DASHBOARD_DRIFT_KEY }));
      return JSON.parse((await res.Body?.transformToString()) ?? 'null') as DashboardDrift | undefined;
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      if (isThrottling(err) || isServerError(err))
        rethrowAws(err, `s3:GetObject of s3://${bucket}/${DASHBOARD_DRIFT_KEY}`);
      throw err;
    }
  };
}

/** A re-run a person asked for on the dashboard: the onboarding with force, under a name unique to the tick. */
export function sfnStartOnboarding(client: SFNClient, stateMachineArn: string) {
  return async (accountId: string, name: string): Promise<'started' | 'exists'> => {
    try {
      await client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ accountId, force: true }) }),
      );
      return 'started';
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists) return 'exists';
      return rethrowAws(err, `states:StartExecution of ${name}`);
    }
  };
}

export const defaultDeps = (env: NodeJS.ProcessEnv = process.env): RefreshHandlerDeps => {
  const config = configFromEnv();
  const bucket = env.REFRESH_BUCKET;
  if (!bucket) throw new ConfigError('REFRESH_BUCKET is not set: the refresh keeps the last ETag there');
  const standIn = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  const organizations = new OrganizationsClient({ region: 'us-east-1' });
  const secrets = new SecretsManagerClient({});
  const s3 = new S3Client(standIn ? { forcePathStyle: true } : {});
  const onboarding = env.ONBOARDING_STATE_MACHINE_ARN;
  const reconcileBucket = env.RECONCILE_BUCKET;
  return {
    config,
    github: () => createGitHubClient(config, secrets, { access: config.dashboard.enabled ? 'refresh' : 'write' }),
    state: s3RefreshState(s3, bucket),
    readAccount: (accountId) => readAccount(organizations, accountId),
    ...(onboarding ? { startOnboarding: sfnStartOnboarding(new SFNClient({}), onboarding) } : {}),
    ...(reconcileBucket ? { readDrift: s3DashboardDrift(s3, reconcileBucket) } : {}),
  };
};

let cached: ReturnType<typeof makeHandler> | undefined;
export const handler = async (event: RefreshEvent | null, context: LambdaContext): Promise<RefreshResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event, context);
};
