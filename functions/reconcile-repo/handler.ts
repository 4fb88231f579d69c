import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Octokit } from '@octokit/rest';
import * as z from 'zod/mini';
import { configFromEnv, type OnboardingConfig } from '../lib/config';
import { defineHandler } from '../lib/define-handler';
import { createGitHubClient } from '../lib/github-client';
import { logger } from '../lib/logger';
import { type ObjectStore, objectStoreFromEnv } from '../lib/object-store';
import { repoKey } from '../lib/reconcile';
import { observeRepo } from '../lib/repo-snapshot';

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

const EXPECTED = 'reconcile-repo expects {"snapshotKey": "runs/…/snapshot.json"} from the inventory step';
const event = z.object({ snapshotKey: z.string({ error: EXPECTED }).check(z.endsWith('/snapshot.json', EXPECTED)) });
export type RepoEvent = z.infer<typeof event>;

/**
 * Reads the Terraform repository once per reconcile run (base commit, one tarball, the onboarding pull requests:
 * three GitHub requests however many accounts there are) and writes it next to the run's account snapshot. It runs
 * alongside the batch checks, which only read AWS; the report step joins the two.
 */
export const { makeHandler, defaultDeps, handler } = defineHandler({
  name: 'reconcile-repo',
  event,
  deps: (): RepoDeps => {
    const config = configFromEnv();
    const secrets = new SecretsManagerClient({});
    // Read-only: an App's installation token for this function can read the repository and nothing else.
    const github = () => createGitHubClient(config, secrets, { access: 'read' });
    return { config, github, store: objectStoreFromEnv(process.env) };
  },
  run: async ({ snapshotKey }, deps): Promise<RepoResult> => {
    const repo = await observeRepo(await deps.github(), deps.config);
    const key = repoKey(snapshotKey);
    await deps.store.putJson(key, repo);
    const folders = Object.keys(repo.folders).length;
    const result = { repoKey: key, folders, onboardingPullRequests: repo.pulls.length };
    logger.info('Reconcile repository read', { commitSha: repo.commitSha, ...result });
    return result;
  },
});
