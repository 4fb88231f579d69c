import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, transformSync } from 'esbuild';
import { parseConfig } from '../../functions/lib/config';
import { TEMPLATE_FILES } from '../../functions/lib/templates.generated';
import { templateVariables } from '../../functions/lib/terraform';
import type { AccountContext, PlacedAccount } from '../../functions/lib/types';
import {
  DEFAULT_TEMPLATES_DIR,
  readTemplatesDir,
  templatesDir,
  templatesModuleSource,
  templatesPlugin,
} from '../../infra/templates-module.mjs';

const account: AccountContext & PlacedAccount = {
  accountId: '012345678901',
  name: 'Workload Prod 02',
  email: 'aws+workload-prod-02@example.com',
  status: 'ACTIVE',
  ouPath: [{ id: 'r-ab12', name: 'Root' }],
  tags: {},
  slug: 'workload-prod-02',
  folder: 'aws-accounts/workload-prod-02',
};

const config = parseConfig({
  toolingAccountId: '111111111111',
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
  },
  terraform: {},
});

/** Bundles an entry that prints the account folder rendered with the embedded templates, runs it, returns the files. */
async function renderWithBundle(templates: string): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'templates-bundle-'));
  const outfile = join(dir, 'render.mjs');
  await build({
    stdin: {
      contents: [
        "import { parseConfig } from './config';",
        "import { renderAccountFolder } from './terraform';",
        `const config = parseConfig(${JSON.stringify(config)});`,
        `console.log(JSON.stringify(renderAccountFolder(${JSON.stringify(account)}, config)));`,
      ].join('\n'),
      resolveDir: resolve('functions/lib'),
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [templatesPlugin(templates)],
  });
  return JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8' }));
}

describe('templates/ folder', () => {
  it('holds the five files of the seed layout, in the order the pull request lists them', () => {
    // Act
    const templates = readTemplatesDir(DEFAULT_TEMPLATES_DIR);

    // Assess
    expect(Object.keys(templates)).toEqual([
      'backend.tf',
      'provider.tf',
      'variables.tf',
      'terraform.tfvars',
      'main.tf',
    ]);
    expect(templates['backend.tf']).toContain('key     = "{{ state_key }}"');
  });

  it('is what the checked-in generated module holds (run `node infra/templates-module.mjs` if not)', () => {
    // Act
    const fromFolder = readTemplatesDir(DEFAULT_TEMPLATES_DIR);

    // Assess: same files, same order, same bytes.
    expect(Object.entries(TEMPLATE_FILES)).toEqual(Object.entries(fromFolder));
    expect(readFileSync('functions/lib/templates.generated.ts', 'utf8')).toContain('export const TEMPLATE_FILES');
  });

  it('documents in its README exactly the variables a template can use', () => {
    // Prepare
    const readme = readFileSync(join(DEFAULT_TEMPLATES_DIR, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Variables'));

    // Act
    const documented = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);

    // Assess
    expect(documented.sort()).toEqual(Object.keys(templateVariables(account, config)).sort());
  });

  it('is embedded by the build: a replaced folder changes the rendered files, README excluded', async () => {
    // Prepare
    const custom = mkdtempSync(join(tmpdir(), 'custom-templates-'));
    writeFileSync(join(custom, 'main.tf'), 'locals {\n  owner = "{{ account_email }}"\n}\n');
    writeFileSync(join(custom, 'outputs.tf'), 'output "account" {\n  value = "{{ account_id }}"\n}\n');
    writeFileSync(join(custom, 'README.md'), '# my templates\n');

    // Act
    const files = await renderWithBundle(custom);

    // Assess
    expect(files).toEqual({
      'main.tf': 'locals {\n  owner = "aws+workload-prod-02@example.com"\n}\n',
      'outputs.tf': 'output "account" {\n  value = "012345678901"\n}\n',
    });
  });

  it('embeds the default folder byte for byte when none is given', async () => {
    // Act
    const files = await renderWithBundle(templatesDir({}));

    // Assess
    expect(Object.keys(files)).toEqual(Object.keys(TEMPLATE_FILES));
    expect(files['terraform.tfvars']).toBe(
      'aws_region     = "eu-central-1"\naws_account_id = "012345678901"\ncicd_role_name = "cicd"\n',
    );
  });

  it('takes the folder from ONBOARDING_TEMPLATES_DIR, relative to the working directory', () => {
    expect(templatesDir({ ONBOARDING_TEMPLATES_DIR: 'my-templates' })).toBe(resolve('my-templates'));
    expect(templatesDir({})).toBe(DEFAULT_TEMPLATES_DIR);
  });

  it('fails the build with the folder and the setting to fix when the folder is missing or empty', () => {
    // Prepare
    const empty = mkdtempSync(join(tmpdir(), 'empty-templates-'));
    mkdirSync(join(empty, 'nested'));
    writeFileSync(join(empty, 'README.md'), '# nothing\n');

    // Act / Assess
    expect(() => readTemplatesDir(join(empty, 'absent'))).toThrow(
      new RegExp(`${join(empty, 'absent')} cannot be read .*ONBOARDING_TEMPLATES_DIR`),
    );
    expect(() => readTemplatesDir(empty)).toThrow(`${empty} holds no template file`);
  });

  it('generates a module that keeps quotes, backslashes and HCL interpolation exactly', () => {
    // Prepare
    // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL interpolation written literally on purpose
    const templates = { 'a.tf': 'x = "${var.a}" # it\'s \\ done\n' };

    // Act
    const { code } = transformSync(templatesModuleSource(templates), { loader: 'ts', format: 'cjs' });
    const module = { exports: {} as Record<string, unknown> };
    new Function('module', 'exports', code)(module, module.exports);

    // Assess
    expect(module.exports.TEMPLATE_FILES).toEqual(templates);
  });
});
