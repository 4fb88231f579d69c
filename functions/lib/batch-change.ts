import { createHash } from 'node:crypto';
import type { OnboardingConfig } from './config';
import { type ChangeFile, markdownText } from './onboarding-change';
import type { AccountId } from './types';

/**
 * What a batch pull request (backfill, or a reconcile remediation of several accounts) says: its deterministic
 * branch, the hidden v3 marker that lists every account and the folder it adds, the title and the body.
 *
 * The v3 marker extends the single-account v2 marker (`account=`, `folder=`, `hash=`, `commit=`) to a list:
 *
 *     <!-- oidc-account-onboarding:v3 batch=<key> hash=<content sha256> commit=<head sha> accounts=<id>:<folder>,… -->
 *
 * `key` is the first 12 hex digits of sha256 over the sorted account ids joined by ",", and the branch is
 * `<branchPrefix>batch-<key>`: a run that crashed after pushing the branch and a re-run over the same accounts meet
 * on the same branch, and an edited account list no longer matches its key (the marker is then not the tool's).
 * Versions that read only v1/v2 ignore the marker and the branch (it is not `<branchPrefix><12 digits>`).
 */

export interface BatchEntry {
  accountId: AccountId;
  folder: string;
}

export interface BatchMarker {
  key: string;
  hash: string;
  commit: string;
  accounts: BatchEntry[];
}

/** The batch key of a set of accounts: sha256 of the sorted ids, 12 hex digits. */
export function batchKey(accountIds: readonly AccountId[]): string {
  return createHash('sha256')
    .update([...accountIds].sort().join(','))
    .digest('hex')
    .slice(0, 12);
}

/** `<branchPrefix>batch-<key>`. */
export const batchBranch = (config: OnboardingConfig, key: string): string =>
  `${config.github.branchPrefix}batch-${key}`;

/** The batch key a branch names, or undefined when it is not a batch branch of this configuration. */
export function batchKeyOfBranch(config: OnboardingConfig, branch: string): string | undefined {
  const prefix = `${config.github.branchPrefix}batch-`;
  if (!branch.startsWith(prefix)) return undefined;
  const key = branch.slice(prefix.length);
  return /^[0-9a-f]{12}$/.test(key) ? key : undefined;
}

export function batchMarker(m: BatchMarker): string {
  const accounts = [...m.accounts]
    .sort((a, b) => (a.accountId < b.accountId ? -1 : 1))
    .map((a) => `${a.accountId}:${encodeURIComponent(a.folder)}`)
    .join(',');
  return `<!-- oidc-account-onboarding:v3 batch=${m.key} hash=${m.hash} commit=${m.commit} accounts=${accounts} -->`;
}

const V3 =
  /<!-- oidc-account-onboarding:v3 batch=([0-9a-f]{12}) hash=([0-9a-f]{64}) commit=([0-9a-f]{40}) accounts=(\d{12}:[\w.~%-]+(?:,\d{12}:[\w.~%-]+)*) -->/;

/**
 * Reads a v3 marker back; undefined when there is none, when it is malformed, or when its account list does not
 * hash to its key (a person edited the list: the pull request is then not the tool's to update).
 */
export function parseBatchMarker(body: string | null | undefined): BatchMarker | undefined {
  const m = V3.exec(body ?? '');
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return undefined;
  const accounts: BatchEntry[] = [];
  for (const part of m[4].split(',')) {
    const [accountId, encoded] = part.split(':') as [string, string];
    try {
      accounts.push({ accountId, folder: decodeURIComponent(encoded) });
    } catch {
      return undefined;
    }
  }
  const ids = accounts.map((a) => a.accountId);
  if (new Set(ids).size !== ids.length || batchKey(ids) !== m[1]) return undefined;
  return { key: m[1], hash: m[2], commit: m[3], accounts };
}

// ---- title and body --------------------------------------------------------------------------------------------

export interface BatchAccountLine {
  accountId: AccountId;
  name: string;
  folder: string;
  /** The folder the account's name gives, when another holds it. */
  takenFolder?: { folder: string; reason: string };
  roleArn: string;
}

export function batchPullRequestTitle(count: number): string {
  return `Onboard ${count} existing AWS account${count === 1 ? '' : 's'}`;
}

/** Who opened the batch: `cli backfill`, or a `remediate` reconcile sweep through the refresh. */
export type BatchOrigin = 'backfill' | 'reconcile';

export interface BatchBodyInput {
  config: OnboardingConfig;
  /** Default `backfill`. */
  origin?: BatchOrigin;
  key: string;
  accounts: BatchAccountLine[];
  files: ChangeFile[];
  workflowChanged: boolean;
  contentHash: string;
  commitSha: string;
}

const OPENED_BY: Record<BatchOrigin, string> = {
  backfill:
    'Opened by **oidc-account-onboarding** `backfill`: these accounts were members of the AWS Organization before the tool watched it.',
  reconcile:
    "Opened by **oidc-account-onboarding**'s reconcile sweep (`remediate` mode): these accounts are members of the AWS Organization whose folders the repository lacks.",
};

export function batchPullRequestBody(b: BatchBodyInput): string {
  const { config } = b;
  const { workflowPath, matrixKey, baseBranch } = config.github;
  const accounts = [...b.accounts].sort((x, y) => (x.accountId < y.accountId ? -1 : 1));
  const lines = [
    `## Onboard ${accounts.length} existing AWS account${accounts.length === 1 ? '' : 's'}`,
    '',
    `${OPENED_BY[b.origin ?? 'backfill']} Each account's \`cicd\` role is already in place; merging this pull request adds their folders and their matrix entries, so the Terraform CI/CD pipeline takes them over.`,
    '',
    '| Account id | Name | Folder | cicd role |',
    '| --- | --- | --- | --- |',
    ...accounts.map(
      (a) =>
        `| \`${a.accountId}\` | ${markdownText(a.name)} | \`${a.folder}\`${a.takenFolder ? ` (\`${a.takenFolder.folder}\` is not this account's: ${markdownText(a.takenFolder.reason)})` : ''} | \`${a.roleArn}\` |`,
    ),
    '',
    '### Changes',
    '',
    `- ${b.files.length} files added, only inside the folders above (existing files are never overwritten by this tool)`,
    b.workflowChanged
      ? `- \`${workflowPath}\`: the ${accounts.length} folders added to the \`${matrixKey}\` matrix (the same line or list, nothing else)`
      : `- \`${workflowPath}\`: the \`${matrixKey}\` matrix already lists every folder (unchanged)`,
    '',
    '### Before merging',
    '',
    '- [ ] The accounts above are the ones you expect the pipeline to manage.',
    '- [ ] The workflow run on this pull request plans cleanly for the new folders.',
    '',
    '### Editing this pull request',
    '',
    `The tool regenerates this branch on the current \`${baseBranch}\` (by the scheduled refresh, or when \`cli backfill\` runs again) only while its head is the tool's own commit. Once a person pushes to it, the tool leaves it alone, and no account listed here gets a second pull request. To hand it back, delete the branch (this closes the pull request) and run \`cli backfill\` again.`,
    '',
    'Closing this pull request without merging declines the onboarding of these accounts: `cli backfill` does not open them again unless run with `--force`.',
    '',
    batchMarker({
      key: b.key,
      hash: b.contentHash,
      commit: b.commitSha,
      accounts: accounts.map(({ accountId, folder }) => ({ accountId, folder })),
    }),
  ];
  return `${lines.join('\n')}\n`;
}
