import type { Octokit } from '@octokit/rest';
import { GitHubAuthFailed } from './errors';
import { forgetGitHubCredentials } from './github-client';

/** What the functions that write pull requests (open-pull-request, open-offboarding-pull-request) share. */

/** Builds the GitHub client of a function (createGitHubClient with its secret), or a stand-in's in tests. */
export type GitHubFactory = () => Promise<Octokit>;

const clients = new WeakMap<GitHubFactory, Promise<Octokit>>();

/**
 * Runs `work` with the function's GitHub client, built by `factory` on first use and kept for the container (one
 * client per factory). A factory that fails is asked again next time; when GitHub refuses the credentials (a rotated
 * token, a reinstalled app), the client and the cached secret are dropped, so the next attempt reads the secret again.
 */
export async function withGitHub<T>(factory: GitHubFactory, work: (octokit: Octokit) => Promise<T>): Promise<T> {
  let client = clients.get(factory);
  if (!client) {
    client = factory();
    clients.set(factory, client);
    const built = client;
    built.catch(() => {
      if (clients.get(factory) === built) clients.delete(factory);
    });
  }
  try {
    return await work(await client);
  } catch (err) {
    if (err instanceof GitHubAuthFailed) {
      if (clients.get(factory) === client) clients.delete(factory);
      forgetGitHubCredentials();
    }
    throw err;
  }
}

/** Console link of a Step Functions execution ARN (`arn:<partition>:states:<region>:<account>:execution:…`). */
export function executionUrl(arn?: string): string | undefined {
  const region = arn?.split(':')[3];
  if (!arn || !/^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:execution:/.test(arn) || !region) return undefined;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`;
}
