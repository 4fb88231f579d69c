import type { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from './config';
import type { PullFacts } from './dashboard';
import { httpStatus, toNamedGitHubError } from './github-client';

/** The refresh's GitHub reads: the watched request (conditional, 304 while nothing changed) and each pull request's state. */

/** The repository's most recently updated issue or pull request, conditionally: 304 while nothing changed. */
export async function readActivity(
  octokit: Octokit,
  config: OnboardingConfig,
  etag: string | undefined,
): Promise<'not-modified' | { etag: string }> {
  const { owner, repo } = config.github;
  try {
    const res = await octokit.rest.issues.listForRepo({
      owner,
      repo,
      state: 'all',
      sort: 'updated',
      direction: 'desc',
      per_page: 1,
      ...(etag ? { headers: { 'if-none-match': etag } } : {}),
    });
    return { etag: String(res.headers.etag ?? '') };
  } catch (err) {
    if (httpStatus(err) === 304) return 'not-modified';
    throw toNamedGitHubError(err, 'read the latest issue and pull request activity');
  }
}

export async function readBase(
  octokit: Octokit,
  config: OnboardingConfig,
  etag: string | undefined,
): Promise<'not-modified' | { sha: string; etag: string }> {
  const { owner, repo, baseBranch } = config.github;
  try {
    const res = await octokit.rest.git.getRef({
      owner,
      repo,
      ref: `heads/${baseBranch}`,
      ...(etag ? { headers: { 'if-none-match': etag } } : {}),
    });
    return { sha: res.data.object.sha, etag: String(res.headers.etag ?? '') };
  } catch (err) {
    if (httpStatus(err) === 304) return 'not-modified';
    throw toNamedGitHubError(err, `read the base branch ${baseBranch}`);
  }
}

/** GitHub's `mergeable`: null while it is still computing it in the background. */
export async function readMergeable(
  octokit: Octokit,
  config: OnboardingConfig,
  number: number,
): Promise<boolean | null> {
  const { owner, repo } = config.github;
  try {
    const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    return data.state === 'open' ? data.mergeable : true;
  } catch (err) {
    throw toNamedGitHubError(err, `read onboarding pull request #${number}`);
  }
}

/** Is the pull request's head commit (the tool's one commit) made directly on the current base? */
export async function onBase(octokit: Octokit, config: OnboardingConfig, head: string, base: string): Promise<boolean> {
  const { owner, repo } = config.github;
  try {
    const { data } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: head });
    return data.parents.length === 1 && data.parents[0]?.sha === base;
  } catch (err) {
    throw toNamedGitHubError(err, 'read the head commit of an onboarding pull request');
  }
}

/** What decides a pull request's refresh: `conflicted`, GitHub's mergeable; `behind-base`, whether it is on the base. */
export async function readPullFacts(
  octokit: Octokit,
  config: OnboardingConfig,
  when: 'conflicted' | 'behind-base',
  pull: { number: number; headSha: string },
  baseSha: string,
): Promise<PullFacts> {
  if (when === 'behind-base') return { behind: !(await onBase(octokit, config, pull.headSha, baseSha)) };
  return { mergeable: await readMergeable(octokit, config, pull.number) };
}

/** Why a pull request is regenerated. */
export type RefreshReason = 'conflict' | 'behind' | 'forced';

/**
 * What the `when` rule makes of a pull request's facts: regenerate it (`behind`: not on the base; `conflict`: GitHub
 * says it does not merge), look again at the next run (`unknown`: GitHub is still computing), or leave it (undefined).
 */
export function verdictOf(seen: PullFacts | undefined): Exclude<RefreshReason, 'forced'> | 'unknown' | undefined {
  if (seen?.behind === true) return 'behind';
  if (seen?.mergeable === false) return 'conflict';
  if (seen?.mergeable === null) return 'unknown';
  return undefined;
}

/** The facts of a pull request just regenerated: one commit on the current base, so it is on the base and merges. */
export const regeneratedFacts = (when: 'conflicted' | 'behind-base'): PullFacts =>
  when === 'behind-base' ? { behind: false } : { mergeable: true };
