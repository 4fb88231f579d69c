import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { accountIdSchema, defineHandler, executionIdSchema } from '../lib/define-handler';
import { createGitHubClient } from '../lib/github-client';
import { executionUrl, type GitHubFactory, withGitHub } from '../lib/github-step';
import { logger } from '../lib/logger';
import { ensureOffboardingPullRequest, type OffboardResult } from '../lib/offboarding-pr';

/** resolve-departure's `offboard` decision, as the state machine hands it over. */
const event = z.object({
  departure: z.object(
    {
      accountId: accountIdSchema,
      name: z.optional(z.string()),
      reason: z.enum(['closed', 'suspended', 'removed']),
      force: z.optional(z.unknown()),
    },
    {
      error:
        'expected {"accountId": "012345678901", "reason": "closed" | "suspended" | "removed"} from resolve-departure',
    },
  ),
  executionId: executionIdSchema,
});
export type OpenOffboardingPullRequestEvent = z.infer<typeof event>;

export interface OpenOffboardingPullRequestDeps {
  config: OnboardingConfig;
  github: GitHubFactory;
}

/** Converges the account's one offboarding pull request (matrix entry, and the folder with removeFolder). */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'open-offboarding-pull-request',
  event,
  deps: (): OpenOffboardingPullRequestDeps => {
    const config = configFromEnv();
    const secrets = new SecretsManagerClient({});
    return { config, github: () => createGitHubClient(config, secrets) };
  },
  logKeys: ({ departure }) => ({ accountId: departure.accountId }),
  run: async ({ departure, executionId }, deps): Promise<OffboardResult> => {
    const input = { ...departure, force: departure.force === true, executionUrl: executionUrl(executionId) };
    const result = await withGitHub(deps.github, (octokit) =>
      ensureOffboardingPullRequest(octokit, deps.config, input),
    );
    logger.info('Offboarding pull request converged', { ...result });
    return result;
  },
});
