/**
 * Setting up the endpoints as the tool needs them: the organization (found or created through the API), the
 * onboarding configuration, the Terraform repository (seeded when empty, its account ids reserved when it holds
 * some), and the environment variables the functions run with, reconcile and claims buckets included.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type OnboardingConfig, parseConfig } from '../../functions/lib/config';
import {
  accountIdsInRepository,
  awsStep,
  type Bootstrap,
  bootstrapAws,
  type ClientConfig,
  seedRepositoryIfEmpty,
} from '../bootstrap';
import type { AwsEndpoint, GitHubEndpoint } from './endpoints';
import { LOCAL_REGION } from './names';
import type { LocalEnvironmentOptions } from './types';

export interface Setup {
  bootstrap: Bootstrap;
  config: OnboardingConfig;
  /** What setting up changed or could not do on the endpoints, to say. */
  notes: string[];
  /** Account ids the repository held before (reserved on the embedded AWS stand-in). */
  accountIds: Set<string>;
}

function onboardingConfig(options: LocalEnvironmentOptions, bootstrap: Bootstrap, github: GitHubEndpoint) {
  return parseConfig({
    toolingAccountId: bootstrap.toolingAccountId,
    managementAccountId: bootstrap.managementAccountId,
    externalId: 'oidc-account-onboarding',
    ...options.config,
    github: {
      owner: github.owner,
      repo: github.repo,
      apiUrl: github.url,
      pacing: false,
      auth: { type: 'token', secretArn: bootstrap.secretArn },
      ...options.config?.github,
    },
    terraform: { ...options.config?.terraform },
  });
}

export async function setUpEndpoints(
  options: LocalEnvironmentOptions,
  aws: AwsEndpoint,
  github: GitHubEndpoint,
  organizations: OrganizationsClient,
): Promise<Setup> {
  const bootstrap = await bootstrapAws(aws.clientConfig, organizations, github.token);
  const notes = [...bootstrap.notes];
  const config = onboardingConfig(options, bootstrap, github);
  const seeded = await seedRepositoryIfEmpty(github, bootstrap);
  if (seeded === 'seeded' && !github.standIn)
    notes.push(`seeded ${github.owner}/${github.repo} with a Terraform repository`);
  // A repository that outlives this run (another endpoint, --keep) holds accounts of earlier runs: new accounts of
  // the embedded AWS must not get their ids, or onboarding them would rewrite those runs' pull requests.
  let accountIds = new Set<string>();
  if (seeded === 'existing') {
    const held = await accountIdsInRepository(github, config);
    accountIds = held.ids;
    if (held.note) notes.push(held.note);
    aws.standIn?.state.reserveAccountIds(accountIds);
  }
  return { bootstrap, config, notes, accountIds };
}

/** The reconcile run files' bucket, created through the S3 API when missing; returns its name. */
async function ensureBucket(clientConfig: ClientConfig, bucket: string): Promise<string> {
  try {
    await new S3Client({ ...clientConfig, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  return bucket;
}

/**
 * The environment variables the functions run with, set on this process too (the handlers read them there); the
 * buckets they name are created when missing.
 */
export async function functionEnvironment(aws: AwsEndpoint, setup: Setup): Promise<Record<string, string>> {
  const { endpoint, credentials, clientConfig } = aws;
  const { managementAccountId, topicArn } = setup.bootstrap;
  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    ONBOARDING_CONFIG: JSON.stringify(setup.config),
    POWERTOOLS_SERVICE_NAME: 'oidc-account-onboarding',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    // The SDK inside the functions retries quickly; the state machine owns the long retries.
    AWS_MAX_ATTEMPTS: '3',
    RECONCILE_BUCKET: await awsStep(clientConfig, 'create the reconcile bucket', () =>
      ensureBucket(clientConfig, `oidc-account-onboarding-reconcile-${managementAccountId}`),
    ),
    RECONCILE_TOPIC_ARN: topicArn,
    // The refresh keeps refresh/state.json in the reconcile bucket, as the stack deploys it.
    REFRESH_BUCKET: `oidc-account-onboarding-reconcile-${managementAccountId}`,
    CLAIMS_BUCKET: await ensureBucket(clientConfig, `oidc-account-onboarding-claims-${managementAccountId}`),
  };
  Object.assign(process.env, env);
  if (!credentials.sessionToken) delete process.env.AWS_SESSION_TOKEN;
  return env;
}

/** Sets a state machine ARN the functions read, or clears it (`undefined`), in `env` and on this process. */
export function setStateMachineArn(env: Record<string, string>, name: string, arn: string | undefined): void {
  if (arn === undefined) {
    delete process.env[name];
    return;
  }
  env[name] = arn;
  process.env[name] = arn;
}
