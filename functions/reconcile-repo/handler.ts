import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Octokit } from '@octokit/rest';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { InvalidInput } from '../lib/errors';
import { createGitHubClient } from '../lib/github-client';
import { logger } from '../lib/logger';
import { type ObjectStore, objectStoreFromEnv } from '../lib/object-store';
import { repoKey } from '../lib/reconcile';
import { observeRepo } from '../lib/repo-snapshot';

/**
 * Reads the Terraform repository once per reconcile run (base commit, one tarball, the onboarding pull requests:
 * three GitHub requests however many accounts there are) and writes it next to the run's account snapshot. It runs
 * alongside the batch checks, which only read AWS; the report step joins the two.
 */
export interface RepoEvent {
  snapshotKey: string;
}

export interface RepoResult {
  repoKey: string;
  folders: number;
  onboardingPullRequests: number;
}

export interface RepoDeps {
  config: OnboardingConfig;
  github: () => Promise<Octokit>;
  store: ObjectStore;
}

export function makeHandler(deps: RepoDeps): (event: RepoEvent) => Promise<RepoResult> {
  return async (event) => {
    const snapshotKey = event?.snapshotKey;
    if (typeof snapshotKey !== 'string' || !snapshotKey.endsWith('/snapshot.json')) {
      throw new InvalidInput('reconcile-repo expects {"snapshotKey": "runs/…/snapshot.json"} from the inventory step');
    }
    const repo = await observeRepo(await deps.github(), deps.config);
    const key = repoKey(snapshotKey);
    await deps.store.putJson(key, repo);
    const result: RepoResult = {
      repoKey: key,
      folders: Object.keys(repo.folders).length,
      onboardingPullRequests: repo.pulls.length,
    };
    logger.info('Reconcile repository read', { commitSha: repo.commitSha, ...result });
    return result;
  };
}

export const defaultDeps = (): RepoDeps => {
  const config = configFromEnv();
  const secrets = new SecretsManagerClient({});
  return {
    config,
    // Read-only: an App's installation token for this function can read the repository and nothing else.
    github: () => createGitHubClient(config, secrets, { access: 'read' }),
    store: objectStoreFromEnv(process.env),
  };
};

let cached: ReturnType<typeof makeHandler> | undefined;
export const handler = async (event: RepoEvent): Promise<RepoResult> => {
  cached ??= makeHandler(defaultDeps());
  return cached(event);
};
