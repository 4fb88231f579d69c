// Comparing commits in the git store: the 3-way merge behind a pull request's `mergeable` and PUT merge, and the
// per-file line statistics behind GET pulls/{n}/files and compare.
import * as fs from 'node:fs';
import * as git from 'isomorphic-git';
import type { GitStore } from './git-store';
import type { FileChange, MergeOutcome, TreeListing } from './git-types';

/** A real 3-way merge of `theirs` into `ours` (line-level, like git); nothing is written to any branch. */
export async function tryMerge(store: GitStore, ours: string, theirs: string): Promise<MergeOutcome> {
  if (await store.isAncestor(theirs, ours)) return { clean: true, tree: (await store.readCommit(ours))?.tree ?? '' };
  if (await store.isAncestor(ours, theirs)) return { clean: true, tree: (await store.readCommit(theirs))?.tree ?? '' };
  // merge() takes ref names, so the two sides get scratch refs outside refs/heads.
  await store.writeRef('refs/stand-in/ours', ours);
  await store.writeRef('refs/stand-in/theirs', theirs);
  const identity = { name: 'GitHub', email: 'noreply@github.com', timestamp: 0, timezoneOffset: 0 };
  try {
    const result = await git.merge({
      fs,
      gitdir: store.gitdir,
      ours: 'refs/stand-in/ours',
      theirs: 'refs/stand-in/theirs',
      fastForward: false,
      noUpdateBranch: true,
      abortOnConflict: true,
      message: 'stand-in merge probe',
      author: identity,
      committer: identity,
      cache: store.cache,
    });
    return { clean: true, tree: result.tree as string };
  } catch (error) {
    if (error instanceof git.Errors.MergeConflictError) return { clean: false, conflicts: error.data.filepaths };
    if (error instanceof git.Errors.MergeNotSupportedError) return { clean: false, conflicts: [] };
    throw error;
  }
}

function countLines(text: string): number {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Lines only in `before` / only in `after` (a multiset difference: good enough for PR file statistics). */
function lineDelta(before: string, after: string): { additions: number; deletions: number } {
  const counts = new Map<string, number>();
  for (const line of before.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  let additions = 0;
  for (const line of after.split('\n')) {
    const left = counts.get(line) ?? 0;
    if (left > 0) counts.set(line, left - 1);
    else additions += 1;
  }
  const deletions = [...counts.values()].reduce((sum, n) => sum + n, 0);
  return { additions, deletions };
}

/** The change of one path between two listings, or undefined when it did not change (or is not a file). */
async function fileChange(
  store: GitStore,
  path: string,
  old: TreeListing | undefined,
  now: TreeListing | undefined,
): Promise<FileChange | undefined> {
  if ((old && old.type !== 'blob') || (now && now.type !== 'blob')) return undefined;
  if (old?.sha === now?.sha) return undefined;
  const text = async (sha: string | undefined) =>
    sha ? new TextDecoder().decode((await store.readBlob(sha)) ?? new Uint8Array()) : '';
  const status = !old ? 'added' : !now ? 'removed' : 'modified';
  const { additions, deletions } =
    status === 'added'
      ? { additions: countLines(await text(now?.sha)), deletions: 0 }
      : status === 'removed'
        ? { additions: 0, deletions: countLines(await text(old?.sha)) }
        : lineDelta(await text(old?.sha), await text(now?.sha));
  const sha = (now ?? old)?.sha as string;
  return { filename: path, status, sha, additions, deletions, changes: additions + deletions };
}

/** Files that differ between two trees, as GET pulls/{n}/files and compare report them. */
export async function diffTrees(store: GitStore, from: string | undefined, to: string): Promise<FileChange[]> {
  const before = new Map((from ? await store.listTree(from, true) : []).map((e) => [e.path, e]));
  const after = new Map((await store.listTree(to, true)).map((e) => [e.path, e]));
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: FileChange[] = [];
  for (const path of paths) {
    const change = await fileChange(store, path, before.get(path), after.get(path));
    if (change) changes.push(change);
  }
  return changes;
}
