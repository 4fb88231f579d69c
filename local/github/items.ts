// The issues and pull requests of the stand-in's repository (one numbering, as on GitHub: a pull request is an issue
// too), kept in memory; their branches and commits live in the git store.
import { notFound } from './route-kit';

export interface CommentRecord {
  id: number;
  body: string;
  user: string;
  createdAt: string;
}

export interface ItemRecord {
  kind: 'pull' | 'issue';
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: string | null;
  labels: string[];
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  // pull requests only
  head?: string;
  base?: string;
  /** head and base shas, frozen when the pull request closes (open ones follow their branches) */
  frozenHeadSha?: string;
  frozenBaseSha?: string;
  draft?: boolean;
  merged?: boolean;
  mergedAt?: string | null;
  mergeCommitSha?: string | null;
  requestedReviewers?: string[];
  comments?: CommentRecord[];
}

export class Items {
  private readonly byNumber = new Map<number, ItemRecord>();
  private nextNumber = 1;
  private nextCommentId = 1;

  /** Stores a new issue or pull request under the next number. */
  add(item: Omit<ItemRecord, 'number'>): ItemRecord {
    const added = { ...item, number: this.nextNumber++ };
    this.byNumber.set(added.number, added);
    return added;
  }

  /** The item a path parameter names (of `kind` when given), or 404. */
  get(numberText: string | undefined, kind?: 'pull'): ItemRecord {
    const item = this.byNumber.get(Number(numberText));
    if (!item || (kind && item.kind !== kind)) throw notFound();
    return item;
  }

  all(): ItemRecord[] {
    return [...this.byNumber.values()];
  }

  pulls(): ItemRecord[] {
    return this.all().filter((item) => item.kind === 'pull');
  }

  /** The open pull request from `head` into `base` other than `except`: GitHub allows one. */
  openPullFor(head: string, base: string, except?: number): ItemRecord | undefined {
    return this.pulls().find(
      (item) => item.state === 'open' && item.head === head && item.base === base && item.number !== except,
    );
  }

  newCommentId(): number {
    return this.nextCommentId++;
  }
}
