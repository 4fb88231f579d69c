// The GitHub App installation flow (@octokit/auth-app): the App's JWT is accepted (its signature is not checked) and
// an installation token issued, which then authorises repository requests.
import type { RepoContext, RouteSpec } from './repo-context';
import { REPO, type RouteResponse } from './route-kit';

async function getInstallation({ options, views, grants }: RepoContext): Promise<RouteResponse> {
  return {
    status: 200,
    body: {
      id: 1,
      account: views.user(options.owner),
      repository_selection: 'selected',
      access_tokens_url: `${options.baseUrl}/app/installations/1/access_tokens`,
      app_id: 1,
      target_type: 'Organization',
      permissions: { ...grants.installation },
      events: [],
    },
  };
}

async function createAccessToken({ issuedTokens, grants }: RepoContext): Promise<RouteResponse> {
  const token = `ghs_standin${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  issuedTokens.add(token);
  return {
    status: 201,
    body: {
      token,
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
      permissions: { ...grants.installation },
      repository_selection: 'selected',
    },
  };
}

export const appRoutes: RouteSpec[] = [
  { method: 'GET', path: `${REPO}/installation`, auth: 'app-jwt', handle: getInstallation },
  {
    method: 'POST',
    path: '/app/installations/{installation_id}/access_tokens',
    auth: 'app-jwt',
    handle: createAccessToken,
  },
];
