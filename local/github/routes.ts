// The GitHub REST endpoints the stand-in serves, composed from one module per concern over one repository: a
// GitStore (files, trees, commits, branches) and in-memory pull requests and issues. Response bodies carry the
// fields Octokit users read, shaped as GitHub returns them.
import { appRoutes } from './app-routes';
import { contentRoutes } from './content-routes';
import { gitDataRoutes } from './git-data-routes';
import type { GitStore } from './git-store';
import { issueRoutes } from './issue-routes';
import { Items } from './items';
import { pullRoutes } from './pull-routes';
import { listPulls } from './pull-view';
import { type CredentialGrants, defaultGrants, type RepoContext, type RepoModelOptions } from './repo-context';
import { compareAndArchiveRoutes, repositoryRoute } from './repo-routes';
import type { Route } from './route-kit';
import { Views } from './views';

/** Every route, in the order the server tries them. */
const ROUTES = [
  repositoryRoute,
  ...appRoutes,
  ...gitDataRoutes,
  ...contentRoutes,
  ...compareAndArchiveRoutes,
  ...pullRoutes,
  ...issueRoutes,
];

export class RepoModel {
  readonly grants: CredentialGrants = defaultGrants();
  private readonly ctx: RepoContext;

  constructor(store: GitStore, options: RepoModelOptions) {
    const views = new Views(options, this.grants);
    this.ctx = { store, options, grants: this.grants, items: new Items(), views, issuedTokens: new Set() };
  }

  isIssuedToken(token: string): boolean {
    return this.ctx.issuedTokens.has(token);
  }

  /** Everything the server keeps about pull requests, as GET pulls/{n} returns it. */
  listPulls() {
    return listPulls(this.ctx);
  }

  routes(): Route[] {
    return ROUTES.map(({ handle, ...route }) => ({ ...route, handle: (request) => handle(this.ctx, request) }));
  }
}
