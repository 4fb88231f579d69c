// The git data API: refs, trees, blobs and commits, straight over the git store.
import type { CommitInfo, Identity, TreeEdit } from './git-types';
import { closePullsOfDeletedBranch } from './pull-view';
import { botIdentity, type RepoContext, type RouteSpec } from './repo-context';
import {
  HttpError,
  invalid,
  notFound,
  now,
  REPO,
  type RouteRequest,
  type RouteResponse,
  wrapBase64,
} from './route-kit';

// ---- refs

async function getRef({ store, views }: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  const ref = `refs/${params.ref}`;
  const sha = await store.resolveRef(ref);
  if (!sha) throw notFound();
  return { status: 200, body: views.ref(ref, sha) };
}

async function matchingRefs({ store, views }: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  const refs = await store.matchingRefs(`refs/${params.ref}`);
  return { status: 200, body: refs.map(({ ref, sha }) => views.ref(ref, sha)) };
}

async function createRef({ store, views }: RepoContext, { body }: RouteRequest): Promise<RouteResponse> {
  const ref: string = body.ref;
  if (!ref.startsWith('refs/') || ref.split('/').length < 3) {
    throw invalid(`Reference name ${ref} is invalid: it must start with 'refs/' and have at least two slashes.`);
  }
  if (await store.resolveRef(ref)) throw new HttpError(422, 'Reference already exists');
  if ((await store.objectType(body.sha)) !== 'commit') throw new HttpError(422, 'Object does not exist');
  await store.writeRef(ref, body.sha);
  return { status: 201, body: views.ref(ref, body.sha) };
}

async function updateRef({ store, views }: RepoContext, { params, body }: RouteRequest): Promise<RouteResponse> {
  const ref = `refs/${params.ref}`;
  const current = await store.resolveRef(ref);
  if (!current) throw new HttpError(422, 'Reference does not exist');
  if ((await store.objectType(body.sha)) !== 'commit') throw new HttpError(422, 'Object does not exist');
  if (!body.force && !(await store.isAncestor(current, body.sha))) {
    throw new HttpError(422, 'Update is not a fast forward');
  }
  await store.writeRef(ref, body.sha);
  return { status: 200, body: views.ref(ref, body.sha) };
}

async function deleteRef(ctx: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  const ref = `refs/${params.ref}`;
  const current = await ctx.store.resolveRef(ref);
  if (!current) throw new HttpError(422, 'Reference does not exist');
  await ctx.store.deleteRef(ref);
  if (ref.startsWith('refs/heads/')) {
    await closePullsOfDeletedBranch(ctx, ref.replace(/^refs\/heads\//, ''), current);
  }
  return { status: 204 };
}

// ---- trees

async function treeJson({ store, views }: RepoContext, sha: string, recursive: boolean) {
  const entries = await store.listTree(sha, recursive);
  const tree = entries.map((entry) => ({
    ...entry,
    url: `${views.api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
  }));
  return { sha, url: `${views.api}/git/trees/${sha}`, tree, truncated: false };
}

async function getTree(ctx: RepoContext, { params, query }: RouteRequest): Promise<RouteResponse> {
  const sha = await ctx.store.resolveTreeish(params.tree_sha as string);
  if (!sha) throw notFound();
  const recursive = query.recursive !== undefined && !['0', 'false', ''].includes(query.recursive);
  return { status: 200, body: await treeJson(ctx, sha, recursive) };
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

async function createTree(ctx: RepoContext, { body }: RouteRequest): Promise<RouteResponse> {
  const edits = (body.tree as Partial<TreeEdit>[]).map((entry, index) => checkTreeEntry(entry, index));
  if (body.base_tree !== undefined && (await ctx.store.objectType(body.base_tree)) !== 'tree') {
    throw new HttpError(422, 'base_tree is not a valid tree oid');
  }
  const sha = await ctx.store.createTree(body.base_tree, edits);
  return { status: 201, body: await treeJson(ctx, sha, false) };
}

// ---- blobs

async function getBlob({ store, views }: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  const blob = await store.readBlob(params.file_sha as string);
  if (!blob) throw notFound();
  const sha = params.file_sha;
  return {
    status: 200,
    body: {
      sha,
      node_id: `B_${sha?.slice(0, 8)}`,
      size: blob.length,
      url: `${views.api}/git/blobs/${sha}`,
      content: wrapBase64(blob),
      encoding: 'base64',
    },
  };
}

async function createBlob({ store, views }: RepoContext, { body }: RouteRequest): Promise<RouteResponse> {
  const encoding = body.encoding ?? 'utf-8';
  if (!['utf-8', 'utf8', 'base64'].includes(encoding)) {
    throw invalid(`encoding must be utf-8 or base64, got ${encoding}`);
  }
  const bytes = encoding === 'base64' ? Buffer.from(body.content, 'base64') : Buffer.from(body.content, 'utf8');
  const sha = await store.writeBlob(bytes);
  return { status: 201, body: { sha, url: `${views.api}/git/blobs/${sha}` } };
}

// ---- commits

async function getCommit({ store, views }: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  const commit = await store.readCommit(params.commit_sha as string);
  if (!commit) throw notFound();
  return { status: 200, body: views.gitCommit(commit) };
}

async function createCommit({ store, views, options }: RepoContext, { body }: RouteRequest): Promise<RouteResponse> {
  const date = now();
  const author: Identity = body.author
    ? { name: body.author.name, email: body.author.email, date: body.author.date ?? date }
    : botIdentity(options.login);
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
  return { status: 201, body: views.gitCommit((await store.readCommit(sha)) as CommitInfo) };
}

export const gitDataRoutes: RouteSpec[] = [
  { method: 'GET', path: `${REPO}/git/ref/{ref}`, handle: getRef },
  { method: 'GET', path: `${REPO}/git/matching-refs/{ref}`, handle: matchingRefs },
  { method: 'POST', path: `${REPO}/git/refs`, handle: createRef },
  { method: 'PATCH', path: `${REPO}/git/refs/{ref}`, handle: updateRef },
  { method: 'DELETE', path: `${REPO}/git/refs/{ref}`, handle: deleteRef },
  { method: 'GET', path: `${REPO}/git/trees/{tree_sha}`, handle: getTree },
  { method: 'POST', path: `${REPO}/git/trees`, handle: createTree },
  { method: 'GET', path: `${REPO}/git/blobs/{file_sha}`, handle: getBlob },
  { method: 'POST', path: `${REPO}/git/blobs`, handle: createBlob },
  { method: 'GET', path: `${REPO}/git/commits/{commit_sha}`, handle: getCommit },
  { method: 'POST', path: `${REPO}/git/commits`, handle: createCommit },
];
