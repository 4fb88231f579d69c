import { isDeepStrictEqual } from 'node:util';
import type { OnboardingConfig } from './config';
import { UnsafeChange } from './errors';
import type { OffboardCommit, OffboardObservation } from './offboard-plan';
import { parsedWorkflowEdit } from './safe-change';
import type { AccountId } from './types';

/**
 * The last guard before an offboarding push, independent of how it was planned (safe-change.ts is onboarding's):
 * the change-set may only delete whole folders directly inside the accounts dir whose terraform.tfvars names the
 * account, and take only those folders out of the matrix lists. It adds and rewrites no file. Anything else throws
 * UnsafeChange before a tree, commit or ref is written.
 */
export function assertSafeOffboarding(
  accountId: AccountId,
  change: Pick<OffboardCommit, 'deletions' | 'workflowText' | 'workflowChanged'>,
  base: Pick<OffboardObservation, 'folders' | 'workflowText' | 'workflowPath'>,
  config: OnboardingConfig,
): void {
  const { accountsDir, matrixKey, workflowPath } = config.github;
  const ours = new Set(
    Object.entries(base.folders)
      .filter(([path, f]) => f.tfvarsAccountId === accountId && path.startsWith(`${accountsDir}/`))
      .map(([path]) => path),
  );
  const deletedByFolder = new Map<string, Set<string>>();
  for (const path of change.deletions) {
    const folder = path.slice(0, path.lastIndexOf('/'));
    const name = path.slice(folder.length + 1);
    if (!ours.has(folder) || folder.slice(accountsDir.length + 1).includes('/')) {
      throw new UnsafeChange(
        `Refusing to push: ${path} is not in a folder of account ${accountId} (its terraform.tfvars must name the account)`,
      );
    }
    if (!base.folders[folder]?.files.includes(name)) {
      throw new UnsafeChange(`Refusing to push: ${path} is not a file of ${folder} on the base branch`);
    }
    deletedByFolder.set(folder, (deletedByFolder.get(folder) ?? new Set()).add(name));
  }
  for (const [folder, names] of deletedByFolder) {
    if (names.size !== base.folders[folder]?.files.length) {
      throw new UnsafeChange(`Refusing to push: ${folder} would be removed only in part`);
    }
  }
  if (!change.workflowChanged) return;
  const { before, after } = parsedWorkflowEdit(base, change.workflowText, workflowPath);
  if (!isDeepStrictEqual(after, withoutEntries(before, matrixKey, ours))) {
    throw new UnsafeChange(
      `Refusing to push: the edit of ${workflowPath} changes more than taking account ${accountId}'s folders out of the ${matrixKey} matrix`,
    );
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `doc` with the given folders taken out of each `jobs.*.strategy.matrix.<key>` list. */
function withoutEntries(doc: unknown, matrixKey: string, folders: Set<string>): unknown {
  if (!isObject(doc) || !isObject(doc.jobs)) return doc;
  const jobs: Json = {};
  for (const [name, job] of Object.entries(doc.jobs)) {
    if (!isObject(job) || !isObject(job.strategy) || !isObject(job.strategy.matrix)) {
      jobs[name] = job;
      continue;
    }
    const list = job.strategy.matrix[matrixKey];
    if (!Array.isArray(list)) {
      jobs[name] = job;
      continue;
    }
    const kept = list.filter((e) => !(typeof e === 'string' && folders.has(e)));
    jobs[name] = { ...job, strategy: { ...job.strategy, matrix: { ...job.strategy.matrix, [matrixKey]: kept } } };
  }
  return { ...doc, jobs };
}
