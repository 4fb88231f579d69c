// A bare git repository on disk driven by isomorphic-git (pure JS, so it works where the git CLI is missing).
// Everything the GitHub stand-in knows about files, trees, commits and branches lives here, so what the
// workflow produced can be cloned and diffed with plain git. Building trees (tree-builder.ts) and comparing
// commits (git-compare.ts) are their own modules; the store is the one face the routes see.
import * as fs from 'node:fs';
import * as git from 'isomorphic-git';
import { diffTrees, tryMerge } from './git-compare';
import type { CommitInfo, FileChange, Identity, MergeOutcome, ObjectType, TreeEdit, TreeListing } from './git-types';
import { GitStoreError } from './git-types';
import { buildTree } from './tree-builder';

const SHA = /^[0-9a-f]{40}$/;

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
function fullRef(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/${ref}`;
}

export class GitStore {
  /** isomorphic-git's object cache, shared by every reader of this repository */
  readonly cache = {};

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
  createTree(base: string | undefined, edits: TreeEdit[]): Promise<string> {
    return buildTree(this, base, edits);
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
  tryMerge(ours: string, theirs: string): Promise<MergeOutcome> {
    return tryMerge(this, ours, theirs);
  }

  /** Files that differ between two trees, as GET pulls/{n}/files and compare report them. */
  diffTrees(from: string | undefined, to: string): Promise<FileChange[]> {
    return diffTrees(this, from, to);
  }

  // ---- conveniences for tests and the local runner -----------------------------------------------------

  /** Commits `edits` (as POST git/trees takes them) on top of `branch` (created when missing); returns the commit sha. */
  async commitEdits(branch: string, edits: TreeEdit[], message: string, who: Identity): Promise<string> {
    const parent = await this.resolveRef(`refs/heads/${branch}`);
    const baseTree = parent ? (await this.readCommit(parent))?.tree : undefined;
    const tree = await this.createTree(baseTree, edits);
    const sha = await this.writeCommit({ message, tree, parents: parent ? [parent] : [], author: who, committer: who });
    await this.writeRef(`refs/heads/${branch}`, sha);
    return sha;
  }

  /** Commits `files` (path → UTF-8 text, or null to remove it) on top of `branch`; returns the commit sha. */
  commitFiles(branch: string, files: Record<string, string | null>, message: string, who: Identity): Promise<string> {
    const edits = Object.entries(files).map(([path, content]): TreeEdit => {
      const file = { path, mode: '100644', type: 'blob' as const };
      return content === null ? { ...file, sha: null } : { ...file, content };
    });
    return this.commitEdits(branch, edits, message, who);
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
