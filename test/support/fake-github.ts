/**
 * An in-process GitHub for Octokit's `request: { fetch }`: a git object store whose ids are real git SHA-1s
 * (a blob's sha equals `git hash-object`), refs, and pull requests, behind the REST endpoints the onboarding uses,
 * with GitHub's answers for the awkward cases (422 for an existing ref or PR, the fast-forward rule, 404s),
 * fault knobs and a request log for counting calls.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { githubTarball } from './reconcile-github';

type GitObject =
  | { type: 'blob'; content: Buffer }
  | { type: 'tree'; entries: TreeItem[] }
  | { type: 'commit'; tree: string; parents: string[]; message: string; time: number };
interface TreeItem {
  name: string;
  mode: string;
  type: 'blob' | 'tree';
  sha: string;
}
interface FlatEntry {
  mode: string;
  sha: string;
}

export interface FakePull {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  head: string;
  base: string;
  merged_at: string | null;
  labels: string[];
  requested_reviewers: string[];
  requested_teams: string[];
}

export interface LoggedRequest {
  method: string;
  /** Path below the API root, decoded, e.g. `/repos/acme/terraform-aws/git/refs/heads/onboarding/1`. */
  path: string;
  query: string;
  status: number;
  /** Request headers, kept so tests can prove what was (not) sent. */
  headers: Record<string, string>;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  /** When set, requests must carry this token (`token …` / `bearer …`), else 401 Bad credentials. */
  token?: string;
  /** A GitHub App that may mint installation tokens (any well-formed JWT whose `iss` is appId). */
  app?: { appId: string; installationId: number };
  /** Recursive trees with more entries than this come back `truncated`, like GitHub's limit. */
  maxTreeEntries?: number;
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

export class FakeGitHub {
  readonly owner: string;
  readonly repo: string;
  readonly requests: LoggedRequest[] = [];
  /** Makes every repository write answer 403 "Resource not accessible by integration". */
  denyWrites = false;
  /** Author and committer given to POST git/commits, by commit sha. */
  private readonly identities = new Map<string, { author: unknown; committer: unknown }>();
  maxTreeEntries: number;

  private readonly objects = new Map<string, GitObject>();
  private readonly refs = new Map<string, string>();
  private readonly pullList: FakePull[] = [];
  private readonly tokens = new Set<string>();
  private readonly requireAuth: boolean;
  private readonly app?: { appId: string; installationId: number };
  private faults: Array<(() => Response) | 'network'> = [];
  private clock = 1_700_000_000;
  private readonly pathFaults: Array<{ method: string; pattern: RegExp; status: number; times: number }> = [];

  constructor(options: FakeGitHubOptions = {}) {
    this.owner = options.owner ?? 'acme';
    this.repo = options.repo ?? 'terraform-aws';
    this.maxTreeEntries = options.maxTreeEntries ?? 100_000;
    this.requireAuth = options.token !== undefined || options.app !== undefined;
    if (options.token) this.tokens.add(options.token);
    this.app = options.app;
  }

  /** Octokit's `request.fetch`. */
  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = Object.fromEntries(
      Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    const at = url.pathname.search(/\/(repos|app)\//);
    const path = at >= 0 ? url.pathname.slice(at) : url.pathname;
    const entry: LoggedRequest = { method, path: decodeURIComponent(path), query: url.search, status: 0, headers };
    this.requests.push(entry);
    const fault = this.faults.shift();
    if (fault === 'network') throw new TypeError('fetch failed', { cause: new Error('connect ECONNRESET') });
    const rule = this.pathFaults.find((f) => f.times > 0 && f.method === method && f.pattern.test(path));
    if (rule) rule.times--;
    const res = fault
      ? fault()
      : rule
        ? json(rule.status, { message: 'Injected failure' })
        : this.route(method, path, url.searchParams, headers, init?.body);
    entry.status = res.status;
    // Let concurrent callers interleave as they would over a network.
    await new Promise((r) => setImmediate(r));
    return res;
  };

  // ---- fault knobs -------------------------------------------------------------------------------------------

  /** The next `n` requests answer `status` (502 by default). */
  failNext(n: number, status = 502): void {
    for (let i = 0; i < n; i++)
      this.faults.push(() => json(status, { message: status === 502 ? 'Bad Gateway' : 'Server Error' }));
  }

  /** The next `times` requests with this method whose path matches answer `status` (e.g. a crash before POST pulls). */
  failOn(method: string, pattern: RegExp, status = 502, times = 1): void {
    this.pathFaults.push({ method, pattern, status, times });
  }

  /** The next `n` requests fail at the network level (fetch throws). */
  networkErrorNext(n: number): void {
    for (let i = 0; i < n; i++) this.faults.push('network');
  }

  /** The next `n` requests hit GitHub's secondary rate limit (403 with `retry-after`). */
  secondaryRateLimitNext(n: number, retryAfterSeconds = 0): void {
    for (let i = 0; i < n; i++) {
      this.faults.push(() =>
        json(
          403,
          { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
          { 'retry-after': String(retryAfterSeconds) },
        ),
      );
    }
  }

  /** The next `n` requests hit the primary rate limit (403, `x-ratelimit-remaining: 0`). */
  rateLimitNext(n: number): void {
    const reset = String(Math.floor(Date.now() / 1000) + 1800);
    for (let i = 0; i < n; i++) {
      this.faults.push(() =>
        json(
          403,
          { message: 'API rate limit exceeded for installation.' },
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
        ),
      );
    }
  }

  // ---- seeding and inspection ---------------------------------------------------------------------------------

  /** Creates the repository's default branch with these files; returns the commit sha. */
  seedRepo({ files, branch = 'main' }: { files: Record<string, string>; branch?: string }): string {
    return this.commitFiles(branch, files, 'Initial commit');
  }

  /** Commits changes (`null` deletes) on top of a branch, as a person pushing would; returns the commit sha. */
  commitFiles(branch: string, files: Record<string, string | null>, message = 'Change'): string {
    const parent = this.refs.get(`refs/heads/${branch}`);
    const flat = parent ? this.flatten(this.commitOf(parent).tree) : new Map<string, FlatEntry>();
    for (const [path, content] of Object.entries(files)) {
      if (content === null) flat.delete(path);
      else flat.set(path, { mode: '100644', sha: this.writeBlob(content) });
    }
    const sha = this.writeCommit(this.writeFlat(flat), parent ? [parent] : [], message);
    this.refs.set(`refs/heads/${branch}`, sha);
    return sha;
  }

  branchSha(branch: string): string | undefined {
    return this.refs.get(`refs/heads/${branch}`);
  }

  branches(): string[] {
    return [...this.refs.keys()].filter((r) => r.startsWith('refs/heads/')).map((r) => r.slice('refs/heads/'.length));
  }

  deleteBranch(branch: string): void {
    this.refs.delete(`refs/heads/${branch}`);
  }

  /** Files of a branch (or commit sha): path -> content. */
  files(branchOrSha: string): Record<string, string> {
    const sha = this.refs.get(`refs/heads/${branchOrSha}`) ?? branchOrSha;
    const out: Record<string, string> = {};
    for (const [path, e] of this.flatten(this.commitOf(sha).tree)) out[path] = this.blobText(e.sha);
    return out;
  }

  commit(sha: string): { tree: string; parents: string[]; message: string } {
    return this.commitOf(sha);
  }

  pulls(): FakePull[] {
    return this.pullList.map((p) => ({ ...p }));
  }

  closePull(number: number): void {
    const pull = this.pullList.find((p) => p.number === number);
    if (!pull) throw new Error(`no pull #${number}`);
    pull.state = 'closed';
  }

  /** Requests that create or change repository content (every non-GET under /repos). */
  writes(): LoggedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/repos/'));
  }

  resetLog(): void {
    this.requests.length = 0;
  }

  // ---- git object store ---------------------------------------------------------------------------------------

  private store(type: string, body: Buffer, obj: GitObject): string {
    const sha = createHash('sha1')
      .update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]))
      .digest('hex');
    this.objects.set(sha, obj);
    return sha;
  }

  writeBlob(content: string | Buffer): string {
    const buf = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    return this.store('blob', buf, { type: 'blob', content: buf });
  }

  private writeTree(entries: TreeItem[]): string {
    // git orders entries by name, a tree's name compared as if it ended in "/".
    const key = (e: TreeItem) => Buffer.from(e.type === 'tree' ? `${e.name}/` : e.name);
    const sorted = [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
    const body = Buffer.concat(
      sorted.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.sha, 'hex')])),
    );
    return this.store('tree', body, { type: 'tree', entries: sorted });
  }

  private writeCommit(tree: string, parents: string[], message: string): string {
    const time = this.clock++;
    const who = `Onboarding Bot <bot@example.com> ${time} +0000`;
    const text = [
      `tree ${tree}`,
      ...parents.map((p) => `parent ${p}`),
      `author ${who}`,
      `committer ${who}`,
      '',
      message,
    ].join('\n');
    return this.store('commit', Buffer.from(text), { type: 'commit', tree, parents, message, time });
  }

  /** Builds nested trees from path -> blob; returns the root tree sha. */
  private writeFlat(flat: Map<string, FlatEntry>): string {
    const build = (prefix: string): string => {
      const items = new Map<string, TreeItem>();
      for (const [path, e] of flat) {
        if (!path.startsWith(prefix)) continue;
        const rest = path.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash < 0) items.set(rest, { name: rest, mode: e.mode, type: 'blob', sha: e.sha });
        else {
          const name = rest.slice(0, slash);
          if (!items.has(name)) items.set(name, { name, mode: '40000', type: 'tree', sha: build(`${prefix}${name}/`) });
        }
      }
      return this.writeTree([...items.values()]);
    };
    return build('');
  }

  private flatten(treeSha: string, prefix = '', out = new Map<string, FlatEntry>()): Map<string, FlatEntry> {
    for (const e of this.treeOf(treeSha).entries) {
      if (e.type === 'tree') this.flatten(e.sha, `${prefix}${e.name}/`, out);
      else out.set(`${prefix}${e.name}`, { mode: e.mode, sha: e.sha });
    }
    return out;
  }

  private listTree(treeSha: string, recursive: boolean, prefix = ''): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const e of this.treeOf(treeSha).entries) {
      const path = `${prefix}${e.name}`;
      const mode = e.type === 'tree' ? '040000' : e.mode;
      if (e.type === 'blob') out.push({ path, mode, type: 'blob', sha: e.sha, size: this.blobOf(e.sha).length });
      else out.push({ path, mode, type: 'tree', sha: e.sha });
      if (recursive && e.type === 'tree') out.push(...this.listTree(e.sha, true, `${path}/`));
    }
    return out;
  }

  private commitOf(sha: string) {
    const o = this.objects.get(sha);
    if (o?.type !== 'commit') throw new Error(`not a commit: ${sha}`);
    return o;
  }
  private treeOf(sha: string) {
    const o = this.objects.get(sha);
    if (o?.type !== 'tree') throw new Error(`not a tree: ${sha}`);
    return o;
  }
  private blobOf(sha: string): Buffer {
    const o = this.objects.get(sha);
    if (o?.type !== 'blob') throw new Error(`not a blob: ${sha}`);
    return o.content;
  }
  private blobText(sha: string): string {
    return this.blobOf(sha).toString('utf8');
  }

  private isAncestor(ancestor: string, of: string): boolean {
    const seen = new Set<string>();
    const stack = [of];
    while (stack.length > 0) {
      const sha = stack.pop() as string;
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      stack.push(...this.commitOf(sha).parents);
    }
    return false;
  }

  // ---- REST ---------------------------------------------------------------------------------------------------

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    headers: Record<string, string>,
    rawBody: unknown,
  ): Response {
    const body =
      typeof rawBody === 'string' && rawBody.length > 0 ? (JSON.parse(rawBody) as Record<string, unknown>) : {};
    const auth = headers.authorization ?? '';
    const credential = auth.replace(/^(token|bearer)\s+/i, '');

    const tokenRoute = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (tokenRoute && method === 'POST') return this.mintInstallationToken(Number(tokenRoute[1]), credential);
    if (this.requireAuth && !this.tokens.has(credential)) {
      return json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }

    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!m || m[1] !== this.owner || m[2] !== this.repo) return notFound();
    const sub = m[3] ?? '';
    if (method !== 'GET' && this.denyWrites) {
      return json(403, {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
      });
    }
    /** The decoded groups of `re` when this request is `verb` on a matching path. */
    const at = (verb: string, re: RegExp): string[] | undefined => {
      const hit = verb === method || verb === '*' ? re.exec(sub) : null;
      return hit ? hit.slice(1).map((g) => decodeURIComponent(g ?? '')) : undefined;
    };

    const [tarRef] = at('GET', /^\/tarball\/(.+)$/) ?? [];
    if (tarRef) {
      const sha =
        this.refs.get(`refs/heads/${tarRef}`) ?? (this.objects.get(tarRef)?.type === 'commit' ? tarRef : undefined);
      if (!sha) return notFound();
      const body = githubTarball(this.files(sha), `${this.owner}-${this.repo}-${sha.slice(0, 7)}`, sha);
      return new Response(new Uint8Array(body), { status: 200, headers: { 'content-type': 'application/x-gzip' } });
    }
    const [commitSha] = at('GET', /^\/git\/commits\/([0-9a-f]{40})$/) ?? [];
    if (commitSha) {
      const c = this.objects.get(commitSha);
      if (c?.type !== 'commit') return notFound();
      const commit = this.commitOf(commitSha);
      const who = { name: 'Onboarding Bot', email: 'bot@example.com', date: new Date(0).toISOString() };
      const recorded = this.identities.get(commitSha);
      return json(200, {
        sha: commitSha,
        tree: { sha: commit.tree },
        parents: commit.parents.map((sha: string) => ({ sha })),
        message: commit.message,
        author: recorded?.author ?? who,
        committer: recorded?.committer ?? who,
      });
    }
    const [getRef] = at('GET', /^\/git\/ref\/(.+)$/) ?? [];
    if (getRef) {
      const sha = this.refs.get(`refs/${getRef}`);
      return sha ? json(200, this.refJson(`refs/${getRef}`, sha)) : notFound();
    }
    const [treeish] = at('GET', /^\/git\/trees\/([^/]+)$/) ?? [];
    if (treeish) {
      const treeSha = this.resolveTreeish(treeish);
      if (!treeSha) return notFound();
      const recursive = query.has('recursive') && query.get('recursive') !== '0' && query.get('recursive') !== 'false';
      const all = this.listTree(treeSha, recursive);
      const truncated = recursive && all.length > this.maxTreeEntries;
      return json(200, { sha: treeSha, url: '', tree: truncated ? all.slice(0, this.maxTreeEntries) : all, truncated });
    }
    const [blobSha] = at('GET', /^\/git\/blobs\/([0-9a-f]{40})$/) ?? [];
    if (blobSha) {
      const o = this.objects.get(blobSha);
      if (o?.type !== 'blob') return notFound();
      const b64 = (o.content.toString('base64').match(/.{1,60}/g) ?? []).join('\n');
      return json(200, { sha: blobSha, size: o.content.length, encoding: 'base64', content: `${b64}\n` });
    }
    const [filePath] = at('GET', /^\/contents\/(.+)$/) ?? [];
    if (filePath) {
      const ref = query.get('ref') ?? 'main';
      const commit = this.refs.get(`refs/heads/${ref}`) ?? (this.objects.get(ref)?.type === 'commit' ? ref : undefined);
      if (!commit) return notFound();
      const e = this.flatten(this.commitOf(commit).tree).get(filePath);
      if (!e) return notFound();
      const content = this.blobOf(e.sha);
      return json(200, {
        type: 'file',
        path: filePath,
        name: filePath.split('/').pop(),
        sha: e.sha,
        size: content.length,
        encoding: 'base64',
        content: content.toString('base64'),
      });
    }
    if (method === 'POST' && sub === '/git/trees') return this.createTree(body);
    if (method === 'POST' && sub === '/git/commits') {
      const tree = String(body.tree ?? '');
      const parents = (body.parents as string[] | undefined) ?? [];
      if (this.objects.get(tree)?.type !== 'tree' || parents.some((p) => this.objects.get(p)?.type !== 'commit')) {
        return json(422, { message: 'Tree SHA does not exist' });
      }
      const sha = this.writeCommit(tree, parents, String(body.message ?? ''));
      if (body.author) this.identities.set(sha, { author: body.author, committer: body.committer ?? body.author });
      return json(201, { sha, tree: { sha: tree }, parents: parents.map((p) => ({ sha: p })), message: body.message });
    }
    if (method === 'POST' && sub === '/git/refs') {
      const ref = String(body.ref ?? '');
      const sha = String(body.sha ?? '');
      if (!/^refs\/[^/]+\/.+/.test(ref)) return json(422, { message: 'Reference name is not valid' });
      if (this.objects.get(sha)?.type !== 'commit') return json(422, { message: 'Object does not exist' });
      if (this.refs.has(ref)) return json(422, { message: 'Reference already exists' });
      this.refs.set(ref, sha);
      return json(201, this.refJson(ref, sha));
    }
    const [patchRef] = at('PATCH', /^\/git\/refs\/(.+)$/) ?? [];
    if (patchRef) {
      const ref = `refs/${patchRef}`;
      const sha = String(body.sha ?? '');
      const current = this.refs.get(ref);
      if (!current) return json(422, { message: 'Reference does not exist' });
      if (this.objects.get(sha)?.type !== 'commit') return json(422, { message: 'Object does not exist' });
      if (body.force !== true && !this.isAncestor(current, sha))
        return json(422, { message: 'Update is not a fast forward' });
      this.refs.set(ref, sha);
      return json(200, this.refJson(ref, sha));
    }
    if (method === 'GET' && sub === '/pulls') return this.listPulls(query);
    if (method === 'POST' && sub === '/pulls') return this.createPull(body);
    const [pullNumber, rest = ''] = at('*', /^\/pulls\/(\d+)(\/.*)?$/) ?? [];
    if (pullNumber) {
      const pull = this.pullList.find((p) => p.number === Number(pullNumber));
      if (!pull) return notFound();
      if (method === 'GET' && rest === '') return json(200, this.pullJson(pull));
      if (method === 'PATCH' && rest === '') {
        if (typeof body.title === 'string') pull.title = body.title;
        if (typeof body.body === 'string') pull.body = body.body;
        if (body.state === 'closed' || body.state === 'open') pull.state = body.state;
        return json(200, this.pullJson(pull));
      }
      if (method === 'PUT' && rest === '/merge') return this.mergePull(pull);
      if (method === 'POST' && rest === '/requested_reviewers') {
        pull.requested_reviewers.push(...((body.reviewers as string[] | undefined) ?? []));
        pull.requested_teams.push(...((body.team_reviewers as string[] | undefined) ?? []));
        return json(201, this.pullJson(pull));
      }
    }
    const [issueNumber] = at('POST', /^\/issues\/(\d+)\/labels$/) ?? [];
    if (issueNumber) {
      const pull = this.pullList.find((p) => p.number === Number(issueNumber));
      if (!pull) return notFound();
      for (const l of (body.labels as string[] | undefined) ?? []) if (!pull.labels.includes(l)) pull.labels.push(l);
      return json(
        200,
        pull.labels.map((name) => ({ name })),
      );
    }
    return notFound();
  }

  private mintInstallationToken(installationId: number, jwt: string): Response {
    const payload = jwt.split('.')[1];
    let iss: unknown;
    try {
      iss = payload
        ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown }).iss
        : undefined;
    } catch {
      iss = undefined;
    }
    if (!this.app || String(iss) !== this.app.appId) {
      return json(401, {
        message: 'A JSON web token could not be decoded',
        documentation_url: 'https://docs.github.com/rest',
      });
    }
    if (installationId !== this.app.installationId) return notFound();
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    this.tokens.add(token);
    return json(201, { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {} });
  }

  private resolveTreeish(id: string): string | undefined {
    const ref = this.refs.get(`refs/heads/${id}`);
    const o = this.objects.get(ref ?? id);
    if (o?.type === 'tree') return ref ?? id;
    if (o?.type === 'commit') return o.tree;
    return undefined;
  }

  private createTree(body: Record<string, unknown>): Response {
    const base = body.base_tree === undefined ? undefined : String(body.base_tree);
    if (base !== undefined && this.objects.get(base)?.type !== 'tree')
      return json(422, { message: 'Invalid tree info' });
    const flat = base ? this.flatten(base) : new Map<string, FlatEntry>();
    for (const e of (body.tree as Array<Record<string, unknown>> | undefined) ?? []) {
      const path = String(e.path ?? '');
      if (!path || path.startsWith('/') || path.endsWith('/'))
        return json(422, { message: 'tree.path contains a malformed path component' });
      if (e.type !== 'blob' || !['100644', '100755'].includes(String(e.mode))) {
        return json(422, { message: 'The fake supports blob entries with mode 100644/100755 only' });
      }
      if (e.sha === null) flat.delete(path);
      else if (typeof e.content === 'string') flat.set(path, { mode: String(e.mode), sha: this.writeBlob(e.content) });
      else if (typeof e.sha === 'string' && this.objects.get(e.sha)?.type === 'blob')
        flat.set(path, { mode: String(e.mode), sha: e.sha });
      else return json(422, { message: 'Invalid tree info' });
    }
    const sha = this.writeFlat(flat);
    return json(201, { sha, tree: this.listTree(sha, false), truncated: false });
  }

  private listPulls(query: URLSearchParams): Response {
    const state = query.get('state') ?? 'open';
    const head = query.get('head');
    const list = this.pullList
      .filter((p) => state === 'all' || p.state === state)
      .filter((p) => !head || head === `${this.owner}:${p.head}`)
      .sort((a, b) => b.number - a.number);
    return json(
      200,
      list.map((p) => this.pullJson(p)),
    );
  }

  private createPull(body: Record<string, unknown>): Response {
    const head = String(body.head ?? '').replace(new RegExp(`^${this.owner}:`), '');
    const base = String(body.base ?? '');
    const headSha = this.refs.get(`refs/heads/${head}`);
    const baseSha = this.refs.get(`refs/heads/${base}`);
    if (!headSha || !baseSha) {
      return json(422, {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', field: headSha ? 'base' : 'head', code: 'invalid' }],
      });
    }
    if (this.pullList.some((p) => p.state === 'open' && p.head === head && p.base === base)) {
      return json(422, {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${this.owner}:${head}.`,
          },
        ],
      });
    }
    if (this.isAncestor(headSha, baseSha)) {
      return json(422, {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` }],
      });
    }
    const pull: FakePull = {
      number: this.pullList.length + 1,
      state: 'open',
      title: String(body.title ?? ''),
      body: typeof body.body === 'string' ? body.body : null,
      head,
      base,
      merged_at: null,
      labels: [],
      requested_reviewers: [],
      requested_teams: [],
    };
    this.pullList.push(pull);
    return json(201, this.pullJson(pull));
  }

  private mergePull(pull: FakePull): Response {
    const headSha = this.refs.get(`refs/heads/${pull.head}`);
    const baseSha = this.refs.get(`refs/heads/${pull.base}`);
    if (pull.state !== 'open' || !headSha || !baseSha) return json(405, { message: 'Pull Request is not mergeable' });
    if (!this.isAncestor(baseSha, headSha)) return json(405, { message: 'Pull Request is not mergeable' });
    const sha = this.writeCommit(this.commitOf(headSha).tree, [baseSha, headSha], `Merge pull request #${pull.number}`);
    this.refs.set(`refs/heads/${pull.base}`, sha);
    pull.state = 'closed';
    pull.merged_at = new Date().toISOString();
    return json(200, { sha, merged: true, message: 'Pull Request successfully merged' });
  }

  private refJson(ref: string, sha: string) {
    return { ref, node_id: '', url: '', object: { type: 'commit', sha, url: '' } };
  }

  private pullJson(p: FakePull) {
    const html = `https://github.com/${this.owner}/${this.repo}/pull/${p.number}`;
    return {
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      html_url: html,
      url: html,
      merged_at: p.merged_at,
      head: { ref: p.head, label: `${this.owner}:${p.head}`, sha: this.refs.get(`refs/heads/${p.head}`) ?? null },
      base: { ref: p.base, label: `${this.owner}:${p.base}` },
      labels: p.labels.map((name) => ({ name })),
      requested_reviewers: p.requested_reviewers.map((login) => ({ login })),
      requested_teams: p.requested_teams.map((slug) => ({ slug })),
    };
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_TYPE, ...headers } });
}

function notFound(): Response {
  return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
}

/** Lines removed and added between two texts (a small LCS diff, enough for workflow files). */
export function lineDiff(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] =
        a[i] === b[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  const removed: string[] = [];
  const added: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number))
      removed.push(a[i++] as string);
    else added.push(b[j++] as string);
  }
  removed.push(...(a.slice(i) as string[]));
  added.push(...(b.slice(j) as string[]));
  return { removed, added };
}

/** A plain Octokit (no retry/throttling plugins) talking to the fake: fast, for tests of the PR logic. */
export function fakeOctokit(fake: FakeGitHub): Octokit {
  return new Octokit({ request: { fetch: fake.fetch }, log: { debug() {}, info() {}, warn() {}, error() {} } });
}
