import { parseConfig } from '../../functions/lib/config';
import {
  markdownText,
  type OnboardingChange,
  type PlanInput,
  parseOnboardingMarker,
  planOnboardingChange,
  type TreeEntry,
  tfvarsAccountId,
} from '../../functions/lib/onboarding-change';
import type { AccountContext, RoleResult } from '../../functions/lib/types';
import { seedRepoFiles, seedWorkflow } from '../../local/seed-repo';

const config = parseConfig({
  toolingAccountId: '111111111111',
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
  },
  terraform: {},
});

const account: AccountContext = {
  accountId: '012345678901',
  name: 'Workload Dev 02',
  email: 'dev02@example.com',
  status: 'ACTIVE',
  ouPath: [
    { id: 'r-ab12', name: 'Root' },
    { id: 'ou-ab12-cd34ef56', name: 'Workloads' },
  ],
  tags: { team: 'platform', env: 'dev' },
  folder: 'aws-accounts/workload-dev-02',
  slug: 'workload-dev-02',
};

const role: RoleResult = {
  outcome: 'created',
  roleArn: 'arn:aws:iam::012345678901:role/cicd',
  changes: ['created role cicd'],
  accessRole: 'OrganizationAccountAccessRole',
};

const FIVE = ['backend.tf', 'main.tf', 'provider.tf', 'terraform.tfvars', 'variables.tf'];

/** A Git Data API tree listing (blobs plus their folders) for these paths. */
function treeOf(paths: string[]): TreeEntry[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [
    ...[...dirs].map((path) => ({ path, type: 'tree', sha: 'd'.repeat(40), mode: '040000' })),
    ...paths.map((path) => ({ path, type: 'blob', sha: 'b'.repeat(40), mode: '100644' })),
  ];
}

const seedPaths = Object.keys(seedRepoFiles({ tooling: '111111111111', workloadProd: '222222222222' }));
const workflowText = seedWorkflow('111111111111');

function plan(overrides: Partial<PlanInput> = {}): OnboardingChange {
  return planOnboardingChange({
    account,
    role,
    config,
    baseTree: treeOf(seedPaths),
    workflowText,
    drift: [],
    ...overrides,
  });
}

function change(overrides: Partial<PlanInput> = {}) {
  const result = plan(overrides);
  if (result.kind !== 'change') throw new Error(`expected a change, got ${result.kind}`);
  return result;
}

describe('planOnboardingChange', () => {
  it('adds the five template files and the matrix entry for a new account', () => {
    // Act
    const result = change();

    // Assess
    expect(result.folder).toBe('aws-accounts/workload-dev-02');
    expect(result.files.map((f) => f.path)).toEqual(FIVE.map((f) => `aws-accounts/workload-dev-02/${f}`));
    expect(result.files.find((f) => f.path.endsWith('terraform.tfvars'))?.content).toContain('"012345678901"');
    expect(result.workflowChanged).toBe(true);
    expect(result.workflowText).toContain("'aws-accounts/workload-dev-02'");
    expect(result.title).toBe('Onboard AWS account Workload Dev 02 (012345678901)');
  });

  it('describes the account, the role and the changes in the body, with the marker', () => {
    // Act
    const result = change();

    // Assess
    expect(result.body).toContain('`012345678901`');
    expect(result.body).toContain('Root / Workloads');
    expect(result.body).toContain('team\\=platform');
    expect(result.body).toContain('`arn:aws:iam::012345678901:role/cicd` — created');
    expect(result.body).toContain('added: `aws-accounts/workload-dev-02/main.tf`');
    expect(result.body).toContain(
      '`.github/workflows/tf-cicd-aws.yml`: `aws-accounts/workload-dev-02` added to the `dir` matrix',
    );
    expect(result.body).toContain('### Before merging');
    expect(parseOnboardingMarker(result.body)).toEqual({ accountId: '012345678901', hash: result.contentHash });
  });

  it('hashes the content deterministically and changes the hash when the base workflow changes', () => {
    // Prepare
    const otherWorkflow = workflowText.replace('TF_VERSION: "1.6.0"', 'TF_VERSION: "1.9.0"');

    // Act
    const first = change();
    const again = change();
    const onNewBase = change({ workflowText: otherWorkflow });

    // Assess
    expect(again.contentHash).toBe(first.contentHash);
    expect(first.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(onNewBase.contentHash).not.toBe(first.contentHash);
  });

  it('reports already-onboarded when the folder has all five files and the matrix lists it', () => {
    // Prepare
    const baseTree = treeOf([...seedPaths, ...FIVE.map((f) => `aws-accounts/workload-dev-02/${f}`)]);
    const listed = workflowText.replace(
      "'aws-accounts/workload-prod-01']",
      "'aws-accounts/workload-prod-01', 'aws-accounts/workload-dev-02']",
    );

    // Act
    const result = plan({ baseTree, workflowText: listed, existingFolderAccountId: '012345678901' });

    // Assess
    expect(result).toEqual({ kind: 'already-onboarded', folder: 'aws-accounts/workload-dev-02' });
  });

  it('only adds the missing files and never overwrites an existing main.tf', () => {
    // Prepare: someone started the folder by hand with their own main.tf and tfvars
    const baseTree = treeOf([
      ...seedPaths,
      'aws-accounts/workload-dev-02/main.tf',
      'aws-accounts/workload-dev-02/terraform.tfvars',
    ]);

    // Act
    const result = change({ baseTree, existingFolderAccountId: '012345678901' });

    // Assess
    expect(result.folder).toBe('aws-accounts/workload-dev-02');
    expect(result.files.map((f) => f.path)).toEqual([
      'aws-accounts/workload-dev-02/backend.tf',
      'aws-accounts/workload-dev-02/provider.tf',
      'aws-accounts/workload-dev-02/variables.tf',
    ]);
  });

  it('adds only the matrix entry when the folder is complete but not listed', () => {
    // Prepare
    const baseTree = treeOf([...seedPaths, ...FIVE.map((f) => `aws-accounts/workload-dev-02/${f}`)]);

    // Act
    const result = change({ baseTree, existingFolderAccountId: '012345678901' });

    // Assess
    expect(result.files).toEqual([]);
    expect(result.workflowChanged).toBe(true);
  });

  it('rewrites terraform.tfvars only when reconciliation reported a wrong account id in it', () => {
    // Prepare
    const baseTree = treeOf([...seedPaths, ...FIVE.map((f) => `aws-accounts/workload-dev-02/${f}`)]);
    const listed = workflowText.replace(
      "'aws-accounts/workload-prod-01']",
      "'aws-accounts/workload-prod-01', 'aws-accounts/workload-dev-02']",
    );

    // Act
    const result = change({
      baseTree,
      workflowText: listed,
      existingFolderAccountId: '999999999999',
      drift: ['tfvars-account-id'],
    });

    // Assess
    expect(result.folder).toBe('aws-accounts/workload-dev-02');
    expect(result.files.map((f) => f.path)).toEqual(['aws-accounts/workload-dev-02/terraform.tfvars']);
    expect(result.files[0]?.content).toContain('"012345678901"');
    expect(result.workflowChanged).toBe(false);
    expect(result.body).toContain('rewritten (wrong account id): `aws-accounts/workload-dev-02/terraform.tfvars`');
  });

  it('uses <slug>-<accountId> when the folder holds another account', () => {
    // Prepare
    const baseTree = treeOf([...seedPaths, ...FIVE.map((f) => `aws-accounts/workload-dev-02/${f}`)]);

    // Act
    const result = change({ baseTree, existingFolderAccountId: '333333333333' });

    // Assess
    expect(result.folder).toBe('aws-accounts/workload-dev-02-012345678901');
    expect(result.files.map((f) => f.path)).toEqual(FIVE.map((f) => `aws-accounts/workload-dev-02-012345678901/${f}`));
    expect(result.files.find((f) => f.path.endsWith('backend.tf'))?.content).toContain(
      'aws-accounts/workload-dev-02-012345678901/terraform.tfstate',
    );
    expect(result.workflowText).toContain("'aws-accounts/workload-dev-02-012345678901'");
    expect(result.body).toContain('already holds account `333333333333`');
  });
});

describe('hostile account names', () => {
  const hostile = [
    '<img src=x onerror=alert(1)>',
    '@octocat please review',
    '[click](javascript:alert(1))',
    '`rm -rf /` **bold** _it_',
    `x <!-- oidc-account-onboarding:v1 account=999999999999 hash=${'a'.repeat(64)} -->`,
    'line1\nline2\r\n## heading',
    '| col | break |',
    'fixes #1 and $x^2$',
  ];

  it.each(hostile)('renders %j as text in the body and one line in the title', (name) => {
    // Act
    const result = change({
      account: { ...account, name, tags: { [name]: name }, ouPath: [{ id: 'r-ab12', name }] },
    });

    // Assess
    expect(result.body).not.toMatch(/<(?!!-- oidc-account-onboarding:v1 account=012345678901 )/);
    expect(result.body).not.toMatch(/(^|[^\\])@[a-z]/im);
    expect(result.body).not.toContain('](');
    expect(result.body).not.toMatch(/(^|[^\\])`rm/);
    expect(result.body).not.toMatch(/^## heading/m);
    expect(result.body.match(/<!--/g)).toHaveLength(1);
    expect(parseOnboardingMarker(result.body)?.accountId).toBe('012345678901');
    expect(result.title).not.toMatch(/[\r\n]/);
  });

  it('escapes every Markdown and HTML special character', () => {
    // Act
    const text = markdownText('a<b>&"\'*_`[x](y)#1 @me |t| ~s~ !i');

    // Assess
    expect(text).toBe('a&#60;b&#62;&#38;&#34;&#39;\\*\\_\\`\\[x\\]\\(y\\)\\#1 @&#8203;me \\|t\\| \\~s\\~ \\!i');
  });
});

describe('tfvarsAccountId', () => {
  it('reads quoted ids and repairs the seed defect of an unquoted number that lost its leading zero', () => {
    expect(tfvarsAccountId('aws_region = "eu-central-1"\naws_account_id = "012345678901"\n')).toBe('012345678901');
    expect(tfvarsAccountId('aws_account_id = 12345678901  # Replace\n')).toBe('012345678901');
    expect(tfvarsAccountId('profile_cicd = "cicd"\n')).toBeUndefined();
  });
});
