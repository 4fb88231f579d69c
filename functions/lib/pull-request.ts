import type { Octokit } from '@octokit/rest';
import { pushBranch } from './branch';
import type { OnboardingConfig } from './config';
import { GitHubConflict } from './errors';
import { gh, githubMessage, httpStatus, toNamedGitHubError } from './github-client';
import { logger } from './logger';
import {
  COMMIT_IDENTITY,
  commitMessage,
  EDITED_COMMENT_MARKER,
  editedComment,
  onboardingMarker,
  parseOnboardingMarker,
  pullRequestBody,
  pullRequestTitle,
} from './onboarding-change';
import { resolveProfile, withProfile } from './profiles';
import { type CommitPlan, planRepo, type RepoObservation, type RepoPlan } from './repo-plan';
import { observeOpenPulls, observeRepo } from './repo-snapshot';
import { assertSafeChange } from './safe-change';
import type { AccountContext, PullRequestResult, RoleResult } from './types';

/**
 * The writer of the repository plan (repo-plan.ts): observe → plan → apply, converging on one open pull request per
 * account on a deterministic branch, written only while the branch is the tool's. Safe to run any number of times,
 * concurrently: a run that finds the pull request current makes 5 reads and no write.
 */

export interface OnboardingPullRequestInput {
  account: AccountContext;
  role: Pick<RoleResult, 'roleArn' | 'outcome' | 'changes'>;
  force: boolean;
  executionUrl?: string;
}

/** The deterministic branch of an account's onboarding: every run for the account converges on it. */
export const onboardingBranch = (config: OnboardingConfig, accountId: string): string =>
  `${config.github.branchPrefix}${accountId}`;

export async function ensureOnboardingPullRequest(
  octokit: Octokit,
  base: OnboardingConfig,
  input: OnboardingPullRequestInput,
): Promise<PullRequestResult> {
  const { accountId } = input.account;
  // The account's profile: its template set, labels and reviewers (the top-level ones when none matches).
  const { profile } = resolveProfile(input.account, base);
  const config = withProfile(base, profile);
  const observation = await observeRepo(octokit, config, { accountId });
  const plan = planRepo(input.account, observation, config, { force: input.force, profile });
  const result = await applyRepoPlan(octokit, config, input, observation, plan);
  if (result.outcome !== 'opened' || result.number === undefined) return result;

  // Two accounts whose names slug alike, created together, both found the folder free. The lower-numbered pull
  // request keeps it; the later one (which sees the earlier now) moves to its collision folder.
  const again = { ...observation, pulls: await observeOpenPulls(octokit, config, accountId) };
  const replanned = planRepo(input.account, again, config, { force: input.force, profile });
  if (replanned.action.type === 'blocked') {
    // The folder went to the earlier pull request and no other is free: this one must not compete for it.
    await supersede(octokit, config, result.number, replanned);
    const changes = replanned.changes.map((c) => `${c.class}: ${c.detail}`);
    return { ...result, outcome: 'blocked', changes };
  }
  if (replanned.folder === plan.folder || replanned.action.type !== 'update') return result;
  logger.info('Another onboarding pull request claimed the folder first; moving', {
    from: plan.folder,
    to: replanned.folder,
  });
  const moved = await applyRepoPlan(octokit, config, input, again, replanned);
  return { ...moved, outcome: 'opened' };
}

/** Carries out the plan's pull request action. */
export async function applyRepoPlan(
  octokit: Octokit,
  config: OnboardingConfig,
  input: OnboardingPullRequestInput,
  obs: RepoObservation,
  plan: RepoPlan,
): Promise<PullRequestResult> {
  const branch = onboardingBranch(config, input.account.accountId);
  const base = { branch, folder: plan.folder };
  const details = plan.changes.map((c) => `${c.class}: ${c.detail}`);
  const { action } = plan;
  switch (action.type) {
    case 'none':
      return { ...base, outcome: 'already-onboarded', files: [], ...(details.length ? { changes: details } : {}) };
    case 'keep':
      return {
        ...base,
        outcome: 'unchanged',
        number: action.pull.number,
        url: action.pull.url,
        files: paths(plan, config),
      };
    case 'declined':
      logger.info('Onboarding pull request was closed unmerged; not reopening without force', {
        number: action.pull.number,
      });
      return { ...base, outcome: 'declined', number: action.pull.number, url: action.pull.url, files: [] };
    case 'blocked':
      return { ...base, outcome: 'blocked', files: [], changes: details };
    case 'edited':
      if (action.ours) await commentOnce(octokit, config, action.pull.number, editedComment(branch, reasonOf(plan)));
      return {
        ...base,
        outcome: 'edited',
        number: action.pull.number,
        url: action.pull.url,
        files: [],
        changes: details,
      };
    case 'open':
    case 'update':
      break;
  }
  const commit = plan.commit as CommitPlan;
  assertSafeChange({ folder: plan.folder, ...commit }, obs, config);

  const sha = await writeCommit(octokit, config, obs, plan, input);
  const pushed = await pushBranch(octokit, config, branch, sha, action.type === 'update' ? action.pull : undefined);
  if (pushed === 'not-ours') {
    const reason = `the branch ${branch} holds commits the tool did not make`;
    return { ...base, outcome: 'edited', files: [], changes: [`pr-edited: ${reason}; delete it to hand it back`] };
  }
  const { owner, repo, baseBranch } = config.github;
  const title = pullRequestTitle(input.account);
  const body = pullRequestBody({
    account: input.account,
    role: input.role,
    config,
    folder: plan.folder,
    ...(plan.takenFolder ? { takenFolder: plan.takenFolder } : {}),
    files: commit.files,
    workflowChanged: commit.workflowChanged,
    contentHash: commit.contentHash,
    commitSha: sha,
    ...(input.executionUrl ? { executionUrl: input.executionUrl } : {}),
  });

  if (action.type === 'update') {
    await gh('update the onboarding pull request', () =>
      octokit.rest.pulls.update({ owner, repo, pull_number: action.pull.number, title, body }),
    );
    return {
      ...base,
      outcome: 'updated',
      number: action.pull.number,
      url: action.pull.url,
      files: paths(plan, config),
    };
  }
  try {
    const { data } = await octokit.rest.pulls.create({ owner, repo, head: branch, base: baseBranch, title, body });
    await decoratePullRequest(octokit, config, data.number);
    logger.info('Opened onboarding pull request', { number: data.number, branch, folder: plan.folder });
    return { ...base, outcome: 'opened', number: data.number, url: data.html_url, files: paths(plan, config) };
  } catch (err) {
    if (!(httpStatus(err) === 422 && /pull request already exists/i.test(githubMessage(err)))) {
      throw toNamedGitHubError(err, 'open the onboarding pull request');
    }
    // A concurrent run opened it between our read and our create: the retry observes it and converges.
    throw new GitHubConflict(`A pull request from ${branch} was opened concurrently; retried to converge on it`);
  }
}

/** Closes the tool's own just-opened pull request, marking it superseded (so it never reads as a person's decline). */
async function supersede(octokit: Octokit, config: OnboardingConfig, number: number, plan: RepoPlan): Promise<void> {
  const { owner, repo } = config.github;
  const { data: pull } = await gh('read the onboarding pull request', () =>
    octokit.rest.pulls.get({ owner, repo, pull_number: number }),
  );
  const marker = parseOnboardingMarker(pull.body);
  const body = [
    (pull.body ?? '').replace(/<!-- oidc-account-onboarding:v2 [^>]*-->/, ''),
    `> **Closed by oidc-account-onboarding:** another account's pull request adds this folder first, and no other folder is free: ${plan.changes.map((c) => c.detail).join('; ')}`,
    '',
    marker?.folder && marker.commit
      ? onboardingMarker({
          accountId: marker.accountId,
          folder: marker.folder,
          hash: marker.hash,
          commit: marker.commit,
          superseded: true,
        })
      : '',
  ].join('\n');
  await gh('close the superseded onboarding pull request', () =>
    octokit.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed', body }),
  );
}

const paths = (plan: RepoPlan, config: OnboardingConfig): string[] =>
  plan.commit
    ? [...plan.commit.files.map((f) => f.path), ...(plan.commit.workflowChanged ? [config.github.workflowPath] : [])]
    : [];

const reasonOf = (plan: RepoPlan): string =>
  plan.changes.find((c) => c.class === 'pr-edited')?.detail.split(' (')[0] ?? 'a person pushed to it';

/** One commit on the current base holding every file of the change, made as the tool (inline contents). */
async function writeCommit(
  octokit: Octokit,
  config: OnboardingConfig,
  obs: RepoObservation,
  plan: RepoPlan,
  input: OnboardingPullRequestInput,
): Promise<string> {
  const { owner, repo, workflowPath } = config.github;
  const commit = plan.commit as CommitPlan;
  const baseCommit = await gh('read the base commit', () =>
    octokit.rest.git.getCommit({ owner, repo, commit_sha: obs.commitSha }),
  );
  const entries = [
    ...commit.files,
    ...(commit.workflowChanged ? [{ path: workflowPath, content: commit.workflowText }] : []),
  ].map((f) => ({ path: f.path, mode: '100644' as const, type: 'blob' as const, content: f.content }));
  const tree = await gh('create the onboarding tree', () =>
    octokit.rest.git.createTree({ owner, repo, base_tree: baseCommit.data.tree.sha, tree: entries }),
  );
  const identity = { ...COMMIT_IDENTITY, date: new Date().toISOString() };
  const message = commitMessage(
    pullRequestTitle(input.account),
    entries.map((e) => e.path),
    tree.data.sha,
  );
  const created = await gh('create the onboarding commit', () =>
    octokit.rest.git.createCommit({
      owner,
      repo,
      message,
      tree: tree.data.sha,
      parents: [obs.commitSha],
      author: identity,
      committer: identity,
    }),
  );
  return created.data.sha;
}

/** Leaves `body` on the pull request unless the tool already left its explanatory comment there. */
async function commentOnce(octokit: Octokit, config: OnboardingConfig, number: number, body: string): Promise<void> {
  const { owner, repo } = config.github;
  const comments = await gh('read the pull request comments', () =>
    octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 }),
  );
  if (comments.some((c) => c.body?.includes(EDITED_COMMENT_MARKER))) return;
  await gh('comment on the onboarding pull request', () =>
    octokit.rest.issues.createComment({ owner, repo, issue_number: number, body }),
  );
}

/** Labels and reviewers, only when configured and only on the run that opens the PR. Failures are not fatal. */
export async function decoratePullRequest(octokit: Octokit, config: OnboardingConfig, number: number): Promise<void> {
  const { owner, repo, labels, reviewers, teamReviewers } = config.github;
  if (labels.length > 0) {
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels }).catch((err: unknown) => {
      if (httpStatus(err) !== 422) throw toNamedGitHubError(err, 'label the onboarding pull request');
      logger.warn('Could not add labels to the onboarding pull request', { number, error: githubMessage(err) });
    });
  }
  if (reviewers.length > 0 || teamReviewers.length > 0) {
    await octokit.rest.pulls
      .requestReviewers({ owner, repo, pull_number: number, reviewers, team_reviewers: teamReviewers })
      .catch((err: unknown) => {
        if (httpStatus(err) !== 422) throw toNamedGitHubError(err, 'request reviewers');
        logger.warn('Could not request reviewers (are they collaborators?)', { number, error: githubMessage(err) });
      });
  }
}
