/** A small organization and a Terraform repo that onboards it, for the reconcile tests. */
import type { InventoryAccount } from '../../functions/lib/drift';
import { planRepo, type RepoObservation } from '../../functions/lib/repo-plan';
import { accountFolder, accountSlug } from '../../functions/lib/slug';
import { renderAccountFolder } from '../../functions/lib/terraform';
import type { AccountContext, PlacedAccount } from '../../functions/lib/types';
import { testConfig } from './ensure-cicd-role-fixtures';

export const reconcileConfig = testConfig;

/** `count` active accounts named workload-0000, workload-0001, … with ids 2000000000nn. */
export function accounts(count: number): InventoryAccount[] {
  return Array.from({ length: count }, (_, i) => ({
    accountId: String(200000000000 + i),
    name: `workload-${String(i).padStart(4, '0')}`,
    email: `aws+${i}@example.com`,
    status: 'ACTIVE',
  }));
}

export function contextOf(account: InventoryAccount, accountsDir = 'aws-accounts'): AccountContext & PlacedAccount {
  const slug = accountSlug(account.name, account.accountId);
  return { ...account, ouPath: [], tags: {}, slug, folder: accountFolder(accountsDir, slug) };
}

/** A block-list workflow listing `folders`. */
export function workflowListing(folders: string[]): string {
  return [
    'on: push',
    'jobs:',
    '  terraform:',
    '    runs-on: ubuntu-latest',
    '    strategy:',
    '      matrix:',
    '        dir:',
    ...folders.map((f) => `          - ${f}`),
    '    steps:',
    '      - run: terraform plan',
    '',
  ].join('\n');
}

export const WORKFLOW_PATH = '.github/workflows/tf-cicd-aws.yml';

/** Every file of a repo that onboards all `onboarded` accounts (folders rendered from the default templates). */
export function onboardedRepoFiles(onboarded: InventoryAccount[], config = reconcileConfig()): Record<string, string> {
  const files: Record<string, string> = { 'README.md': '# Terraform\n' };
  const folders: string[] = [];
  for (const a of onboarded) {
    const ctx = contextOf(a, config.github.accountsDir);
    folders.push(ctx.folder);
    for (const [name, content] of Object.entries(renderAccountFolder(ctx, config))) {
      files[`${ctx.folder}/${name}`] = content;
    }
  }
  files[WORKFLOW_PATH] = workflowListing(folders);
  return files;
}

/** The observation observeRepo would make of these files (no pull requests). */
export function snapshotOf(files: Record<string, string>, accountsDir = 'aws-accounts'): RepoObservation {
  const folders: RepoObservation['folders'] = {};
  for (const [path, content] of Object.entries(files)) {
    const m = new RegExp(`^${accountsDir}/([^/]+)/([^/]+)$`).exec(path);
    if (!m) continue;
    const folder = `${accountsDir}/${m[1]}`;
    folders[folder] ??= { files: [] };
    const held = folders[folder];
    held.files.push(m[2] as string);
    const id = /aws_account_id\s*=\s*"?(\d{12})"?/.exec(content)?.[1];
    if (m[2] === 'terraform.tfvars' && id) held.tfvarsAccountId = id;
  }
  for (const f of Object.values(folders)) f.files.sort();
  return {
    commitSha: 'c0ffee',
    workflowPath: WORKFLOW_PATH,
    ...(files[WORKFLOW_PATH] === undefined ? {} : { workflowText: files[WORKFLOW_PATH] }),
    folders,
    pulls: [],
  };
}

/** The content hash the onboarding's PR body would carry for `account` on this repo. */
export function onboardingHash(
  account: InventoryAccount,
  files: Record<string, string>,
  config = reconcileConfig(),
): string {
  const plan = planRepo(account, snapshotOf(files, config.github.accountsDir), config);
  if (!plan.commit) throw new Error('the account is already onboarded');
  return plan.commit.contentHash;
}
