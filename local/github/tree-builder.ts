// POST git/trees on a bare repository: a base tree (or none) plus edits, nested paths creating subtrees, `sha: null`
// deleting. The edited tree is held in memory and written bottom-up, so untouched subtrees keep their shas.
import * as fs from 'node:fs';
import * as git from 'isomorphic-git';
import type { GitStore } from './git-store';
import { GitStoreError, type TreeEdit, type TreeListing } from './git-types';

interface LeafEntry {
  mode: string;
  type: TreeListing['type'];
  oid: string;
}

interface MutableTree {
  entries: Map<string, LeafEntry | MutableTree>;
}

function isSubtree(value: LeafEntry | MutableTree): value is MutableTree {
  return 'entries' in value;
}

async function loadTree(store: GitStore, sha: string): Promise<MutableTree> {
  if ((await store.objectType(sha)) !== 'tree') throw new GitStoreError('invalid', `base_tree ${sha} is not a tree`);
  const entries: MutableTree['entries'] = new Map();
  for (const entry of await store.readTree(sha)) entries.set(entry.path, { ...entry, oid: entry.sha });
  return { entries };
}

/** The subtree that holds `parts` (every folder on the way loaded or created); a file on the way is an error. */
async function folderOf(store: GitStore, root: MutableTree, parts: string[], path: string): Promise<MutableTree> {
  let node = root;
  for (const part of parts) {
    const existing = node.entries.get(part);
    let next: MutableTree;
    if (existing === undefined) next = { entries: new Map() };
    else if (isSubtree(existing)) next = existing;
    else if (existing.type === 'tree') next = await loadTree(store, existing.oid);
    else throw new GitStoreError('invalid', `tree.path ${path} runs through the file ${part}`);
    node.entries.set(part, next);
    node = next;
  }
  return node;
}

/** The object an edit points at: a new blob for `content`, else its `sha` once checked to be of its type. */
async function editedObject(store: GitStore, edit: TreeEdit): Promise<string> {
  if (edit.content !== undefined) return store.writeBlob(new TextEncoder().encode(edit.content));
  const oid = edit.sha as string;
  if (edit.type !== 'commit' && (await store.objectType(oid)) !== edit.type) {
    throw new GitStoreError('invalid', `tree.sha ${oid} is not a valid ${edit.type}`);
  }
  return oid;
}

async function applyEdit(store: GitStore, root: MutableTree, edit: TreeEdit): Promise<void> {
  const parts = edit.path.split('/').filter(Boolean);
  const name = parts.pop();
  if (!name) throw new GitStoreError('invalid', `tree.path ${JSON.stringify(edit.path)} is not a valid path`);
  const folder = await folderOf(store, root, parts, edit.path);
  if (edit.sha === null && edit.content === undefined) {
    if (!folder.entries.has(name)) {
      throw new GitStoreError('invalid', `tree.sha is null but ${edit.path} does not exist in base_tree`);
    }
    folder.entries.delete(name);
    return;
  }
  const oid = await editedObject(store, edit);
  folder.entries.set(name, { mode: edit.mode === '40000' ? '040000' : edit.mode, type: edit.type, oid });
}

/** Writes the tree bottom-up; empty subtrees vanish, as git cannot store them. */
async function writeMutableTree(gitdir: string, tree: MutableTree): Promise<string | undefined> {
  const entries: git.TreeEntry[] = [];
  for (const [path, value] of tree.entries) {
    if (isSubtree(value)) {
      const oid = await writeMutableTree(gitdir, value);
      if (oid) entries.push({ path, mode: '040000', type: 'tree', oid });
    } else {
      entries.push({ path, mode: value.mode, type: value.type, oid: value.oid });
    }
  }
  if (entries.length === 0) return undefined;
  return git.writeTree({ fs, gitdir, tree: entries });
}

/** The sha of `base` with `edits` applied in order; the empty tree when nothing is left. */
export async function buildTree(store: GitStore, base: string | undefined, edits: TreeEdit[]): Promise<string> {
  const root: MutableTree = base ? await loadTree(store, base) : { entries: new Map() };
  for (const edit of edits) await applyEdit(store, root, edit);
  return (await writeMutableTree(store.gitdir, root)) ?? (await git.writeTree({ fs, gitdir: store.gitdir, tree: [] }));
}
