// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL interpolation and hostile names written literally on purpose
import { parse } from '@cdktf/hcl2json';
import { type OnboardingConfigInput, parseConfig } from '../../functions/lib/config';
import { InvalidInput, TemplateError } from '../../functions/lib/errors';
import { accountFolder, accountSlug } from '../../functions/lib/slug';
import { DEFAULT_TEMPLATES, escapeHclString, renderTemplate } from '../../functions/lib/templates';
import { renderAccountFolder, templateVariables } from '../../functions/lib/terraform';
import type { AccountContext, PlacedAccount } from '../../functions/lib/types';
import { checkTerraformFmt, findTerraform } from '../support/terraform-check';

// biome-ignore lint/suspicious/noExplicitAny: hcl2json returns untyped JSON
type Json = any;

function config(overrides: Partial<OnboardingConfigInput> = {}, terraform: OnboardingConfigInput['terraform'] = {}) {
  return parseConfig({
    toolingAccountId: '111111111111',
    github: {
      owner: 'acme',
      repo: 'terraform-aws',
      auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
    },
    terraform,
    ...overrides,
  });
}

function account(name = 'Workload Prod 02', accountId = '012345678901'): AccountContext & PlacedAccount {
  const slug = accountSlug(name, accountId);
  return {
    accountId,
    name,
    email: 'aws+workload-prod-02@example.com',
    status: 'ACTIVE',
    ouPath: [{ id: 'r-ab12', name: 'Root' }],
    tags: {},
    slug,
    folder: accountFolder('aws-accounts', slug),
  };
}

/** hcl2json writes literal strings in HCL's JSON syntax, where `${` and `%{` are escaped again. */
const literal = (jsonValue: string): string => jsonValue.replaceAll('$${', '${').replaceAll('%%{', '%{');

async function parseAll(files: Record<string, string>): Promise<Record<string, Json>> {
  const parsed: Record<string, Json> = {};
  for (const [name, content] of Object.entries(files)) parsed[name] = await parse(name, content);
  return parsed;
}

describe('renderAccountFolder', () => {
  const TERRAFORM = findTerraform();
  beforeAll(() => {
    if (!TERRAFORM)
      console.warn(
        'terraform not found: SKIPPING the `terraform fmt -check` part of these tests (hcl2json still runs)',
      );
  });

  it('renders the five files of the seed layout', () => {
    // Act
    const files = renderAccountFolder(account(), config());

    // Assess
    expect(Object.keys(files).sort()).toEqual([
      'backend.tf',
      'main.tf',
      'provider.tf',
      'terraform.tfvars',
      'variables.tf',
    ]);
  });

  it.each([
    ['defaults (S3 lockfile, no external id)', {}, {}],
    ['lockfile and DynamoDB table with external id', { externalId: 'onboarding-ext-1' }, { lockTable: 'tf-locks' }],
    ['DynamoDB table only', {}, { useLockfile: false, lockTable: 'tf-locks' }],
    ['no locking at all', {}, { useLockfile: false }],
  ] as const)(
    'renders files that parse as HCL and are terraform fmt clean: %s',
    async (_label, overrides, terraform) => {
      // Prepare
      const files = renderAccountFolder(account(), config(overrides, terraform));

      for (const [name, content] of Object.entries(files)) {
        // Act
        const parsed = await parse(name, content);
        const fmt = checkTerraformFmt(content);

        // Assess
        expect(parsed).toBeInstanceOf(Object);
        expect({ name, ok: fmt.ok, output: fmt.output }).toEqual({
          name,
          ok: true,
          output: fmt.skipped ? fmt.output : '',
        });
        expect(content).not.toMatch(/SESSION_NAME|EXTERNAL_ID|\{\{|\}\}/);
        expect(content.endsWith('\n')).toBe(true);
      }
    },
  );

  it('keeps the account id a quoted 12-digit string with its leading zero', async () => {
    // Act
    const parsed = await parseAll(renderAccountFolder(account(), config()));

    // Assess
    expect(parsed['terraform.tfvars'].aws_account_id).toBe('012345678901');
    const variable = parsed['variables.tf'].variable.aws_account_id[0];
    expect(variable.type).toBe('${string}');
    expect(variable.validation[0].condition).toBe('${can(regex("^[0-9]{12}$", var.aws_account_id))}');
  });

  it('writes one state key per account folder', async () => {
    // Act
    const plain = await parseAll(renderAccountFolder(account(), config()));
    const other = await parseAll(renderAccountFolder(account('Sandbox', '999999999999'), config()));
    const prefixed = await parseAll(renderAccountFolder(account(), config({}, { stateKeyPrefix: 'states/' })));

    // Assess
    const backend = (p: Record<string, Json>) => p['backend.tf'].terraform[0].backend.s3[0];
    expect(backend(plain).key).toBe('aws-accounts/workload-prod-02/terraform.tfstate');
    expect(backend(other).key).toBe('aws-accounts/sandbox/terraform.tfstate');
    expect(backend(prefixed).key).toBe('states/aws-accounts/workload-prod-02/terraform.tfstate');
  });

  it('reaches the state through the pipeline role with the web identity token', async () => {
    // Act
    const parsed = await parseAll(renderAccountFolder(account(), config({ pipelineRoleName: 'gha-pipeline' })));

    // Assess
    const backend = parsed['backend.tf'].terraform[0].backend.s3[0];
    expect(backend).toMatchObject({ bucket: 'tf-build-terraform-state', region: 'eu-central-1', encrypt: true });
    expect(backend.assume_role_with_web_identity).toEqual({
      role_arn: 'arn:aws:iam::111111111111:role/gha-pipeline',
      web_identity_token_file: '/tmp/web_identity_token_file',
      session_name: 'tf-workload-prod-02',
    });
  });

  it.each([
    [{ useLockfile: true }, true, undefined],
    [{ useLockfile: false }, undefined, undefined],
    [{ useLockfile: false, lockTable: 'tf-locks' }, undefined, 'tf-locks'],
    [{ useLockfile: true, lockTable: 'tf-locks' }, true, 'tf-locks'],
  ])('configures state locking %j', async (terraform, useLockfile, dynamodbTable) => {
    // Act
    const parsed = await parseAll(renderAccountFolder(account(), config({}, terraform)));

    // Assess
    const backend = parsed['backend.tf'].terraform[0].backend.s3[0];
    expect(backend.use_lockfile).toBe(useLockfile);
    expect(backend.dynamodb_table).toBe(dynamodbTable);
  });

  it('assumes the cicd role of the account, passing the external id only when configured', async () => {
    // Act
    const withId = await parseAll(
      renderAccountFolder(account(), config({ externalId: 'ext-42', cicdRoleName: 'deployer' })),
    );
    const withoutId = await parseAll(renderAccountFolder(account(), config()));

    // Assess
    const assumeRole = (p: Record<string, Json>) => p['provider.tf'].provider.aws[0].assume_role[0];
    expect(assumeRole(withId)).toEqual({
      role_arn: 'arn:aws:iam::${var.aws_account_id}:role/${var.cicd_role_name}',
      session_name: 'tf-workload-prod-02',
      external_id: 'ext-42',
    });
    expect(assumeRole(withoutId)).not.toHaveProperty('external_id');
    expect(withId['terraform.tfvars'].cicd_role_name).toBe('deployer');
    expect(withId['variables.tf'].variable.cicd_role_name[0].default).toBe('deployer');
  });

  it('pins the Terraform version and names the account in a literal local', async () => {
    // Act
    const parsed = await parseAll(renderAccountFolder(account(), config({}, { terraformVersion: '1.10.5' })));

    // Assess
    const main = parsed['main.tf'];
    expect(main.terraform[0].required_version).toBe('>= 1.10.5');
    expect(main.terraform[0].required_providers[0].aws.source).toBe('hashicorp/aws');
    expect(main.locals[0]).toEqual({ account_name: 'Workload Prod 02' });
  });

  it('refuses an account id that lost its leading zero', () => {
    expect(() => renderAccountFolder({ ...account(), accountId: '12345678901' }, config())).toThrow(InvalidInput);
  });

  describe('with hostile account names', () => {
    const HOSTILE_NAMES = [
      'He said "hi"',
      'O\'Brien\'s "quoted" account',
      'back\\slash\\',
      'trailing backslash \\',
      '${var.secret}',
      '$${already escaped}',
      '$$${triple}',
      '%{ if true }x%{ endif }',
      '%%{x}',
      '${{ secrets.GITHUB_TOKEN }}',
      '{{ account_id }}',
      '{{#external_id}}x{{/external_id}}',
      '../../etc/passwd',
      'line one\nline two\r\nthree\tfour',
      '"\n}\nresource "aws_iam_user" "x" {\n  name = "pwned',
      '" # comment\n/* block */',
      '<<EOF\nheredoc\nEOF',
      'ends with dollar $',
      'ends with percent %',
      'x'.repeat(200),
      '!@#$%^&*()_+{}|:"<>?~`',
      'Café Été 日本語 🚀',
    ];

    it.each(HOSTILE_NAMES)('renders %j as a literal account_name and nothing else', async (name) => {
      // Prepare: the same account with a benign name gives the expected structure
      const benign = await parseAll(renderAccountFolder({ ...account(), name: 'benign' }, config()));
      const files = renderAccountFolder({ ...account(), name }, config());

      // Act
      const parsed = await parseAll(files);

      // Assess
      expect(literal(parsed['main.tf'].locals[0].account_name)).toBe(name);
      parsed['main.tf'].locals[0].account_name = 'benign';
      expect(parsed).toEqual(benign);
      expect(checkTerraformFmt(files['main.tf'] as string).ok).toBe(true);
    });

    it('drops control characters that HCL strings cannot carry', async () => {
      // Act
      const files = renderAccountFolder({ ...account(), name: 'bell\u0007null\u0000esc\u001b' }, config());

      // Assess
      const parsed = await parse('main.tf', files['main.tf'] as string);
      expect(parsed.locals[0].account_name).toBe('bellnullesc');
    });
  });
});

describe('renderTemplate', () => {
  const vars = templateVariables(account(), config({ externalId: 'ext-1' }));

  it('names the file and the variable when a placeholder is unknown', () => {
    // Act / Assess
    expect(() => renderTemplate('custom.tf', 'name = "{{ acount_id }}"\n', vars)).toThrow(TemplateError);
    expect(() => renderTemplate('custom.tf', 'name = "{{ acount_id }}"\n', vars)).toThrow(/custom\.tf.*"acount_id"/);
    expect(() => renderTemplate('custom.tf', '{{#no_such_flag}}x{{/no_such_flag}}\n', vars)).toThrow(
      /custom\.tf.*"no_such_flag"/,
    );
  });

  it('reports the file of an unknown placeholder in a user template set', () => {
    // Prepare
    const templates = { ...DEFAULT_TEMPLATES, 'outputs.tf': 'output "x" {\n  value = "{{ bucket }}"\n}\n' };

    // Act / Assess
    expect(() => renderAccountFolder(account(), config(), templates)).toThrow(/outputs\.tf.*"bucket"/);
  });

  it('refuses a section that is never closed', () => {
    expect(() => renderTemplate('a.tf', '{{#external_id}}\nx = 1\n', vars)).toThrow(/a\.tf.*unmatched/);
  });

  it('keeps or drops whole lines for sections and inverted sections', () => {
    // Prepare
    const template = [
      'a = 1',
      '{{#external_id}}',
      'b = "{{ external_id }}"',
      '{{/external_id}}',
      '{{^lock_table}}',
      'c = 3',
      '{{/lock_table}}',
      '',
    ].join('\n');

    // Act
    const rendered = renderTemplate('t.tf', template, vars);

    // Assess
    expect(rendered).toBe('a = 1\nb = "ext-1"\nc = 3\n');
  });

  it('leaves HCL interpolation and directives of the template untouched', () => {
    // Act
    const rendered = renderTemplate('t.tf', 'x = "${var.a}-%{ if true }y%{ endif }-{{ slug }}"\n', vars);

    // Assess
    expect(rendered).toBe('x = "${var.a}-%{ if true }y%{ endif }-workload-prod-02"\n');
  });
});

describe('escapeHclString', () => {
  it('escapes quotes, backslashes, interpolation and directives', () => {
    expect(escapeHclString('a"b\\c${d}%{e}\nf')).toBe('a\\"b\\\\c$${d}%%{e}\\nf');
  });
});
