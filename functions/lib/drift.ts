import type { OnboardingConfig } from './config';
import { MatrixLimitExceeded, WorkflowMatrixNotFound } from './errors';
import { planOnboardingChange, TFVARS_FILE, type TreeEntry } from './onboarding-change';
import { DRIFT_CLASSES, type DriftClass, type Finding, finding } from './role-drift';
import { accountFolder, accountSlug, collisionSlug } from './slug';
import { DEFAULT_TEMPLATES } from './templates';
import type { AccountContext, AccountId } from './types';
import { addMatrixEntry, GITHUB_MATRIX_LIMIT, readMatrixLists } from './workflow-matrix';

export {
  DRIFT_CLASSES,
  type DriftClass,
  type Finding,
  REMEDIABLE_CLASSES,
  type RoleObservation,
  roleDrift,
} from './role-drift';

/**
 * Drift detection for reconciliation: pure functions over what was observed (the organization's accounts, one
 * snapshot of the Terraform repo, each account's cicd role). Nothing here calls AWS or GitHub. The drift classes and
 * the role half live in role-drift.ts (re-exported here), so the batch check bundles no workflow or template code.
 */

/** An account as ListAccounts describes it. */
export interface InventoryAccount {
  accountId: AccountId;
  name: string;
  email: string;
  /** ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION */
  status: string;
}

/** One folder directly under the accounts dir. */
export interface RepoFolder {
  /** File names directly inside the folder. */
  files: string[];
  /** `aws_account_id` of its terraform.tfvars, when the file exists and names one. */
  tfvarsAccountId?: AccountId;
}

/** An onboarding pull request (head branch `<branchPrefix><accountId>`). */
export interface OnboardingPull {
  number: number;
  accountId: AccountId;
  state: 'open' | 'closed';
  merged: boolean;
  url: string;
  /** Content hash from the hidden marker of the body; absent when the body lost it. */
  hash?: string;
}

/** The repository state reconciliation reads once per run. */
export interface RepoSnapshot {
  commitSha: string;
  workflowPath: string;
  /** Undefined when the workflow file does not exist on the base branch. */
  workflowText?: string;
  /** Folder path (`<accountsDir>/<name>`) -> what it holds. */
  folders: Record<string, RepoFolder>;
  /** Onboarding pull requests, newest first. */
  pulls: OnboardingPull[];
}

export interface AccountResult {
  accountId: AccountId;
  name: string;
  findings: Finding[];
  /** Set when an open, up-to-date onboarding pull request awaits review: the repo part is in hand. */
  pendingPullRequest?: string;
}

export interface OrphanFolder {
  folder: string;
  accountId?: AccountId;
  reason: string;
}

const REQUIRED_FILES = Object.keys(DEFAULT_TEMPLATES).sort();

// ---- repository ------------------------------------------------------------------------------------------------

/** Lookups built once over the whole organization and snapshot, then used for every account. */
export interface RepoIndex {
  accountsById: Map<AccountId, InventoryAccount>;
  /** Folders whose terraform.tfvars names the account, sorted. */
  foldersByAccountId: Map<AccountId, string[]>;
  pullsByAccountId: Map<AccountId, OnboardingPull[]>;
}

export function indexRepo(accounts: InventoryAccount[], snapshot: RepoSnapshot): RepoIndex {
  const foldersByAccountId = new Map<AccountId, string[]>();
  for (const [folder, { tfvarsAccountId }] of Object.entries(snapshot.folders).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!tfvarsAccountId) continue;
    foldersByAccountId.set(tfvarsAccountId, [...(foldersByAccountId.get(tfvarsAccountId) ?? []), folder]);
  }
  const pullsByAccountId = new Map<AccountId, OnboardingPull[]>();
  for (const pull of [...snapshot.pulls].sort((a, b) => b.number - a.number)) {
    pullsByAccountId.set(pull.accountId, [...(pullsByAccountId.get(pull.accountId) ?? []), pull]);
  }
  return { accountsById: new Map(accounts.map((a) => [a.accountId, a])), foldersByAccountId, pullsByAccountId };
}

/** Where the onboarding workflow would put the account (its resolve-account and planOnboardingChange rules). */
function expectedFolder(account: InventoryAccount, config: OnboardingConfig): { folder: string; slug: string } {
  const slug = accountSlug(account.name, account.accountId);
  return { slug, folder: accountFolder(config.github.accountsDir, slug) };
}

type MatrixState = 'present' | 'missing' | 'limit';

/**
 * Is the matrix missing a folder? `limit` when adding it would pass GitHub's 256-job limit. The workflow is parsed
 * once per checker (not once per account: that parse was most of the CPU; workflow-matrix.ts also keeps the last
 * parse); the first missing folder is also added for real, once, so a matrix that cannot take a minimal edit fails
 * the run (WorkflowMatrixNotFound), and one whose edit passes the limit reports every missing folder as `limit`.
 */
function matrixChecker(workflowText: string, config: OnboardingConfig): (folder: string) => MatrixState {
  const { matrixKey } = config.github;
  let lists: ReturnType<typeof readMatrixLists> | undefined;
  let edit: MatrixState | undefined;
  return (folder) => {
    lists ??= readMatrixLists(workflowText, matrixKey);
    const targets = lists.filter((list) => !list.entries.includes(folder));
    if (targets.length === 0) return 'present';
    if (targets.some((list) => (list.entries.length + 1) * list.jobsPerEntry > GITHUB_MATRIX_LIMIT)) return 'limit';
    if (!edit) {
      try {
        addMatrixEntry(workflowText, matrixKey, folder);
        edit = 'missing';
      } catch (err) {
        if (!(err instanceof MatrixLimitExceeded)) throw err;
        edit = 'limit';
      }
    }
    return edit;
  };
}

/**
 * Repository drift of each account: folder, tfvars account id and matrix entry on the base branch, and the state of
 * its onboarding pull request. An open pull request whose content still equals what the onboarding would commit on
 * the current base is pending review (not drift); one that differs is `pr-stale` (regenerated on remediation); a
 * pull request closed unmerged is `pr-declined` (reported, never reopened).
 * @throws WorkflowMatrixNotFound when the workflow is missing or has no editable matrix: every account is affected,
 *   so the run fails with a message that says what to fix rather than reporting 10,000 findings.
 */
export function repoDrift(
  accounts: InventoryAccount[],
  snapshot: RepoSnapshot,
  config: OnboardingConfig,
  index: RepoIndex = indexRepo(accounts, snapshot),
): AccountResult[] {
  const { workflowText } = snapshot;
  if (workflowText === undefined) {
    throw new WorkflowMatrixNotFound(
      `${snapshot.workflowPath} does not exist on ${config.github.baseBranch}: set github.workflowPath to the workflow whose matrix lists the account folders`,
    );
  }
  const matrixState = matrixChecker(workflowText, config);
  return accounts.map((account) => accountRepoDrift(account, snapshot, workflowText, config, index, matrixState));
}

function accountRepoDrift(
  account: InventoryAccount,
  snapshot: RepoSnapshot,
  workflowText: string,
  config: OnboardingConfig,
  index: RepoIndex,
  matrixState: (folder: string) => MatrixState,
): AccountResult {
  const { accountId } = account;
  const findings: Finding[] = [];
  const expected = expectedFolder(account, config);
  const owned = index.foldersByAccountId.get(accountId) ?? [];
  const expectedHolder = snapshot.folders[expected.folder]?.tfvarsAccountId;
  const holderIsOtherAccount =
    expectedHolder !== undefined && expectedHolder !== accountId && index.accountsById.has(expectedHolder);

  // The account's folder: the one whose tfvars names it (a renamed account keeps its folder), else the one the
  // onboarding would write.
  let folder = owned.includes(expected.folder) ? expected.folder : owned[0];
  if (!folder) {
    if (snapshot.folders[expected.folder] && !holderIsOtherAccount) {
      folder = expected.folder;
      findings.push(
        finding(
          'tfvars-account-id',
          `${folder}/${TFVARS_FILE} names ${expectedHolder ? `account ${expectedHolder}` : 'no account id'} instead of ${accountId}`,
        ),
      );
    } else {
      folder = holderIsOtherAccount
        ? accountFolder(config.github.accountsDir, collisionSlug(expected.slug, accountId))
        : expected.folder;
      findings.push(finding('folder-missing', `${folder} does not exist on ${config.github.baseBranch}`));
    }
  }
  const present = snapshot.folders[folder];
  if (present) {
    const missingFiles = REQUIRED_FILES.filter((f) => !present.files.includes(f));
    if (missingFiles.length > 0) {
      findings.push(finding('folder-missing', `${folder} lacks ${missingFiles.join(', ')}`));
    }
  }
  const matrix = matrixState(folder);
  if (matrix === 'missing') {
    findings.push(finding('matrix-entry-missing', `${snapshot.workflowPath} does not list ${folder} in its matrix`));
  } else if (matrix === 'limit') {
    findings.push(
      finding(
        'matrix-entry-missing',
        `${snapshot.workflowPath} does not list ${folder}, and its matrix is full (GitHub runs at most 256 jobs per matrix): split the accounts over several jobs or workflows`,
        false,
      ),
    );
  }

  const result: AccountResult = { accountId, name: account.name, findings };
  if (findings.length === 0) return result;

  const pulls = index.pullsByAccountId.get(accountId) ?? [];
  const open = pulls.find((p) => p.state === 'open');
  if (open) {
    const hash = plannedHash(account, expected, snapshot, workflowText, config, findings);
    if (hash !== undefined && open.hash === hash) {
      return { accountId, name: account.name, findings: [], pendingPullRequest: open.url };
    }
    findings.push(
      finding(
        'pr-stale',
        `onboarding pull request #${open.number} no longer matches ${config.github.baseBranch} (the base moved or was edited) and may not merge cleanly: ${open.url}`,
      ),
    );
    return result;
  }
  const last = pulls[0];
  if (last && !last.merged) {
    // A person closed it: the repository part stays as they left it; the role findings (if any) still count.
    return {
      accountId,
      name: account.name,
      findings: [
        finding(
          'pr-declined',
          `onboarding pull request #${last.number} was closed without merging (${findings.map((f) => f.class).join(', ')} left as is); start the onboarding with "force": true to open it again: ${last.url}`,
        ),
      ],
    };
  }
  return result;
}

/** The content hash the onboarding would commit for the account on the snapshot's base (see planOnboardingChange). */
function plannedHash(
  account: InventoryAccount,
  expected: { folder: string; slug: string },
  snapshot: RepoSnapshot,
  workflowText: string,
  config: OnboardingConfig,
  findings: Finding[],
): string | undefined {
  const context: AccountContext = { ...account, ouPath: [], tags: {}, folder: expected.folder, slug: expected.slug };
  const collision = accountFolder(config.github.accountsDir, collisionSlug(expected.slug, account.accountId));
  // Only the two folders the plan looks at; blob shas do not enter the hash.
  const baseTree: TreeEntry[] = [expected.folder, collision].flatMap((folder) => {
    const held = snapshot.folders[folder];
    if (!held) return [];
    return [
      { path: folder, type: 'tree', sha: '', mode: '040000' },
      ...held.files.map((f) => ({ path: `${folder}/${f}`, type: 'blob', sha: '', mode: '100644' })),
    ];
  });
  try {
    const plan = planOnboardingChange({
      account: context,
      role: { outcome: 'unchanged', roleArn: '', changes: [], accessRole: '' },
      config,
      baseTree,
      workflowText,
      existingFolderAccountId: snapshot.folders[expected.folder]?.tfvarsAccountId,
      drift: findings.map((f) => f.class),
      verifyMatrixEdit: false, // only compared with the hash of an edit the onboarding verified
    });
    return plan.kind === 'change' ? plan.contentHash : undefined;
  } catch {
    // A plan that cannot be made (full matrix, bad template) cannot match any pull request.
    return undefined;
  }
}

/**
 * Folders under the accounts dir whose account is not (or no longer) an active member: it left the organization,
 * is suspended or closing, or the tfvars names no account at all. Reported only: deleting Terraform state is a
 * person's decision.
 */
export function orphanFolders(
  accounts: InventoryAccount[],
  snapshot: RepoSnapshot,
  config: OnboardingConfig,
  index: RepoIndex = indexRepo(accounts, snapshot),
): OrphanFolder[] {
  const expectedFolders = new Set(
    accounts.filter((a) => a.status === 'ACTIVE').map((a) => expectedFolder(a, config).folder),
  );
  const orphans: OrphanFolder[] = [];
  for (const [folder, { tfvarsAccountId }] of Object.entries(snapshot.folders).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!tfvarsAccountId) {
      // An active account's expected folder with a bad tfvars is that account's tfvars-account-id finding.
      if (!expectedFolders.has(folder)) {
        orphans.push({ folder, reason: `${folder}/${TFVARS_FILE} names no account id (aws_account_id)` });
      }
      continue;
    }
    const account = index.accountsById.get(tfvarsAccountId);
    if (!account) {
      if (expectedFolders.has(folder)) continue;
      orphans.push({
        folder,
        accountId: tfvarsAccountId,
        reason: `account ${tfvarsAccountId} is not a member of the organization (it left, or the id is wrong)`,
      });
    } else if (account.status !== 'ACTIVE' && account.status !== 'PENDING_ACTIVATION') {
      orphans.push({
        folder,
        accountId: tfvarsAccountId,
        reason: `account ${tfvarsAccountId} (${account.name}) is ${account.status}`,
      });
    }
  }
  return orphans;
}

/** The orphan-folder findings, in the shape of the others, for the summary. */
export const orphanFindings = (orphans: OrphanFolder[]): Finding[] =>
  orphans.map((o) =>
    finding('orphan-folder', `${o.folder}: ${o.reason}; remove the folder and its state, or restore the account`),
  );

// ---- summary ---------------------------------------------------------------------------------------------------

export interface DriftedAccount {
  accountId: AccountId;
  name: string;
  /** Distinct classes, in DRIFT_CLASSES order. */
  drift: DriftClass[];
  details: string[];
  remediable: boolean;
}

export interface DriftSummary {
  accountsChecked: number;
  driftedAccounts: number;
  /** Findings per class (orphan folders included); every class present, zero or not. */
  counts: Record<DriftClass, number>;
  accounts: DriftedAccount[];
  orphanFolders: OrphanFolder[];
  /** Accounts whose onboarding pull request is open and current: awaiting review, not drift. */
  pendingPullRequests: Array<{ accountId: AccountId; url: string }>;
  /** Accounts not checked and why (management account, filters), by reason. */
  skipped: number;
}

const classOrder = (c: DriftClass): number => DRIFT_CLASSES.indexOf(c);

/** One account's result from its role and repo findings. */
export function combineFindings(
  account: { accountId: AccountId; name: string },
  ...findings: Finding[][]
): AccountResult {
  return { accountId: account.accountId, name: account.name, findings: findings.flat() };
}

/** Counts by class and the drifted accounts, sorted by account id. */
export function summarize(results: AccountResult[], orphans: OrphanFolder[] = [], skipped = 0): DriftSummary {
  const counts = Object.fromEntries(DRIFT_CLASSES.map((c) => [c, 0])) as Record<DriftClass, number>;
  const accounts: DriftedAccount[] = [];
  const pendingPullRequests: DriftSummary['pendingPullRequests'] = [];
  for (const r of [...results].sort((a, b) => (a.accountId < b.accountId ? -1 : 1))) {
    if (r.pendingPullRequest) pendingPullRequests.push({ accountId: r.accountId, url: r.pendingPullRequest });
    if (r.findings.length === 0) continue;
    for (const f of r.findings) counts[f.class]++;
    const drift = [...new Set(r.findings.map((f) => f.class))].sort((a, b) => classOrder(a) - classOrder(b));
    accounts.push({
      accountId: r.accountId,
      name: r.name,
      drift,
      details: r.findings.map((f) => `${f.class}: ${f.detail}`),
      remediable: r.findings.some((f) => f.remediable),
    });
  }
  counts['orphan-folder'] += orphans.length;
  return {
    accountsChecked: results.length,
    driftedAccounts: accounts.length,
    counts,
    accounts,
    orphanFolders: orphans,
    pendingPullRequests,
    skipped,
  };
}
