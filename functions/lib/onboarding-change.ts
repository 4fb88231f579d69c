import { createHash } from 'node:crypto';
import type { OnboardingConfig } from './config';
import { logger } from './logger';
import { accountFolder, collisionSlug } from './slug';
import { renderAccountFolder } from './terraform';
import type { AccountContext, RoleResult } from './types';
import { addMatrixEntry } from './workflow-matrix';

/** One entry of a Git tree as the Git Data API lists it. */
export interface TreeEntry {
  path: string;
  type: 'blob' | 'tree' | 'commit' | string;
  sha: string;
  mode: string;
}

export interface PlanInput {
  account: AccountContext;
  role: RoleResult;
  config: OnboardingConfig;
  /** The base branch's tree (recursive, or at least the accounts dir, the account's folders and the workflow). */
  baseTree: TreeEntry[];
  /** The workflow file on the base branch. */
  workflowText: string;
  /** The `aws_account_id` of `account.folder`'s terraform.tfvars on the base branch, when that folder exists. */
  existingFolderAccountId?: string;
  /** Drift reported by reconciliation, e.g. `tfvars-account-id`, `pr-stale`. */
  drift: string[];
  /** Link to the Step Functions execution, shown in the body. */
  executionUrl?: string;
  /**
   * false only to compute the content hash to compare with an open pull request's (reconciliation): the matrix edit
   * is then not re-parsed for verification (see AddMatrixEntryOptions.verify). An onboarding always verifies.
   */
  verifyMatrixEdit?: boolean;
}

export interface ChangeFile {
  path: string;
  content: string;
}

export type OnboardingChange =
  | { kind: 'already-onboarded'; folder: string }
  | {
      kind: 'change';
      folder: string;
      /** Files to add (or, for tfvars drift, rewrite), sorted by path. */
      files: ChangeFile[];
      /** The workflow after the edit; equal to the input when the matrix already lists the folder. */
      workflowText: string;
      workflowChanged: boolean;
      title: string;
      body: string;
      contentHash: string;
    };

export const MARKER_PREFIX = 'oidc-account-onboarding:v1';
export const TFVARS_FILE = 'terraform.tfvars';

/** The hidden marker in the PR body that records which account and which content the branch holds. */
export function onboardingMarker(accountId: string, contentHash: string): string {
  return `<!-- ${MARKER_PREFIX} account=${accountId} hash=${contentHash} -->`;
}

/** Reads the marker back from a PR body; escaped user text can never produce one. */
export function parseOnboardingMarker(
  body: string | null | undefined,
): { accountId: string; hash: string } | undefined {
  const m = /<!-- oidc-account-onboarding:v1 account=(\d{12}) hash=([0-9a-f]{64}) -->/.exec(body ?? '');
  return m?.[1] && m[2] ? { accountId: m[1], hash: m[2] } : undefined;
}

/** The 12-digit account id written in a terraform.tfvars (`aws_account_id = "…"`; the seed's unquoted number too). */
export function tfvarsAccountId(text: string): string | undefined {
  const m = /^\s*aws_account_id\s*=\s*"?(\d{1,12})"?/m.exec(text);
  return m?.[1]?.padStart(12, '0');
}

/**
 * Decides what the onboarding commit must contain, from the base branch's state alone: files missing from the
 * account's folder and the matrix entry. Existing files are never overwritten (people edit main.tf), except
 * terraform.tfvars when reconciliation reported a wrong account id in it.
 */
export function planOnboardingChange(input: PlanInput): OnboardingChange {
  const { account, config, baseTree, drift } = input;
  const tfvarsDrift = drift.includes('tfvars-account-id');
  const folderTaken =
    !tfvarsDrift &&
    input.existingFolderAccountId !== undefined &&
    input.existingFolderAccountId !== account.accountId &&
    baseTree.some((e) => e.path === account.folder && e.type === 'tree');
  const target = folderTaken
    ? (() => {
        const slug = collisionSlug(account.slug, account.accountId);
        return { ...account, slug, folder: accountFolder(config.github.accountsDir, slug) };
      })()
    : account;
  const folder = target.folder;

  const rendered = renderAccountFolder(target, config);
  const existing = new Set(baseTree.filter((e) => e.type === 'blob').map((e) => e.path));
  const rewriteTfvars =
    tfvarsDrift && !folderTaken && folder === account.folder && input.existingFolderAccountId !== account.accountId;
  const files = Object.entries(rendered)
    .map(([name, content]) => ({ path: `${folder}/${name}`, name, content }))
    .filter((f) => !existing.has(f.path) || (rewriteTfvars && f.name === TFVARS_FILE))
    .map(({ path, content }) => ({ path, content }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // addMatrixEntry is a no-op when every job already lists the folder, and fills in the jobs that miss it.
  const edit = addMatrixEntry(input.workflowText, config.github.matrixKey, folder, {
    verify: input.verifyMatrixEdit ?? true,
  });
  if (files.length === 0 && !edit.changed) return { kind: 'already-onboarded', folder };

  const contentHash = hashChange(files, config.github.workflowPath, edit.text);
  if (folderTaken) {
    logger.info('Account folder holds another account; using the collision folder', {
      wanted: account.folder,
      holder: input.existingFolderAccountId,
      folder,
    });
  }
  return {
    kind: 'change',
    folder,
    files,
    workflowText: edit.text,
    workflowChanged: edit.changed,
    title: pullRequestTitle(account),
    body: pullRequestBody({
      ...input,
      folder,
      files,
      workflowChanged: edit.changed,
      folderTaken,
      rewriteTfvars,
      contentHash,
    }),
    contentHash,
  };
}

function hashChange(files: ChangeFile[], workflowPath: string, workflowText: string): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) hash.update(`${f.path}\0${f.content}\0`);
  hash.update(`${workflowPath}\0${workflowText}`);
  return hash.digest('hex');
}

/** C0/C1 control characters and Unicode line breaks: a name is one line of text. */
const CONTROL_CHARS = /[\p{Cc}\u2028\u2029]+/gu;

/** PR title: plain text, one line. GitHub does not notify mentions in titles. */
export function pullRequestTitle(account: AccountContext): string {
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

interface BodyInput extends PlanInput {
  folder: string;
  files: ChangeFile[];
  workflowChanged: boolean;
  folderTaken: boolean;
  rewriteTfvars: boolean;
  contentHash: string;
}

function pullRequestBody(b: BodyInput): string {
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
    ...b.files.map(
      (f) =>
        `- ${b.rewriteTfvars && f.path.endsWith(`/${TFVARS_FILE}`) ? 'rewritten (wrong account id)' : 'added'}: \`${f.path}\``,
    ),
    b.workflowChanged
      ? `- \`${workflow}\`: \`${b.folder}\` added to the \`${config.github.matrixKey}\` matrix (one line)`
      : `- \`${workflow}\`: the \`${config.github.matrixKey}\` matrix already lists \`${b.folder}\` (unchanged)`,
  ];
  if (b.folderTaken) {
    lines.push(
      '',
      `> **Note:** \`${account.folder}\` already holds account \`${b.existingFolderAccountId}\`, so this account gets \`${b.folder}\`.`,
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
  );
  if (b.executionUrl) lines.push('', `Step Functions execution: ${b.executionUrl}`);
  lines.push(
    '',
    'Closing this pull request without merging declines the onboarding: it is not reopened unless the workflow is run with `"force": true`.',
    '',
    onboardingMarker(account.accountId, b.contentHash),
  );
  return `${lines.join('\n')}\n`;
}
