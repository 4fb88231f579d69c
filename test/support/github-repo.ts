/**
 * The GitHub stand-in (local/github) as a test repository: seeded files, an Octokit for the tool and one for a
 * person, and readers for what landed (files of a ref, branch heads, commits, the writes made).
 */
import { Octokit } from '@octokit/rest';
import { type GitHubStandIn, startGitHubStandIn } from '../../local/github/server';

const TOKEN = 'ghp_testRepositoryToken';

export interface TestRepo {
  standIn: GitHubStandIn;
  /** The tool's client. */
  octokit: Octokit;
  owner: string;
  repo: string;
  /** Every file of a branch or commit: path → text. */
  files(ref: string): Promise<Record<string, string>>;
  sha(branch: string): Promise<string | undefined>;
  parents(sha: string): Promise<string[]>;
  /** A person's commit of `files` on top of `branch` (their own identity); returns its sha. */
  personCommits(branch: string, files: Record<string, string>, message?: string): Promise<string>;
  /** Requests that write (POST, PATCH, PUT, DELETE), as `METHOD route` (the stand-in's route), since the last `mark()`. */
  writes(): string[];
  /** Requests since the last `mark()`. */
  requests(): number;
  mark(): void;
  stop(): Promise<void>;
}

export async function startTestRepo(files: Record<string, string>): Promise<TestRepo> {
  const standIn = await startGitHubStandIn({ token: TOKEN });
  await standIn.seed(files);
  const octokit = new Octokit({ baseUrl: standIn.url, auth: TOKEN });
  const { store } = standIn;
  let from = 0;
  const since = () => standIn.requests.slice(from);
  return {
    standIn,
    octokit,
    owner: standIn.owner,
    repo: standIn.repo,
    async files(ref) {
      const tree = await store.resolveTreeish(ref);
      if (!tree) return {};
      const out: Record<string, string> = {};
      for (const entry of await store.listTree(tree, true)) {
        if (entry.type !== 'blob') continue;
        out[entry.path] = (await store.readText(ref, entry.path)) ?? '';
      }
      return out;
    },
    sha: (branch) => store.resolveRef(`refs/heads/${branch}`),
    parents: async (sha) => (await store.readCommit(sha))?.parents ?? [],
    personCommits: (branch, changed, message = 'A reviewer fixes the bucket') =>
      store.commitFiles(branch, changed, message, {
        name: 'Rita Reviewer',
        email: 'rita@example.com',
        date: new Date().toISOString(),
      }),
    writes: () =>
      since()
        .filter((r) => r.contentCreating)
        .map((r) => r.route),
    requests: () => since().length,
    mark() {
      from = standIn.requests.length;
    },
    stop: () => standIn.stop(),
  };
}
