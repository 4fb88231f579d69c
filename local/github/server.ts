// An embedded stand-in for GitHub's REST API, used by `npm start` and the end-to-end tests. It serves the endpoints
// this project calls on 127.0.0.1 (random free port), keeps the repository as a real bare git repo on disk (so the
// result can be cloned and diffed), checks every request against GitHub's official OpenAPI description, and can
// inject the failures real GitHub produces (secondary rate limits, 502s).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from './dispatch';
import { FaultInjector, type GitHubFaults } from './faults';
import { GitStore } from './git-store';
import { type OpenApiValidator, sharedValidator } from './openapi';
import { botIdentity, type CredentialGrants } from './repo-context';
import { compileRoute } from './router';
import { RepoModel } from './routes';
import { errorBody, Wire } from './wire';

export type { GitHubFaults } from './faults';

export interface GitHubStandInOptions {
  /** bare repository directory (created when missing, reused when it is one); default: a temp dir removed by stop() */
  dir?: string;
  owner?: string;
  repo?: string;
  /** when set, every repository request must carry `Authorization: token|Bearer <token>` (or an issued app token) */
  token?: string;
  /** when set, GitHub App JWTs must carry this `iss` (the JWT signature itself is not checked) */
  appId?: string | number;
  /** login of the authenticated user: author of pull requests and commits; default `onboarding-bot` */
  login?: string;
  /**
   * when set, only the routes it accepts are served (`route` as in `requests`, e.g. `GET /repos/{owner}/{repo}/pulls`)
   * and every other one answers 404, as a GitHub-compatible API that implements a part of GitHub's would
   */
  serves?: (method: string, route: string) => boolean;
}

export interface RecordedRequest {
  method: string;
  /** e.g. `POST /repos/{owner}/{repo}/git/trees`; the raw path for unknown routes */
  route: string;
  status: number;
  /** writes count against GitHub's secondary (content-creation) limits */
  contentCreating: boolean;
  /** the `X-GitHub-Api-Version` header the request carried, if any */
  apiVersion?: string;
}

export interface InvalidRequest {
  method: string;
  route: string;
  url: string;
  problems: string[];
}

export interface GitHubStandIn {
  /** base URL for Octokit's `baseUrl` */
  url: string;
  /** the bare repository: `git clone <repoDir>` shows what was committed */
  repoDir: string;
  owner: string;
  repo: string;
  defaultBranch: string;
  requests: RecordedRequest[];
  /** What GitHub tells of the credentials' permissions (changed in place by tests). */
  grants: CredentialGrants;
  invalidRequests: InvalidRequest[];
  store: GitStore;
  setFaults(faults: GitHubFaults): void;
  /** commits `files` (path → text) to main; returns the commit sha */
  seed(files: Record<string, string>, message?: string): Promise<string>;
  /** text of `path` at a branch, tag or commit; undefined when missing */
  readFile(ref: string, path: string): Promise<string | undefined>;
  /** every pull request (all states) as GET pulls/{n} returns it */
  listPulls(): Promise<Record<string, unknown>[]>;
  /** throws, listing each problem, when any request broke GitHub's API description */
  assertNoInvalidRequests(): void;
  stop(): Promise<void>;
}

/** The bare repository at `dir`, or in a temp dir of its own (`remove` deletes what was created for it). */
async function openStore(dir: string | undefined, repo: string, defaultBranch: string) {
  const repoDir = dir ?? join(mkdtempSync(join(tmpdir(), 'github-stand-in-')), `${repo}.git`);
  const remove = () => dir === undefined && rmSync(join(repoDir, '..'), { recursive: true, force: true });
  try {
    const validator: OpenApiValidator = sharedValidator();
    return { repoDir, remove, validator, store: await GitStore.open(repoDir, defaultBranch) };
  } catch (error) {
    remove();
    throw error;
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** GitHub applies each request atomically; running them one after the other keeps ref updates and merges race-free. */
function serialiser() {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
}

function assertValid(invalidRequests: InvalidRequest[]): void {
  if (invalidRequests.length === 0) return;
  const lines = invalidRequests.map((r) => `${r.method} ${r.url}: ${r.problems.join('; ')}`);
  throw new Error(`GitHub stand-in received requests that break GitHub's API description:\n${lines.join('\n')}`);
}

export async function startGitHubStandIn(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'terraform-aws';
  const login = options.login ?? 'onboarding-bot';
  const defaultBranch = 'main';
  const { repoDir, remove, validator, store } = await openStore(options.dir, repo, defaultBranch);
  const requests: RecordedRequest[] = [];
  const invalidRequests: InvalidRequest[] = [];
  const faults = new FaultInjector();
  const serialise = serialiser();
  const server = createServer();
  const url = await listen(server);
  const model = new RepoModel(store, { owner, repo, login, baseUrl: url, defaultBranch });
  const wire = new Wire(() => model.grants.tokenScopes);
  const credentials = {
    token: options.token,
    appId: options.appId,
    isIssuedToken: (t: string) => model.isIssuedToken(t),
  };
  const routes = model.routes().map(compileRoute);
  const setup = { owner, repo, routes, serves: options.serves, credentials, validator, faults, wire };
  const dispatcher = new Dispatcher({ ...setup, requests, invalidRequests, serialise });
  server.on('request', (request, response) => {
    dispatcher.dispatch(request, response).catch((error: unknown) => {
      if (!response.headersSent) wire.send(response, 500, errorBody(500, String(error)));
      else response.end();
    });
  });

  return {
    url,
    repoDir,
    owner,
    repo,
    defaultBranch,
    requests,
    grants: model.grants,
    invalidRequests,
    store,
    setFaults: (next) => faults.set(next),
    seed(files, message = 'Seed repository') {
      return serialise(() => store.commitFiles(defaultBranch, files, message, botIdentity(login)));
    },
    readFile(ref, path) {
      return serialise(() => store.readText(ref, path));
    },
    listPulls() {
      return serialise(() => model.listPulls());
    },
    assertNoInvalidRequests: () => assertValid(invalidRequests),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      remove();
    },
  };
}
