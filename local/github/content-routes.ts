// The contents API: a file or a folder read at a ref, and a file written as one commit on a branch (how an empty
// repository gets its first files).
import type { CommitInfo, Identity } from './git-types';
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

const trimSlashes = (path: string | undefined) => (path ?? '').replace(/^\/+|\/+$/g, '');

async function getContent({ store, views, options }: RepoContext, req: RouteRequest): Promise<RouteResponse> {
  const ref = req.query.ref ?? options.defaultBranch;
  const path = trimSlashes(req.params.path);
  const tree = await store.resolveTreeish(ref);
  const entry = tree && (await store.entryAt(tree, path));
  if (!entry) throw notFound();
  if (entry.type === 'tree') {
    const entries = await store.listTree(entry.sha, false);
    const body = entries.map((child) => {
      const childPath = path ? `${path}/${child.path}` : child.path;
      return views.content(childPath, child.sha, child.type === 'tree' ? 'dir' : 'file', child.size ?? 0, ref);
    });
    return { status: 200, body };
  }
  const blob = (await store.readBlob(entry.sha)) ?? new Uint8Array();
  const json = views.content(path, entry.sha, 'file', blob.length, ref);
  return { status: 200, body: { ...json, content: wrapBase64(blob), encoding: 'base64' } };
}

/** The file's current blob on the branch's tree, after GitHub's checks: `sha` must name it when it exists. */
async function existingFile({ store }: RepoContext, baseTree: string | undefined, path: string, sha?: string) {
  const existing = baseTree ? await store.entryAt(baseTree, path) : undefined;
  if (existing?.type === 'tree') throw new HttpError(422, `${path} is a directory`);
  if (existing && sha === undefined) {
    throw new HttpError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.', undefined, true);
  }
  if (existing && sha !== existing.sha) throw new HttpError(409, `${path} does not match ${sha}`);
  return existing;
}

function authorAndCommitter(ctx: RepoContext, body: RouteRequest['body']): { author: Identity; committer: Identity } {
  const date = now();
  const author: Identity = body.author
    ? { ...body.author, date: body.author.date ?? date }
    : botIdentity(ctx.options.login);
  const committer: Identity = body.committer ? { ...body.committer, date: body.committer.date ?? date } : author;
  return { author, committer };
}

async function putContent(ctx: RepoContext, { params, body }: RouteRequest): Promise<RouteResponse> {
  const { store, views, options } = ctx;
  const path = trimSlashes(params.path);
  const branch: string = body.branch ?? options.defaultBranch;
  if (!/^[A-Za-z0-9+/=\s]*$/.test(body.content)) throw invalid('content is not valid Base64');
  const parent = await store.resolveRef(`refs/heads/${branch}`);
  if (!parent && branch !== options.defaultBranch) throw new HttpError(404, `Branch ${branch} not found`);
  const baseTree = parent ? (await store.readCommit(parent))?.tree : undefined;
  const existing = await existingFile(ctx, baseTree, path, body.sha);
  const bytes = Buffer.from(body.content, 'base64');
  const blob = await store.writeBlob(bytes);
  const tree = await store.createTree(baseTree, [{ path, mode: '100644', type: 'blob', sha: blob }]);
  const parents = parent ? [parent] : [];
  const sha = await store.writeCommit({ message: body.message, tree, parents, ...authorAndCommitter(ctx, body) });
  await store.writeRef(`refs/heads/${branch}`, sha);
  return {
    status: existing ? 200 : 201,
    body: {
      content: views.content(path, blob, 'file', bytes.length, branch),
      commit: views.gitCommit((await store.readCommit(sha)) as CommitInfo),
    },
  };
}

export const contentRoutes: RouteSpec[] = [
  { method: 'GET', path: `${REPO}/contents/{path}`, handle: getContent },
  { method: 'PUT', path: `${REPO}/contents/{path}`, handle: putContent },
];
