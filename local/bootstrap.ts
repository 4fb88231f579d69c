/**
 * What a local run finds or creates before it onboards anything, through the public APIs only, so that it works
 * the same on the embedded stand-ins and on any AWS- or GitHub-compatible endpoint: the organization, the tooling
 * account and its pipeline role, the GitHub secret and the failure topic; the Terraform repository (seeded when
 * empty) and the account ids it already holds. Every failure becomes a named SetupError.
 */
import { CreateRoleCommand, GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import {
  type Account,
  CreateAccountCommand,
  CreateOrganizationCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  type Organization,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Octokit } from '@octokit/rest';
import type { OnboardingConfig } from '../functions/lib/config';
import { httpStatus } from '../functions/lib/github-client';
import { observeRepo } from '../functions/lib/repo-snapshot';
import type { GitHubStandIn } from './github/server';
import { seedRepoFiles } from './seed-repo';
import {
  AwsCredentialsRefused,
  AwsSetupFailed,
  describeError,
  EndpointUnreachable,
  networkFailure,
  OrganizationUnavailable,
  RepositoryUnavailable,
  SetupError,
} from './setup-errors';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type ClientConfig = { region: string; endpoint: string; credentials: Credentials; maxAttempts: number };

export interface Bootstrap {
  managementAccountId: string;
  toolingAccountId: string;
  secretArn: string;
  topicArn: string;
  /** What was created on the endpoint, for the run to say (nothing when everything was there). */
  notes: string[];
}

const SERVICES = 'Organizations, STS, IAM, Secrets Manager, SNS and S3';

const CREDENTIAL_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'MissingAuthenticationTokenException',
  'MissingAuthenticationToken',
]);

/** Runs one call against the AWS endpoint; a failure becomes the named error of what it was for. */
export async function awsStep<T>(clientConfig: ClientConfig, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw awsSetupError(clientConfig.endpoint, what, error);
  }
}

function awsSetupError(endpoint: string, what: string, error: unknown): SetupError {
  if (error instanceof SetupError) return error;
  const unreachable = networkFailure(error);
  if (unreachable) {
    return new EndpointUnreachable(
      `Cannot reach the AWS endpoint ${endpoint} (${unreachable}) to ${what}: expected an AWS-compatible endpoint serving ${SERVICES} there`,
    );
  }
  const name = (error as { name?: string }).name ?? '';
  if (CREDENTIAL_ERRORS.has(name)) {
    return new AwsCredentialsRefused(
      `The AWS endpoint ${endpoint} refused the credentials to ${what} (${describeError(error)}): expected AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) of the endpoint's management account`,
    );
  }
  return new AwsSetupFailed(
    `Could not ${what} at the AWS endpoint ${endpoint} (${describeError(error)}): expected the management account of an organization there, allowed to use ${SERVICES}`,
  );
}

/**
 * The organization of the credentials' account; when the endpoint says the account belongs to none
 * (AWSOrganizationsNotInUseException), one is created with all features, as the tool needs a management account.
 */
async function ensureOrganization(
  clientConfig: ClientConfig,
  organizations: OrganizationsClient,
  notes: string[],
): Promise<Organization> {
  const { endpoint } = clientConfig;
  let existing: Organization | undefined;
  try {
    existing = (await organizations.send(new DescribeOrganizationCommand({}))).Organization;
  } catch (error) {
    if ((error as { name?: string }).name !== 'AWSOrganizationsNotInUseException') {
      const named = awsSetupError(endpoint, 'describe the organization', error);
      if (!(named instanceof AwsSetupFailed)) throw named;
      throw new OrganizationUnavailable(
        `DescribeOrganization failed at ${endpoint} (${describeError(error)}): expected an endpoint that serves AWS Organizations, with the credentials of an organization's management account`,
      );
    }
  }
  if (existing) {
    if (existing.MasterAccountId) return existing;
    throw new OrganizationUnavailable(
      `DescribeOrganization at ${endpoint} named no management account: expected an organization whose management account the credentials belong to`,
    );
  }
  try {
    const { Organization } = await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    if (!Organization?.MasterAccountId) throw new Error('CreateOrganization answered without a management account');
    notes.push(
      `created organization ${Organization.Id} at ${endpoint}: the credentials' account ${Organization.MasterAccountId} belonged to none and is now its management account`,
    );
    return Organization;
  } catch (error) {
    if (networkFailure(error)) throw awsSetupError(endpoint, 'create an organization', error);
    throw new OrganizationUnavailable(
      `The credentials' account at ${endpoint} belongs to no organization, and creating one failed (${describeError(error)}): expected the management account of an organization, or an endpoint that lets the account call CreateOrganization`,
    );
  }
}

/** Finds or creates what the tool expects to exist: the organization, the tooling account, its pipeline role, the GitHub secret, the topic. */
export async function bootstrapAws(
  clientConfig: ClientConfig,
  organizations: OrganizationsClient,
  token: string,
): Promise<Bootstrap> {
  const notes: string[] = [];
  const step = <T>(what: string, call: () => Promise<T>) => awsStep(clientConfig, what, call);
  const organization = await ensureOrganization(clientConfig, organizations, notes);
  const managementAccountId = organization.MasterAccountId as string;
  const accounts = await step('list the accounts', () => listAccounts(organizations));
  let toolingAccountId = accounts.find((a) => a.Name === 'tooling')?.Id;
  if (!toolingAccountId) {
    toolingAccountId = await step('create the tooling account', () => createToolingAccount(organizations));
    notes.push(`created the tooling account ${toolingAccountId}`);
  }
  const tooling = toolingAccountId;
  // The pipeline role GitHub Actions assumes; cicd roles can only trust a principal that exists.
  if (await step('create the pipeline role in the tooling account', () => ensurePipelineRole(clientConfig, tooling))) {
    notes.push(`created the pipeline role ${PIPELINE_ROLE} in ${tooling}`);
  }
  const secretArn = await step('store the GitHub token in Secrets Manager', () => storeToken(clientConfig, token));
  const topicArn = await step(
    'create the failure topic',
    async () =>
      (await new SNSClient(clientConfig).send(new CreateTopicCommand({ Name: 'oidc-account-onboarding-failures' })))
        .TopicArn as string,
  );
  return { managementAccountId, toolingAccountId, secretArn, topicArn, notes };
}

const PIPELINE_ROLE = 'GitHubAction-AssumeRoleWithAction';

async function createToolingAccount(organizations: OrganizationsClient): Promise<string> {
  const created = await organizations.send(
    new CreateAccountCommand({ AccountName: 'tooling', Email: 'aws+tooling@example.com' }),
  );
  let status = created.CreateAccountStatus;
  for (let polls = 0; status?.State === 'IN_PROGRESS' && polls < 600; polls++) {
    await new Promise((r) => setTimeout(r, 200));
    status = (await organizations.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: status.Id })))
      .CreateAccountStatus;
  }
  if (!status?.AccountId) {
    throw new Error(`CreateAccount ended ${status?.State}: ${status?.FailureReason ?? 'no reason given'}`);
  }
  return status.AccountId;
}

/** Creates the pipeline role in the tooling account when it is missing; returns whether it did. */
async function ensurePipelineRole(clientConfig: ClientConfig, toolingAccountId: string): Promise<boolean> {
  const toolingIam = await memberIam(clientConfig, toolingAccountId, ['OrganizationAccountAccessRole']);
  try {
    await toolingIam.send(new GetRoleCommand({ RoleName: PIPELINE_ROLE }));
    return false;
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) throw error;
  }
  const trust = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${toolingAccountId}:root` }, Action: 'sts:AssumeRole' },
    ],
  };
  await toolingIam.send(
    new CreateRoleCommand({ RoleName: PIPELINE_ROLE, AssumeRolePolicyDocument: JSON.stringify(trust) }),
  );
  return true;
}

/** The GitHub secret the functions read, created or given the token as its new value; returns its ARN. */
async function storeToken(clientConfig: ClientConfig, token: string): Promise<string> {
  const secrets = new SecretsManagerClient(clientConfig);
  const SecretString = JSON.stringify({ token });
  const name = 'oidc-account-onboarding/github';
  try {
    return (await secrets.send(new CreateSecretCommand({ Name: name, SecretString }))).ARN as string;
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    return (await secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString }))).ARN as string;
  }
}

async function listAccounts(organizations: OrganizationsClient): Promise<Account[]> {
  const accounts: Account[] = [];
  let NextToken: string | undefined;
  do {
    const page = await organizations.send(new ListAccountsCommand({ NextToken }));
    accounts.push(...(page.Accounts ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return accounts;
}

/** IAM in a member account, through the first of `roleNames` that can be assumed. */
export async function memberIam(
  clientConfig: ClientConfig,
  accountId: string,
  roleNames: string[],
): Promise<IAMClient> {
  const sts = new STSClient(clientConfig);
  let lastError: unknown;
  for (const roleName of roleNames) {
    try {
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
          RoleSessionName: 'local-runner',
        }),
      );
      return new IAMClient({
        ...clientConfig,
        credentials: {
          accessKeyId: c?.AccessKeyId as string,
          secretAccessKey: c?.SecretAccessKey as string,
          sessionToken: c?.SessionToken,
        },
      });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

// ---- GitHub ------------------------------------------------------------------------------------------------------

export interface Repository {
  octokit: Octokit;
  url: string;
  owner: string;
  repo: string;
  standIn?: GitHubStandIn;
}

/** Runs one call against the GitHub endpoint; a failure becomes EndpointUnreachable or RepositoryUnavailable. */
async function githubStep<T>(repository: Repository, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SetupError) throw error;
    const { url, owner, repo } = repository;
    const unreachable = networkFailure(error);
    if (unreachable) {
      throw new EndpointUnreachable(
        `Cannot reach the GitHub endpoint ${url} (${unreachable}) to ${what}: expected a GitHub-compatible REST API there`,
      );
    }
    const status = httpStatus(error);
    const message = (error as Error).message?.split('\n')[0] ?? String(error);
    throw new RepositoryUnavailable(
      `Could not ${what} in ${owner}/${repo} at ${url} (${status ? `HTTP ${status}: ` : ''}${message}): expected the repository to exist there, readable and writable with GITHUB_TOKEN (contents, pull requests, workflows)`,
    );
  }
}

/**
 * Commits the seed Terraform repository through the API when the repository has no base branch yet; returns
 * whether it did. An existing repository is left as it is.
 */
export async function seedRepositoryIfEmpty(
  repository: Repository,
  bootstrap: Pick<Bootstrap, 'toolingAccountId'>,
): Promise<'seeded' | 'existing'> {
  const { octokit, owner, repo, standIn } = repository;
  const files = seedRepoFiles({ tooling: bootstrap.toolingAccountId, workloadProd: '100000000003' });
  if (standIn) {
    if ((await standIn.readFile('main', '.github/workflows/tf-cicd-aws.yml')) !== undefined) return 'existing';
    await standIn.seed(files, 'Terraform repo before onboarding');
    return 'seeded';
  }
  const hasMain = await githubStep(repository, 'read branch main', async () => {
    try {
      await octokit.git.getRef({ owner, repo, ref: 'heads/main' });
      return true;
    } catch (error) {
      // 409: "Git Repository is empty"
      if (httpStatus(error) === 404 || httpStatus(error) === 409) return false;
      throw error;
    }
  });
  if (hasMain) return 'existing';
  for (const [path, content] of Object.entries(files)) {
    await githubStep(repository, `seed ${path}`, () =>
      octokit.repos.createOrUpdateFileContents({
        owner,
        repo,
        path,
        branch: 'main',
        message: `Seed ${path}`,
        content: Buffer.from(content).toString('base64'),
      }),
    );
  }
  return 'seeded';
}

/**
 * The account ids an existing repository already holds: the `account_id` of every account folder on the base
 * branch and the account of every onboarding pull request, open, closed or merged (its head branch is
 * `<branchPrefix><accountId>`). Read as the reconcile sweep reads the repository (base ref, one tarball, the pull
 * requests), with nothing the product does not need itself; when the endpoint serves no tarball, from the pull
 * requests alone, and the note says so.
 */
export async function accountIdsInRepository(
  repository: Repository,
  config: OnboardingConfig,
): Promise<{ ids: Set<string>; note?: string }> {
  try {
    const snapshot = await observeRepo(repository.octokit, config);
    const ids = new Set(snapshot.pulls.map((p) => p.accountId));
    for (const folder of Object.values(snapshot.folders)) if (folder.tfvarsAccountId) ids.add(folder.tfvarsAccountId);
    return { ids, note: undefined };
  } catch (snapshotError) {
    const { octokit, owner, repo } = repository;
    const { branchPrefix, baseBranch } = config.github;
    const pattern = new RegExp(`^${branchPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d{12})$`);
    const pulls = await githubStep(repository, 'list the onboarding pull requests', () =>
      octokit.paginate(octokit.pulls.list, { owner, repo, base: baseBranch, state: 'all', per_page: 100 }),
    );
    const ids = new Set(pulls.map((p) => pattern.exec(p.head.ref)?.[1]).filter((id): id is string => Boolean(id)));
    return {
      ids,
      note: `could not read the account folders of ${owner}/${repo} (${describeError(snapshotError)}): new account ids avoid those of its onboarding pull requests only`,
    };
  }
}
