import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { s3ClaimStore } from '../lib/account-claim';
import { configFromEnv } from '../lib/config';
import { defineHandler, executionIdSchema } from '../lib/define-handler';
import { ConfigError } from '../lib/errors';
import { onboardingMetrics } from '../lib/metrics';
import { type ResolutionDeps, resolveForOnboarding } from '../lib/onboarding-resolution';
import type { ResolveResult } from '../lib/types';

export type ResolveAccountDeps = ResolutionDeps;

/**
 * The state machine passes the execution input untouched (parseExecutionInput reads it), its execution id and, when
 * it runs longer than onboard-account, how long its claim holds (above its own TimeoutSeconds).
 */
const event = z.object({
  input: z.unknown(),
  executionId: executionIdSchema,
  claimWindowSeconds: z.optional(z.int().check(z.positive())),
});
export type ResolveAccountEvent = z.infer<typeof event>;

// Created once per container; Organizations is a global service served from us-east-1.
const organizations = new OrganizationsClient({ region: 'us-east-1' });

/** The production dependencies; event-triggered executions claim their account in CLAIMS_BUCKET. */
function resolveAccountDeps(env: NodeJS.ProcessEnv = process.env): ResolveAccountDeps {
  const bucket = env.CLAIMS_BUCKET;
  if (!bucket) throw new ConfigError('CLAIMS_BUCKET is not set: event-triggered executions claim their account there');
  const standIn = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  return {
    config: configFromEnv(),
    organizations,
    metrics: onboardingMetrics(),
    claims: s3ClaimStore(new S3Client(standIn ? { forcePathStyle: true } : {}), bucket),
  };
}

/** Resolves the account of the execution input and decides: pending, skip, duplicate or onboard. */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'resolve-account',
  event,
  deps: resolveAccountDeps,
  run: ({ input, executionId, claimWindowSeconds }, deps): Promise<ResolveResult> =>
    resolveForOnboarding(deps, input, { executionId, claimWindowSeconds }),
});
