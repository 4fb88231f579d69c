import { posix } from 'node:path';
import { FolderOutsideAccountsDir } from './errors';
import { accountFolder } from './slug';

/**
 * A folder a function's input names (a direct invocation, or a state machine of an earlier version) must be an account
 * folder: directly inside `accountsDir`, with a slug as accountFolder builds it. `infra/prod`, `.github/workflows`,
 * `aws-accounts/../x`, `/etc`, `aws-accounts/a/b` and anything not a string are refused with
 * FolderOutsideAccountsDir before any request. The repository plan still decides the folder actually written. Pure.
 */
export function checkInputFolder(accountsDir: string, folder: unknown): string {
  const refuse = (why: string) =>
    new FolderOutsideAccountsDir(
      `The input names the folder ${JSON.stringify(folder) ?? 'undefined'}, ${why}: an account's folder is ` +
        `directly inside github.accountsDir "${accountsDir}" (e.g. "${accountsDir}/workload-prod-01"). Nothing was read or written.`,
    );
  if (typeof folder !== 'string' || folder === '') throw refuse('which is not a path');
  if (posix.isAbsolute(folder) || /^[A-Za-z]:|\\/.test(folder)) throw refuse('an absolute path');
  if (folder.split('/').some((part) => part === '..' || part === '.')) throw refuse('which climbs out with . or ..');
  let expected: string;
  try {
    expected = accountFolder(accountsDir, posix.basename(folder));
  } catch {
    throw refuse('whose last part is not a folder slug (lowercase a-z, 0-9 and -)');
  }
  if (expected !== folder) throw refuse(`which is not directly inside "${accountsDir}"`);
  return folder;
}
