import type { Octokit } from '@octokit/rest';
import { applyBatches, type BatchResult } from './backfill';
import { type BackfillAccount, planBackfill } from './backfill-plan';
import { cicdRoleArn } from './cicd-role';
import type { OnboardingConfig } from './config';
import { ConfigError, InvalidInput } from './errors';
import { logger } from './logger';
import type { ProfileFacts } from './profiles';
import { type RefreshDeps, type RefreshOptions, type RefreshResult, refreshPullRequests } from './refresh';
import type { RemediationBatchRequest } from './remediation-handoff';
import { observeRepo } from './repo-snapshot';
import type { AccountId } from './types';

/**
 * The batch pull requests of a remediating reconcile sweep, written by the refresh (the function that writes to
 * GitHub) from the request the report left (remediation-handoff.ts): the same planner and writer as `cli backfill`
 * (backfill-plan.ts planBackfill on a fresh observation, backfill.ts applyBatches), so the 256-job matrix limit is
 * checked before anything is pushed and the ownership rules hold unchanged. Idempotent: an account an open pull
 * request (single or batch) adds, or whose folder is on the base by now, is not batched again; a retried run meets
 * the same batches (same accounts, same key, same branch) and reuses the branch or the open pull request.
 */

export interface BatchRemediationDeps {
  octokit: Octokit;
  config: OnboardingConfig;
  /** Partition of the cicd role ARN in the pull request body; default `aws`. */
  partition?: string;
  readBatchRequest(key: string): Promise<RemediationBatchRequest | undefined>;
  /**
   * Each account's OU path (and tags, when a filter or profile looks at them), read once per run: its profile's
   * templates render its folder, as for a single onboarding. Without it the default profile renders them.
   */
  readProfileFacts?(accountIds: AccountId[]): Promise<Map<AccountId, ProfileFacts>>;
}

export interface BatchRemediationResult {
  requestKey: string;
  /** Accounts the report handed over. */
  accounts: number;
  pullRequests: BatchResult[];
  /** Accounts not put in a batch this run (onboarded meanwhile, pending in an open pull request, or for a person). */
  notBatched: Array<{ accountId: AccountId; status: BackfillAccount['status']; details?: string[] }>;
}

/**
 * @throws InvalidInput when the request is not in the reconcile bucket (nothing is written).
 * @throws MatrixLimitExceeded before anything is pushed, when the batches would pass GitHub's 256 jobs per matrix.
 */
export async function writeRemediationBatches(
  deps: BatchRemediationDeps,
  requestKey: string,
): Promise<BatchRemediationResult> {
  const { octokit, config } = deps;
  const request = await deps.readBatchRequest(requestKey);
  if (!request) {
    throw new InvalidInput(
      `${requestKey} is not in the reconcile bucket: expected the remediation batch request a reconcile report wrote (kept 7 days). Nothing was written.`,
    );
  }
  const facts = deps.readProfileFacts
    ? await deps.readProfileFacts(request.accounts.map((a) => a.accountId))
    : undefined;
  const candidates = request.accounts.map((a) => ({ ...a, ...facts?.get(a.accountId) }));
  const observation = await observeRepo(octokit, config);
  const plan = planBackfill(candidates, observation, config, { batchSize: config.github.batchSize });
  const partition = deps.partition ?? 'aws';
  const roleArnOf = (id: AccountId) => cicdRoleArn(config, id, partition);
  const pullRequests = await applyBatches(octokit, config, observation, plan.batches, roleArnOf, {
    origin: 'reconcile',
  });
  const notBatched = plan.accounts
    .filter((a) => a.status !== 'batched')
    .map(({ accountId, status, details }) => ({ accountId, status, ...(details ? { details } : {}) }));
  const result = { requestKey, accounts: request.accounts.length, pullRequests, notBatched };
  logger.info('Remediation batch pull requests', { runId: request.runId, ...result });
  return result;
}

export type RefreshRunResult = RefreshResult & { batches?: BatchRemediationResult };

/**
 * A refresh run: first the batch pull requests a reconcile report asked for (`batches`: the request's key), then the
 * refresh of the open pull requests and the dashboard, which then sees the new batches.
 */
export async function refreshWithBatches(
  deps: RefreshDeps & Partial<Pick<BatchRemediationDeps, 'readBatchRequest' | 'readProfileFacts'>>,
  options: RefreshOptions & { batches?: string },
): Promise<RefreshRunResult> {
  const { batches: requestKey, ...refreshOptions } = options;
  let batches: BatchRemediationResult | undefined;
  if (requestKey) {
    const { readBatchRequest } = deps;
    if (!readBatchRequest) {
      throw new ConfigError('RECONCILE_BUCKET is not set: the refresh reads the remediation batch requests there');
    }
    batches = await writeRemediationBatches({ ...deps, readBatchRequest }, requestKey);
  }
  const result = await refreshPullRequests(deps, refreshOptions);
  return batches ? { ...result, batches } : result;
}
