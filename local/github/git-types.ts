// What the git store speaks: objects, identities, tree edits and file changes, as the GitHub stand-in's routes use them.

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
