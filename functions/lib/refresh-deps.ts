import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Octokit } from '@octokit/rest';
import { isServerError, isThrottling, rethrowAws } from './aws-errors';
import { type BackfillCandidate, tagsMatter } from './backfill-plan';
import type { BatchRemediationDeps } from './batch-remediation';
import { mapWithConcurrency } from './concurrency';
import { configFromEnv, type OnboardingConfig } from './config';
import { DASHBOARD_DRIFT_KEY, type DashboardDrift } from './dashboard';
import { AccountNotFound, ConfigError } from './errors';
import { createGitHubClient } from './github-client';
import { ouPathReader, readAccount, readTags } from './organization';
import type { ProfileFacts } from './profiles';
import type { RefreshDeps, RefreshState, RefreshStateStore } from './refresh';
import type { RemediationBatchRequest } from './remediation-handoff';
import type { AccountId } from './types';

/** The refresh function's AWS-backed dependencies: its state and the dashboard drift in S3, re-runs in Step Functions. */

export type RefreshHandlerDeps = Omit<RefreshDeps, 'octokit'> &
  Partial<Pick<BatchRemediationDeps, 'readBatchRequest' | 'readProfileFacts'>> & { github: () => Promise<Octokit> };

/** Throttling and 5xx become AwsThrottled / AwsUnavailable (retried by the state machine); anything else unchanged. */
const rethrowS3 = (err: unknown, what: string): never => {
  if (isThrottling(err) || isServerError(err)) rethrowAws(err, what);
  throw err;
};

/** A JSON object of the bucket, or undefined when there is none. */
async function readJson<T>(client: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse((await res.Body?.transformToString()) ?? 'null') as T | undefined;
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    return rethrowS3(err, `s3:GetObject of s3://${bucket}/${key}`);
  }
}

/** The refresh's memory between runs: one small object, `refresh/state.json`, in REFRESH_BUCKET. */
export function s3RefreshState(client: S3Client, bucket: string): RefreshStateStore {
  const Key = 'refresh/state.json';
  return {
    read: () => readJson<RefreshState>(client, bucket, Key),
    async write(state) {
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: JSON.stringify(state) }));
      } catch (err) {
        rethrowS3(err, `s3:PutObject of s3://${bucket}/${Key}`);
      }
    },
  };
}

export function s3DashboardDrift(client: S3Client, bucket: string): () => Promise<DashboardDrift | undefined> {
  return () => readJson<DashboardDrift>(client, bucket, DASHBOARD_DRIFT_KEY);
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

/** `read` for every id, 5 at once (Organizations' request rate), into a map; an id `read` gives nothing for is left out. */
async function fiveAtATime<T>(ids: AccountId[], read: (id: AccountId) => Promise<T | undefined>) {
  const values = await mapWithConcurrency(ids, 5, read);
  return new Map(ids.flatMap((id, i): Array<[AccountId, T]> => (values[i] === undefined ? [] : [[id, values[i]]])));
}

/** Accounts' OU paths (one reader per call: a run sees moves made before it) and tags when they matter. */
export function orgProfileFacts(org: OrganizationsClient, config: OnboardingConfig) {
  return (accountIds: AccountId[]): Promise<Map<AccountId, ProfileFacts>> => {
    const readOuPath = ouPathReader(org);
    const withTags = tagsMatter(config);
    return fiveAtATime(accountIds, async (id): Promise<ProfileFacts> => {
      const [ouPath, tags] = await Promise.all([readOuPath(id), withTags ? readTags(org, id) : undefined]);
      return tags ? { ouPath, tags } : { ouPath };
    });
  };
}

/**
 * The facts of the accounts of the batch pull requests to regenerate: DescribeAccount, the OU path (one reader per
 * call) and tags when they matter; an account no longer in the organization is left out.
 */
export function orgBatchAccounts(org: OrganizationsClient, config: OnboardingConfig) {
  return (accountIds: AccountId[]): Promise<Map<AccountId, BackfillCandidate>> => {
    const reads = { ouPath: ouPathReader(org), tags: tagsMatter(config) };
    return fiveAtATime(accountIds, async (id): Promise<BackfillCandidate | undefined> => {
      try {
        const { accountId, name, email, ouPath, tags } = await readAccount(org, id, reads);
        return { accountId, name, email, ouPath, ...(reads.tags ? { tags } : {}) };
      } catch (err) {
        if (err instanceof AccountNotFound) return undefined;
        throw err;
      }
    });
  };
}

/** `make()` once, kept while it succeeds; a failure is forgotten so the next call tries again. */
export function keepOnSuccess<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make().catch((err: unknown) => {
      made = undefined;
      throw err;
    });
    return made;
  };
}

export const refreshDepsFromEnv = (env: NodeJS.ProcessEnv = process.env): RefreshHandlerDeps => {
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
    github: keepOnSuccess(() =>
      createGitHubClient(config, secrets, { access: config.dashboard.enabled ? 'refresh' : 'write' }),
    ),
    state: s3RefreshState(s3, bucket),
    readAccount: (accountId) => readAccount(organizations, accountId),
    readAccounts: orgBatchAccounts(organizations, config),
    ...(onboarding ? { startOnboarding: sfnStartOnboarding(new SFNClient({}), onboarding) } : {}),
    ...(reconcileBucket
      ? {
          readDrift: s3DashboardDrift(s3, reconcileBucket),
          readBatchRequest: (key: string) => readJson<RemediationBatchRequest>(s3, reconcileBucket, key),
          readProfileFacts: orgProfileFacts(organizations, config),
        }
      : {}),
  };
};
