// The Terraform templates of an account folder live as plain files in templates/ (or the folder named by the
// build-time environment variable ONBOARDING_TEMPLATES_DIR). They reach the code through one module,
// functions/lib/templates.generated.ts:
//
// - esbuild.config.mjs bundles the module from the folder itself (templatesPlugin), so a deployment always
//   embeds the folder as it is at build time, whatever the checked-in module holds;
// - jest, tsc and tsx use the checked-in module, which `node infra/templates-module.mjs` regenerates from
//   templates/ and test/unit/templates-folder.test.ts checks to be up to date.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const DEFAULT_TEMPLATES_DIR = join(root, 'templates');
export const GENERATED_MODULE = join(root, 'functions', 'lib', 'templates.generated.ts');

/** The seed layout's files come first, in this order; any other file follows by name. */
const ORDER = ['backend.tf', 'provider.tf', 'variables.tf', 'terraform.tfvars', 'main.tf'];

/** Files of the folder that are not templates: its documentation and hidden files. */
const isTemplateName = (name) => name !== 'README.md' && !name.startsWith('.');

/** The folder to embed: ONBOARDING_TEMPLATES_DIR (relative to the working directory) or templates/. */
export function templatesDir(env = process.env) {
  return env.ONBOARDING_TEMPLATES_DIR ? resolve(env.ONBOARDING_TEMPLATES_DIR) : DEFAULT_TEMPLATES_DIR;
}

/** File name -> template text of every template in `dir`, in the order the account folder lists them. */
export function readTemplatesDir(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(
      `Terraform templates folder ${dir} cannot be read (${err.code ?? err.message}); set ONBOARDING_TEMPLATES_DIR to a folder of templates or restore templates/`,
    );
  }
  const rank = (name) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
  const files = names
    .filter((name) => isTemplateName(name) && statSync(join(dir, name)).isFile())
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) throw new Error(`Terraform templates folder ${dir} holds no template file`);
  return Object.fromEntries(files.map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/**
 * The profiles' template sets (config `profiles[].templates`): subfolder name -> its templates, which replace (or add
 * to) the files of the folder above for the accounts of that profile. Hidden subfolders are left out.
 */
export function readTemplateSets(dir) {
  const subfolders = readdirSync(dir)
    .filter((name) => !name.startsWith('.') && statSync(join(dir, name)).isDirectory())
    .sort();
  return Object.fromEntries(subfolders.map((name) => [name, readTemplatesDir(join(dir, name))]));
}

/** TypeScript source of the module; every template is one string literal, so its bytes are kept exactly. */
export function templatesModuleSource(templates, sets = {}) {
  const entries = Object.entries(templates).map(
    ([name, text]) => `  ${JSON.stringify(name)}: ${JSON.stringify(text)},`,
  );
  const setEntries = Object.entries(sets).flatMap(([set, files]) => [
    `  ${JSON.stringify(set)}: {`,
    ...Object.entries(files).map(([name, text]) => `    ${JSON.stringify(name)}: ${JSON.stringify(text)},`),
    '  },',
  ]);
  return [
    '// Generated from templates/ by infra/templates-module.mjs: do not edit. After changing templates/, run',
    '// `node infra/templates-module.mjs`; the build (esbuild.config.mjs) always embeds the folder itself.',
    '// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL interpolation written literally in the templates',
    '',
    '/** The Terraform templates of an account folder: file name -> template text. */',
    'export const TEMPLATE_FILES: Readonly<Record<string, string>> = {',
    ...entries,
    '};',
    '',
    '/** The template sets of the profiles: subfolder of templates/ -> its templates (they replace or add files). */',
    'export const TEMPLATE_SETS: Readonly<Record<string, Readonly<Record<string, string>>>> = {',
    ...setEntries,
    '};',
    '',
  ].join('\n');
}

/** esbuild plugin: `./templates.generated` is built from the templates folder instead of the checked-in file. */
export function templatesPlugin(dir = templatesDir()) {
  return {
    name: 'onboarding-templates',
    setup(build) {
      build.onResolve({ filter: /(^|\/)templates\.generated$/ }, () => ({
        path: GENERATED_MODULE,
        namespace: 'onboarding-templates',
      }));
      build.onLoad({ filter: /.*/, namespace: 'onboarding-templates' }, () => {
        const templates = readTemplatesDir(dir);
        const sets = readTemplateSets(dir);
        return {
          contents: templatesModuleSource(templates, sets),
          loader: 'ts',
          resolveDir: dirname(GENERATED_MODULE),
          watchFiles: [
            ...Object.keys(templates).map((name) => join(dir, name)),
            ...Object.entries(sets).flatMap(([set, files]) => Object.keys(files).map((name) => join(dir, set, name))),
          ],
        };
      });
    },
  };
}

/** Rewrites the checked-in module from templates/ and formats it the way `npm run lint` expects. */
export function writeGeneratedModule(dir = DEFAULT_TEMPLATES_DIR) {
  writeFileSync(GENERATED_MODULE, templatesModuleSource(readTemplatesDir(dir), readTemplateSets(dir)));
  execFileSync('npx', ['biome', 'format', '--write', GENERATED_MODULE], { cwd: root, stdio: 'ignore' });
  return GENERATED_MODULE;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`wrote ${writeGeneratedModule()} from ${DEFAULT_TEMPLATES_DIR}`);
}
