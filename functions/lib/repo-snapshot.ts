import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Octokit } from '@octokit/rest';
import tar from 'tar-stream';
import { batchKeyOfBranch, parseBatchMarker } from './batch-change';
import type { OnboardingConfig } from './config';
import { baseCommitSha, gh } from './github-client';
import { isOurCommit, parseOnboardingMarker, TFVARS_FILE, tfvarsAccountId } from './onboarding-change';
import type { BatchPull, OnboardingPull, RepoFolder, RepoObservation } from './repo-plan';
import type { AccountId } from './types';

/**
 * The single reader of the Terraform repository, for onboarding and reconciliation alike, with a number of GitHub
 * calls that does not grow with the number of accounts:
 *
 * 1. `GET /repos/{o}/{r}/git/ref/heads/{base}`: the commit to read.
 * 2. `GET /repos/{o}/{r}/tarball/{sha}`: the whole tree at that commit in one download (a redirect to codeload,
 *    which the fetch follows). Streamed through gunzip and a small tar reader that keeps only the file names under
 *    `<accountsDir>/<folder>/`, each folder's terraform.tfvars and the workflow, so memory stays small however big
 *    the repo is. Every folder's tfvars is known, so which folders name which account is known too.
 * 3. The onboarding pull requests (head branch `<branchPrefix><accountId>`), read alongside 1 and 2: for one account,
 *    every open one (their markers claim folders) and that account's own in any state; for reconciliation, all of
 *    them (one page per 100).
 * 4. For an open pull request whose head may not be the tool's commit, `GET git/commits/{head}` proves it either
 *    way (onboarding-change.ts isOurCommit). Reconciliation does it only when the head moved from the commit the
 *    marker records; an onboarding checks its own pull request every time, before it writes.
 */

export interface ObserveRepoOptions {
  /** One account's view (onboarding, `cli plan`); all pull requests when absent (reconciliation). */
  accountId?: AccountId;
  /** Largest tfvars or workflow file kept (bytes); anything bigger is not an account folder's file. */
  maxFileBytes?: number;
}

export async function observeRepo(
  octokit: Octokit,
  config: OnboardingConfig,
  options: ObserveRepoOptions = {},
): Promise<RepoObservation> {
  const { owner, repo, workflowPath, accountsDir } = config.github;
  // The pull requests do not depend on the commit: listed while the ref and the tarball are read.
  const pullsRead = listOnboardingPulls(octokit, config, options.accountId);
  pullsRead.catch(() => {}); // awaited below; a failure of the tree read must not leave it unhandled
  const commitSha = await baseCommitSha(octokit, config);

  const files = await gh('download the base branch', async () => {
    const res = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', {
      owner,
      repo,
      ref: commitSha,
      request: { parseSuccessResponseBody: false },
    });
    const body = res.data as unknown as ReadableStream<Uint8Array> | null;
    if (!body) throw new Error('GitHub answered the tarball request without a body');
    return readRepoFiles(Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>), {
      accountsDir,
      workflowPath,
      maxFileBytes: options.maxFileBytes ?? 256 * 1024,
    });
  });

  const { pulls, batches } = await pullsRead;
  const lists = (b: BatchPull, id: string | undefined) =>
    id === undefined || b.marker?.accounts.some((a) => a.accountId === id);
  await Promise.all([
    ...pulls
      .filter((p) => p.state === 'open' && p.marker?.accountId === p.accountId)
      .filter((p) => p.accountId === options.accountId || p.headSha !== p.marker?.commit)
      .map(async (p) => {
        p.headIsOurs = await headIsOurs(octokit, config, p.headSha);
      }),
    // A batch is proven only when its head moved from the commit its marker records (and, for one account's
    // view, only a batch listing that account).
    ...batches
      .filter((b) => b.state === 'open' && b.marker && b.headSha !== b.marker.commit && lists(b, options.accountId))
      .map(async (b) => {
        b.headIsOurs = await headIsOurs(octokit, config, b.headSha);
      }),
  ]);
  for (const b of batches) if (b.state === 'open' && b.marker && b.headSha === b.marker.commit) b.headIsOurs = true;
  return { commitSha, workflowPath, workflowText: files.workflowText, folders: files.folders, pulls, batches };
}

/**
 * The open onboarding pull requests alone (one paginated list): what the writer re-reads right after opening a pull
 * request, to see a same-slug account's pull request opened meanwhile. Its own pull request's head is the tool's
 * exactly when it is still the commit the marker it just wrote records.
 */
export async function observeOpenPulls(
  octokit: Octokit,
  config: OnboardingConfig,
  accountId: AccountId,
): Promise<OnboardingPull[]> {
  const { pulls } = await listOnboardingPulls(octokit, config, undefined, 'open');
  for (const p of pulls) if (p.accountId === accountId) p.headIsOurs = p.headSha === p.marker?.commit;
  return pulls;
}

/** The tool's own, unamended commit (identity and tree trailer)? */
export async function headIsOurs(octokit: Octokit, config: OnboardingConfig, sha: string): Promise<boolean> {
  const { owner, repo } = config.github;
  const { data } = await gh('read the head commit of the onboarding branch', () =>
    octokit.rest.git.getCommit({ owner, repo, commit_sha: sha }),
  );
  return isOurCommit(data);
}

async function listOnboardingPulls(
  octokit: Octokit,
  config: OnboardingConfig,
  accountId: AccountId | undefined,
  allState: 'open' | 'all' = 'all',
): Promise<{ pulls: OnboardingPull[]; batches: BatchPull[] }> {
  const { owner, repo, baseBranch, branchPrefix } = config.github;
  const branch = new RegExp(`^${branchPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d{12})$`);
  const byNumber = new Map<number, OnboardingPull>();
  const batches = new Map<number, BatchPull>();
  const list = async (state: 'open' | 'all', head?: string) =>
    gh('list the onboarding pull requests', async () => {
      for await (const page of octokit.paginate.iterator(octokit.rest.pulls.list, {
        owner,
        repo,
        base: baseBranch,
        state,
        per_page: 100,
        ...(head ? { head: `${owner}:${head}` } : {}),
      })) {
        for (const p of page.data) {
          const key = head ? undefined : batchKeyOfBranch(config, p.head.ref);
          if (key) {
            const marker = parseBatchMarker(p.body);
            batches.set(p.number, {
              number: p.number,
              key,
              state: p.state === 'open' ? 'open' : 'closed',
              merged: Boolean(p.merged_at),
              url: p.html_url,
              headSha: p.head.sha,
              ...(marker?.key === key ? { marker } : {}),
            });
            continue;
          }
          const id = branch.exec(p.head.ref)?.[1];
          if (!id || (head && p.head.ref !== head)) continue;
          const marker = parseOnboardingMarker(p.body);
          byNumber.set(p.number, {
            number: p.number,
            accountId: id,
            state: p.state === 'open' ? 'open' : 'closed',
            merged: Boolean(p.merged_at),
            url: p.html_url,
            headSha: p.head.sha,
            ...(marker ? { marker } : {}),
          });
        }
      }
    });
  if (accountId === undefined) await list(allState);
  else await Promise.all([list('open'), list('all', `${branchPrefix}${accountId}`)]);
  return {
    pulls: [...byNumber.values()].sort((a, b) => b.number - a.number),
    batches: [...batches.values()].sort((a, b) => b.number - a.number),
  };
}

// ---- tarball ---------------------------------------------------------------------------------------------------

export interface RepoFiles {
  workflowText?: string;
  folders: Record<string, RepoFolder>;
}

interface ReadOptions {
  accountsDir: string;
  workflowPath: string;
  maxFileBytes: number;
}

/**
 * Reads a gzipped tarball as GitHub serves it (every path under one `<owner>-<repo>-<sha>/` folder; long names in
 * pax `path` records) with tar-stream, which checks each header's checksum: the files directly inside each
 * `<accountsDir>/<folder>/`, their terraform.tfvars account id, and the workflow text. Only those two kinds of file
 * are read, and only when the header says they are at most `maxFileBytes`; everything else is skipped unread.
 */
export async function readRepoFiles(gzipped: Readable, options: ReadOptions): Promise<RepoFiles> {
  const { accountsDir, workflowPath, maxFileBytes } = options;
  const folders: Record<string, RepoFolder> = {};
  let workflowText: string | undefined;
  const prefix = `${accountsDir}/`;
  const extract = tar.extract();
  const source = gzipped.pipe(createGunzip());
  source.on('error', (err) => extract.destroy(err));
  source.pipe(extract);
  for await (const entry of extract) {
    const path = stripTopFolder(entry.header.name.replace(/\/$/, ''));
    const isFile = entry.header.type === 'file' || entry.header.type === 'contiguous-file';
    const small = (entry.header.size ?? 0) <= maxFileBytes;
    const content =
      isFile && small && (path === workflowPath || isTfvars(path, prefix)) ? await readAll(entry) : undefined;
    if (content === undefined) entry.resume();
    if (path === workflowPath && content !== undefined) {
      workflowText = content.toString('utf8');
      continue;
    }
    if (!path.startsWith(prefix)) continue;
    const parts = path.slice(prefix.length).split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) continue;
    const folder = `${prefix}${parts[0]}`;
    folders[folder] ??= { files: [] };
    const held = folders[folder];
    if (!isFile) continue;
    held.files.push(parts[1]);
    if (content !== undefined) {
      const id = tfvarsAccountId(content.toString('utf8'));
      if (id) held.tfvarsAccountId = id;
    }
  }
  for (const f of Object.values(folders)) f.files.sort();
  return { ...(workflowText === undefined ? {} : { workflowText }), folders };
}

const stripTopFolder = (path: string): string => path.slice(path.indexOf('/') + 1);

const isTfvars = (path: string, prefix: string): boolean =>
  path.startsWith(prefix) && path.endsWith(`/${TFVARS_FILE}`) && path.slice(prefix.length).split('/').length === 2;

async function readAll(entry: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
