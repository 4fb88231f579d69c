import type { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from './config';
import { RepositoryNeedsAPerson, RoleNotManaged } from './errors';
import { executionUrl } from './github-step';
import { logger } from './logger';
import { countOnce, type MetricsSink, ONBOARDING_METRIC } from './metrics';
import { reportProfileFiles } from './profile-files';
import { resolveProfile, withProfile } from './profiles';
import { ensureOnboardingPullRequest } from './pull-request';
import type { AccountContext, PullRequestResult, RoleResult } from './types';

/**
 * open-pull-request's step: converge the account's onboarding pull request, report a moved account's files that its
 * profile would render differently, count the onboarded account, and fail (so the state machine notifies) on what
 * needs a person.
 */

export interface OnboardingPullRequestStep {
  /** As resolve-account returned it; the OU path and tags default to none. */
  account: Omit<AccountContext, 'ouPath' | 'tags'> & Partial<Pick<AccountContext, 'ouPath' | 'tags'>>;
  role: Pick<RoleResult, 'roleArn' | 'outcome' | 'changes'>;
  /** What started the onboarding (`event`, `manual`, `reconcile`, `backfill`). */
  trigger?: string;
  /** Only `true` forces (an explicit re-run). */
  force?: unknown;
  /** Drift classes reported by reconciliation: logged; the plan itself decides what to do. */
  drift?: string[];
  /** The Step Functions execution ARN: linked from the pull request body, and metadata of the metric. */
  executionId?: string;
  /** A moved account: when its folder is already on the base branch, report the files its profile renders otherwise. */
  reportProfileFiles?: boolean;
}

/** Outcomes that leave the account onboarded (or on its way, with a pull request to merge). */
const ONBOARDED: ReadonlySet<PullRequestResult['outcome']> = new Set([
  'opened',
  'updated',
  'unchanged',
  'already-onboarded',
]);

export async function openOnboardingPullRequest(
  octokit: Octokit,
  config: OnboardingConfig,
  step: OnboardingPullRequestStep,
  metrics?: MetricsSink,
): Promise<PullRequestResult> {
  const account: AccountContext = { ...step.account, ouPath: step.account.ouPath ?? [], tags: step.account.tags ?? {} };
  const result = await ensureOnboardingPullRequest(octokit, config, {
    account,
    role: step.role,
    force: step.force === true,
    executionUrl: executionUrl(step.executionId),
  });
  if (step.reportProfileFiles === true && result.outcome === 'already-onboarded') {
    result.profile = await profileDifferences(octokit, config, account, result.folder);
  }
  logger.info('Onboarding pull request converged', { ...result, trigger: step.trigger, drift: step.drift });
  // A reconcile remediation already reported what needs a person; other triggers fail (and notify) on it.
  if (result.outcome === 'blocked' && step.trigger !== 'reconcile') {
    throw new RepositoryNeedsAPerson(
      `The repository needs a person before account ${account.accountId} can be onboarded; nothing was written: ${(result.changes ?? []).join('; ')}`,
    );
  }
  // Accounts, not executions: an event execution holds the account's claim (one per account creation); a manual or
  // reconcile run counts only when it opens the account's pull request.
  if (step.trigger === 'event' ? ONBOARDED.has(result.outcome) : result.outcome === 'opened') {
    countOnce(metrics, ONBOARDING_METRIC.onboarded, {
      accountId: account.accountId,
      executionId: step.executionId,
      outcome: result.outcome,
    });
  }
  // The folder is in place (or its pull request open); a role that is someone else's still needs a person. A
  // reconcile remediation already reported it, so only the other triggers fail (and notify) on it.
  if (step.role.outcome === 'not-managed' && step.trigger !== 'reconcile') {
    throw new RoleNotManaged(
      `${step.role.changes.join('; ')}. The repository part converged (${result.outcome}${result.url ? `: ${result.url}` : ''}).`,
    );
  }
  return result;
}

/** The profile now applying to a moved account and the files of its folder it would render differently. */
async function profileDifferences(
  octokit: Octokit,
  config: OnboardingConfig,
  account: AccountContext,
  folder: string,
): Promise<NonNullable<PullRequestResult['profile']>> {
  const { profile, reason } = resolveProfile(account, config);
  const slug = folder.slice(folder.lastIndexOf('/') + 1);
  const differences = await reportProfileFiles(
    octokit,
    withProfile(config, profile),
    { ...account, folder, slug },
    profile,
  );
  return { name: profile.name, reason, differences: differences.map((d) => d.detail) };
}
