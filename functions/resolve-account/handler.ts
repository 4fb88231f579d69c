import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { type ClaimStore, claimAccount, s3ClaimStore } from '../lib/account-claim';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { AccountNotReady, ConfigError } from '../lib/errors';
import { type ExecutionInput, parseExecutionInput } from '../lib/execution-input';
import { type LambdaContext, logger, startInvocation } from '../lib/logger';
import { countOnce, type MetricsSink, ONBOARDING_METRIC, onboardingMetrics } from '../lib/metrics';
import { readAccount, resolveAccountId } from '../lib/organization';
import { planSelection } from '../lib/selection';
import type { ResolveResult, Trigger } from '../lib/types';

export interface ResolveAccountDeps {
  config: OnboardingConfig;
  /** Organizations in the management account; its API lives in us-east-1. */
  organizations: OrganizationsClient;
  /** Counts skipped accounts; none in tests that do not pass it. */
  metrics?: MetricsSink;
  /** Where event-triggered executions claim their account (one writer per account creation); none in unit tests. */
  claims?: ClaimStore;
}

/** The state machine passes the execution input untouched, and its execution id for the logs. */
export interface ResolveAccountEvent {
  input: unknown;
  executionId?: string;
}

const TRIGGERS: Record<ExecutionInput['kind'], Trigger> = {
  'create-request': 'event',
  'create-result': 'event',
  'control-tower': 'event',
  // An invited account joins once, like a created one: its executions claim it (both of its events may arrive).
  invited: 'event',
  // A move re-evaluates an account that may be onboarded long ago: no claim, the role is read before it is planned.
  moved: 'manual',
  manual: 'manual',
  reconcile: 'reconcile',
  backfill: 'backfill',
};

export function makeHandler(deps: ResolveAccountDeps) {
  return async (event: ResolveAccountEvent, context?: LambdaContext): Promise<ResolveResult> => {
    startInvocation(context, event?.executionId);
    const input = parseExecutionInput(event?.input);
    const resolved = await resolveAccountId(deps.organizations, input);
    if (typeof resolved !== 'string') {
      logger.info('CreateAccount request still in progress', { createAccountRequestId: resolved.pending });
      return { decision: 'pending', createAccountRequestId: resolved.pending };
    }
    logger.appendPersistentKeys({ accountId: resolved });

    const account = await readAccount(deps.organizations, resolved);
    const force = 'force' in input ? input.force : false;
    const selection = planSelection(account, deps.config, { force });
    // A just-created account activates within minutes: the state machine retries AccountNotReady.
    if (selection.decision === 'wait') throw new AccountNotReady(selection.reason);
    if (selection.decision === 'skip') {
      const { rule, reason } = selection;
      logger.info('Account skipped', { rule, reason });
      countOnce(deps.metrics, ONBOARDING_METRIC.skipped, {
        accountId: account.accountId,
        executionId: event.executionId,
      });
      return { decision: 'skip', accountId: account.accountId, rule, reason };
    }
    const trigger = TRIGGERS[input.kind];
    if (trigger === 'event' && deps.claims) {
      const claim = await claimAccount(deps.claims, account.accountId, event.executionId ?? 'unknown-execution');
      if (!claim.claimed) {
        logger.info('Another execution onboards this account creation; ending as duplicate', { ...claim.heldBy });
        return {
          decision: 'duplicate',
          accountId: account.accountId,
          claimedBy: claim.heldBy.executionId,
          claimedAt: claim.heldBy.claimedAt,
        };
      }
    }
    const drift = input.kind === 'reconcile' ? input.drift : [];
    logger.info('Account resolved for onboarding', { trigger, force });
    return { decision: 'onboard', account, trigger, force, drift };
  };
}

// Created once per container; Organizations is a global service served from us-east-1.
const organizations = new OrganizationsClient({ region: 'us-east-1' });

export const defaultDeps = (env: NodeJS.ProcessEnv = process.env): ResolveAccountDeps => {
  const bucket = env.CLAIMS_BUCKET;
  if (!bucket) throw new ConfigError('CLAIMS_BUCKET is not set: event-triggered executions claim their account there');
  const standIn = Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL);
  return {
    config: configFromEnv(),
    organizations,
    metrics: onboardingMetrics(),
    claims: s3ClaimStore(new S3Client(standIn ? { forcePathStyle: true } : {}), bucket),
  };
};

let cached: ReturnType<typeof makeHandler> | undefined;

export const handler = async (event: ResolveAccountEvent, context: LambdaContext): Promise<ResolveResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event, context);
};
