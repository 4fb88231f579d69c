import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Octokit } from '@octokit/rest';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { GitHubAuthFailed, InvalidInput, RepositoryNeedsAPerson, RoleNotManaged } from '../lib/errors';
import { checkInputFolder } from '../lib/folder-input';
import { createGitHubClient, forgetGitHubCredentials } from '../lib/github-client';
import { logger, startInvocation } from '../lib/logger';
import { countOnce, type MetricsSink, ONBOARDING_METRIC, onboardingMetrics } from '../lib/metrics';
import { reportProfileFiles } from '../lib/profile-files';
import { resolveProfile, withProfile } from '../lib/profiles';
import { ensureOnboardingPullRequest } from '../lib/pull-request';
import type { AccountContext, PullRequestResult, RoleResult, Trigger } from '../lib/types';

export interface OpenPullRequestEvent {
  /** `folder`, when given (earlier versions passed it), must be directly inside github.accountsDir. */
  account: AccountContext & { folder?: string };
  /** As `account.folder`. */
  folder?: string;
  role: RoleResult;
  trigger: Trigger;
  force?: boolean;
  /** Drift classes reported by reconciliation: logged; the plan itself decides what to do. */
  drift?: string[];
  /** Step Functions execution ARN, linked from the PR body. */
  executionId?: string;
  /**
   * A moved account (state-machines/account-moved.asl.json): when its folder is already on the base branch, report
   * the files its profile would render differently (never rewritten).
   */
  reportProfileFiles?: boolean;
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
    if (
      !account ||
      typeof account.accountId !== 'string' ||
      !/^\d{12}$/.test(account.accountId) ||
      typeof account.name !== 'string'
    ) {
      throw new InvalidInput(
        'open-pull-request expects {"account": {"accountId": "012345678901", "name": …, "email": …}, "role": {…}} from resolve-account and ensure-cicd-role',
      );
    }
    if (!event.role?.roleArn) throw new InvalidInput('open-pull-request expects the "role" result of ensure-cicd-role');
    // Invoked directly, a folder outside the accounts directory is refused before any request; the repository plan
    // decides the folder written (ownership rules), and the last guard checks the change-set again.
    for (const folder of [event.folder, account.folder]) {
      if (folder !== undefined) checkInputFolder(deps.config.github.accountsDir, folder);
    }
    logger.appendPersistentKeys({ accountId: account.accountId });
    client ??= deps.github().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    try {
      const result = await ensureOnboardingPullRequest(await client, deps.config, {
        account: { ...account, ouPath: account.ouPath ?? [], tags: account.tags ?? {} },
        role: event.role,
        force: event.force === true,
        executionUrl: executionUrl(event.executionId),
      });
      if (event.reportProfileFiles === true && result.outcome === 'already-onboarded') {
        const { profile, reason } = resolveProfile(
          { ouPath: account.ouPath ?? [], tags: account.tags ?? {} },
          deps.config,
        );
        const slug = result.folder.slice(result.folder.lastIndexOf('/') + 1);
        const differences = await reportProfileFiles(
          await client,
          withProfile(deps.config, profile),
          { ...account, folder: result.folder, slug },
          profile,
        );
        result.profile = { name: profile.name, reason, differences: differences.map((d) => d.detail) };
      }
      logger.info('Onboarding pull request converged', { ...result, trigger: event.trigger, drift: event.drift });
      // A reconcile remediation already reported what needs a person; other triggers fail (and notify) on it.
      if (result.outcome === 'blocked' && event.trigger !== 'reconcile') {
        throw new RepositoryNeedsAPerson(
          `The repository needs a person before account ${account.accountId} can be onboarded; nothing was written: ${(result.changes ?? []).join('; ')}`,
        );
      }
      // Accounts, not executions: an event execution holds the account's claim (one per account creation); a
      // manual or reconcile run counts only when it opens the account's pull request.
      if (event.trigger === 'event' ? ONBOARDED.has(result.outcome) : result.outcome === 'opened') {
        countOnce(deps.metrics, ONBOARDING_METRIC.onboarded, {
          accountId: account.accountId,
          executionId: event.executionId,
          outcome: result.outcome,
        });
      }
      // The folder is in place (or its pull request open); a role that is someone else's still needs a person. A
      // reconcile remediation already reported it, so only the other triggers fail (and notify) on it.
      if (event.role.outcome === 'not-managed' && event.trigger !== 'reconcile') {
        throw new RoleNotManaged(
          `${event.role.changes.join('; ')}. The repository part converged (${result.outcome}${result.url ? `: ${result.url}` : ''}).`,
        );
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
