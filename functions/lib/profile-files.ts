import type { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from './config';
import { httpStatus, toNamedGitHubError } from './github-client';
import type { ResolvedProfile } from './profiles';
import { templatesFor } from './templates';
import { renderAccountFolder } from './terraform';
import type { PlacedAccount } from './types';

/**
 * A moved account's folder against what its (new) profile renders: the files that differ are reported, never
 * rewritten (they belong to the team once merged). One pure comparison, and one reader of the folder's files.
 */

export interface FileDifference {
  path: string;
  /** `differs`: the file is there with other content; `missing`: the profile renders a file the folder lacks. */
  kind: 'differs' | 'missing';
  detail: string;
}

/** Compares the folder's files (file name -> content, undefined when absent) with the profile's rendering. Pure. */
export function compareProfileFiles(
  account: PlacedAccount,
  files: Readonly<Record<string, string | undefined>>,
  config: OnboardingConfig,
  profile: ResolvedProfile,
): FileDifference[] {
  const rendered = renderAccountFolder(account, config, templatesFor(profile.templates));
  const set = profile.templates ? `template set ${profile.templates}` : 'the default templates';
  return Object.keys(rendered)
    .sort()
    .flatMap((name): FileDifference[] => {
      const path = `${account.folder}/${name}`;
      const actual = files[name];
      if (actual === undefined) {
        return [{ path, kind: 'missing', detail: `${path} is missing; profile ${profile.name} (${set}) renders it` }];
      }
      if (actual === rendered[name]) return [];
      return [
        {
          path,
          kind: 'differs',
          detail: `${path} differs from what profile ${profile.name} (${set}) renders; left as it is (a person edits it, or deletes it and re-runs the onboarding)`,
        },
      ];
    });
}

/** Reads the folder's template files on the base branch (one request per file; absent files are undefined). */
export async function readFolderFiles(
  octokit: Octokit,
  config: OnboardingConfig,
  folder: string,
  names: readonly string[],
): Promise<Record<string, string | undefined>> {
  const { owner, repo, baseBranch } = config.github;
  const entries = await Promise.all(
    names.map(async (name): Promise<[string, string | undefined]> => {
      try {
        const { data } = await octokit.rest.repos.getContent({
          owner,
          repo,
          path: `${folder}/${name}`,
          ref: baseBranch,
        });
        if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return [name, undefined];
        return [name, Buffer.from(data.content, 'base64').toString('utf8')];
      } catch (err) {
        if (httpStatus(err) === 404) return [name, undefined];
        throw toNamedGitHubError(err, `read ${folder}/${name}`);
      }
    }),
  );
  return Object.fromEntries(entries);
}

/** The differences of a moved account's folder, read from the base branch. */
export async function reportProfileFiles(
  octokit: Octokit,
  config: OnboardingConfig,
  account: PlacedAccount,
  profile: ResolvedProfile,
): Promise<FileDifference[]> {
  const names = Object.keys(templatesFor(profile.templates));
  const files = await readFolderFiles(octokit, config, account.folder, names);
  return compareProfileFiles(account, files, config, profile);
}
