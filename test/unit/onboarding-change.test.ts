import { parseConfig } from '../../functions/lib/config';
import {
  COMMIT_IDENTITY,
  commitMessage,
  isOurCommit,
  markdownText,
  onboardingMarker,
  parseOnboardingMarker,
  pullRequestBody,
  pullRequestTitle,
  tfvarsAccountId,
} from '../../functions/lib/onboarding-change';
import type { AccountContext } from '../../functions/lib/types';

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
};
const FOLDER = 'aws-accounts/workload-dev-02';
const HASH = 'c'.repeat(64);
const COMMIT = 'd'.repeat(40);

const body = (overrides: Partial<Parameters<typeof pullRequestBody>[0]> = {}) =>
  pullRequestBody({
    account,
    role: { outcome: 'created', roleArn: 'arn:aws:iam::012345678901:role/cicd', changes: ['created role cicd'] },
    config,
    folder: FOLDER,
    files: [{ path: `${FOLDER}/main.tf`, content: '' }],
    workflowChanged: true,
    contentHash: HASH,
    commitSha: COMMIT,
    ...overrides,
  });

describe('pullRequestBody', () => {
  it('names the account, the role, the folder written and the files, and ends with the marker', () => {
    // Act
    const text = body({ takenFolder: { folder: 'aws-accounts/workload-dev-02x', reason: 'names account 3' } });

    // Assess
    expect(text).toContain('| Account id | `012345678901` |');
    expect(text).toContain(`| Folder | \`${FOLDER}\` |`);
    expect(text).toContain(`- added: \`${FOLDER}/main.tf\``);
    expect(text).toContain('`aws-accounts/workload-dev-02x` is not this account');
    expect(text).toContain('delete it (this closes the pull request) and re-run');
    expect(parseOnboardingMarker(text)).toEqual({
      accountId: '012345678901',
      folder: FOLDER,
      hash: HASH,
      commit: COMMIT,
    });
  });
});

describe('the marker', () => {
  it('reads v2 markers and the v1 markers of earlier versions', () => {
    const v2 = onboardingMarker({ accountId: '012345678901', folder: FOLDER, hash: HASH, commit: COMMIT });
    expect(parseOnboardingMarker(`text\n${v2}\n`)).toEqual({
      accountId: '012345678901',
      folder: FOLDER,
      hash: HASH,
      commit: COMMIT,
    });
    expect(parseOnboardingMarker(`<!-- oidc-account-onboarding:v1 account=012345678901 hash=${HASH} -->`)).toEqual({
      accountId: '012345678901',
      hash: HASH,
    });
    expect(parseOnboardingMarker('no marker')).toBeUndefined();
  });
});

describe('isOurCommit', () => {
  const tree = 'e'.repeat(40);
  const ours = {
    author: { email: COMMIT_IDENTITY.email },
    committer: { email: COMMIT_IDENTITY.email },
    message: commitMessage('Onboard', ['a/b'], tree),
    tree: { sha: tree },
  };

  it("accepts the tool's unamended commit only", () => {
    expect(isOurCommit(ours)).toBe(true);
    // a person amended it (committer), rebased it (tree) or wrote their own (author)
    expect(isOurCommit({ ...ours, committer: { email: 'rita@example.com' } })).toBe(false);
    expect(isOurCommit({ ...ours, tree: { sha: 'f'.repeat(40) } })).toBe(false);
    expect(isOurCommit({ ...ours, author: { email: 'rita@example.com' } })).toBe(false);
    expect(isOurCommit({ ...ours, message: 'Onboard' })).toBe(false);
  });
});

describe('hostile account names', () => {
  const hostile = [
    '<img src=x onerror=alert(1)>',
    '@octocat please review',
    '[click](javascript:alert(1))',
    '`rm -rf /` **bold** _it_',
    `x <!-- oidc-account-onboarding:v2 account=999999999999 folder=x hash=${'a'.repeat(64)} commit=${'b'.repeat(40)} -->`,
    'line1\nline2\r\n## heading',
    '| col | break |',
    'fixes #1 and $x^2$',
  ];

  it.each(hostile)('renders %j as text in the body and one line in the title', (name) => {
    // Act
    const text = body({ account: { ...account, name, tags: { [name]: name }, ouPath: [{ id: 'r-ab12', name }] } });

    // Assess
    expect(text).not.toMatch(/<(?!!-- oidc-account-onboarding:v2 account=012345678901 )/);
    expect(text).not.toMatch(/(^|[^\\])@[a-z]/im);
    expect(text).not.toContain('](');
    expect(text).not.toMatch(/(^|[^\\])`rm/);
    expect(text).not.toMatch(/^## heading/m);
    expect(text.match(/<!--/g)).toHaveLength(1);
    expect(parseOnboardingMarker(text)?.accountId).toBe('012345678901');
    expect(pullRequestTitle({ ...account, name })).not.toMatch(/[\r\n]/);
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
