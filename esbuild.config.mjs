// Bundles each Lambda handler (functions/<name>/handler.ts) into dist/functions/<name>/index.mjs.
// ESM, minified, with source maps; keepNames so error classes keep the names the state machine matches.
// The Terraform templates are embedded from templates/, or from the folder named by ONBOARDING_TEMPLATES_DIR
// (read here only, at build time): see templates/README.md.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { readTemplatesDir, templatesDir, templatesPlugin } from './infra/templates-module.mjs';

const root = new URL('.', import.meta.url).pathname;
const functionsDir = join(root, 'functions');
const outRoot = join(root, 'dist', 'functions');

export async function functionNames() {
  const names = [];
  for (const entry of await readdir(functionsDir)) {
    const handler = join(functionsDir, entry, 'handler.ts');
    if (
      await stat(handler).then(
        () => true,
        () => false,
      )
    )
      names.push(entry);
  }
  return names.sort();
}

export async function buildFunctions({ quiet = false, templates = templatesDir() } = {}) {
  // Read once up front, so a missing or empty templates folder fails the build before anything is removed.
  const templateNames = Object.keys(readTemplatesDir(templates));
  if (!quiet) console.log(`embedding Terraform templates from ${templates}: ${templateNames.join(', ')}`);
  await rm(outRoot, { recursive: true, force: true });
  const names = await functionNames();
  await Promise.all(
    names.map(async (name) => {
      const outdir = join(outRoot, name);
      await mkdir(outdir, { recursive: true });
      await build({
        entryPoints: [join(functionsDir, name, 'handler.ts')],
        outfile: join(outdir, 'index.mjs'),
        bundle: true,
        platform: 'node',
        // Lambda runs Node.js 22+; the embedded runner runs the same bundles on Node.js 20.
        target: 'node20',
        format: 'esm',
        minify: true,
        sourcemap: true,
        keepNames: true,
        legalComments: 'none',
        logLevel: quiet ? 'warning' : 'info',
        plugins: [templatesPlugin(templates)],
        // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
        banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      });
    }),
  );
  return names;
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const names = await buildFunctions();
  console.log(`built ${names.length} functions into dist/functions: ${names.join(', ')}`);
}
