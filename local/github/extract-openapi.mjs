#!/usr/bin/env node
// Regenerates local/github/openapi-extract.json from GitHub's official REST description.
//
//   node local/github/extract-openapi.mjs            # uses the pinned version below
//   node local/github/extract-openapi.mjs 23.0.2     # or another @octokit/openapi version
//
// @octokit/openapi is ~400 MB unpacked, so it is not a dependency: `npm pack` fetches its tarball into a temp dir,
// `tar` extracts only generated/api.github.com.json, and only the operations the stand-in serves are kept, with
// every $ref inlined and documentation-only keywords dropped. Add an operation to OPERATIONS when the stand-in
// learns a new endpoint, then run the script again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// 23.0.1 is the description @octokit/openapi-types 29.0.1 (used by @octokit/rest here) was generated from.
const VERSION = process.argv[2] ?? '23.0.1';
const SPEC_FILE = 'package/generated/api.github.com.json';

export const OPERATIONS = [
  ['get', '/repos/{owner}/{repo}'],
  ['get', '/repos/{owner}/{repo}/installation'],
  ['post', '/app/installations/{installation_id}/access_tokens'],
  ['get', '/repos/{owner}/{repo}/git/ref/{ref}'],
  ['get', '/repos/{owner}/{repo}/git/matching-refs/{ref}'],
  ['post', '/repos/{owner}/{repo}/git/refs'],
  ['patch', '/repos/{owner}/{repo}/git/refs/{ref}'],
  ['delete', '/repos/{owner}/{repo}/git/refs/{ref}'],
  ['get', '/repos/{owner}/{repo}/git/trees/{tree_sha}'],
  ['post', '/repos/{owner}/{repo}/git/trees'],
  ['get', '/repos/{owner}/{repo}/git/blobs/{file_sha}'],
  ['post', '/repos/{owner}/{repo}/git/blobs'],
  ['get', '/repos/{owner}/{repo}/git/commits/{commit_sha}'],
  ['post', '/repos/{owner}/{repo}/git/commits'],
  ['get', '/repos/{owner}/{repo}/contents/{path}'],
  ['put', '/repos/{owner}/{repo}/contents/{path}'],
  ['get', '/repos/{owner}/{repo}/compare/{basehead}'],
  ['get', '/repos/{owner}/{repo}/tarball/{ref}'],
  ['get', '/repos/{owner}/{repo}/pulls'],
  ['post', '/repos/{owner}/{repo}/pulls'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  ['patch', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  ['put', '/repos/{owner}/{repo}/pulls/{pull_number}/merge'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}/files'],
  ['post', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers'],
  ['get', '/repos/{owner}/{repo}/issues'],
  ['post', '/repos/{owner}/{repo}/issues'],
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}'],
  ['patch', '/repos/{owner}/{repo}/issues/{issue_number}'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/labels'],
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
];

// Keywords that only document; everything else (type, enum, nullable, required, oneOf, format, …) is kept.
const DROPPED = new Set(['description', 'summary', 'example', 'examples', 'title', 'externalDocs', 'deprecated']);

function resolvePointer(spec, ref) {
  if (!ref.startsWith('#/')) throw new Error(`Only local $refs are supported, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .reduce((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
}

function inline(spec, node, seen = []) {
  if (Array.isArray(node)) return node.map((item) => inline(spec, item, seen));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    if (seen.includes(node.$ref)) throw new Error(`Circular $ref ${node.$ref}: teach the extract to keep components`);
    return inline(spec, resolvePointer(spec, node.$ref), [...seen, node.$ref]);
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key) || key.startsWith('x-')) continue;
    // Inside `properties` the keys are field names, so a field called `description` must survive.
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, inline(spec, schema, seen)]))
        : inline(spec, value, seen);
  }
  return out;
}

function extract(spec) {
  const operations = OPERATIONS.map(([method, path]) => {
    const operation = spec.paths[path]?.[method];
    if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not in the description`);
    const parameters = (operation.parameters ?? []).map((parameter) => {
      const { name, in: location, required = false, schema } = inline(spec, parameter);
      return { name, in: location, required, schema };
    });
    const body = operation.requestBody && inline(spec, operation.requestBody);
    const requestBody = body && {
      required: body.required ?? false,
      schema: body.content?.['application/json']?.schema ?? {},
    };
    return { method, path, operationId: operation.operationId, parameters, ...(requestBody ? { requestBody } : {}) };
  });
  return { source: `@octokit/openapi@${VERSION} ${SPEC_FILE}`, openapi: spec.openapi, operations };
}

const workDir = mkdtempSync(join(tmpdir(), 'octokit-openapi-'));
try {
  execFileSync('npm', ['pack', `@octokit/openapi@${VERSION}`, '--pack-destination', workDir, '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync('tar', ['-xzf', join(workDir, `octokit-openapi-${VERSION}.tgz`), '-C', workDir, SPEC_FILE]);
  const spec = JSON.parse(readFileSync(join(workDir, SPEC_FILE), 'utf8'));
  const target = join(dirname(fileURLToPath(import.meta.url)), 'openapi-extract.json');
  writeFileSync(target, `${JSON.stringify(extract(spec), null, 2)}\n`);
  // Format as the repo's formatter would, so a re-run with an unchanged description leaves no diff.
  execFileSync('npx', ['biome', 'format', '--write', target], { stdio: 'ignore' });
  console.log(`wrote ${target} (${OPERATIONS.length} operations from @octokit/openapi@${VERSION})`);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
