import { Octokit } from '@octokit/rest';
import { parseConfig } from '../../functions/lib/config';
import { GitHubAuthFailed, InvalidInput } from '../../functions/lib/errors';
import type { AccountContext, RoleResult } from '../../functions/lib/types';
import { makeHandler, type OpenPullRequestEvent } from '../../functions/open-pull-request/handler';
import { seedRepoFiles } from '../../local/seed-repo';
import { type StandInFetch, seededGitHub } from '../support/github-fetch';

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
  ouPath: [],
  tags: {},
};
const role: RoleResult = {
  outcome: 'unchanged',
  roleArn: 'arn:aws:iam::012345678901:role/cicd',
  changes: [],
  accessRole: 'OrganizationAccountAccessRole',
};
const event: OpenPullRequestEvent = {
  account,
  role,
  trigger: 'event',
  executionId: 'arn:aws:states:us-east-1:000000000000:execution:onboard-account:run-1',
};

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function seeded(token?: string) {
  const fake = await seededGitHub(seedRepoFiles({ tooling: '111111111111', workloadProd: '222222222222' }), {
    ...(token ? { token } : {}),
  });
  running.push(fake);
  return fake;
}

async function setup(fake?: StandInFetch & { octokit: Octokit }) {
  const github_ = fake ?? (await seeded());
  const github = jest.fn(async (): Promise<Octokit> => github_.octokit);
  return { fake: github_, github, handler: makeHandler({ config, github }) };
}

describe('open-pull-request handler', () => {
  it('opens the PR, links the execution, and builds the GitHub client once per container', async () => {
    // Prepare
    const { fake, github, handler } = await setup();

    // Act
    const first = await handler(event);
    const second = await handler(event);

    // Assess
    expect(first).toMatchObject({ outcome: 'opened', branch: 'onboarding/012345678901', number: 1 });
    expect(second.outcome).toBe('unchanged');
    expect(github).toHaveBeenCalledTimes(1);
    expect((await fake.pulls())[0]?.body).toContain(
      'https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn:aws:states:us-east-1:000000000000:execution:onboard-account:run-1',
    );
  });

  it('rejects an event without a 12-digit account id and touches nothing', async () => {
    // Prepare
    const { fake, handler } = await setup();

    // Act / Assess
    await expect(handler({ ...event, account: { ...account, accountId: '12345' } })).rejects.toBeInstanceOf(
      InvalidInput,
    );
    expect(fake.requests).toEqual([]);
  });

  it.each([
    ['infra/prod'],
    ['.github/workflows'],
    ['../x'],
    ['aws-accounts/../infra'],
    ['/etc'],
    ['aws-accounts'],
    ['aws-accounts/team/app'],
    ['aws-accounts/Prod'],
  ])(
    'refuses the folder %s, invoked directly, with FolderOutsideAccountsDir before any GitHub request',
    async (folder) => {
      // Prepare
      const { fake, github, handler } = await setup();

      // Act / Assess
      await expect(handler({ ...event, folder })).rejects.toMatchObject({
        name: 'FolderOutsideAccountsDir',
        message: expect.stringContaining('directly inside github.accountsDir "aws-accounts"'),
      });
      await expect(handler({ ...event, account: { ...account, folder } })).rejects.toMatchObject({
        name: 'FolderOutsideAccountsDir',
      });
      expect(github).not.toHaveBeenCalled();
      expect(fake.requests).toEqual([]);
    },
  );

  it('accepts a folder inside the accounts directory; the repository plan decides the folder written', async () => {
    // Prepare
    const { handler } = await setup();

    // Act
    const result = await handler({ ...event, folder: 'aws-accounts/workload-dev-02' });

    // Assess
    expect(result).toMatchObject({ outcome: 'opened', folder: 'aws-accounts/workload-dev-02' });
  });

  it('builds a new client after GitHub refused the credentials', async () => {
    // Prepare
    // The client sends a token the repository does not accept.
    const fake = await seeded('ghp_expected_token_0123456789abcdef');
    const wrong = new Octokit({ request: { fetch: fake.fetch }, auth: 'ghp_some_other_token_0123456789abcdef' });
    const github = jest.fn(async (): Promise<Octokit> => wrong);
    const handler = makeHandler({ config, github });

    // Act
    await expect(handler(event)).rejects.toBeInstanceOf(GitHubAuthFailed);
    await expect(handler(event)).rejects.toBeInstanceOf(GitHubAuthFailed);

    // Assess
    expect(github).toHaveBeenCalledTimes(2);
  });
});
