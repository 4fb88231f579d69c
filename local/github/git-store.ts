// A bare git repository on disk driven by isomorphic-git (pure JS, so it works where the git CLI is missing).
// Everything the GitHub stand-in knows about files, trees, commits and branches lives here, so what the
// workflow produced can be cloned and diffed with plain git.
import * as fs from 'node:fs';
import * as git from 'isomorphic-git';

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const SHA = /^[0-9a-f]{40}$/;

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export interface Identity {
  name: string;
  email: string;
  /** ISO 8601, as GitHub's API speaks it */
  date: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: Identity;
  committer: Identity;
}

export interface TreeListing {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size?: number;
}

/** One entry of POST git/trees, already checked against GitHub's rules by the server. */
export interface TreeEdit {
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  /** null deletes the path */
  sha?: string | null;
  content?: string;
}

export interface FileChange {
  filename: string;
  status: 'added' | 'modified' | 'removed';
  sha: string;
  additions: number;
  deletions: number;
  changes: number;
}

export type MergeOutcome = { clean: true; tree: string } | { clean: false; conflicts: string[] };

/** A request the repository cannot satisfy (unknown object, bad tree edit); the server turns it into 404/422. */
export class GitStoreError extends Error {
  constructor(
    readonly kind: 'missing' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'GitStoreError';
  }
}

function toGitIdentity(identity: Identity) {
  return {
    name: identity.name,
    email: identity.email,
    timestamp: Math.floor(Date.parse(identity.date) / 1000),
    timezoneOffset: 0,
  };
}

function fromGitIdentity(identity: { name: string; email: string; timestamp: number }): Identity {
  return { name: identity.name, email: identity.email, date: new Date(identity.timestamp * 1000).toISOString() };
}

/** `heads/main`, `refs/heads/main` → `refs/heads/main` */
export function fullRef(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/${ref}`;
}

interface MutableTree {
  entries: Map<string, { mode: string; type: TreeListing['type']; oid: string } | MutableTree>;
}

function isSubtree(value: MutableTree['entries'] extends Map<string, infer V> ? V : never): value is MutableTree {
  return 'entries' in value;
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

export class GitStore {
  private readonly cache = {};

  private constructor(readonly gitdir: string) {}

  /** Opens the bare repository at `gitdir`, creating it (default branch main) when it is not one yet. */
  static async open(gitdir: string, defaultBranch = 'main'): Promise<GitStore> {
    fs.mkdirSync(gitdir, { recursive: true });
    if (!fs.existsSync(`${gitdir}/HEAD`)) await git.init({ fs, gitdir, bare: true, defaultBranch });
    return new GitStore(gitdir);
  }

  // ---- refs -------------------------------------------------------------------------------------------

  async resolveRef(ref: string): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: fullRef(ref) });
    } catch (error) {
      if (error instanceof git.Errors.NotFoundError) return undefined;
      throw error;
    }
  }

  /** Every ref under refs/ whose full name starts with `prefix` (e.g. `refs/heads/onboarding/`). */
  async matchingRefs(prefix: string): Promise<{ ref: string; sha: string }[]> {
    const full = fullRef(prefix);
    const top = full.split('/').slice(0, 2).join('/');
    const names = await git.listRefs({ fs, gitdir: this.gitdir, filepath: top });
    const refs = names.map((name) => `${top}/${name}`).filter((ref) => ref.startsWith(full));
    const out: { ref: string; sha: string }[] = [];
    for (const ref of refs.sort()) {
      const sha = await this.resolveRef(ref);
      if (sha) out.push({ ref, sha });
    }
    return out;
  }

  async writeRef(ref: string, sha: string): Promise<void> {
    await git.writeRef({ fs, gitdir: this.gitdir, ref: fullRef(ref), value: sha, force: true });
  }

  async deleteRef(ref: string): Promise<void> {
    await git.deleteRef({ fs, gitdir: this.gitdir, ref: fullRef(ref) });
  }

  // ---- objects ------------------------------------------------------------------------------------------

  async objectType(sha: string): Promise<ObjectType | undefined> {
    if (!SHA.test(sha)) return undefined;
    try {
      const { type } = await git.readObject({
        fs,
        gitdir: this.gitdir,
        oid: sha,
        cache: this.cache,
        format: 'content',
      });
      return type as ObjectType;
    } catch (error) {
      if (error instanceof git.Errors.NotFoundError) return undefined;
      throw error;
    }
  }

  async writeBlob(content: Uint8Array): Promise<string> {
    return git.writeBlob({ fs, gitdir: this.gitdir, blob: content });
  }

  async readBlob(sha: string): Promise<Uint8Array | undefined> {
    if ((await this.objectType(sha)) !== 'blob') return undefined;
    const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid: sha, cache: this.cache });
    return blob;
  }

  async readCommit(sha: string): Promise<CommitInfo | undefined> {
    if ((await this.objectType(sha)) !== 'commit') return undefined;
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid: sha, cache: this.cache });
    return {
      sha,
      tree: commit.tree,
      parents: commit.parent,
      // git stores a trailing newline that GitHub's API does not show
      message: commit.message.replace(/\n$/, ''),
      author: fromGitIdentity(commit.author),
      committer: fromGitIdentity(commit.committer),
    };
  }

  async writeCommit(input: {
    message: string;
    tree: string;
    parents: string[];
    author: Identity;
    committer: Identity;
  }): Promise<string> {
    if ((await this.objectType(input.tree)) !== 'tree') throw new GitStoreError('invalid', 'Tree SHA does not exist');
    for (const parent of input.parents) {
      if ((await this.objectType(parent)) !== 'commit') {
        throw new GitStoreError('invalid', 'Parent SHA does not exist or is not a commit object');
      }
    }
    return git.writeCommit({
      fs,
      gitdir: this.gitdir,
      commit: {
        message: input.message,
        tree: input.tree,
        parent: input.parents,
        author: toGitIdentity(input.author),
        committer: toGitIdentity(input.committer),
      },
    });
  }

  /** A tree sha, a commit sha or a ref name (branch, tag, `heads/x`) → the tree sha, like GET git/trees does. */
  async resolveTreeish(treeish: string): Promise<string | undefined> {
    const sha = SHA.test(treeish) ? treeish : await this.resolveCommitish(treeish);
    if (!sha) return undefined;
    const type = await this.objectType(sha);
    if (type === 'tree') return sha;
    if (type === 'commit') return (await this.readCommit(sha))?.tree;
    return undefined;
  }

  /** A commit sha or a ref name → the commit sha. */
  async resolveCommitish(ref: string): Promise<string | undefined> {
    if (SHA.test(ref)) return (await this.objectType(ref)) === 'commit' ? ref : undefined;
    const candidates = ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/${ref}`];
    for (const candidate of candidates) {
      const sha = await this.resolveRef(candidate);
      if (sha) return sha;
    }
    return undefined;
  }

  async readTree(sha: string): Promise<TreeListing[]> {
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid: sha, cache: this.cache });
    return tree.map((entry) => ({ path: entry.path, mode: entry.mode, type: entry.type, sha: entry.oid }));
  }

  /** Entries of a tree, depth first like GitHub's `recursive=1`, with blob sizes. */
  async listTree(sha: string, recursive: boolean, prefix = ''): Promise<TreeListing[]> {
    const out: TreeListing[] = [];
    for (const entry of await this.readTree(sha)) {
      const path = `${prefix}${entry.path}`;
      if (entry.type === 'blob') {
        const blob = await this.readBlob(entry.sha);
        out.push({ ...entry, path, size: blob?.length ?? 0 });
      } else {
        out.push({ ...entry, path });
        if (recursive && entry.type === 'tree') out.push(...(await this.listTree(entry.sha, true, `${path}/`)));
      }
    }
    return out;
  }

  /** The entry at `path` inside a tree (a blob or a tree), or undefined. */
  async entryAt(treeSha: string, path: string): Promise<TreeListing | undefined> {
    const parts = path.split('/').filter(Boolean);
    if (parts.length === 0) return { path: '', mode: '040000', type: 'tree', sha: treeSha };
    let current = treeSha;
    for (const [index, part] of parts.entries()) {
      const entry = (await this.readTree(current)).find((candidate) => candidate.path === part);
      if (!entry) return undefined;
      if (index === parts.length - 1) return { ...entry, path: parts.join('/') };
      if (entry.type !== 'tree') return undefined;
      current = entry.sha;
    }
    return undefined;
  }

  /** POST git/trees: `base` (or nothing) plus the edits, nested paths creating subtrees, `sha: null` deleting. */
  async createTree(base: string | undefined, edits: TreeEdit[]): Promise<string> {
    const root = base ? await this.loadTree(base) : { entries: new Map() };
    for (const edit of edits) {
      const parts = edit.path.split('/').filter(Boolean);
      const name = parts.pop();
      if (!name) throw new GitStoreError('invalid', `tree.path ${JSON.stringify(edit.path)} is not a valid path`);
      let node: MutableTree = root;
      for (const part of parts) {
        const existing = node.entries.get(part);
        let next: MutableTree;
        if (existing === undefined) next = { entries: new Map() };
        else if (isSubtree(existing)) next = existing;
        else if (existing.type === 'tree') next = await this.loadTree(existing.oid);
        else throw new GitStoreError('invalid', `tree.path ${edit.path} runs through the file ${part}`);
        node.entries.set(part, next);
        node = next;
      }
      if (edit.sha === null && edit.content === undefined) {
        if (!node.entries.has(name)) {
          throw new GitStoreError('invalid', `tree.sha is null but ${edit.path} does not exist in base_tree`);
        }
        node.entries.delete(name);
        continue;
      }
      let oid: string;
      if (edit.content !== undefined) {
        oid = await this.writeBlob(new TextEncoder().encode(edit.content));
      } else {
        oid = edit.sha as string;
        const actual = await this.objectType(oid);
        if (edit.type !== 'commit' && actual !== edit.type) {
          throw new GitStoreError('invalid', `tree.sha ${oid} is not a valid ${edit.type}`);
        }
      }
      node.entries.set(name, { mode: edit.mode === '40000' ? '040000' : edit.mode, type: edit.type, oid });
    }
    return (await this.writeMutableTree(root)) ?? (await this.writeEmptyTree());
  }

  private async loadTree(sha: string): Promise<MutableTree> {
    if ((await this.objectType(sha)) !== 'tree') throw new GitStoreError('invalid', `base_tree ${sha} is not a tree`);
    const entries: MutableTree['entries'] = new Map();
    for (const entry of await this.readTree(sha)) entries.set(entry.path, { ...entry, oid: entry.sha });
    return { entries };
  }

  /** Writes the tree bottom-up; empty subtrees vanish, as git cannot store them. */
  private async writeMutableTree(tree: MutableTree): Promise<string | undefined> {
    const entries: git.TreeEntry[] = [];
    for (const [path, value] of tree.entries) {
      if (isSubtree(value)) {
        const oid = await this.writeMutableTree(value);
        if (oid) entries.push({ path, mode: '040000', type: 'tree', oid });
      } else {
        entries.push({ path, mode: value.mode, type: value.type, oid: value.oid });
      }
    }
    if (entries.length === 0) return undefined;
    return git.writeTree({ fs, gitdir: this.gitdir, tree: entries });
  }

  private async writeEmptyTree(): Promise<string> {
    return git.writeTree({ fs, gitdir: this.gitdir, tree: [] });
  }

  // ---- history -------------------------------------------------------------------------------------------

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    if (ancestor === descendant) return true;
    return git.isDescendent({ fs, gitdir: this.gitdir, oid: descendant, ancestor, depth: -1, cache: this.cache });
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const bases = await git.findMergeBase({ fs, gitdir: this.gitdir, oids: [a, b], cache: this.cache });
    return bases[0];
  }

  /** Commits reachable from `head` and not from `base`, newest first. */
  async commitsBetween(base: string, head: string): Promise<string[]> {
    const out: string[] = [];
    const seen = new Set<string>();
    const queue = [head];
    while (queue.length > 0) {
      const sha = queue.shift() as string;
      if (seen.has(sha) || (await this.isAncestor(sha, base))) continue;
      seen.add(sha);
      out.push(sha);
      queue.push(...((await this.readCommit(sha))?.parents ?? []));
    }
    return out;
  }

  /** A real 3-way merge of `theirs` into `ours` (line-level, like git); nothing is written to any branch. */
  async tryMerge(ours: string, theirs: string): Promise<MergeOutcome> {
    if (await this.isAncestor(theirs, ours)) return { clean: true, tree: (await this.readCommit(ours))?.tree ?? '' };
    if (await this.isAncestor(ours, theirs)) return { clean: true, tree: (await this.readCommit(theirs))?.tree ?? '' };
    // merge() takes ref names, so the two sides get scratch refs outside refs/heads.
    await this.writeRef('refs/stand-in/ours', ours);
    await this.writeRef('refs/stand-in/theirs', theirs);
    const identity = { name: 'GitHub', email: 'noreply@github.com', timestamp: 0, timezoneOffset: 0 };
    try {
      const result = await git.merge({
        fs,
        gitdir: this.gitdir,
        ours: 'refs/stand-in/ours',
        theirs: 'refs/stand-in/theirs',
        fastForward: false,
        noUpdateBranch: true,
        abortOnConflict: true,
        message: 'stand-in merge probe',
        author: identity,
        committer: identity,
        cache: this.cache,
      });
      return { clean: true, tree: result.tree as string };
    } catch (error) {
      if (error instanceof git.Errors.MergeConflictError) return { clean: false, conflicts: error.data.filepaths };
      if (error instanceof git.Errors.MergeNotSupportedError) return { clean: false, conflicts: [] };
      throw error;
    }
  }

  /** Files that differ between two trees, as GET pulls/{n}/files and compare report them. */
  async diffTrees(from: string | undefined, to: string): Promise<FileChange[]> {
    const before = new Map((from ? await this.listTree(from, true) : []).map((e) => [e.path, e]));
    const after = new Map((await this.listTree(to, true)).map((e) => [e.path, e]));
    const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
    const changes: FileChange[] = [];
    const text = async (sha: string | undefined) =>
      sha ? new TextDecoder().decode((await this.readBlob(sha)) ?? new Uint8Array()) : '';
    for (const path of paths) {
      const old = before.get(path);
      const now = after.get(path);
      if ((old && old.type !== 'blob') || (now && now.type !== 'blob')) continue;
      if (old?.sha === now?.sha) continue;
      const status = !old ? 'added' : !now ? 'removed' : 'modified';
      const { additions, deletions } =
        status === 'added'
          ? { additions: countLines(await text(now?.sha)), deletions: 0 }
          : status === 'removed'
            ? { additions: 0, deletions: countLines(await text(old?.sha)) }
            : lineDelta(await text(old?.sha), await text(now?.sha));
      changes.push({
        filename: path,
        status,
        sha: (now ?? old)?.sha as string,
        additions,
        deletions,
        changes: additions + deletions,
      });
    }
    return changes;
  }

  // ---- conveniences for tests and the local runner -----------------------------------------------------

  /** Commits `files` (path → UTF-8 text) on top of `branch` (created when missing); returns the commit sha. */
  async commitFiles(branch: string, files: Record<string, string>, message: string, who: Identity): Promise<string> {
    const parent = await this.resolveRef(`refs/heads/${branch}`);
    const baseTree = parent ? (await this.readCommit(parent))?.tree : undefined;
    const edits = Object.entries(files).map(([path, content]) => ({
      path,
      mode: '100644',
      type: 'blob' as const,
      content,
    }));
    const tree = await this.createTree(baseTree, edits);
    const sha = await this.writeCommit({ message, tree, parents: parent ? [parent] : [], author: who, committer: who });
    await this.writeRef(`refs/heads/${branch}`, sha);
    return sha;
  }

  /** The UTF-8 text of `path` at a branch, tag or commit, or undefined when it does not exist. */
  async readText(ref: string, path: string): Promise<string | undefined> {
    const tree = await this.resolveTreeish(ref);
    if (!tree) return undefined;
    const entry = await this.entryAt(tree, path);
    if (entry?.type !== 'blob') return undefined;
    const blob = await this.readBlob(entry.sha);
    return blob && new TextDecoder().decode(blob);
  }
}
