import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Octokit } from '@octokit/rest';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { GitHubAuthFailed, InvalidInput } from '../lib/errors';
import { createGitHubClient, forgetGitHubCredentials } from '../lib/github-client';
import { logger, startInvocation } from '../lib/logger';
import { ensureOffboardingPullRequest, type OffboardReason, type OffboardResult } from '../lib/offboarding-pr';

/** resolve-departure's `offboard` decision, as the state machine hands it over. */
export interface OpenOffboardingPullRequestEvent {
  departure: { accountId: string; name?: string; reason: OffboardReason; force?: boolean };
  executionId?: string;
}

export interface OpenOffboardingPullRequestDeps {
  config: OnboardingConfig;
  github: () => Promise<Octokit>;
}

const REASONS: ReadonlySet<string> = new Set(['closed', 'suspended', 'removed']);

const executionUrl = (arn?: string): string | undefined => {
  const region = arn?.split(':')[3];
  if (!arn || !/^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:execution:/.test(arn) || !region) return undefined;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`;
};

/** Converges the account's one offboarding pull request (matrix entry, and the folder with removeFolder). */
export function makeHandler(deps: OpenOffboardingPullRequestDeps) {
  let client: Promise<Octokit> | undefined;
  return async (event: OpenOffboardingPullRequestEvent, context?: unknown): Promise<OffboardResult> => {
    startInvocation(context, event?.executionId);
    const departure = event?.departure;
    if (
      !departure ||
      typeof departure.accountId !== 'string' ||
      !/^\d{12}$/.test(departure.accountId) ||
      !REASONS.has(departure.reason)
    ) {
      throw new InvalidInput(
        'open-offboarding-pull-request expects {"departure": {"accountId": "012345678901", "reason": "closed" | "suspended" | "removed"}} from resolve-departure',
      );
    }
    logger.appendPersistentKeys({ accountId: departure.accountId });
    client ??= deps.github().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    try {
      const url = executionUrl(event.executionId);
      const result = await ensureOffboardingPullRequest(await client, deps.config, {
        accountId: departure.accountId,
        reason: departure.reason,
        force: departure.force === true,
        ...(typeof departure.name === 'string' ? { name: departure.name } : {}),
        ...(url ? { executionUrl: url } : {}),
      });
      logger.info('Offboarding pull request converged', { ...result });
      return result;
    } catch (err) {
      if (err instanceof GitHubAuthFailed) {
        client = undefined;
        forgetGitHubCredentials();
      }
      throw err;
    }
  };
}

export const defaultDeps = (): OpenOffboardingPullRequestDeps => {
  const config = configFromEnv();
  const secrets = new SecretsManagerClient({});
  return { config, github: () => createGitHubClient(config, secrets) };
};

let cached: ReturnType<typeof makeHandler> | undefined;
export const handler = async (event: OpenOffboardingPullRequestEvent, context?: unknown): Promise<OffboardResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event, context);
};
