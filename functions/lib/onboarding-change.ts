import { createHash } from 'node:crypto';
import type { OnboardingConfig } from './config';
import type { AccountContext, RoleResult } from './types';

/**
 * What an onboarding commit and pull request say: the marker that records which account, folder, content and commit
 * a pull request holds, the commit identity that proves a branch head is the tool's, and the title and body.
 */

export interface ChangeFile {
  path: string;
  content: string;
}

export const TFVARS_FILE = 'terraform.tfvars';

/** What the hidden marker of an onboarding pull request records. */
export interface OnboardingMarker {
  accountId: string;
  hash: string;
  /** v2 only: the folder the commit writes and the commit the tool pushed. */
  folder?: string;
  commit?: string;
  /** The tool closed it itself (another account's pull request took the folder first): not a person's decline. */
  superseded?: boolean;
}

/** The hidden marker in the PR body; `commit` is the head the tool pushed, `hash` the content it holds. */
export function onboardingMarker(
  m: Required<Omit<OnboardingMarker, 'superseded'>> & Pick<OnboardingMarker, 'superseded'>,
): string {
  const superseded = m.superseded ? ' superseded=1' : '';
  return `<!-- oidc-account-onboarding:v2 account=${m.accountId} folder=${encodeURIComponent(m.folder)} hash=${m.hash} commit=${m.commit}${superseded} -->`;
}

/** Reads the marker back from a PR body (v2, or v1 of earlier versions); escaped user text never produces one. */
export function parseOnboardingMarker(body: string | null | undefined): OnboardingMarker | undefined {
  const text = body ?? '';
  const v2 =
    /<!-- oidc-account-onboarding:v2 account=(\d{12}) folder=([\w.~%-]+) hash=([0-9a-f]{64}) commit=([0-9a-f]{40})( superseded=1)? -->/.exec(
      text,
    );
  if (v2?.[1] && v2[2] && v2[3] && v2[4]) {
    let folder: string;
    try {
      folder = decodeURIComponent(v2[2]);
    } catch {
      return undefined;
    }
    return { accountId: v2[1], folder, hash: v2[3], commit: v2[4], ...(v2[5] ? { superseded: true } : {}) };
  }
  const v1 = /<!-- oidc-account-onboarding:v1 account=(\d{12}) hash=([0-9a-f]{64}) -->/.exec(text);
  return v1?.[1] && v1[2] ? { accountId: v1[1], hash: v1[2] } : undefined;
}

/** The 12-digit account id written in a terraform.tfvars (`aws_account_id = "…"`; the seed's unquoted number too). */
export function tfvarsAccountId(text: string): string | undefined {
  const m = /^\s*aws_account_id\s*=\s*"?(\d{1,12})"?/m.exec(text);
  return m?.[1]?.padStart(12, '0');
}

// ---- the tool's commits ----------------------------------------------------------------------------------------

/** Author and committer of every commit the tool makes: part of the proof that a branch head is still ours. */
export const COMMIT_IDENTITY = {
  name: 'oidc-account-onboarding',
  email: 'oidc-account-onboarding@users.noreply.github.com',
} as const;

const TREE_TRAILER = 'Onboarding-Tree';

/** The commit message: the title, the files, and a trailer naming the tree the tool wrote. */
export function commitMessage(title: string, paths: string[], treeSha: string): string {
  return `${title}\n\n${paths.map((p) => `- ${p}`).join('\n')}\n\n${TREE_TRAILER}: ${treeSha}\n`;
}

/** A commit as the Git Data API describes it (the fields the proof reads). */
export interface CommitFacts {
  author?: { email?: string | null } | null;
  committer?: { email?: string | null } | null;
  message: string;
  tree: { sha: string };
}

/**
 * True when the tool made this commit and nobody amended it: author and committer are the tool's identity and the
 * message's trailer names the commit's own tree (an amend or a rebase changes the committer or the tree).
 */
export function isOurCommit(commit: CommitFacts): boolean {
  const trailer = new RegExp(`^${TREE_TRAILER}: ([0-9a-f]{40})$`, 'm').exec(commit.message)?.[1];
  return (
    commit.author?.email === COMMIT_IDENTITY.email &&
    commit.committer?.email === COMMIT_IDENTITY.email &&
    trailer === commit.tree.sha
  );
}

/** The content hash of a change: the files and the workflow text (sorted, so the order of rendering never matters). */
export function hashChange(files: ChangeFile[], workflowPath: string, workflowText: string): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) hash.update(`${f.path}\0${f.content}\0`);
  hash.update(`${workflowPath}\0${workflowText}`);
  return hash.digest('hex');
}

// ---- title and body --------------------------------------------------------------------------------------------

/** C0/C1 control characters and Unicode line breaks: a name is one line of text. */
const CONTROL_CHARS = /[\p{Cc}\u2028\u2029]+/gu;

/** PR title: plain text, one line. GitHub does not notify mentions in titles. */
export function pullRequestTitle(account: { accountId: string; name: string }): string {
  const name = account.name.replace(CONTROL_CHARS, ' ').trim().slice(0, 100);
  return `Onboard AWS account ${name} (${account.accountId})`;
}

/**
 * Renders user-controlled text (account names, OU names, tags) as literal text in GitHub Markdown: no HTML,
 * no links, no emphasis, no code spans, no @-mentions or #-references, no table breaks, one line.
 */
export function markdownText(value: string): string {
  return value
    .replace(CONTROL_CHARS, ' ')
    .replace(/[\\`*_{}[\]()#+\-.!|~:=$^]/g, (c) => `\\${c}`)
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/@/g, '@&#8203;');
}

export interface BodyInput {
  account: Pick<AccountContext, 'accountId' | 'name' | 'ouPath' | 'tags'>;
  role: Pick<RoleResult, 'roleArn' | 'outcome' | 'changes'>;
  config: OnboardingConfig;
  folder: string;
  /** The folder the account's name gives, when another holds it (the body says why this one). */
  takenFolder?: { folder: string; reason: string };
  files: ChangeFile[];
  workflowChanged: boolean;
  contentHash: string;
  commitSha: string;
  executionUrl?: string;
}

export function pullRequestBody(b: BodyInput): string {
  const { account, role, config } = b;
  const ouPath = account.ouPath.map((ou) => markdownText(ou.name)).join(' / ') || '(root)';
  const tags = Object.entries(account.tags)
    .sort(([a], [c]) => (a < c ? -1 : 1))
    .map(([k, v]) => `${markdownText(k)}\\=${markdownText(v)}`)
    .join(', ');
  const roleChanges = role.changes.length > 0 ? ` (${role.changes.map(markdownText).join('; ')})` : '';
  const workflow = config.github.workflowPath;
  const lines = [
    `## Onboard AWS account ${markdownText(account.name)}`,
    '',
    'Opened by **oidc-account-onboarding** when this account joined the AWS Organization. Merging it brings the account under the Terraform CI/CD pipeline, which assumes its `cicd` role over OIDC.',
    '',
    '| | |',
    '| --- | --- |',
    `| Account id | \`${account.accountId}\` |`,
    `| Name | ${markdownText(account.name)} |`,
    `| OU path | ${ouPath} |`,
    `| Tags | ${tags || '(none)'} |`,
    `| cicd role | \`${role.roleArn}\` — ${role.outcome}${roleChanges} |`,
    `| Folder | \`${b.folder}\` |`,
    '',
    '### Changes',
    '',
    ...b.files.map((f) => `- added: \`${f.path}\``),
    b.workflowChanged
      ? `- \`${workflow}\`: \`${b.folder}\` added to the \`${config.github.matrixKey}\` matrix (one line)`
      : `- \`${workflow}\`: the \`${config.github.matrixKey}\` matrix already lists \`${b.folder}\` (unchanged)`,
  ];
  if (b.takenFolder) {
    lines.push(
      '',
      `> **Note:** \`${b.takenFolder.folder}\` is not this account's (${markdownText(b.takenFolder.reason)}), so this account gets \`${b.folder}\`.`,
    );
  }
  lines.push(
    '',
    '### Before merging',
    '',
    '- [ ] The account id, name and OU above are the account you expect.',
    `- [ ] \`main.tf\` holds the resources this account should get (existing files are never overwritten by this tool).`,
    `- [ ] \`backend.tf\` points at the intended state bucket and key.`,
    '- [ ] The workflow run on this pull request plans cleanly for the new folder.',
    '',
    '### Editing this pull request',
    '',
    "The tool keeps this branch current with the base branch while its head is the tool's own commit. Once a person pushes to it, the tool stops: it never force-pushes over your work and never edits this text again. To hand the branch back, delete it (this closes the pull request) and re-run the onboarding.",
  );
  if (b.executionUrl) lines.push('', `Step Functions execution: ${b.executionUrl}`);
  lines.push(
    '',
    'Closing this pull request without merging declines the onboarding: it is not reopened unless the workflow is run with `"force": true`.',
    '',
    onboardingMarker({ accountId: account.accountId, folder: b.folder, hash: b.contentHash, commit: b.commitSha }),
  );
  return `${lines.join('\n')}\n`;
}

/** The one comment left on an onboarding pull request a person took over. */
export const EDITED_COMMENT_MARKER = '<!-- oidc-account-onboarding:edited -->';

export function editedComment(branch: string, reason: string): string {
  return [
    `**oidc-account-onboarding** no longer updates this pull request: ${markdownText(reason)}.`,
    '',
    'Your commits and this text stay as they are; the tool will not push to the branch or edit the pull request. ' +
      'Reconciliation reports it as `pr-edited` until it is merged or closed.',
    '',
    `To hand it back to the tool: delete the branch \`${branch}\` (GitHub closes this pull request), then re-run the ` +
      'onboarding for the account; it opens a fresh pull request on the current base branch.',
    '',
    EDITED_COMMENT_MARKER,
  ].join('\n');
}
