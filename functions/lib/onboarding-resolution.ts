import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { type ClaimStore, claimAccount } from './account-claim';
import type { OnboardingConfig } from './config';
import { AccountNotReady } from './errors';
import { type ExecutionInput, parseExecutionInput } from './execution-input';
import { logger } from './logger';
import { countOnce, type MetricsSink, ONBOARDING_METRIC } from './metrics';
import { readAccount, resolveAccountId } from './organization';
import { planSelection } from './selection';
import type { ResolveResult, Trigger } from './types';

/**
 * resolve-account's step: from the execution input to the account and the decision (`pending`, `skip`, `duplicate`
 * or `onboard`), as Organizations describes the account now.
 */

export interface ResolutionDeps {
  config: OnboardingConfig;
  /** Organizations in the management account; its API lives in us-east-1. */
  organizations: OrganizationsClient;
  /** Counts skipped accounts; none in tests that do not pass it. */
  metrics?: MetricsSink;
  /** Where event-triggered executions claim their account (one writer per account creation); none in unit tests. */
  claims?: ClaimStore;
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

export interface ResolutionRun {
  /** The Step Functions execution ARN: the claim names it. */
  executionId?: string;
  /** How long the execution's claim holds: above its state machine's TimeoutSeconds (CLAIM_WINDOW_MS without). */
  claimWindowSeconds?: number;
}

export async function resolveForOnboarding(
  deps: ResolutionDeps,
  raw: unknown,
  { executionId, claimWindowSeconds }: ResolutionRun = {},
): Promise<ResolveResult> {
  const input = parseExecutionInput(raw);
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
    countOnce(deps.metrics, ONBOARDING_METRIC.skipped, { accountId: account.accountId, executionId });
    return { decision: 'skip', accountId: account.accountId, rule, reason };
  }
  const trigger = TRIGGERS[input.kind];
  if (trigger === 'event' && deps.claims) {
    const windowMs = claimWindowSeconds === undefined ? undefined : claimWindowSeconds * 1000;
    const claim = await claimAccount(deps.claims, account.accountId, executionId ?? 'unknown-execution', { windowMs });
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
}
