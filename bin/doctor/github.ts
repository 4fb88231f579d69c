/** The GitHub checks: the secret with the credentials, and what GitHub tells of their permissions on the repository. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from '../../functions/lib/config';
import { type GitHubCredentials, httpStatus, readCredentials, USER_AGENT } from '../../functions/lib/github-client';
import { awsClientConfig, type GlobalOptions, regionOfArn } from '../shared';
import { type Context, errorText, fail, type Outcome, pass, warn } from './checks';

type AppCredentials = Extract<GitHubCredentials, { type: 'app' }>;
type TokenCredentials = Extract<GitHubCredentials, { type: 'token' }>;

export async function checkSecret({
  config,
  options,
}: Context): Promise<{ outcome: Outcome; credentials?: GitHubCredentials }> {
  const { secretArn, type } = config.github.auth;
  const secrets = new SecretsManagerClient(awsClientConfig(options, regionOfArn(secretArn)));
  try {
    const credentials = await readCredentials(config, secrets);
    return {
      outcome: pass(`${secretArn} is readable and holds ${type === 'app' ? 'GitHub App credentials' : 'a token'}`),
      credentials,
    };
  } catch (error) {
    const name = (error as Error).name;
    return {
      outcome: fail(
        (error as Error).message,
        name === 'ConfigError'
          ? `put the credentials in the shape github.auth.type "${type}" expects: aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string ${type === 'app' ? '\'{"appId":…,"privateKey":"-----BEGIN…","installationId":…}\'' : '\'{"token":"…"}\''}`
          : `check github.auth.secretArn, and that your credentials (and the functions' roles) may call secretsmanager:GetSecretValue on ${secretArn} and kms:Decrypt on its key`,
      ),
    };
  }
}

/** What each function needs of the repository, in GitHub App permission names. */
function requiredPermissions(config: OnboardingConfig): Record<string, 'read' | 'write'> {
  const required: Record<string, 'read' | 'write'> = { contents: 'write', pull_requests: 'write', workflows: 'write' };
  // Issues, for the dashboard issue the refresh keeps (`refresh.enabled` and `dashboard.enabled`, the defaults).
  if (config.refresh.enabled && config.dashboard.enabled) required.issues = 'write';
  return required;
}

const PERMISSION_NAMES: Record<string, string> = {
  contents: 'Contents',
  pull_requests: 'Pull requests',
  workflows: 'Workflows',
  issues: 'Issues',
};

const permissionList = (permissions: Array<[string, string]>) =>
  permissions.map(([p, l]) => `${PERMISSION_NAMES[p]}: ${l}`).join(', ');

function githubBase(config: OnboardingConfig, options: GlobalOptions): string {
  return (options.githubEndpoint ?? config.github.apiUrl).replace(/\/+$/, '');
}

/** An Octokit with the credentials of the secret, as the functions build it. */
export function githubFor(config: OnboardingConfig, options: GlobalOptions, credentials: GitHubCredentials): Octokit {
  const baseUrl = githubBase(config, options);
  if (credentials.type === 'token') return new Octokit({ baseUrl, auth: credentials.token, userAgent: USER_AGENT });
  return new Octokit({
    baseUrl,
    userAgent: USER_AGENT,
    authStrategy: createAppAuth,
    auth: { appId: credentials.appId, privateKey: credentials.privateKey, installationId: credentials.installationId },
  });
}

/** A GitHub App: its installation's permissions, read with the App's JWT (what installation tokens can be granted at most). */
async function checkAppPermissions(context: Context, credentials: AppCredentials): Promise<Outcome> {
  const { config, options } = context;
  const { owner, repo } = config.github;
  const where = `${owner}/${repo}`;
  const required = requiredPermissions(config);
  const names = permissionList(Object.entries(required));
  const appOctokit = new Octokit({
    baseUrl: githubBase(config, options),
    userAgent: USER_AGENT,
    authStrategy: createAppAuth,
    auth: { appId: credentials.appId, privateKey: credentials.privateKey },
  });
  let installation: { id: number; permissions: Record<string, string | undefined> };
  try {
    installation = (await appOctokit.rest.apps.getRepoInstallation({ owner, repo })).data as typeof installation;
  } catch (error) {
    const status = httpStatus(error);
    return fail(
      `GitHub answered ${status ?? errorText(error)} for the App's installation on ${where}`,
      status === 404
        ? `install the GitHub App on ${where} (the App's settings → Install App) with ${names}`
        : 'check appId and privateKey in the secret (GitHub refused the App JWT)',
    );
  }
  const granted = (name: string, level: string) =>
    ['write', 'admin'].includes(installation.permissions[name] ?? '') ||
    (level === 'read' && installation.permissions[name] === 'read');
  const missing = Object.entries(required).filter(([name, level]) => !granted(name, level));
  const wrongInstallation =
    installation.id !== credentials.installationId
      ? ` (the secret's installationId ${credentials.installationId} is not ${where}'s installation ${installation.id})`
      : '';
  if (missing.length > 0) {
    return fail(
      `the App's installation lacks ${permissionList(missing)}${wrongInstallation}`,
      `in the App's settings → Permissions, grant ${permissionList(missing)}, then accept the new permissions on the installation`,
    );
  }
  if (wrongInstallation) {
    return fail(`installation mismatch${wrongInstallation}`, `set installationId to ${installation.id} in the secret`);
  }
  return pass(`the App's installation on ${where} has ${names}`);
}

/** A classic token: `repo` covers contents, pull requests and issues; `workflow` is what changes workflow files. */
function checkClassicScopes(scopesHeader: string, isPrivate: boolean, where: string, names: string): Outcome {
  const scopes = new Set(
    scopesHeader
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const repoScope = scopes.has('repo') || (scopes.has('public_repo') && !isPrivate);
  const missing = [...(repoScope ? [] : ['repo']), ...(scopes.has('workflow') ? [] : ['workflow'])];
  if (missing.length > 0) {
    return fail(
      `the classic token's scopes are "${scopesHeader}": ${missing.map((m) => (m === 'workflow' ? 'Workflows (scope workflow)' : 'Contents and Pull requests (scope repo)')).join(' and ')} missing`,
      `regenerate the token with the ${missing.join(' and ')} scope(s) (or use a GitHub App with ${names}) and update the secret`,
    );
  }
  return pass(`classic token with scopes ${[...scopes].join(', ')} on ${where}`);
}

async function checkTokenPermissions(context: Context, credentials: TokenCredentials): Promise<Outcome> {
  const { config, options } = context;
  const { owner, repo } = config.github;
  const where = `${owner}/${repo}`;
  const names = permissionList(Object.entries(requiredPermissions(config)));
  let response: Awaited<ReturnType<Octokit['rest']['repos']['get']>>;
  try {
    response = await githubFor(config, options, credentials).rest.repos.get({ owner, repo });
  } catch (error) {
    const status = httpStatus(error);
    return fail(
      `GitHub answered ${status ?? errorText(error)} for ${where}`,
      status === 401
        ? 'GitHub refused the token: put a valid one in the secret'
        : `give the token access to ${where} (a fine-grained token: add the repository to its repository access)`,
    );
  }
  const scopesHeader = response.headers['x-oauth-scopes'];
  if (typeof scopesHeader === 'string') {
    return checkClassicScopes(scopesHeader, response.data.private !== false, where, names);
  }
  if (!response.data.permissions?.push) {
    return fail(
      `the token cannot push to ${where} (its permissions there: ${JSON.stringify(response.data.permissions ?? {})})`,
      `give the token ${names} on ${where}`,
    );
  }
  return warn(
    `the token can push to ${where}; GitHub does not tell a fine-grained token's other permissions`,
    `make sure it has ${names}`,
  );
}

export function checkGitHubPermissions(context: Context, credentials: GitHubCredentials): Promise<Outcome> {
  return credentials.type === 'app'
    ? checkAppPermissions(context, credentials)
    : checkTokenPermissions(context, credentials);
}
