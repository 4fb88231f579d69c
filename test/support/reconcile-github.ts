/**
 * Reconcile-side helpers over FakeGitHub: the tarball endpoint GitHub serves (`GET /repos/{o}/{r}/tarball/{ref}`,
 * a gzipped POSIX tar of the tree under `<owner>-<repo>-<sha7>/`, long paths in pax records), and a repo seeded
 * with N onboarded accounts.
 */
import { gzipSync } from 'node:zlib';
import { Octokit } from '@octokit/rest';
import type { FakeGitHub } from './fake-github';

function header(name: string, size: number, type: '0' | '5' | 'x' | 'g'): Buffer {
  const h = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => h.write(text, offset, length, 'utf8');
  put(name, 0, 100);
  put(type === '5' ? '0000755\0' : '0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124, 12);
  put(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136, 12);
  put('        ', 148, 8);
  put(type, 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

const pad = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (Buffer.byteLength(`${length}${body}`) !== length) length++;
  return Buffer.from(`${length}${body}`);
}

function entry(path: string, content: Buffer | undefined): Buffer[] {
  const type = content === undefined ? '5' : '0';
  const name = content === undefined ? `${path}/` : path;
  const out: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) {
    const pax = paxRecord('path', name);
    out.push(header('PaxHeader', pax.length, 'x'), pad(pax));
  }
  out.push(header(name.slice(0, 100), content?.length ?? 0, type));
  if (content) out.push(pad(content));
  return out;
}

/** A gzipped tarball of `files`, shaped like GitHub's. */
export function githubTarball(files: Record<string, string>, top: string, commitSha: string): Buffer {
  const parts: Buffer[] = [];
  const comment = paxRecord('comment', commitSha);
  parts.push(header('pax_global_header', comment.length, 'g'), pad(comment));
  parts.push(...entry(top, undefined));
  const dirs = new Set<string>();
  for (const path of Object.keys(files).sort()) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        parts.push(...entry(`${top}/${dir}`, undefined));
      }
    }
    parts.push(...entry(`${top}/${path}`, Buffer.from(files[path] as string, 'utf8')));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

/** FakeGitHub's fetch plus the tarball endpoint; tarball requests are logged in `fake.requests` like the rest. */
export function withTarball(fake: FakeGitHub): typeof fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const m = /\/repos\/([^/]+)\/([^/]+)\/tarball\/(.+)$/.exec(url.pathname);
    if (!m || (init?.method ?? 'GET').toUpperCase() !== 'GET') return fake.fetch(input, init);
    const ref = decodeURIComponent(m[3] as string);
    const sha = fake.branchSha(ref) ?? ref;
    const logged = {
      method: 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.search,
      status: 200,
      headers: {},
    };
    fake.requests.push(logged);
    let files: Record<string, string>;
    try {
      files = fake.files(sha);
    } catch {
      logged.status = 404;
      return new Response(JSON.stringify({ message: 'Not Found' }), { status: 404 });
    }
    const body = githubTarball(files, `${m[1]}-${m[2]}-${sha.slice(0, 7)}`, sha);
    return new Response(new Uint8Array(body), { status: 200, headers: { 'content-type': 'application/x-gzip' } });
  };
}

/** A plain Octokit over the fake with the tarball endpoint. */
export function reconcileOctokit(fake: FakeGitHub): Octokit {
  return new Octokit({ request: { fetch: withTarball(fake) }, log: { debug() {}, info() {}, warn() {}, error() {} } });
}
