// The one repository the GitHub stand-in serves, as its route modules see it: the git store, the issues and pull
// requests, the credentials' grants, the tokens issued to the App, and the JSON views of all of them.
import type { GitStore } from './git-store';
import type { Identity } from './git-types';
import type { Items } from './items';
import { now, type Route, type RouteRequest, type RouteResponse } from './route-kit';
import type { Views } from './views';

export interface RepoModelOptions {
  owner: string;
  repo: string;
  login: string;
  baseUrl: string;
  defaultBranch: string;
}

/**
 * What the credentials may do, as GitHub tells it (`cli doctor` reads it; the stand-in does not enforce it): a
 * classic token's `x-oauth-scopes` header (sent only when set), the repository's `permissions` for the caller, and
 * the App installation's permissions. Tests change them in place.
 */
export interface CredentialGrants {
  tokenScopes?: string[];
  repository: { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean };
  installation: Record<string, 'read' | 'write' | 'admin'>;
}

export const defaultGrants = (): CredentialGrants => ({
  repository: { admin: true, maintain: true, push: true, triage: true, pull: true },
  installation: { contents: 'write', pull_requests: 'write', workflows: 'write', issues: 'write', metadata: 'read' },
});

export interface RepoContext {
  readonly store: GitStore;
  readonly options: RepoModelOptions;
  readonly grants: CredentialGrants;
  readonly items: Items;
  readonly views: Views;
  /** installation tokens handed out by POST access_tokens: they authorise repository requests */
  readonly issuedTokens: Set<string>;
}

/** A route as a module declares it: its handler gets the repository with each request. */
export interface RouteSpec {
  method: Route['method'];
  path: string;
  auth?: Route['auth'];
  handle(ctx: RepoContext, request: RouteRequest): Promise<RouteResponse>;
}

/** The authenticated user as a git identity: author of the commits the API makes without one. */
export function botIdentity(login: string): Identity {
  return { name: login, email: `${login}@users.noreply.github.com`, date: now() };
}
