import type { Octokit } from '@octokit/rest';
import { pushBranch } from './branch';
import type { OnboardingConfig } from './config';
import { GitHubConflict } from './errors';
import { gh, githubMessage, httpStatus, toNamedGitHubError } from './github-client';
import { logger } from './logger';
import { assertSafeOffboarding } from './offboard-guard';
import {
  type OffboardObservation,
  type OffboardPlan,
  type OffboardPull,
  offboardingBranch,
  offboardMarker,
  parseOffboardMarker,
  planOffboarding,
} from './offboard-plan';
import { COMMIT_IDENTITY, commitMessage, markdownText } from './onboarding-change';
import { headIsOurs, observeRepo } from './repo-snapshot';
import type { AccountId } from './types';

/**
 * The writer of an offboarding plan (offboard-plan.ts): observe → plan → guard → apply, converging on one pull
 * request per account on `<offboarding.branchPrefix><id>`, written only while that branch is the tool's (the same
 * commit identity and tree trailer as onboarding). Nothing here reads or writes the account's `cicd` role.
 */

/** Why the account is offboarded; the body says what stays behind for each. */
export type OffboardReason = 'closed' | 'suspended' | 'removed';

export interface OffboardInput {
  accountId: AccountId;
  /** The account's name when Organizations still knows it. */
  name?: string;
  reason: OffboardReason;
  force?: boolean;
  executionUrl?: string;
}

export type OffboardOutcome = 'nothing-to-do' | 'opened' | 'updated' | 'unchanged' | 'declined' | 'edited';

export interface OffboardResult {
  outcome: OffboardOutcome;
  accountId: AccountId;
  branch: string;
  folders: string[];
  matrixEntries: string[];
  removedFolders: string[];
  number?: number;
  url?: string;
  /** Paths the commit changes or deletes. */
  files: string[];
}

export async function observeOffboarding(
  octokit: Octokit,
  config: OnboardingConfig,
  accountId: AccountId,
): Promise<OffboardObservation> {
  const [repo, pulls] = await Promise.all([
    observeRepo(octokit, config, { accountId }),
    listOffboardingPulls(octokit, config, accountId),
  ]);
  const open = pulls.find((p) => p.state === 'open' && p.marker?.accountId === accountId);
  if (open) open.headIsOurs = await headIsOurs(octokit, config, open.headSha);
  return {
    commitSha: repo.commitSha,
    workflowPath: repo.workflowPath,
    ...(repo.workflowText === undefined ? {} : { workflowText: repo.workflowText }),
    folders: repo.folders,
    pulls,
  };
}

async function listOffboardingPulls(
  octokit: Octokit,
  config: OnboardingConfig,
  accountId: AccountId,
): Promise<OffboardPull[]> {
  const { owner, repo, baseBranch } = config.github;
  const branch = offboardingBranch(config, accountId);
  const pulls = await gh('list the offboarding pull requests', () =>
    octokit.paginate(octokit.rest.pulls.list, {
      owner,
      repo,
      base: baseBranch,
      state: 'all',
      head: `${owner}:${branch}`,
      per_page: 100,
    }),
  );
  return pulls
    .filter((p) => p.head.ref === branch)
    .map((p) => {
      const marker = parseOffboardMarker(p.body);
      return {
        number: p.number,
        state: p.state === 'open' ? ('open' as const) : ('closed' as const),
        merged: Boolean(p.merged_at),
        url: p.html_url,
        headSha: p.head.sha,
        ...(marker ? { marker } : {}),
      };
    })
    .sort((a, b) => b.number - a.number);
}

export async function ensureOffboardingPullRequest(
  octokit: Octokit,
  config: OnboardingConfig,
  input: OffboardInput,
): Promise<OffboardResult> {
  const obs = await observeOffboarding(octokit, config, input.accountId);
  const plan = planOffboarding(input.accountId, obs, config, { force: input.force === true });
  return applyOffboardPlan(octokit, config, input, obs, plan);
}

export async function applyOffboardPlan(
  octokit: Octokit,
  config: OnboardingConfig,
  input: OffboardInput,
  obs: OffboardObservation,
  plan: OffboardPlan,
): Promise<OffboardResult> {
  const branch = offboardingBranch(config, input.accountId);
  const base = {
    accountId: input.accountId,
    branch,
    folders: plan.folders,
    matrixEntries: plan.matrixEntries,
    removedFolders: plan.removedFolders,
  };
  const { action } = plan;
  const files = plan.commit
    ? [...plan.commit.deletions, ...(plan.commit.workflowChanged ? [config.github.workflowPath] : [])]
    : [];
  switch (action.type) {
    case 'none':
      return { ...base, outcome: 'nothing-to-do', files: [] };
    case 'keep':
      return { ...base, outcome: 'unchanged', number: action.pull.number, url: action.pull.url, files };
    case 'declined':
      return { ...base, outcome: 'declined', number: action.pull.number, url: action.pull.url, files: [] };
    case 'edited':
      return { ...base, outcome: 'edited', number: action.pull.number, url: action.pull.url, files: [] };
    case 'open':
    case 'update':
      break;
  }
  const commit = plan.commit;
  if (!commit) throw new Error('An offboarding plan to open or update has no commit');
  assertSafeOffboarding(input.accountId, commit, obs, config);

  const { owner, repo, baseBranch, workflowPath } = config.github;
  const title = offboardingTitle(input);
  const baseCommit = await gh('read the base commit', () =>
    octokit.rest.git.getCommit({ owner, repo, commit_sha: obs.commitSha }),
  );
  const entries = [
    ...commit.deletions.map((path) => ({ path, mode: '100644' as const, type: 'blob' as const, sha: null })),
    ...(commit.workflowChanged
      ? [{ path: workflowPath, mode: '100644' as const, type: 'blob' as const, content: commit.workflowText }]
      : []),
  ];
  const tree = await gh('create the offboarding tree', () =>
    octokit.rest.git.createTree({ owner, repo, base_tree: baseCommit.data.tree.sha, tree: entries }),
  );
  const identity = { ...COMMIT_IDENTITY, date: new Date().toISOString() };
  const created = await gh('create the offboarding commit', () =>
    octokit.rest.git.createCommit({
      owner,
      repo,
      message: commitMessage(title, files, tree.data.sha),
      tree: tree.data.sha,
      parents: [obs.commitSha],
      author: identity,
      committer: identity,
    }),
  );
  const sha = created.data.sha;
  const open = action.type === 'update' ? action.pull : undefined;
  if ((await pushBranch(octokit, config, branch, sha, open)) === 'not-ours') {
    return { ...base, outcome: 'edited', files: [] };
  }
  const body = offboardingBody(config, input, plan, sha);
  if (open) {
    await gh('update the offboarding pull request', () =>
      octokit.rest.pulls.update({ owner, repo, pull_number: open.number, title, body }),
    );
    return { ...base, outcome: 'updated', number: open.number, url: open.url, files };
  }
  try {
    const { data } = await octokit.rest.pulls.create({ owner, repo, head: branch, base: baseBranch, title, body });
    logger.info('Opened offboarding pull request', { number: data.number, branch });
    return { ...base, outcome: 'opened', number: data.number, url: data.html_url, files };
  } catch (err) {
    if (!(httpStatus(err) === 422 && /pull request already exists/i.test(githubMessage(err)))) {
      throw toNamedGitHubError(err, 'open the offboarding pull request');
    }
    throw new GitHubConflict(`A pull request from ${branch} was opened concurrently; retried to converge on it`);
  }
}

const CONTROL_CHARS = /[\p{Cc}\u2028\u2029]+/gu;

export function offboardingTitle(input: Pick<OffboardInput, 'accountId' | 'name'>): string {
  const name = (input.name ?? '').replace(CONTROL_CHARS, ' ').trim().slice(0, 100);
  return `Offboard AWS account ${name ? `${name} ` : ''}(${input.accountId})`;
}

const REASONS: Record<OffboardReason, string> = {
  closed: 'was closed (status `PENDING_CLOSURE` or `SUSPENDED`)',
  suspended: 'is `SUSPENDED`',
  removed: 'left the AWS Organization (removed, or it left on its own)',
};

export function offboardingBody(
  config: OnboardingConfig,
  input: OffboardInput,
  plan: OffboardPlan,
  commitSha: string,
): string {
  const { workflowPath, matrixKey } = config.github;
  const { stateBucket, stateKeyPrefix } = config.terraform;
  const commit = plan.commit;
  const name = input.name ? ` ${markdownText(input.name)}` : '';
  const stateKeys = plan.folders.map((f) => `- \`s3://${stateBucket}/${stateKeyPrefix}${f}/terraform.tfstate\``);
  const closed = input.reason !== 'removed';
  const lines = [
    `## Offboard AWS account${name} (\`${input.accountId}\`)`,
    '',
    `Opened by **oidc-account-onboarding** because this account ${REASONS[input.reason]}. Every pipeline run would otherwise try to assume its \`cicd\` role and fail.`,
    '',
    '### Changes',
    '',
    ...plan.matrixEntries.map(
      (f) => `- \`${workflowPath}\`: \`${f}\` taken out of the \`${matrixKey}\` matrix (one line)`,
    ),
    ...plan.removedFolders.map((f) => `- removed: \`${f}/\` (its \`terraform.tfvars\` names this account)`),
    ...plan.keptFolders.map(
      (f) => `- kept: \`${f}/\` (\`offboarding.removeFolder\` is off; delete it in this pull request if you want)`,
    ),
    '',
    '### What stays behind',
    '',
    closed
      ? "- **The account's resources** are not destroyed by this change. AWS deletes what remains in a closed account after 90 days; until then the account can be **reopened** through AWS Support, and a reopened account is onboarded again."
      : "- **The account and its resources** are untouched: it is now a standalone account (or another organization's), billed on its own.",
    `- **The \`${config.cicdRoleName}\` role** in the account: the tool no longer governs the account and never touches it.`,
    '- **The Terraform state** stays in the bucket, under its key:',
    ...(stateKeys.length ? stateKeys.map((s) => `  ${s}`) : ['  - (no folder names this account)']),
    '',
    '### Before merging',
    '',
    '- [ ] This is the account you expect to retire (id and name above).',
    closed
      ? '- [ ] Nobody will ask AWS Support to reopen it within the 90 days (if they do, it is onboarded again).'
      : '- [ ] The account is not coming back to this organization.',
    '- [ ] Anything that must outlive the account (data, DNS delegations, peerings, shared resources) was moved or removed first.',
    '- [ ] Decide what to do with the state object(s) above: keep them for the record, or delete them.',
    '',
    'The tool keeps this branch current while its head is the tool\'s own commit. Once a person pushes to it, the tool leaves it as it is. Closing it unmerged declines the offboarding: it is not reopened unless the workflow runs with `"force": true`.',
  ];
  if (input.executionUrl) lines.push('', `Step Functions execution: ${input.executionUrl}`);
  lines.push(
    '',
    offboardMarker({ accountId: input.accountId, hash: commit?.contentHash ?? '0'.repeat(64), commit: commitSha }),
  );
  return `${lines.join('\n')}\n`;
}
