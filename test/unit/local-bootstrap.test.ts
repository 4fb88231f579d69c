/**
 * What a local run reads from a repository that outlives it: the account ids it already holds, so that the embedded
 * AWS gives new accounts other ids (local/bootstrap.ts accountIdsInRepository).
 */
import { Octokit } from '@octokit/rest';
import { parseConfig } from '../../functions/lib/config';
import { githubFetch } from '../../functions/lib/github-client';
import { accountIdsInRepository } from '../../local/bootstrap';
import { type GitHubStandIn, startGitHubStandIn } from '../../local/github/server';
import { seedRepoFiles } from '../../local/seed-repo';
import { RepositoryUnavailable } from '../../local/setup-errors';

const TOKEN = 'ghp_bootstrapTestToken0123456789';
const config = parseConfig({
  toolingAccountId: '100000000002',
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:100000000001:secret:github-AbCdEf' },
  },
});
const who = { name: 'someone', email: 'someone@example.com', date: new Date().toISOString() };

/** A repository after an earlier run: the seed folders, one onboarded (merged) folder, one open onboarding PR. */
async function repositoryOfAnEarlierRun(options: Parameters<typeof startGitHubStandIn>[0] = {}) {
  const standIn = await startGitHubStandIn({ token: TOKEN, ...options });
  await standIn.seed({
    ...seedRepoFiles({ tooling: '100000000002', workloadProd: '100000000003' }),
    'aws-accounts/merged-earlier/terraform.tfvars': 'aws_account_id = "200000000000"\n',
  });
  const main = (await standIn.store.resolveRef('refs/heads/main')) as string;
  await standIn.store.writeRef('refs/heads/onboarding/200000000001', main);
  await standIn.store.commitFiles(
    'onboarding/200000000001',
    { 'aws-accounts/open-earlier/terraform.tfvars': 'aws_account_id = "200000000001"\n' },
    'Onboard',
    who,
  );
  const octokit = new Octokit({
    baseUrl: standIn.url,
    auth: TOKEN,
    request: { fetch: githubFetch() },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  await octokit.pulls.create({
    owner: 'acme',
    repo: 'terraform-aws',
    head: 'onboarding/200000000001',
    base: 'main',
    title: 'Onboard open-earlier',
  });
  const repository = { octokit, url: standIn.url, owner: 'acme', repo: 'terraform-aws' };
  return { standIn, repository };
}

describe('accountIdsInRepository', () => {
  let standIn: GitHubStandIn | undefined;

  afterEach(async () => {
    await standIn?.stop();
    standIn = undefined;
  });

  it('holds the account id of every folder on the base branch and of every onboarding pull request', async () => {
    // Prepare
    const earlier = await repositoryOfAnEarlierRun();
    standIn = earlier.standIn;

    // Act
    const { ids, note } = await accountIdsInRepository(earlier.repository, config);

    // Assess
    expect([...ids].sort()).toEqual(['100000000002', '100000000003', '200000000000', '200000000001']);
    expect(note).toBeUndefined();
  });

  it('falls back to the pull requests, and says so, when the endpoint serves no tarball', async () => {
    // Prepare
    const earlier = await repositoryOfAnEarlierRun({ serves: (_m, route) => !route.includes('/tarball/') });
    standIn = earlier.standIn;

    // Act
    const { ids, note } = await accountIdsInRepository(earlier.repository, config);

    // Assess
    expect([...ids]).toEqual(['200000000001']);
    expect(note).toMatch(
      /^could not read the account folders of acme\/terraform-aws \(.*404.*\): new account ids avoid/,
    );
  });

  it('is a named setup error when the repository cannot be listed at all', async () => {
    // Prepare
    const earlier = await repositoryOfAnEarlierRun({
      serves: (method, route) => !route.includes('/tarball/') && !(method === 'GET' && route.endsWith('/pulls')),
    });
    standIn = earlier.standIn;

    // Act / Assess
    await expect(accountIdsInRepository(earlier.repository, config)).rejects.toThrow(RepositoryUnavailable);
  });
});
