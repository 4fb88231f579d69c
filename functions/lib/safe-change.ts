import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import type { OnboardingConfig } from './config';
import { UnsafeChange } from './errors';
import type { ChangeFile } from './onboarding-change';
import type { RepoObservation } from './repo-plan';
import { accountFolder } from './slug';

/**
 * The last guard before any push, independent of how the change was planned: the change-set may only add files
 * inside the account's own folder (never overwrite one) and change only the matrix entry of the workflow. Anything
 * else throws UnsafeChange, before a tree, commit or ref is written.
 */
export function assertSafeChange(
  change: { folder: string; files: ChangeFile[]; workflowText: string; workflowChanged: boolean },
  base: Pick<RepoObservation, 'folders' | 'workflowText' | 'workflowPath'>,
  config: OnboardingConfig,
): void {
  const { accountsDir, matrixKey, workflowPath } = config.github;
  const { folder } = change;
  const slug = folder.slice(folder.lastIndexOf('/') + 1);
  let expected: string | undefined;
  try {
    expected = accountFolder(accountsDir, slug);
  } catch {
    expected = undefined;
  }
  if (expected !== folder) {
    throw new UnsafeChange(`Refusing to push: ${folder} is not a folder directly inside ${accountsDir}`);
  }
  const existing = new Set(base.folders[folder]?.files ?? []);
  for (const file of change.files) {
    const name = file.path.slice(folder.length + 1);
    if (!file.path.startsWith(`${folder}/`) || name.includes('/') || name === '' || name === '.' || name === '..') {
      throw new UnsafeChange(`Refusing to push: ${file.path} is outside the account's folder ${folder}`);
    }
    if (existing.has(name)) {
      throw new UnsafeChange(`Refusing to push: ${file.path} exists on the base branch and would be overwritten`);
    }
  }
  if (!change.workflowChanged) return;
  const { before, after } = parsedWorkflowEdit(base, change.workflowText, workflowPath);
  if (!isDeepStrictEqual(withoutAddedEntry(after, before, matrixKey, folder), before)) {
    throw new UnsafeChange(
      `Refusing to push: the edit of ${workflowPath} changes more than adding ${folder} to the ${matrixKey} matrix`,
    );
  }
}

/**
 * The last guard of a batch pull request: the same rule for every account of the batch. Files may only be added
 * inside the batch's folders (each a folder directly inside the accounts dir, none overwriting a file), and the
 * workflow may only gain those folders in its matrix lists.
 */
export function assertSafeBatchChange(
  change: { folders: string[]; files: ChangeFile[]; workflowText: string; workflowChanged: boolean },
  base: Pick<RepoObservation, 'folders' | 'workflowText' | 'workflowPath'>,
  config: OnboardingConfig,
): void {
  const { matrixKey, workflowPath } = config.github;
  const folders = [...new Set(change.folders)];
  if (folders.length !== change.folders.length) {
    throw new UnsafeChange('Refusing to push: two accounts of the batch would share a folder');
  }
  for (const folder of folders) {
    const files = change.files.filter((f) => f.path.startsWith(`${folder}/`));
    assertSafeChange({ folder, files, workflowText: base.workflowText ?? '', workflowChanged: false }, base, config);
  }
  const outside = change.files.find((f) => !folders.some((folder) => f.path.startsWith(`${folder}/`)));
  if (outside) throw new UnsafeChange(`Refusing to push: ${outside.path} is outside the batch's folders`);
  if (!change.workflowChanged) return;
  const { before, after } = parsedWorkflowEdit(base, change.workflowText, workflowPath);
  const stripped = folders.reduce((doc, folder) => withoutAddedEntry(doc, before, matrixKey, folder), after);
  if (!isDeepStrictEqual(stripped, before)) {
    throw new UnsafeChange(
      `Refusing to push: the edit of ${workflowPath} changes more than adding the batch's ${folders.length} folders to the ${matrixKey} matrix`,
    );
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `after` with `folder` taken out of each `jobs.*.strategy.matrix.<key>` list that did not hold it `before`. */
function withoutAddedEntry(after: unknown, before: unknown, matrixKey: string, folder: string): unknown {
  if (!isObject(after) || !isObject(after.jobs)) return after;
  const beforeJobs = isObject(before) && isObject(before.jobs) ? before.jobs : {};
  const jobs: Json = {};
  for (const [name, job] of Object.entries(after.jobs)) {
    const list =
      isObject(job) && isObject(job.strategy) && isObject(job.strategy.matrix) && job.strategy.matrix[matrixKey];
    const old = beforeJobs[name];
    const oldList =
      isObject(old) && isObject(old.strategy) && isObject(old.strategy.matrix) ? old.strategy.matrix[matrixKey] : [];
    if (!Array.isArray(list) || !isObject(job) || !isObject(job.strategy) || !isObject(job.strategy.matrix)) {
      jobs[name] = job;
      continue;
    }
    const kept = Array.isArray(oldList) && oldList.includes(folder) ? list : list.filter((e) => e !== folder);
    jobs[name] = { ...job, strategy: { ...job.strategy, matrix: { ...job.strategy.matrix, [matrixKey]: kept } } };
  }
  return { ...after, jobs };
}

/**
 * The base branch's workflow and its edited text, both parsed, for a last guard to compare.
 * @throws UnsafeChange when the edited workflow is not the one read from the base branch, or either does not parse.
 */
export function parsedWorkflowEdit(
  base: Pick<RepoObservation, 'workflowText' | 'workflowPath'>,
  editedText: string,
  workflowPath: string,
): { before: unknown; after: unknown } {
  if (base.workflowText === undefined || base.workflowPath !== workflowPath) {
    throw new UnsafeChange(`Refusing to push: ${workflowPath} is not the workflow read from the base branch`);
  }
  try {
    return { before: parse(base.workflowText), after: parse(editedText) };
  } catch (err) {
    throw new UnsafeChange(`Refusing to push: the workflow edit does not parse (${(err as Error).message})`);
  }
}
