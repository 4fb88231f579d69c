// The archive behind `GET /repos/{owner}/{repo}/tarball/{ref}`: a gzipped POSIX tar of the tree at one commit, shaped
// as GitHub's codeload serves it: a pax global header whose comment is the commit sha, then every path under one
// `<owner>-<repo>-<sha7>/` folder, directories before their contents, names past 100 bytes in pax `path` records.
import { gzipSync } from 'node:zlib';
import type { GitStore } from './git-store';

const BLOCK = 512;
/** A fixed mtime keeps the archive of a commit byte-for-byte the same on every download, as GitHub's is. */
const MTIME = 1_700_000_000;

function header(name: string, size: number, type: '0' | '2' | '5' | 'g' | 'x', mode: number, linkName = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  const put = (text: string, offset: number, length: number) => h.write(text, offset, length, 'utf8');
  const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, '0')}\0`;
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(MTIME, 12), 136, 12);
  put('        ', 148, 8);
  put(type, 156, 1);
  put(linkName, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

const padding = (length: number): Buffer => Buffer.alloc((BLOCK - (length % BLOCK)) % BLOCK);

/** One pax record, `<length> <key>=<value>\n`, where the length counts itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${length}${body}`) !== length) length++;
  return Buffer.from(`${length}${body}`);
}

/** One archive member; `path` includes the top folder. */
export interface TarEntry {
  path: string;
  kind: 'file' | 'directory' | 'symlink';
  mode: number;
  content?: Uint8Array;
}

function entryBlocks({ path, kind, mode, content }: TarEntry): Buffer[] {
  const name = kind === 'directory' ? `${path}/` : path;
  const linkName = kind === 'symlink' ? Buffer.from(content ?? new Uint8Array()).toString('utf8') : '';
  const out: Buffer[] = [];
  const records: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) records.push(paxRecord('path', name));
  if (Buffer.byteLength(linkName) > 100) records.push(paxRecord('linkpath', linkName));
  if (records.length > 0) {
    const pax = Buffer.concat(records);
    out.push(header('pax_header', pax.length, 'x', 0o644), pax, padding(pax.length));
  }
  const type = kind === 'directory' ? '5' : kind === 'symlink' ? '2' : '0';
  const size = kind === 'file' ? (content?.length ?? 0) : 0;
  out.push(header(Buffer.from(name).subarray(0, 100).toString('utf8'), size, type, mode, linkName.slice(0, 100)));
  if (kind === 'file' && content) out.push(Buffer.from(content), padding(content.length));
  return out;
}

/** Every entry of the tree at `treeSha`, depth first with each directory before its contents. */
async function* walk(store: GitStore, treeSha: string, prefix: string): AsyncGenerator<TarEntry> {
  for (const entry of await store.readTree(treeSha)) {
    const path = `${prefix}/${entry.path}`;
    if (entry.type === 'tree') {
      yield { path, kind: 'directory', mode: 0o775 };
      yield* walk(store, entry.sha, path);
    } else if (entry.type === 'commit') {
      // A submodule: GitHub's archive holds an empty folder in its place.
      yield { path, kind: 'directory', mode: 0o775 };
    } else {
      const content = (await store.readBlob(entry.sha)) ?? new Uint8Array();
      if (entry.mode === '120000') yield { path, kind: 'symlink', mode: 0o777, content };
      else yield { path, kind: 'file', mode: entry.mode === '100755' ? 0o775 : 0o664, content };
    }
  }
}

/**
 * Archives already built, per store: a commit never changes, so neither does its archive (GitHub's codeload serves
 * repeated downloads of a commit from its cache too). The last few per store are kept.
 */
const built = new WeakMap<GitStore, Map<string, Promise<Buffer>>>();
const KEPT_PER_STORE = 8;

/** The gzipped tarball of `commitSha` (which must be a commit of the store), with `top` as its one top folder. */
export function repositoryTarball(store: GitStore, commitSha: string, top: string): Promise<Buffer> {
  let archives = built.get(store);
  if (!archives) {
    archives = new Map();
    built.set(store, archives);
  }
  const key = `${commitSha} ${top}`;
  let archive = archives.get(key);
  if (!archive) {
    archive = buildTarball(store, commitSha, top);
    archives.set(key, archive);
    archive.catch(() => archives?.delete(key));
    if (archives.size > KEPT_PER_STORE) archives.delete(archives.keys().next().value as string);
  }
  return archive;
}

async function buildTarball(store: GitStore, commitSha: string, top: string): Promise<Buffer> {
  const commit = await store.readCommit(commitSha);
  if (!commit) throw new Error(`${commitSha} is not a commit`);
  const entries: TarEntry[] = [];
  for await (const entry of walk(store, commit.tree, top)) entries.push(entry);
  return gzippedTar(commitSha, top, entries);
}

/**
 * A gzipped tar as GitHub's codeload writes it: the pax global header carrying the commit sha, the `top` folder,
 * then `entries` in the given order (each directory before its contents).
 */
export function gzippedTar(commitSha: string, top: string, entries: Iterable<TarEntry>): Buffer {
  const comment = paxRecord('comment', commitSha);
  const parts: Buffer[] = [header('pax_global_header', comment.length, 'g', 0o666), comment, padding(comment.length)];
  parts.push(...entryBlocks({ path: top, kind: 'directory', mode: 0o775 }));
  for (const entry of entries) parts.push(...entryBlocks(entry));
  parts.push(Buffer.alloc(2 * BLOCK));
  return gzipSync(Buffer.concat(parts));
}
