// The GitHub REST endpoints the stand-in serves, over a GitStore (files, trees, commits, branches) and in-memory
// pull requests and issues. Response bodies carry the fields Octokit users read, shaped as GitHub returns them.
import type { GitStore } from './git-store';
import type { CommitInfo, FileChange, Identity, TreeEdit } from './git-types';
import { repositoryTarball } from './tarball';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
    /** the request broke a rule of GitHub's that the OpenAPI schema does not express: recorded as invalid */
    readonly invalidRequest = false,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies, already validated against GitHub's schema
  body: any;
  /** the token the request was authenticated with, when any */
  token?: string;
}

export interface RouteResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** the OpenAPI path template, e.g. /repos/{owner}/{repo}/git/trees */
  path: string;
  /** how the request authenticates: a token (default) or the GitHub App's JWT */
  auth?: 'token' | 'app-jwt';
  handle(request: RouteRequest): Promise<RouteResponse>;
}

const validationFailed = (errors: unknown[], invalidRequest = false) =>
  new HttpError(422, 'Validation Failed', errors, invalidRequest);
const notFound = () => new HttpError(404, 'Not Found');
const invalid = (message: string) => new HttpError(422, message, undefined, true);

interface LabelRecord {
  id: number;
  name: string;
}

interface ItemRecord {
  kind: 'pull' | 'issue';
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: string | null;
  labels: string[];
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  // pull requests only
  head?: string;
  base?: string;
  /** head and base shas, frozen when the pull request closes (open ones follow their branches) */
  frozenHeadSha?: string;
  frozenBaseSha?: string;
  draft?: boolean;
  merged?: boolean;
  mergedAt?: string | null;
  mergeCommitSha?: string | null;
  requestedReviewers?: string[];
  comments?: CommentRecord[];
}

interface CommentRecord {
  id: number;
  body: string;
  user: string;
  createdAt: string;
}

export interface RepoModelOptions {
  owner: string;
  repo: string;
  login: string;
  baseUrl: string;
  defaultBranch: string;
}

const now = () => new Date().toISOString();

/** GitHub wraps base64 content at 60 characters. */
function wrapBase64(bytes: Uint8Array): string {
  return (
    Buffer.from(bytes)
      .toString('base64')
      .match(/.{1,60}/g) ?? []
  )
    .map((line) => `${line}\n`)
    .join('');
}

function paginate<T>(items: T[], query: Record<string, string>, pageUrl: (page: number) => string): RouteResponse {
  const perPage = Math.min(Number(query.per_page ?? 30), 100);
  const page = Math.max(Number(query.page ?? 1), 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const links: string[] = [];
  if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
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

export class RepoModel {
  readonly grants: CredentialGrants = defaultGrants();
  private readonly items = new Map<number, ItemRecord>();
  private readonly labelIds = new Map<string, LabelRecord>();
  private readonly issuedTokens = new Set<string>();
  private nextNumber = 1;
  private nextCommentId = 1;
  private readonly api: string;
  private readonly html: string;

  constructor(
    readonly store: GitStore,
    private readonly options: RepoModelOptions,
  ) {
    this.api = `${options.baseUrl}/repos/${options.owner}/${options.repo}`;
    this.html = `${options.baseUrl}/${options.owner}/${options.repo}`;
  }

  isIssuedToken(token: string): boolean {
    return this.issuedTokens.has(token);
  }

  private identity(): Identity {
    return { name: this.options.login, email: `${this.options.login}@users.noreply.github.com`, date: now() };
  }

  private userJson(login = this.options.login) {
    return {
      login,
      id: 1,
      node_id: 'U_stand-in',
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      site_admin: false,
      url: `${this.options.baseUrl}/users/${login}`,
      html_url: `${this.options.baseUrl}/${login}`,
    };
  }

  repoJson() {
    const { owner, repo, defaultBranch } = this.options;
    return {
      id: 1,
      node_id: 'R_stand-in',
      name: repo,
      full_name: `${owner}/${repo}`,
      owner: { ...this.userJson(owner), type: 'Organization' },
      private: true,
      visibility: 'private',
      html_url: this.html,
      url: this.api,
      default_branch: defaultBranch,
      archived: false,
      disabled: false,
      fork: false,
      allow_merge_commit: true,
      allow_squash_merge: true,
      allow_rebase_merge: true,
      delete_branch_on_merge: false,
      permissions: { ...this.grants.repository },
    };
  }

  private refJson(ref: string, sha: string) {
    return {
      ref,
      node_id: `REF_${sha.slice(0, 8)}`,
      url: `${this.api}/git/${ref}`,
      object: { sha, type: 'commit', url: `${this.api}/git/commits/${sha}` },
    };
  }

  private gitCommitJson(commit: CommitInfo) {
    return {
      sha: commit.sha,
      node_id: `C_${commit.sha.slice(0, 8)}`,
      url: `${this.api}/git/commits/${commit.sha}`,
      html_url: `${this.html}/commit/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { sha: commit.tree, url: `${this.api}/git/trees/${commit.tree}` },
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${this.api}/git/commits/${sha}`,
        html_url: `${this.html}/commit/${sha}`,
      })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }

  private repoCommitJson(commit: CommitInfo) {
    return {
      sha: commit.sha,
      node_id: `C_${commit.sha.slice(0, 8)}`,
      url: `${this.api}/commits/${commit.sha}`,
      html_url: `${this.html}/commit/${commit.sha}`,
      commit: {
        author: commit.author,
        committer: commit.committer,
        message: commit.message,
        tree: { sha: commit.tree, url: `${this.api}/git/trees/${commit.tree}` },
        url: `${this.api}/git/commits/${commit.sha}`,
        comment_count: 0,
      },
      author: null,
      committer: null,
      parents: commit.parents.map((sha) => ({ sha, url: `${this.api}/commits/${sha}` })),
    };
  }

  private fileJson(change: FileChange) {
    return {
      ...change,
      blob_url: `${this.html}/blob/${change.sha}/${change.filename}`,
      raw_url: `${this.html}/raw/${change.sha}/${change.filename}`,
      contents_url: `${this.api}/contents/${change.filename}`,
    };
  }

  private contentJson(path: string, sha: string, type: 'file' | 'dir', size: number, ref: string) {
    const name = path.split('/').pop() ?? path;
    const self = `${this.api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const git = `${this.api}/git/${type === 'file' ? 'blobs' : 'trees'}/${sha}`;
    const html = `${this.html}/${type === 'file' ? 'blob' : 'tree'}/${ref}/${path}`;
    return {
      type,
      name,
      path,
      sha,
      size,
      url: self,
      git_url: git,
      html_url: html,
      download_url: type === 'file' ? `${this.html}/raw/${ref}/${path}` : null,
      _links: { self, git, html },
    };
  }

  private labelJson(name: string) {
    let label = this.labelIds.get(name);
    if (!label) {
      label = { id: this.labelIds.size + 1, name };
      this.labelIds.set(name, label);
    }
    return {
      id: label.id,
      node_id: `LA_${label.id}`,
      url: `${this.api}/labels/${encodeURIComponent(name)}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    };
  }

  // ---- pull requests --------------------------------------------------------------------------------------

  private async pullShas(pull: ItemRecord): Promise<{ head: string; base: string }> {
    const head = pull.frozenHeadSha ?? (await this.store.resolveRef(`refs/heads/${pull.head}`)) ?? '';
    const base = pull.frozenBaseSha ?? (await this.store.resolveRef(`refs/heads/${pull.base}`)) ?? '';
    return { head, base };
  }

  private async freeze(pull: ItemRecord): Promise<void> {
    const { head, base } = await this.pullShas(pull);
    pull.frozenHeadSha = head;
    pull.frozenBaseSha = base;
  }

  async pullJson(pull: ItemRecord, detailed: boolean) {
    const { owner } = this.options;
    const { head, base } = await this.pullShas(pull);
    const json: Record<string, unknown> = {
      url: `${this.api}/pulls/${pull.number}`,
      id: pull.number,
      node_id: `PR_${pull.number}`,
      html_url: `${this.html}/pull/${pull.number}`,
      diff_url: `${this.html}/pull/${pull.number}.diff`,
      patch_url: `${this.html}/pull/${pull.number}.patch`,
      issue_url: `${this.api}/issues/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: this.userJson(pull.user),
      body: pull.body,
      labels: pull.labels.map((name) => this.labelJson(name)),
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: pull.mergedAt ?? null,
      merge_commit_sha: pull.mergeCommitSha ?? null,
      assignee: null,
      assignees: [],
      requested_reviewers: (pull.requestedReviewers ?? []).map((login) => this.userJson(login)),
      requested_teams: [],
      draft: pull.draft ?? false,
      head: {
        label: `${owner}:${pull.head}`,
        ref: pull.head,
        sha: head,
        user: this.userJson(owner),
        repo: this.repoJson(),
      },
      base: {
        label: `${owner}:${pull.base}`,
        ref: pull.base,
        sha: base,
        user: this.userJson(owner),
        repo: this.repoJson(),
      },
      author_association: 'OWNER',
      auto_merge: null,
    };
    if (detailed) {
      let mergeable: boolean | null = null;
      let mergeableState = 'unknown';
      if (pull.state === 'open' && head && base) {
        mergeable = (await this.store.tryMerge(base, head)).clean;
        mergeableState = mergeable ? 'clean' : 'dirty';
      }
      const mergeBase = head && base ? await this.store.mergeBase(base, head) : undefined;
      const files = await this.pullFiles(pull);
      Object.assign(json, {
        merged: pull.merged ?? false,
        mergeable,
        mergeable_state: mergeableState,
        rebaseable: mergeable,
        merged_by: pull.merged ? this.userJson() : null,
        comments: pull.comments?.length ?? 0,
        review_comments: 0,
        commits: mergeBase && head ? (await this.store.commitsBetween(mergeBase, head)).length : 0,
        additions: files.reduce((sum, file) => sum + file.additions, 0),
        deletions: files.reduce((sum, file) => sum + file.deletions, 0),
        changed_files: files.length,
        maintainer_can_modify: false,
      });
    }
    return json;
  }

  private async pullFiles(pull: ItemRecord): Promise<FileChange[]> {
    const { head, base } = await this.pullShas(pull);
    if (!head || !base) return [];
    const mergeBase = await this.store.mergeBase(base, head);
    const from = mergeBase ? (await this.store.readCommit(mergeBase))?.tree : undefined;
    const to = (await this.store.readCommit(head))?.tree;
    return to ? this.store.diffTrees(from, to) : [];
  }

  private item(numberText: string | undefined, kind?: 'pull'): ItemRecord {
    const item = this.items.get(Number(numberText));
    if (!item || (kind && item.kind !== kind)) throw notFound();
    return item;
  }

  private openPullFor(head: string, base: string, except?: number): ItemRecord | undefined {
    return [...this.items.values()].find(
      (item) =>
        item.kind === 'pull' &&
        item.state === 'open' &&
        item.head === head &&
        item.base === base &&
        item.number !== except,
    );
  }

  /** Everything the server keeps about pull requests, as GET pulls/{n} returns it. */
  async listPulls() {
    const pulls = [...this.items.values()].filter((item) => item.kind === 'pull');
    return Promise.all(pulls.map((pull) => this.pullJson(pull, true)));
  }

  /** GitHub closes an open pull request whose head branch is deleted. */
  async onBranchDeleted(branch: string, shaBefore: string): Promise<void> {
    for (const item of this.items.values()) {
      if (item.kind === 'pull' && item.state === 'open' && item.head === branch) {
        item.frozenHeadSha = shaBefore;
        item.frozenBaseSha = (await this.store.resolveRef(`refs/heads/${item.base}`)) ?? '';
        item.state = 'closed';
        item.closedAt = now();
        item.updatedAt = item.closedAt;
      }
    }
  }

  // ---- issues -----------------------------------------------------------------------------------------------

  private async issueJson(item: ItemRecord) {
    return {
      id: item.number,
      node_id: `I_${item.number}`,
      url: `${this.api}/issues/${item.number}`,
      repository_url: this.api,
      labels_url: `${this.api}/issues/${item.number}/labels{/name}`,
      comments_url: `${this.api}/issues/${item.number}/comments`,
      events_url: `${this.api}/issues/${item.number}/events`,
      html_url: `${this.html}/${item.kind === 'pull' ? 'pull' : 'issues'}/${item.number}`,
      number: item.number,
      state: item.state,
      state_reason: item.stateReason,
      title: item.title,
      body: item.body,
      user: this.userJson(item.user),
      labels: item.labels.map((name) => this.labelJson(name)),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      comments: item.comments?.length ?? 0,
      created_at: item.createdAt,
      updated_at: item.updatedAt,
      closed_at: item.closedAt,
      author_association: 'OWNER',
      ...(item.kind === 'pull'
        ? {
            pull_request: {
              url: `${this.api}/pulls/${item.number}`,
              html_url: `${this.html}/pull/${item.number}`,
              diff_url: `${this.html}/pull/${item.number}.diff`,
              patch_url: `${this.html}/pull/${item.number}.patch`,
              merged_at: item.mergedAt ?? null,
            },
          }
        : {}),
    };
  }

  private commentJson(item: ItemRecord, c: CommentRecord) {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${this.api}/issues/comments/${c.id}`,
      html_url: `${this.html}/${item.kind === 'pull' ? 'pull' : 'issues'}/${item.number}#issuecomment-${c.id}`,
      issue_url: `${this.api}/issues/${item.number}`,
      body: c.body,
      user: this.userJson(c.user),
      created_at: c.createdAt,
      updated_at: c.createdAt,
      author_association: 'OWNER',
    };
  }

  private labelNames(labels: unknown): string[] {
    const list = Array.isArray(labels) ? labels : typeof labels === 'string' ? [labels] : [];
    return list.map((label) => (typeof label === 'string' ? label : String((label as { name?: string }).name)));
  }

  // ---- routes -------------------------------------------------------------------------------------------------

  routes(): Route[] {
    const R = '/repos/{owner}/{repo}';
    const store = this.store;
    const { defaultBranch, owner } = this.options;
    const branchOf = (ref: string) => ref.replace(/^refs\/heads\//, '');

    return [
      { method: 'GET', path: R, handle: async () => ({ status: 200, body: this.repoJson() }) },

      // GitHub App installation flow (@octokit/auth-app): the JWT is accepted and an installation token issued.
      {
        method: 'GET',
        path: `${R}/installation`,
        auth: 'app-jwt',
        handle: async () => ({
          status: 200,
          body: {
            id: 1,
            account: this.userJson(owner),
            repository_selection: 'selected',
            access_tokens_url: `${this.options.baseUrl}/app/installations/1/access_tokens`,
            app_id: 1,
            target_type: 'Organization',
            permissions: { ...this.grants.installation },
            events: [],
          },
        }),
      },
      {
        method: 'POST',
        path: '/app/installations/{installation_id}/access_tokens',
        auth: 'app-jwt',
        handle: async () => {
          const token = `ghs_standin${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
          this.issuedTokens.add(token);
          return {
            status: 201,
            body: {
              token,
              expires_at: new Date(Date.now() + 3600_000).toISOString(),
              permissions: { ...this.grants.installation },
              repository_selection: 'selected',
            },
          };
        },
      },

      // ---- refs
      {
        method: 'GET',
        path: `${R}/git/ref/{ref}`,
        handle: async ({ params }) => {
          const ref = `refs/${params.ref}`;
          const sha = await store.resolveRef(ref);
          if (!sha) throw notFound();
          return { status: 200, body: this.refJson(ref, sha) };
        },
      },
      {
        method: 'GET',
        path: `${R}/git/matching-refs/{ref}`,
        handle: async ({ params }) => {
          const refs = await store.matchingRefs(`refs/${params.ref}`);
          return { status: 200, body: refs.map(({ ref, sha }) => this.refJson(ref, sha)) };
        },
      },
      {
        method: 'POST',
        path: `${R}/git/refs`,
        handle: async ({ body }) => {
          const ref: string = body.ref;
          if (!ref.startsWith('refs/') || ref.split('/').length < 3) {
            throw invalid(
              `Reference name ${ref} is invalid: it must start with 'refs/' and have at least two slashes.`,
            );
          }
          if (await store.resolveRef(ref)) throw new HttpError(422, 'Reference already exists');
          if ((await store.objectType(body.sha)) !== 'commit') throw new HttpError(422, 'Object does not exist');
          await store.writeRef(ref, body.sha);
          return { status: 201, body: this.refJson(ref, body.sha) };
        },
      },
      {
        method: 'PATCH',
        path: `${R}/git/refs/{ref}`,
        handle: async ({ params, body }) => {
          const ref = `refs/${params.ref}`;
          const current = await store.resolveRef(ref);
          if (!current) throw new HttpError(422, 'Reference does not exist');
          if ((await store.objectType(body.sha)) !== 'commit') throw new HttpError(422, 'Object does not exist');
          if (!body.force && !(await store.isAncestor(current, body.sha))) {
            throw new HttpError(422, 'Update is not a fast forward');
          }
          await store.writeRef(ref, body.sha);
          return { status: 200, body: this.refJson(ref, body.sha) };
        },
      },
      {
        method: 'DELETE',
        path: `${R}/git/refs/{ref}`,
        handle: async ({ params }) => {
          const ref = `refs/${params.ref}`;
          const current = await store.resolveRef(ref);
          if (!current) throw new HttpError(422, 'Reference does not exist');
          await store.deleteRef(ref);
          if (ref.startsWith('refs/heads/')) await this.onBranchDeleted(branchOf(ref), current);
          return { status: 204 };
        },
      },

      // ---- trees, blobs, commits
      {
        method: 'GET',
        path: `${R}/git/trees/{tree_sha}`,
        handle: async ({ params, query }) => {
          const sha = await store.resolveTreeish(params.tree_sha as string);
          if (!sha) throw notFound();
          const recursive = query.recursive !== undefined && !['0', 'false', ''].includes(query.recursive);
          const entries = await store.listTree(sha, recursive);
          const tree = entries.map((entry) => ({
            ...entry,
            url: `${this.api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
          }));
          return { status: 200, body: { sha, url: `${this.api}/git/trees/${sha}`, tree, truncated: false } };
        },
      },
      {
        method: 'POST',
        path: `${R}/git/trees`,
        handle: async ({ body }) => {
          const edits = (body.tree as Partial<TreeEdit>[]).map((entry, index) => checkTreeEntry(entry, index));
          if (body.base_tree !== undefined && (await store.objectType(body.base_tree)) !== 'tree') {
            throw new HttpError(422, 'base_tree is not a valid tree oid');
          }
          const sha = await store.createTree(body.base_tree, edits);
          const entries = await store.listTree(sha, false);
          const tree = entries.map((entry) => ({
            ...entry,
            url: `${this.api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
          }));
          return { status: 201, body: { sha, url: `${this.api}/git/trees/${sha}`, tree, truncated: false } };
        },
      },
      {
        method: 'GET',
        path: `${R}/git/blobs/{file_sha}`,
        handle: async ({ params }) => {
          const blob = await store.readBlob(params.file_sha as string);
          if (!blob) throw notFound();
          const sha = params.file_sha;
          return {
            status: 200,
            body: {
              sha,
              node_id: `B_${sha?.slice(0, 8)}`,
              size: blob.length,
              url: `${this.api}/git/blobs/${sha}`,
              content: wrapBase64(blob),
              encoding: 'base64',
            },
          };
        },
      },
      {
        method: 'POST',
        path: `${R}/git/blobs`,
        handle: async ({ body }) => {
          const encoding = body.encoding ?? 'utf-8';
          if (!['utf-8', 'utf8', 'base64'].includes(encoding)) {
            throw invalid(`encoding must be utf-8 or base64, got ${encoding}`);
          }
          const bytes = encoding === 'base64' ? Buffer.from(body.content, 'base64') : Buffer.from(body.content, 'utf8');
          const sha = await store.writeBlob(bytes);
          return { status: 201, body: { sha, url: `${this.api}/git/blobs/${sha}` } };
        },
      },
      {
        method: 'GET',
        path: `${R}/git/commits/{commit_sha}`,
        handle: async ({ params }) => {
          const commit = await store.readCommit(params.commit_sha as string);
          if (!commit) throw notFound();
          return { status: 200, body: this.gitCommitJson(commit) };
        },
      },
      {
        method: 'POST',
        path: `${R}/git/commits`,
        handle: async ({ body }) => {
          const date = now();
          const author: Identity = body.author
            ? { name: body.author.name, email: body.author.email, date: body.author.date ?? date }
            : this.identity();
          const committer: Identity = body.committer
            ? {
                name: body.committer.name ?? author.name,
                email: body.committer.email ?? author.email,
                date: body.committer.date ?? date,
              }
            : author;
          const sha = await store.writeCommit({
            message: body.message,
            tree: body.tree,
            parents: body.parents ?? [],
            author,
            committer,
          });
          return { status: 201, body: this.gitCommitJson((await store.readCommit(sha)) as CommitInfo) };
        },
      },

      // ---- contents
      {
        method: 'GET',
        path: `${R}/contents/{path}`,
        handle: async ({ params, query }) => {
          const ref = query.ref ?? defaultBranch;
          const path = (params.path ?? '').replace(/^\/+|\/+$/g, '');
          const tree = await store.resolveTreeish(ref);
          const entry = tree && (await store.entryAt(tree, path));
          if (!entry) throw notFound();
          if (entry.type === 'tree') {
            const entries = await store.listTree(entry.sha, false);
            const body = entries.map((child) => {
              const childPath = path ? `${path}/${child.path}` : child.path;
              return this.contentJson(
                childPath,
                child.sha,
                child.type === 'tree' ? 'dir' : 'file',
                child.size ?? 0,
                ref,
              );
            });
            return { status: 200, body };
          }
          const blob = (await store.readBlob(entry.sha)) ?? new Uint8Array();
          const json = this.contentJson(path, entry.sha, 'file', blob.length, ref);
          return { status: 200, body: { ...json, content: wrapBase64(blob), encoding: 'base64' } };
        },
      },
      {
        method: 'PUT',
        path: `${R}/contents/{path}`,
        handle: async ({ params, body }) => {
          const path = (params.path ?? '').replace(/^\/+|\/+$/g, '');
          const branch: string = body.branch ?? defaultBranch;
          if (!/^[A-Za-z0-9+/=\s]*$/.test(body.content)) throw invalid('content is not valid Base64');
          const parent = await store.resolveRef(`refs/heads/${branch}`);
          if (!parent && branch !== defaultBranch) throw new HttpError(404, `Branch ${branch} not found`);
          const baseTree = parent ? (await store.readCommit(parent))?.tree : undefined;
          const existing = baseTree ? await store.entryAt(baseTree, path) : undefined;
          if (existing?.type === 'tree') throw new HttpError(422, `${path} is a directory`);
          if (existing && body.sha === undefined) {
            throw new HttpError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', undefined, true);
          }
          if (existing && body.sha !== existing.sha) throw new HttpError(409, `${path} does not match ${body.sha}`);
          const blob = await store.writeBlob(Buffer.from(body.content, 'base64'));
          const tree = await store.createTree(baseTree, [{ path, mode: '100644', type: 'blob', sha: blob }]);
          const date = now();
          const author: Identity = body.author ? { ...body.author, date: body.author.date ?? date } : this.identity();
          const committer: Identity = body.committer
            ? { ...body.committer, date: body.committer.date ?? date }
            : author;
          const sha = await store.writeCommit({
            message: body.message,
            tree,
            parents: parent ? [parent] : [],
            author,
            committer,
          });
          await store.writeRef(`refs/heads/${branch}`, sha);
          const size = Buffer.from(body.content, 'base64').length;
          return {
            status: existing ? 200 : 201,
            body: {
              content: this.contentJson(path, blob, 'file', size, branch),
              commit: this.gitCommitJson((await store.readCommit(sha)) as CommitInfo),
            },
          };
        },
      },

      // ---- compare
      {
        method: 'GET',
        path: `${R}/compare/{basehead}`,
        handle: async ({ params }) => {
          const [baseName, headName] = (params.basehead ?? '').split('...');
          const strip = (name: string | undefined) => (name ?? '').replace(/^[^:]+:/, '');
          const base = await store.resolveCommitish(strip(baseName));
          const head = await store.resolveCommitish(strip(headName));
          if (!base || !head || headName === undefined) throw notFound();
          const mergeBase = await store.mergeBase(base, head);
          const ahead = mergeBase ? await store.commitsBetween(mergeBase, head) : [];
          const behind = mergeBase ? await store.commitsBetween(mergeBase, base) : [];
          const status =
            base === head
              ? 'identical'
              : ahead.length > 0 && behind.length > 0
                ? 'diverged'
                : ahead.length > 0
                  ? 'ahead'
                  : 'behind';
          const commits = await Promise.all(
            ahead.reverse().map(async (sha) => this.repoCommitJson((await store.readCommit(sha)) as CommitInfo)),
          );
          const fromTree = mergeBase ? (await store.readCommit(mergeBase))?.tree : undefined;
          const toTree = (await store.readCommit(head))?.tree as string;
          const files = (await store.diffTrees(fromTree, toTree)).map((file) => this.fileJson(file));
          return {
            status: 200,
            body: {
              url: `${this.api}/compare/${params.basehead}`,
              html_url: `${this.html}/compare/${params.basehead}`,
              base_commit: this.repoCommitJson((await store.readCommit(base)) as CommitInfo),
              merge_base_commit: mergeBase
                ? this.repoCommitJson((await store.readCommit(mergeBase)) as CommitInfo)
                : null,
              status,
              ahead_by: ahead.length,
              behind_by: behind.length,
              total_commits: ahead.length,
              commits,
              files,
            },
          };
        },
      },

      // ---- archive: GitHub answers 302 to codeload; the stand-in serves the same gzipped tar itself (one request)
      {
        method: 'GET',
        path: `${R}/tarball/{ref}`,
        handle: async ({ params }) => {
          const sha = await store.resolveCommitish(params.ref ?? '');
          if (!sha) throw notFound();
          const top = `${owner}-${this.options.repo}-${sha.slice(0, 7)}`;
          return {
            status: 200,
            body: await repositoryTarball(store, sha, top),
            headers: {
              'content-type': 'application/x-gzip',
              'content-disposition': `attachment; filename=${top}.tar.gz`,
            },
          };
        },
      },

      // ---- pull requests
      {
        method: 'GET',
        path: `${R}/pulls`,
        handle: async ({ query }) => {
          const state = query.state ?? 'open';
          let pulls = [...this.items.values()].filter(
            (item) => item.kind === 'pull' && (state === 'all' || item.state === state),
          );
          if (query.head !== undefined) {
            const [headOwner, headBranch] = query.head.includes(':') ? query.head.split(':') : [query.head, undefined];
            pulls = pulls.filter(
              (pull) =>
                headOwner?.toLowerCase() === owner.toLowerCase() &&
                (headBranch === undefined || pull.head === headBranch),
            );
          }
          if (query.base !== undefined) pulls = pulls.filter((pull) => pull.base === query.base);
          pulls.sort((a, b) => b.number - a.number);
          if (query.direction === 'asc') pulls.reverse();
          const bodies = await Promise.all(pulls.map((pull) => this.pullJson(pull, false)));
          return paginate(
            bodies,
            query,
            (page) => `${this.api}/pulls?${new URLSearchParams({ ...query, page: `${page}` })}`,
          );
        },
      },
      {
        method: 'POST',
        path: `${R}/pulls`,
        handle: async ({ body }) => {
          const [headOwner, head] = body.head.includes(':') ? body.head.split(':') : [owner, body.head];
          if (!body.title && body.issue === undefined) {
            throw validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }], true);
          }
          if (headOwner.toLowerCase() !== owner.toLowerCase()) {
            throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
          }
          const baseSha = await store.resolveRef(`refs/heads/${body.base}`);
          if (!baseSha) throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
          const headSha = await store.resolveRef(`refs/heads/${head}`);
          if (!headSha) throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
          if (this.openPullFor(head, body.base)) {
            const message = `A pull request already exists for ${owner}:${head}.`;
            throw validationFailed([{ resource: 'PullRequest', code: 'custom', message }]);
          }
          if (await store.isAncestor(headSha, baseSha)) {
            const message = `No commits between ${body.base} and ${head}`;
            throw validationFailed([{ resource: 'PullRequest', code: 'custom', message }]);
          }
          const created = now();
          const pull: ItemRecord = {
            kind: 'pull',
            number: this.nextNumber++,
            title: body.title,
            body: body.body ?? null,
            state: 'open',
            stateReason: null,
            labels: [],
            user: this.options.login,
            createdAt: created,
            updatedAt: created,
            closedAt: null,
            head,
            base: body.base,
            draft: body.draft ?? false,
            merged: false,
            mergedAt: null,
            mergeCommitSha: null,
            requestedReviewers: [],
          };
          this.items.set(pull.number, pull);
          return {
            status: 201,
            body: await this.pullJson(pull, true),
            headers: { location: `${this.api}/pulls/${pull.number}` },
          };
        },
      },
      {
        method: 'GET',
        path: `${R}/pulls/{pull_number}`,
        handle: async ({ params }) => ({
          status: 200,
          body: await this.pullJson(this.item(params.pull_number, 'pull'), true),
        }),
      },
      {
        method: 'PATCH',
        path: `${R}/pulls/{pull_number}`,
        handle: async ({ params, body }) => {
          const pull = this.item(params.pull_number, 'pull');
          const patch = body ?? {};
          if (patch.base !== undefined && !(await store.resolveRef(`refs/heads/${patch.base}`))) {
            throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
          }
          if (patch.state === 'open' && pull.state === 'closed') {
            if (pull.merged) throw validationFailed([{ resource: 'PullRequest', code: 'custom', message: 'merged' }]);
            const headSha = await store.resolveRef(`refs/heads/${pull.head}`);
            if (!headSha || this.openPullFor(pull.head as string, patch.base ?? (pull.base as string), pull.number)) {
              const message = 'state cannot be changed. The head branch is gone or another pull request is open.';
              throw validationFailed([{ resource: 'PullRequest', field: 'state', code: 'custom', message }]);
            }
            pull.state = 'open';
            pull.closedAt = null;
            pull.frozenHeadSha = undefined;
            pull.frozenBaseSha = undefined;
          } else if (patch.state === 'closed' && pull.state === 'open') {
            await this.freeze(pull);
            pull.state = 'closed';
            pull.closedAt = now();
          }
          if (patch.title !== undefined) pull.title = patch.title;
          if (patch.body !== undefined) pull.body = patch.body;
          if (patch.base !== undefined) pull.base = patch.base;
          pull.updatedAt = now();
          return { status: 200, body: await this.pullJson(pull, true) };
        },
      },
      {
        method: 'PUT',
        path: `${R}/pulls/{pull_number}/merge`,
        handle: async ({ params, body }) => {
          const pull = this.item(params.pull_number, 'pull');
          const options = body ?? {};
          if (pull.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
          const { head, base } = await this.pullShas(pull);
          if (options.sha !== undefined && options.sha !== head) {
            throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
          }
          const merge = await store.tryMerge(base, head);
          if (!merge.clean) throw new HttpError(405, 'Pull Request is not mergeable');
          const method = options.merge_method ?? 'merge';
          const who = this.identity();
          let sha: string;
          if (method === 'rebase' && (await store.isAncestor(base, head))) {
            sha = head;
          } else if (method === 'merge') {
            const title = options.commit_title ?? `Merge pull request #${pull.number} from ${owner}/${pull.head}`;
            const message = `${title}\n\n${options.commit_message ?? pull.title}`;
            sha = await store.writeCommit({
              message,
              tree: merge.tree,
              parents: [base, head],
              author: who,
              committer: who,
            });
          } else {
            // squash, and rebase of a diverged branch: one commit on top of base with the merged tree.
            const title = options.commit_title ?? `${pull.title} (#${pull.number})`;
            const message = options.commit_message ? `${title}\n\n${options.commit_message}` : title;
            sha = await store.writeCommit({ message, tree: merge.tree, parents: [base], author: who, committer: who });
          }
          await store.writeRef(`refs/heads/${pull.base}`, sha);
          pull.frozenHeadSha = head;
          pull.frozenBaseSha = base;
          pull.state = 'closed';
          pull.merged = true;
          pull.mergedAt = now();
          pull.closedAt = pull.mergedAt;
          pull.updatedAt = pull.mergedAt;
          pull.mergeCommitSha = sha;
          return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
        },
      },
      {
        method: 'GET',
        path: `${R}/pulls/{pull_number}/files`,
        handle: async ({ params, query }) => {
          const pull = this.item(params.pull_number, 'pull');
          const files = (await this.pullFiles(pull)).map((file) => this.fileJson(file));
          return paginate(files, query, (page) => `${this.api}/pulls/${pull.number}/files?page=${page}`);
        },
      },
      {
        method: 'POST',
        path: `${R}/pulls/{pull_number}/requested_reviewers`,
        handle: async ({ params, body }) => {
          const pull = this.item(params.pull_number, 'pull');
          const reviewers: string[] = body?.reviewers ?? [];
          if (reviewers.includes(pull.user)) {
            throw new HttpError(422, 'Review cannot be requested from pull request author.');
          }
          pull.requestedReviewers = [...new Set([...(pull.requestedReviewers ?? []), ...reviewers])];
          pull.updatedAt = now();
          return { status: 201, body: await this.pullJson(pull, false) };
        },
      },

      // ---- issues (pull requests are issues too)
      {
        method: 'GET',
        path: `${R}/issues`,
        handle: async ({ query }) => {
          const state = query.state ?? 'open';
          const wanted = query.labels ? query.labels.split(',').map((label) => label.trim()) : [];
          const items = [...this.items.values()]
            .filter((item) => state === 'all' || item.state === state)
            .filter((item) => wanted.every((label) => item.labels.includes(label)))
            .filter((item) => query.creator === undefined || item.user === query.creator)
            .sort((a, b) => {
              // sort=created (default) is by number; sort=updated by updated_at, ties by number.
              const key = (item: ItemRecord) => (query.sort === 'updated' ? Date.parse(item.updatedAt) : item.number);
              const order = key(a) - key(b) || a.number - b.number;
              return query.direction === 'asc' ? order : -order;
            });
          const bodies = await Promise.all(items.map((item) => this.issueJson(item)));
          return paginate(
            bodies,
            query,
            (page) => `${this.api}/issues?${new URLSearchParams({ ...query, page: `${page}` })}`,
          );
        },
      },
      {
        method: 'POST',
        path: `${R}/issues`,
        handle: async ({ body }) => {
          const created = now();
          const issue: ItemRecord = {
            kind: 'issue',
            number: this.nextNumber++,
            title: String(body.title),
            body: body.body ?? null,
            state: 'open',
            stateReason: null,
            labels: [...new Set(this.labelNames(body.labels))],
            user: this.options.login,
            createdAt: created,
            updatedAt: created,
            closedAt: null,
          };
          this.items.set(issue.number, issue);
          return { status: 201, body: await this.issueJson(issue) };
        },
      },
      {
        method: 'GET',
        path: `${R}/issues/{issue_number}`,
        handle: async ({ params }) => ({ status: 200, body: await this.issueJson(this.item(params.issue_number)) }),
      },
      {
        method: 'PATCH',
        path: `${R}/issues/{issue_number}`,
        handle: async ({ params, body }) => {
          const item = this.item(params.issue_number);
          const patch = body ?? {};
          if (patch.title !== undefined && patch.title !== null) item.title = String(patch.title);
          if (patch.body !== undefined) item.body = patch.body;
          if (patch.labels !== undefined) item.labels = [...new Set(this.labelNames(patch.labels))];
          if (patch.state !== undefined && patch.state !== item.state) {
            if (item.kind === 'pull' && patch.state === 'closed') await this.freeze(item);
            item.state = patch.state;
            item.closedAt = patch.state === 'closed' ? now() : null;
            item.stateReason = patch.state_reason ?? (patch.state === 'closed' ? 'completed' : 'reopened');
          }
          item.updatedAt = now();
          return { status: 200, body: await this.issueJson(item) };
        },
      },
      {
        method: 'GET',
        path: `${R}/issues/{issue_number}/comments`,
        handle: async ({ params, query }) => {
          const item = this.item(params.issue_number);
          const comments = (item.comments ?? []).map((c) => this.commentJson(item, c));
          return paginate(comments, query, (page) => `${this.api}/issues/${item.number}/comments?page=${page}`);
        },
      },
      {
        method: 'POST',
        path: `${R}/issues/{issue_number}/comments`,
        handle: async ({ params, body }) => {
          const item = this.item(params.issue_number);
          const comment: CommentRecord = {
            id: this.nextCommentId++,
            body: String(body.body),
            user: this.options.login,
            createdAt: now(),
          };
          item.comments = [...(item.comments ?? []), comment];
          item.updatedAt = comment.createdAt;
          return { status: 201, body: this.commentJson(item, comment) };
        },
      },
      {
        method: 'POST',
        path: `${R}/issues/{issue_number}/labels`,
        handle: async ({ params, body }) => {
          const item = this.item(params.issue_number);
          const names = this.labelNames(Array.isArray(body) || typeof body === 'string' ? body : body?.labels);
          item.labels = [...new Set([...item.labels, ...names])];
          item.updatedAt = now();
          return { status: 200, body: item.labels.map((name) => this.labelJson(name)) };
        },
      },
    ];
  }
}

const MODE_TYPES: Record<string, TreeEdit['type']> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};

/** GitHub's rules for one POST git/trees entry that its OpenAPI schema does not spell out. */
function checkTreeEntry(entry: Partial<TreeEdit>, index: number): TreeEdit {
  const where = `tree[${index}]`;
  if (!entry.path) throw invalid(`${where}.path is missing`);
  if (!entry.mode) throw invalid(`${where}.mode is missing (one of 100644, 100755, 040000, 160000, 120000)`);
  if (!entry.type) throw invalid(`${where}.type is missing (blob, tree or commit)`);
  if (MODE_TYPES[entry.mode] !== entry.type)
    throw invalid(`${where}: mode ${entry.mode} does not fit type ${entry.type}`);
  const hasSha = entry.sha !== undefined;
  const hasContent = entry.content !== undefined;
  if (hasSha && hasContent) throw invalid(`${where}: use either sha or content, not both`);
  if (!hasSha && !hasContent) throw invalid(`${where}: sha or content is required`);
  if (hasContent && entry.type !== 'blob') throw invalid(`${where}: content is only allowed for blobs`);
  if (typeof entry.sha === 'string' && !/^[0-9a-f]{40}$/.test(entry.sha)) throw invalid(`${where}.sha is not a SHA-1`);
  return entry as TreeEdit;
}
