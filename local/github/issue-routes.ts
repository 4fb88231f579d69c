// The issues API (pull requests are issues too): list, open, read, edit, comments and labels.
import type { CommentRecord, ItemRecord } from './items';
import { freeze } from './pull-view';
import type { RepoContext, RouteSpec } from './repo-context';
import { now, paginate, REPO, type RouteRequest, type RouteResponse } from './route-kit';

function pullRequestLinks({ views }: RepoContext, item: ItemRecord) {
  return {
    url: `${views.api}/pulls/${item.number}`,
    html_url: `${views.html}/pull/${item.number}`,
    diff_url: `${views.html}/pull/${item.number}.diff`,
    patch_url: `${views.html}/pull/${item.number}.patch`,
    merged_at: item.mergedAt ?? null,
  };
}

function issueJson(ctx: RepoContext, item: ItemRecord) {
  const { views } = ctx;
  const url = `${views.api}/issues/${item.number}`;
  return {
    id: item.number,
    node_id: `I_${item.number}`,
    url,
    repository_url: views.api,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${views.html}/${item.kind === 'pull' ? 'pull' : 'issues'}/${item.number}`,
    number: item.number,
    state: item.state,
    state_reason: item.stateReason,
    title: item.title,
    body: item.body,
    user: views.user(item.user),
    labels: item.labels.map((name) => views.label(name)),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: item.comments?.length ?? 0,
    created_at: item.createdAt,
    updated_at: item.updatedAt,
    closed_at: item.closedAt,
    author_association: 'OWNER',
    ...(item.kind === 'pull' ? { pull_request: pullRequestLinks(ctx, item) } : {}),
  };
}

function commentJson({ views }: RepoContext, item: ItemRecord, c: CommentRecord) {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${views.api}/issues/comments/${c.id}`,
    html_url: `${views.html}/${item.kind === 'pull' ? 'pull' : 'issues'}/${item.number}#issuecomment-${c.id}`,
    issue_url: `${views.api}/issues/${item.number}`,
    body: c.body,
    user: views.user(c.user),
    created_at: c.createdAt,
    updated_at: c.createdAt,
    author_association: 'OWNER',
  };
}

/** Label names from a request: names, `{ name }` objects, or one name. */
function labelNames(labels: unknown): string[] {
  const list = Array.isArray(labels) ? labels : typeof labels === 'string' ? [labels] : [];
  return list.map((label) => (typeof label === 'string' ? label : String((label as { name?: string }).name)));
}

async function listIssues(ctx: RepoContext, { query }: RouteRequest): Promise<RouteResponse> {
  const state = query.state ?? 'open';
  const wanted = query.labels ? query.labels.split(',').map((label) => label.trim()) : [];
  // sort=created (default) is by number; sort=updated by updated_at, ties by number.
  const key = (item: ItemRecord) => (query.sort === 'updated' ? Date.parse(item.updatedAt) : item.number);
  const items = ctx.items
    .all()
    .filter((item) => state === 'all' || item.state === state)
    .filter((item) => wanted.every((label) => item.labels.includes(label)))
    .filter((item) => query.creator === undefined || item.user === query.creator)
    .sort((a, b) => {
      const order = key(a) - key(b) || a.number - b.number;
      return query.direction === 'asc' ? order : -order;
    });
  const bodies = items.map((item) => issueJson(ctx, item));
  const pageUrl = (page: number) => `${ctx.views.api}/issues?${new URLSearchParams({ ...query, page: `${page}` })}`;
  return paginate(bodies, query, pageUrl);
}

async function createIssue(ctx: RepoContext, { body }: RouteRequest): Promise<RouteResponse> {
  const created = now();
  const issue = ctx.items.add({
    kind: 'issue',
    title: String(body.title),
    body: body.body ?? null,
    state: 'open',
    stateReason: null,
    labels: [...new Set(labelNames(body.labels))],
    user: ctx.options.login,
    createdAt: created,
    updatedAt: created,
    closedAt: null,
  });
  return { status: 201, body: issueJson(ctx, issue) };
}

async function getIssue(ctx: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  return { status: 200, body: issueJson(ctx, ctx.items.get(params.issue_number)) };
}

async function updateIssue(ctx: RepoContext, { params, body }: RouteRequest): Promise<RouteResponse> {
  const item = ctx.items.get(params.issue_number);
  const patch = body ?? {};
  if (patch.title !== undefined && patch.title !== null) item.title = String(patch.title);
  if (patch.body !== undefined) item.body = patch.body;
  if (patch.labels !== undefined) item.labels = [...new Set(labelNames(patch.labels))];
  if (patch.state !== undefined && patch.state !== item.state) {
    if (item.kind === 'pull' && patch.state === 'closed') await freeze(ctx, item);
    item.state = patch.state;
    item.closedAt = patch.state === 'closed' ? now() : null;
    item.stateReason = patch.state_reason ?? (patch.state === 'closed' ? 'completed' : 'reopened');
  }
  item.updatedAt = now();
  return { status: 200, body: issueJson(ctx, item) };
}

async function listComments(ctx: RepoContext, { params, query }: RouteRequest): Promise<RouteResponse> {
  const item = ctx.items.get(params.issue_number);
  const comments = (item.comments ?? []).map((c) => commentJson(ctx, item, c));
  return paginate(comments, query, (page) => `${ctx.views.api}/issues/${item.number}/comments?page=${page}`);
}

async function createComment(ctx: RepoContext, { params, body }: RouteRequest): Promise<RouteResponse> {
  const item = ctx.items.get(params.issue_number);
  const comment: CommentRecord = {
    id: ctx.items.newCommentId(),
    body: String(body.body),
    user: ctx.options.login,
    createdAt: now(),
  };
  item.comments = [...(item.comments ?? []), comment];
  item.updatedAt = comment.createdAt;
  return { status: 201, body: commentJson(ctx, item, comment) };
}

async function addLabels(ctx: RepoContext, { params, body }: RouteRequest): Promise<RouteResponse> {
  const item = ctx.items.get(params.issue_number);
  const names = labelNames(Array.isArray(body) || typeof body === 'string' ? body : body?.labels);
  item.labels = [...new Set([...item.labels, ...names])];
  item.updatedAt = now();
  return { status: 200, body: item.labels.map((name) => ctx.views.label(name)) };
}

export const issueRoutes: RouteSpec[] = [
  { method: 'GET', path: `${REPO}/issues`, handle: listIssues },
  { method: 'POST', path: `${REPO}/issues`, handle: createIssue },
  { method: 'GET', path: `${REPO}/issues/{issue_number}`, handle: getIssue },
  { method: 'PATCH', path: `${REPO}/issues/{issue_number}`, handle: updateIssue },
  { method: 'GET', path: `${REPO}/issues/{issue_number}/comments`, handle: listComments },
  { method: 'POST', path: `${REPO}/issues/{issue_number}/comments`, handle: createComment },
  { method: 'POST', path: `${REPO}/issues/{issue_number}/labels`, handle: addLabels },
];
