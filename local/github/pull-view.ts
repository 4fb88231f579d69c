// A pull request as GitHub shows it: its head and base shas (followed while open, frozen once closed), its files,
// and whether it merges cleanly (a real 3-way merge in the git store).
import type { FileChange } from './git-types';
import type { ItemRecord } from './items';
import type { RepoContext } from './repo-context';
import { now } from './route-kit';

export async function pullShas({ store }: RepoContext, pull: ItemRecord): Promise<{ head: string; base: string }> {
  const head = pull.frozenHeadSha ?? (await store.resolveRef(`refs/heads/${pull.head}`)) ?? '';
  const base = pull.frozenBaseSha ?? (await store.resolveRef(`refs/heads/${pull.base}`)) ?? '';
  return { head, base };
}

/** Keeps the shas a pull request had when it closed. */
export async function freeze(ctx: RepoContext, pull: ItemRecord): Promise<void> {
  const { head, base } = await pullShas(ctx, pull);
  pull.frozenHeadSha = head;
  pull.frozenBaseSha = base;
}

export async function pullFiles(ctx: RepoContext, pull: ItemRecord): Promise<FileChange[]> {
  const { store } = ctx;
  const { head, base } = await pullShas(ctx, pull);
  if (!head || !base) return [];
  const mergeBase = await store.mergeBase(base, head);
  const from = mergeBase ? (await store.readCommit(mergeBase))?.tree : undefined;
  const to = (await store.readCommit(head))?.tree;
  return to ? store.diffTrees(from, to) : [];
}

function branchJson({ options, views }: RepoContext, ref: string | undefined, sha: string) {
  return { label: `${options.owner}:${ref}`, ref, sha, user: views.user(options.owner), repo: views.repo() };
}

/** The fields GET pulls/{n} adds to a list entry: merge state, counts and statistics. */
async function pullDetails(ctx: RepoContext, pull: ItemRecord, head: string, base: string) {
  const { store, views } = ctx;
  let mergeable: boolean | null = null;
  if (pull.state === 'open' && head && base) mergeable = (await store.tryMerge(base, head)).clean;
  const mergeBase = head && base ? await store.mergeBase(base, head) : undefined;
  const files = await pullFiles(ctx, pull);
  return {
    merged: pull.merged ?? false,
    mergeable,
    mergeable_state: mergeable === null ? 'unknown' : mergeable ? 'clean' : 'dirty',
    rebaseable: mergeable,
    merged_by: pull.merged ? views.user() : null,
    comments: pull.comments?.length ?? 0,
    review_comments: 0,
    commits: mergeBase && head ? (await store.commitsBetween(mergeBase, head)).length : 0,
    additions: files.reduce((sum, file) => sum + file.additions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    changed_files: files.length,
    maintainer_can_modify: false,
  };
}

/** A pull request as GET pulls lists it, or with `detailed` as GET pulls/{n} returns it. */
export async function pullJson(ctx: RepoContext, pull: ItemRecord, detailed: boolean) {
  const { views } = ctx;
  const { head, base } = await pullShas(ctx, pull);
  const json: Record<string, unknown> = {
    url: `${views.api}/pulls/${pull.number}`,
    id: pull.number,
    node_id: `PR_${pull.number}`,
    html_url: `${views.html}/pull/${pull.number}`,
    diff_url: `${views.html}/pull/${pull.number}.diff`,
    patch_url: `${views.html}/pull/${pull.number}.patch`,
    issue_url: `${views.api}/issues/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: views.user(pull.user),
    body: pull.body,
    labels: pull.labels.map((name) => views.label(name)),
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt ?? null,
    merge_commit_sha: pull.mergeCommitSha ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: (pull.requestedReviewers ?? []).map((login) => views.user(login)),
    requested_teams: [],
    draft: pull.draft ?? false,
    head: branchJson(ctx, pull.head, head),
    base: branchJson(ctx, pull.base, base),
    author_association: 'OWNER',
    auto_merge: null,
  };
  return detailed ? Object.assign(json, await pullDetails(ctx, pull, head, base)) : json;
}

/** Every pull request (all states), as GET pulls/{n} returns it. */
export function listPulls(ctx: RepoContext) {
  return Promise.all(ctx.items.pulls().map((pull) => pullJson(ctx, pull, true)));
}

/** GitHub closes an open pull request whose head branch is deleted. */
export async function closePullsOfDeletedBranch(ctx: RepoContext, branch: string, shaBefore: string): Promise<void> {
  for (const item of ctx.items.pulls()) {
    if (item.state === 'open' && item.head === branch) {
      item.frozenHeadSha = shaBefore;
      item.frozenBaseSha = (await ctx.store.resolveRef(`refs/heads/${item.base}`)) ?? '';
      item.state = 'closed';
      item.closedAt = now();
      item.updatedAt = item.closedAt;
    }
  }
}
