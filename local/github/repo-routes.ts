// The repository itself: its description, the comparison of two commits and the tarball of one.
import type { CommitInfo } from './git-types';
import type { RepoContext, RouteSpec } from './repo-context';
import { notFound, REPO, type RouteRequest, type RouteResponse } from './route-kit';
import { repositoryTarball } from './tarball';

async function getRepository({ views }: RepoContext): Promise<RouteResponse> {
  return { status: 200, body: views.repo() };
}

function compareStatus(base: string, head: string, ahead: number, behind: number): string {
  if (base === head) return 'identical';
  if (ahead > 0 && behind > 0) return 'diverged';
  return ahead > 0 ? 'ahead' : 'behind';
}

async function compareCommits({ store, views }: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  const [baseName, headName] = (params.basehead ?? '').split('...');
  const strip = (name: string | undefined) => (name ?? '').replace(/^[^:]+:/, '');
  const base = await store.resolveCommitish(strip(baseName));
  const head = await store.resolveCommitish(strip(headName));
  if (!base || !head || headName === undefined) throw notFound();
  const commit = async (sha: string) => views.repoCommit((await store.readCommit(sha)) as CommitInfo);
  const mergeBase = await store.mergeBase(base, head);
  const ahead = mergeBase ? await store.commitsBetween(mergeBase, head) : [];
  const behind = mergeBase ? await store.commitsBetween(mergeBase, base) : [];
  const commits = await Promise.all(ahead.reverse().map(commit));
  const fromTree = mergeBase ? (await store.readCommit(mergeBase))?.tree : undefined;
  const toTree = (await store.readCommit(head))?.tree as string;
  const files = (await store.diffTrees(fromTree, toTree)).map((file) => views.file(file));
  return {
    status: 200,
    body: {
      url: `${views.api}/compare/${params.basehead}`,
      html_url: `${views.html}/compare/${params.basehead}`,
      base_commit: await commit(base),
      merge_base_commit: mergeBase ? await commit(mergeBase) : null,
      status: compareStatus(base, head, ahead.length, behind.length),
      ahead_by: ahead.length,
      behind_by: behind.length,
      total_commits: ahead.length,
      commits,
      files,
    },
  };
}

/** GitHub answers 302 to codeload; the stand-in serves the same gzipped tar itself (one request). */
async function getTarball({ store, options }: RepoContext, { params }: RouteRequest): Promise<RouteResponse> {
  const sha = await store.resolveCommitish(params.ref ?? '');
  if (!sha) throw notFound();
  const top = `${options.owner}-${options.repo}-${sha.slice(0, 7)}`;
  return {
    status: 200,
    body: await repositoryTarball(store, sha, top),
    headers: {
      'content-type': 'application/x-gzip',
      'content-disposition': `attachment; filename=${top}.tar.gz`,
    },
  };
}

export const repositoryRoute: RouteSpec = { method: 'GET', path: REPO, handle: getRepository };

export const compareAndArchiveRoutes: RouteSpec[] = [
  { method: 'GET', path: `${REPO}/compare/{basehead}`, handle: compareCommits },
  { method: 'GET', path: `${REPO}/tarball/{ref}`, handle: getTarball },
];
