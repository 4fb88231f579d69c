import type { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from './config';
import { GitHubConflict } from './errors';
import { githubMessage, httpStatus, toNamedGitHubError } from './github-client';
import { headIsOurs } from './repo-snapshot';

/** The branch rule shared by the onboarding and offboarding writers: push only while the branch is the tool's. */

/**
 * Points the onboarding branch at the commit, only while the branch is the tool's: a new branch is created; an
 * existing one is moved only when its head is the one observed (for an open pull request) or the tool's own
 * commit (a branch left by a crash or a closed pull request). Force is needed because the new commit sits on the
 * new base; the head is read again just before, so a person's push in between is never overwritten silently.
 */
export async function pushBranch(
  octokit: Octokit,
  config: OnboardingConfig,
  branch: string,
  sha: string,
  open: { headSha: string } | undefined,
): Promise<'pushed' | 'not-ours'> {
  const { owner, repo } = config.github;
  if (!open) {
    try {
      await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
      return 'pushed';
    } catch (err) {
      if (!(httpStatus(err) === 422 && /reference already exists/i.test(githubMessage(err)))) {
        throw toNamedGitHubError(err, `push branch ${branch}`);
      }
    }
  }
  const current = await readBranchHead(octokit, config, branch);
  if (current === undefined) throw new GitHubConflict(`Branch ${branch} vanished while being pushed; retried`);
  if (open && current !== open.headSha) {
    throw new GitHubConflict(`Branch ${branch} moved since it was read (a push?); retried to look again`);
  }
  if (!open && !(await headIsOurs(octokit, config, current))) return 'not-ours';
  try {
    await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: true });
  } catch (err) {
    throw toNamedGitHubError(err, `push branch ${branch}`);
  }
  return 'pushed';
}

async function readBranchHead(octokit: Octokit, config: OnboardingConfig, branch: string): Promise<string | undefined> {
  const { owner, repo } = config.github;
  try {
    return (await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw toNamedGitHubError(err, `read branch ${branch}`);
  }
}
