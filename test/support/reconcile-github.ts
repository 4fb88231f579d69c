/**
 * Reconcile-side helpers over FakeGitHub: the tarball endpoint GitHub serves (`GET /repos/{o}/{r}/tarball/{ref}`,
 * a gzipped POSIX tar of the tree under `<owner>-<repo>-<sha7>/`, long paths in pax records), and a repo seeded
 * with N onboarded accounts.
 */
import { Octokit } from '@octokit/rest';
import { gzippedTar, type TarEntry } from '../../local/github/tarball';
import type { FakeGitHub } from './fake-github';

/** A gzipped tarball of `files`, shaped like GitHub's (the stand-in's own archive writer). */
export function githubTarball(files: Record<string, string>, top: string, commitSha: string): Buffer {
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  for (const path of Object.keys(files).sort()) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      if (!dirs.has(dir)) {
        dirs.add(dir);
        entries.push({ path: `${top}/${dir}`, kind: 'directory', mode: 0o775 });
      }
    }
    entries.push({ path: `${top}/${path}`, kind: 'file', mode: 0o664, content: Buffer.from(files[path] as string) });
  }
  return gzippedTar(commitSha, top, entries);
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
