/**
 * The two endpoints an environment runs against: the embedded AWS and GitHub stand-ins, started here, or the
 * endpoints the user gave (`--aws-endpoint`, `--github-endpoint --repo`), with the clients that reach them.
 */
import { Octokit } from '@octokit/rest';
import { githubFetch } from '../../functions/lib/github-client';
import { type AwsStandIn, startAwsStandIn } from '../aws/server';
import type { ClientConfig, Credentials } from '../bootstrap';
import { type GitHubStandIn, startGitHubStandIn } from '../github/server';
import { LOCAL_REGION, randomSuffix } from './names';
import type { Teardown } from './teardown';
import type { LocalEnvironmentOptions } from './types';

export interface AwsEndpoint {
  /** The embedded stand-in; undefined on another endpoint. */
  standIn?: AwsStandIn;
  endpoint: string;
  credentials: Credentials;
  clientConfig: ClientConfig;
}

/** The embedded AWS stand-in (stopped with the environment), or the given endpoint with the environment's keys. */
export async function startAws(options: LocalEnvironmentOptions, stops: Teardown): Promise<AwsEndpoint> {
  const standIn = options.awsEndpoint ? undefined : await startAwsStandIn(options.aws);
  if (standIn) stops.add(() => standIn.stop());
  const endpoint = options.awsEndpoint ?? (standIn as AwsStandIn).url;
  const credentials: Credentials = standIn
    ? standIn.credentials
    : (options.awsCredentials ?? {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
        sessionToken: process.env.AWS_SESSION_TOKEN,
      });
  return {
    standIn,
    endpoint,
    credentials,
    clientConfig: { region: LOCAL_REGION, endpoint, credentials, maxAttempts: 5 },
  };
}

export interface GitHubEndpoint {
  /** The embedded stand-in; undefined on another endpoint. */
  standIn?: GitHubStandIn;
  url: string;
  owner: string;
  repo: string;
  token: string;
  octokit: Octokit;
}

/** The embedded GitHub stand-in (stopped with the environment), or the given API and OWNER/NAME repository. */
export async function startGitHub(options: LocalEnvironmentOptions, stops: Teardown): Promise<GitHubEndpoint> {
  const token = options.githubToken ?? process.env.GITHUB_TOKEN ?? `ghp_local${randomSuffix()}${randomSuffix()}`;
  let standIn: GitHubStandIn | undefined;
  let target: { url: string; owner: string; repo: string };
  if (options.githubEndpoint) {
    const [owner, repo] = (options.repo ?? '').split('/');
    if (!owner || !repo) throw new Error('--github-endpoint needs --repo OWNER/NAME');
    target = { url: options.githubEndpoint.replace(/\/+$/, ''), owner, repo };
  } else {
    const started = await startGitHubStandIn({ token, dir: options.keepDir });
    stops.add(() => started.stop());
    standIn = started;
    target = { url: started.url, owner: started.owner, repo: started.repo };
  }
  const octokit = new Octokit({
    baseUrl: target.url,
    auth: token,
    request: { fetch: githubFetch() },
    // Every failed request is handled where it is made (a 404 for an empty repository is expected).
    log: { debug: () => {}, info: () => {}, warn: console.warn, error: () => {} },
  });
  return { standIn, ...target, token, octokit };
}
