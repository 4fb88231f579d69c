// The pull requests API: list, open, read, edit (close, reopen, retarget), merge (merge, squash or rebase), changed
// files and review requests. GitHub allows one open pull request per head and base.
import type { ItemRecord } from './items';
import { freeze, pullFiles, pullJson, pullShas } from './pull-view';
import { botIdentity, type RepoContext, type RouteSpec } from './repo-context';
import { HttpError, now, paginate, REPO, type RouteRequest, type RouteResponse, validationFailed } from './route-kit';

const pullError = (field: string | undefined, code: string, message?: string) =>
  validationFailed([{ resource: 'PullRequest', ...(field ? { field } : {}), code, ...(message ? { message } : {}) }]);

async function listPullRequests(ctx: RepoContext, { query }: RouteRequest): Promise<RouteResponse> {
  const { owner } = ctx.options;
  const state = query.state ?? 'open';
  let pulls = ctx.items.pulls().filter((pull) => state === 'all' || pull.state === state);
  if (query.head !== undefined) {
    const [headOwner, headBranch] = query.head.includes(':') ? query.head.split(':') : [query.head, undefined];
    pulls = pulls.filter(
      (pull) =>
        headOwner?.toLowerCase() === owner.toLowerCase() && (headBranch === undefined || pull.head === headBranch),
    );
  }
  if (query.base !== undefined) pulls = pulls.filter((pull) => pull.base === query.base);
  pulls.sort((a, b) => b.number - a.number);
  if (query.direction === 'asc') pulls.reverse();
  const bodies = await Promise.all(pulls.map((pull) => pullJson(ctx, pull, false)));
  const pageUrl = (page: number) => `${ctx.views.api}/pulls?${new URLSearchParams({ ...query, page: `${page}` })}`;
  return paginate(bodies, query, pageUrl);
}

/** GitHub's checks before it opens a pull request; returns the head branch. */
async function checkNewPull({ store, items, options }: RepoContext, body: RouteRequest['body']): Promise<string> {
  const { owner } = options;
  const [headOwner, head] = body.head.includes(':') ? body.head.split(':') : [owner, body.head];
  if (!body.title && body.issue === undefined) {
    throw validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }], true);
  }
  if (headOwner.toLowerCase() !== owner.toLowerCase()) throw pullError('head', 'invalid');
  const baseSha = await store.resolveRef(`refs/heads/${body.base}`);
  if (!baseSha) throw pullError('base', 'invalid');
  const headSha = await store.resolveRef(`refs/heads/${head}`);
  if (!headSha) throw pullError('head', 'invalid');
  if (items.openPullFor(head, body.base)) {
    throw pullError(undefined, 'custom', `A pull request already exists for ${owner}:${head}.`);
  }
  if (await store.isAncestor(headSha, baseSha)) {
    throw pullError(undefined, 'custom', `No commits between ${body.base} and ${head}`);
  }
  return head;
}

async function createPullRequest(ctx: RepoContext, { body }: RouteRequest): Promise<RouteResponse> {
  const head = await checkNewPull(ctx, body);
  const created = now();
  const pull = ctx.items.add({
    kind: 'pull',
    title: body.title,
    body: body.body ?? null,
    state: 'open',
    stateReason: null,
    labels: [],
    user: ctx.options.login,
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
  });
  return {
    status: 201,
    body: await pullJson(ctx, pull, true),
    headers: { location: `${ctx.views.api}/pulls/${pull.number}` },
  };
}

async function getPullRequest(ctx: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  return { status: 200, body: await pullJson(ctx, ctx.items.get(params.pull_number, 'pull'), true) };
}

/** Reopens a closed pull request, as GitHub allows while its head branch exists and no other one is open. */
async function reopen({ store, items }: RepoContext, pull: ItemRecord, base: string): Promise<void> {
  if (pull.merged) throw pullError(undefined, 'custom', 'merged');
  const headSha = await store.resolveRef(`refs/heads/${pull.head}`);
  if (!headSha || items.openPullFor(pull.head as string, base, pull.number)) {
    const message = 'state cannot be changed. The head branch is gone or another pull request is open.';
    throw pullError('state', 'custom', message);
  }
  pull.state = 'open';
  pull.closedAt = null;
  pull.frozenHeadSha = undefined;
  pull.frozenBaseSha = undefined;
}

async function updatePullRequest(ctx: RepoContext, { params, body }: RouteRequest): Promise<RouteResponse> {
  const pull = ctx.items.get(params.pull_number, 'pull');
  const patch = body ?? {};
  if (patch.base !== undefined && !(await ctx.store.resolveRef(`refs/heads/${patch.base}`))) {
    throw pullError('base', 'invalid');
  }
  if (patch.state === 'open' && pull.state === 'closed') {
    await reopen(ctx, pull, patch.base ?? (pull.base as string));
  } else if (patch.state === 'closed' && pull.state === 'open') {
    await freeze(ctx, pull);
    pull.state = 'closed';
    pull.closedAt = now();
  }
  if (patch.title !== undefined) pull.title = patch.title;
  if (patch.body !== undefined) pull.body = patch.body;
  if (patch.base !== undefined) pull.base = patch.base;
  pull.updatedAt = now();
  return { status: 200, body: await pullJson(ctx, pull, true) };
}

/** The commit that lands a pull request on its base, by `merge_method`; `tree` is the clean merge's tree. */
async function landingCommit(
  { store, options }: RepoContext,
  pull: ItemRecord,
  shas: { head: string; base: string; tree: string },
  merge: RouteRequest['body'],
): Promise<string> {
  const { head, base, tree } = shas;
  const who = botIdentity(options.login);
  const method = merge.merge_method ?? 'merge';
  if (method === 'rebase' && (await store.isAncestor(base, head))) return head;
  if (method === 'merge') {
    const title = merge.commit_title ?? `Merge pull request #${pull.number} from ${options.owner}/${pull.head}`;
    const message = `${title}\n\n${merge.commit_message ?? pull.title}`;
    return store.writeCommit({ message, tree, parents: [base, head], author: who, committer: who });
  }
  // squash, and rebase of a diverged branch: one commit on top of base with the merged tree.
  const title = merge.commit_title ?? `${pull.title} (#${pull.number})`;
  const message = merge.commit_message ? `${title}\n\n${merge.commit_message}` : title;
  return store.writeCommit({ message, tree, parents: [base], author: who, committer: who });
}

async function mergePullRequest(ctx: RepoContext, { params, body }: RouteRequest): Promise<RouteResponse> {
  const pull = ctx.items.get(params.pull_number, 'pull');
  const merge = body ?? {};
  if (pull.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
  const { head, base } = await pullShas(ctx, pull);
  if (merge.sha !== undefined && merge.sha !== head) {
    throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
  }
  const outcome = await ctx.store.tryMerge(base, head);
  if (!outcome.clean) throw new HttpError(405, 'Pull Request is not mergeable');
  const sha = await landingCommit(ctx, pull, { head, base, tree: outcome.tree }, merge);
  await ctx.store.writeRef(`refs/heads/${pull.base}`, sha);
  pull.frozenHeadSha = head;
  pull.frozenBaseSha = base;
  pull.state = 'closed';
  pull.merged = true;
  pull.mergedAt = now();
  pull.closedAt = pull.mergedAt;
  pull.updatedAt = pull.mergedAt;
  pull.mergeCommitSha = sha;
  return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
}

async function listPullFiles(ctx: RepoContext, { params, query }: RouteRequest): Promise<RouteResponse> {
  const pull = ctx.items.get(params.pull_number, 'pull');
  const files = (await pullFiles(ctx, pull)).map((file) => ctx.views.file(file));
  return paginate(files, query, (page) => `${ctx.views.api}/pulls/${pull.number}/files?page=${page}`);
}

async function requestReviewers(ctx: RepoContext, { params, body }: RouteRequest): Promise<RouteResponse> {
  const pull = ctx.items.get(params.pull_number, 'pull');
  const reviewers: string[] = body?.reviewers ?? [];
  if (reviewers.includes(pull.user)) {
    throw new HttpError(422, 'Review cannot be requested from pull request author.');
  }
  pull.requestedReviewers = [...new Set([...(pull.requestedReviewers ?? []), ...reviewers])];
  pull.updatedAt = now();
  return { status: 201, body: await pullJson(ctx, pull, false) };
}

export const pullRoutes: RouteSpec[] = [
  { method: 'GET', path: `${REPO}/pulls`, handle: listPullRequests },
  { method: 'POST', path: `${REPO}/pulls`, handle: createPullRequest },
  { method: 'GET', path: `${REPO}/pulls/{pull_number}`, handle: getPullRequest },
  { method: 'PATCH', path: `${REPO}/pulls/{pull_number}`, handle: updatePullRequest },
  { method: 'PUT', path: `${REPO}/pulls/{pull_number}/merge`, handle: mergePullRequest },
  { method: 'GET', path: `${REPO}/pulls/{pull_number}/files`, handle: listPullFiles },
  { method: 'POST', path: `${REPO}/pulls/{pull_number}/requested_reviewers`, handle: requestReviewers },
];
