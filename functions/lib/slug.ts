import { posix } from 'node:path';
import { InvalidInput } from './errors';

/** Longest folder slug, including an appended account id after a name collision. */
export const MAX_SLUG_LENGTH = 60;

const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Folder-safe slug of an account name: lowercase `[a-z0-9-]`, one `-` for each run of anything else,
 * no leading or trailing `-`, at most `maxLength` characters. Accents are folded (`Café` -> `cafe`).
 * Whatever the name holds (quotes, `${…}`, `../`, newlines), the result is safe in a path, HCL and YAML.
 */
export function slugify(name: string, maxLength = 40): string {
  const folded = name.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '');
  const dashed = folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return dashed.slice(0, Math.max(0, maxLength)).replace(/-+$/, '');
}

/** Slug of an account: from its name, or `account-<id>` when the name has no usable character. */
export function accountSlug(name: string, accountId: string): string {
  return slugify(name) || `account-${accountId}`;
}

/** Slug used when another account already owns `slug`: the account id appended, at most 60 characters. */
export function collisionSlug(slug: string, accountId: string): string {
  const suffix = `-${accountId}`;
  const base = slugify(slug, MAX_SLUG_LENGTH - suffix.length);
  return base ? `${base}${suffix}` : `account-${accountId}`;
}

/** Repo folder of an account, `<accountsDir>/<slug>`; refuses anything that would land outside accountsDir. */
export function accountFolder(accountsDir: string, slug: string): string {
  const dir = accountsDir.replace(/\/+$/, '');
  if (!SLUG_PATTERN.test(slug) || slug.length > MAX_SLUG_LENGTH) {
    throw new InvalidInput(`Folder slug "${slug}" is not lowercase [a-z0-9-] of at most ${MAX_SLUG_LENGTH} characters`);
  }
  const folder = `${dir}/${slug}`;
  const normalized = posix.normalize(folder);
  const escapes = dir === '' || posix.isAbsolute(dir) || dir.split('/').some((part) => part === '..' || part === '.');
  if (escapes || normalized !== folder || !normalized.startsWith(`${dir}/`)) {
    throw new InvalidInput(`Account folder "${folder}" must stay inside the accounts directory "${accountsDir}"`);
  }
  return folder;
}
