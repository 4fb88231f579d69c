import type { Octokit } from '@octokit/rest';
import type { BatchPlan } from './backfill-plan';
import { type BatchOrigin, batchPullRequestBody, batchPullRequestTitle } from './batch-change';
import { pushBranch } from './branch';
import type { OnboardingConfig } from './config';
import { GitHubConflict } from './errors';
import { githubMessage, httpStatus, toNamedGitHubError } from './github-client';
import { logger } from './logger';
import { COMMIT_IDENTITY, commitMessage } from './onboarding-change';
import { decoratePullRequest } from './pull-request';
import type { RepoObservation } from './repo-plan';
import { assertSafeBatchChange } from './safe-change';
import type { AccountId } from './types';

/**
 * The writer of batch pull requests (backfill-plan.ts plans them): per batch one tree, one commit, one branch and
 * one pull request, whatever the number of accounts in it (4 content-creating requests; labels and reviewers when
 * configured). The base commit is read once per run. A branch is pushed only while it is the tool's (branch.ts
 * pushBranch): a batch branch left by a crash is reused, one a person pushed to is left alone.
 */

export interface BatchResult {
  key: string;
  branch: string;
  accounts: AccountId[];
  /** `opened`; `edited` when the branch (or a pull request from it) is not the tool's to write. */
  outcome: 'opened' | 'updated' | 'edited';
  number?: number;
  url?: string;
  detail?: string;
}

export async function applyBatches(
  octokit: Octokit,
  config: OnboardingConfig,
  obs: RepoObservation,
  batches: BatchPlan[],
  roleArnOf: (accountId: AccountId) => string,
  options: { paceMs?: number; origin?: BatchOrigin } = {},
): Promise<BatchResult[]> {
  const { owner, repo, baseBranch, workflowPath } = config.github;
  const results: BatchResult[] = [];
  let baseTree: string | undefined;
  // GitHub asks for a second between content-creating requests (its client's throttling does it when it has one).
  let writes = 0;
  const gh = async <T>(action: string, call: () => Promise<T>, write = true): Promise<T> => {
    if (write && options.paceMs && writes++ > 0) await new Promise((r) => setTimeout(r, options.paceMs));
    try {
      return await call();
    } catch (err) {
      throw toNamedGitHubError(err, action);
    }
  };
  for (const batch of batches) {
    const base = { key: batch.key, branch: batch.branch, accounts: batch.accounts.map((a) => a.accountId) };
    // A pull request from this very branch that the planner did not read as the tool's (its marker was edited):
    // never pushed to.
    const existing = obs.batches?.find((b) => b.key === batch.key && b.state === 'open');
    const update = batch.action.type === 'update' ? batch.action.pull : undefined;
    if (existing && !update) {
      results.push({
        ...base,
        outcome: 'edited',
        number: existing.number,
        url: existing.url,
        detail: `pull request #${existing.number} from ${batch.branch} is not the tool's (its marker was changed); left alone`,
      });
      continue;
    }
    assertSafeBatchChange({ folders: batch.accounts.map((a) => a.folder), ...batch }, obs, config);

    baseTree ??= (
      await gh(
        'read the base commit',
        () => octokit.rest.git.getCommit({ owner, repo, commit_sha: obs.commitSha }),
        false,
      )
    ).data.tree.sha;
    const entries = [
      ...batch.files,
      ...(batch.workflowChanged ? [{ path: workflowPath, content: batch.workflowText }] : []),
    ].map((f) => ({ path: f.path, mode: '100644' as const, type: 'blob' as const, content: f.content }));
    const tree = await gh('create the batch tree', () =>
      octokit.rest.git.createTree({ owner, repo, base_tree: baseTree, tree: entries }),
    );
    const title = batchPullRequestTitle(batch.accounts.length);
    const identity = { ...COMMIT_IDENTITY, date: new Date().toISOString() };
    const commit = await gh('create the batch commit', () =>
      octokit.rest.git.createCommit({
        owner,
        repo,
        message: commitMessage(
          title,
          entries.map((e) => e.path),
          tree.data.sha,
        ),
        tree: tree.data.sha,
        parents: [obs.commitSha],
        author: identity,
        committer: identity,
      }),
    );
    const pushed = await gh('push the batch branch', () =>
      pushBranch(octokit, config, batch.branch, commit.data.sha, update),
    );
    if (pushed === 'not-ours') {
      results.push({
        ...base,
        outcome: 'edited',
        detail: `the branch ${batch.branch} holds commits the tool did not make; delete it to hand it back`,
      });
      continue;
    }
    const body = batchPullRequestBody({
      config,
      ...(options.origin ? { origin: options.origin } : {}),
      key: batch.key,
      accounts: batch.accounts.map((a) => ({ ...a, roleArn: roleArnOf(a.accountId) })),
      files: batch.files,
      workflowChanged: batch.workflowChanged,
      contentHash: batch.contentHash,
      commitSha: commit.data.sha,
    });
    if (update) {
      await gh('update the batch pull request', () =>
        octokit.rest.pulls.update({ owner, repo, pull_number: update.number, title, body }),
      );
      logger.info('Regenerated batch onboarding pull request', { number: update.number, branch: batch.branch });
      results.push({ ...base, outcome: 'updated', number: update.number, url: update.url });
      continue;
    }
    try {
      if (options.paceMs) await new Promise((r) => setTimeout(r, options.paceMs));
      const { data } = await octokit.rest.pulls.create({
        owner,
        repo,
        head: batch.branch,
        base: baseBranch,
        title,
        body,
      });
      await decoratePullRequest(octokit, { ...config, github: { ...config.github, ...batch.decoration } }, data.number);
      logger.info('Opened batch onboarding pull request', {
        number: data.number,
        branch: batch.branch,
        accounts: batch.accounts.length,
      });
      results.push({ ...base, outcome: 'opened', number: data.number, url: data.html_url });
    } catch (err) {
      if (!(httpStatus(err) === 422 && /pull request already exists/i.test(githubMessage(err)))) {
        throw toNamedGitHubError(err, 'open the batch pull request');
      }
      throw new GitHubConflict(
        `A pull request from ${batch.branch} was opened concurrently (another backfill?); run again to converge on it`,
      );
    }
  }
  return results;
}
