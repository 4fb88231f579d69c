import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Octokit } from '@octokit/rest';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { GitHubAuthFailed, InvalidInput } from '../lib/errors';
import { createGitHubClient, forgetGitHubCredentials } from '../lib/github-client';
import { logger, startInvocation } from '../lib/logger';
import { countOnce, type MetricsSink, ONBOARDING_METRIC, onboardingMetrics } from '../lib/metrics';
import { ensureOnboardingPullRequest } from '../lib/pull-request';
import type { AccountContext, PullRequestResult, RoleResult, Trigger } from '../lib/types';

export interface OpenPullRequestEvent {
  account: AccountContext;
  role: RoleResult;
  trigger: Trigger;
  force?: boolean;
  drift?: string[];
  /** Step Functions execution ARN, linked from the PR body. */
  executionId?: string;
}

export interface OpenPullRequestDeps {
  config: OnboardingConfig;
  /** Builds the GitHub client; called lazily, once per container (again only after GitHub refused the credentials). */
  github: () => Promise<Octokit>;
  /** Counts onboarded accounts; none in tests that do not pass it. */
  metrics?: MetricsSink;
}

/** Outcomes that leave the account onboarded (or on its way, with a pull request to merge). */
const ONBOARDED: ReadonlySet<PullRequestResult['outcome']> = new Set([
  'opened',
  'updated',
  'unchanged',
  'already-onboarded',
]);

/** Console link of an execution ARN (`arn:aws:states:<region>:<account>:execution:…`). */
const executionUrl = (arn?: string): string | undefined => {
  const region = arn?.split(':')[3];
  if (!arn || !/^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:execution:/.test(arn) || !region) return undefined;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`;
};

export function makeHandler(
  deps: OpenPullRequestDeps,
): (event: OpenPullRequestEvent, context?: unknown) => Promise<PullRequestResult> {
  let client: Promise<Octokit> | undefined;
  return async (event, context) => {
    startInvocation(context, event?.executionId);
    const account = event?.account;
    if (!account || typeof account.accountId !== 'string' || !/^\d{12}$/.test(account.accountId) || !account.folder) {
      throw new InvalidInput(
        'open-pull-request expects {"account": {"accountId": "012345678901", "folder": …, …}, "role": {…}} from resolve-account and ensure-cicd-role',
      );
    }
    if (!event.role?.roleArn) throw new InvalidInput('open-pull-request expects the "role" result of ensure-cicd-role');
    logger.appendPersistentKeys({ accountId: account.accountId });
    client ??= deps.github().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    try {
      const result = await ensureOnboardingPullRequest(await client, deps.config, {
        account,
        role: event.role,
        drift: event.drift ?? [],
        force: event.force === true,
        executionUrl: executionUrl(event.executionId),
      });
      logger.info('Onboarding pull request converged', { ...result, trigger: event.trigger });
      if (ONBOARDED.has(result.outcome)) {
        countOnce(deps.metrics, ONBOARDING_METRIC.onboarded, {
          accountId: account.accountId,
          executionId: event.executionId,
          outcome: result.outcome,
        });
      }
      return result;
    } catch (err) {
      // A rotated token or reinstalled app: read the secret again on the next attempt.
      if (err instanceof GitHubAuthFailed) {
        client = undefined;
        forgetGitHubCredentials();
      }
      throw err;
    }
  };
}

export const defaultDeps = (): OpenPullRequestDeps => {
  const config = configFromEnv();
  const secrets = new SecretsManagerClient({});
  return { config, github: () => createGitHubClient(config, secrets), metrics: onboardingMetrics() };
};

let cached: ReturnType<typeof makeHandler> | undefined;
export const handler = async (event: OpenPullRequestEvent, context?: unknown): Promise<PullRequestResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event, context);
};
