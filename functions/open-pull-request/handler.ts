import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { accountIdSchema, defineHandler, executionIdSchema } from '../lib/define-handler';
import { checkInputFolder } from '../lib/folder-input';
import { createGitHubClient } from '../lib/github-client';
import { type GitHubFactory, withGitHub } from '../lib/github-step';
import { type MetricsSink, onboardingMetrics } from '../lib/metrics';
import { type OnboardingPullRequestStep, openOnboardingPullRequest } from '../lib/onboarding-pr-step';
import type { PullRequestResult } from '../lib/types';

/** resolve-account's account and ensure-cicd-role's result, as the state machine hands them over. */
const event = z.object({
  account: z.looseObject(
    { accountId: accountIdSchema, name: z.string(), folder: z.optional(z.unknown()) },
    { error: 'expected {"accountId": "012345678901", "name": …, "email": …} from resolve-account' },
  ),
  /** `folder`, when given (earlier versions passed it), must be directly inside github.accountsDir. */
  folder: z.optional(z.unknown()),
  role: z.looseObject(
    { roleArn: z.string().check(z.minLength(1)), outcome: z.string(), changes: z.array(z.string()) },
    { error: 'expected the "role" result of ensure-cicd-role' },
  ),
  trigger: z.optional(z.string()),
  force: z.optional(z.unknown()),
  drift: z.optional(z.array(z.string())),
  executionId: executionIdSchema,
  /** A moved account (state-machines/account-moved.asl.json): report the files its profile renders otherwise. */
  reportProfileFiles: z.optional(z.boolean()),
});
export type OpenPullRequestEvent = OnboardingPullRequestStep & { folder?: string; account: { folder?: string } };

export interface OpenPullRequestDeps {
  config: OnboardingConfig;
  /** Builds the GitHub client: once per container (again only after GitHub refused the credentials). */
  github: GitHubFactory;
  /** Counts onboarded accounts; none in tests that do not pass it. */
  metrics?: MetricsSink;
}

export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'open-pull-request',
  event,
  deps: (): OpenPullRequestDeps => {
    const config = configFromEnv();
    const secrets = new SecretsManagerClient({});
    return { config, github: () => createGitHubClient(config, secrets), metrics: onboardingMetrics() };
  },
  logKeys: ({ account }) => ({ accountId: account.accountId }),
  run: async (e, deps): Promise<PullRequestResult> => {
    // Invoked directly, a folder outside the accounts directory is refused before any request; the repository plan
    // decides the folder written (ownership rules), and the last guard checks the change-set again.
    for (const folder of [e.folder, e.account.folder]) {
      if (folder !== undefined) checkInputFolder(deps.config.github.accountsDir, folder);
    }
    const step = e as OnboardingPullRequestStep;
    return withGitHub(deps.github, (octokit) => openOnboardingPullRequest(octokit, deps.config, step, deps.metrics));
  },
});
