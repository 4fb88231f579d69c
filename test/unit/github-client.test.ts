import { generateKeyPairSync } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { type OnboardingConfig, parseConfig } from '../../functions/lib/config';
import {
  AwsThrottled,
  AwsUnavailable,
  GitHubAuthFailed,
  GitHubConflict,
  GitHubRateLimited,
  GitHubRequestRejected,
  GitHubUnavailable,
} from '../../functions/lib/errors';
import {
  createGitHubClient,
  forgetGitHubCredentials,
  GITHUB_API_VERSION,
  githubFetch,
  toNamedGitHubError,
} from '../../functions/lib/github-client';
import { ensureOnboardingPullRequest } from '../../functions/lib/pull-request';
import type { AccountContext } from '../../functions/lib/types';
import type { GitHubStandInOptions } from '../../local/github/server';
import { seedRepoFiles } from '../../local/seed-repo';
import { type StandInFetch, seededGitHub } from '../support/github-fetch';

const TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const secretsMock = mockClient(SecretsManagerClient);
const secrets = new SecretsManagerClient({ region: 'us-east-1' });

function makeConfig(auth: 'token' | 'app' = 'token', apiUrl?: string): OnboardingConfig {
  return parseConfig({
    toolingAccountId: '111111111111',
    github: {
      owner: 'acme',
      repo: 'terraform-aws',
      ...(apiUrl ? { apiUrl } : {}),
      auth: { type: auth, secretArn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:github-${auth}` },
    },
    terraform: {},
  });
}

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function seeded(options: GitHubStandInOptions = { token: TOKEN }) {
  const fake = await seededGitHub(seedRepoFiles({ tooling: '111111111111', workloadProd: '222222222222' }), options);
  running.push(fake);
  return fake;
}

/** The named error a call fails with (the test fails if it succeeds). */
const failure = (call: Promise<unknown>): Promise<Error> =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => toNamedGitHubError(e),
  );

const getMain = (octokit: Awaited<ReturnType<typeof createGitHubClient>>) =>
  octokit.rest.git.getRef({ owner: 'acme', repo: 'terraform-aws', ref: 'heads/main' });

beforeEach(() => {
  secretsMock.reset();
  forgetGitHubCredentials();
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: TOKEN }) });
});

/** The fake's fetch, keeping the body of each installation token request. */
function tokenRequests(fake: StandInFetch) {
  const bodies: unknown[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).endsWith('/access_tokens')) {
      bodies.push(JSON.parse(String(init?.body ?? '{}')));
    }
    return fake.fetch(input, init);
  };
  return { fetch, bodies };
}

describe('createGitHubClient', () => {
  it('authenticates with the token from Secrets Manager, JSON or bare, and names itself', async () => {
    // Prepare
    const fake = await seeded();
    secretsMock.on(GetSecretValueCommand).resolvesOnce({ SecretString: TOKEN });

    // Act
    const octokit = await createGitHubClient(makeConfig('token', 'https://github.example.com/api/v3'), secrets, {
      fetch: fake.fetch,
    });
    const ref = await getMain(octokit);

    // Assess
    expect(ref.data.object.sha).toBe(await fake.branchSha('main'));
    expect(fake.requests[0]?.headers.authorization).toBe(`token ${TOKEN}`);
    expect(fake.requests[0]?.headers['user-agent']).toMatch(/^oidc-account-onboarding /);
    expect(fake.requests[0]?.headers['x-github-api-version']).toBe(GITHUB_API_VERSION);
  });

  it('caches the secret for the container instead of reading it on every client', async () => {
    // Prepare
    const fake = await seeded();

    // Act
    await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch });
    await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch });

    // Assess
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('authenticates as a GitHub App installation', async () => {
    // Prepare
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const fake = await seeded({ appId: '12345' });
    secretsMock
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ appId: 12345, privateKey: pem, installationId: 678 }) });

    const minted = tokenRequests(fake);

    // Act
    const octokit = await createGitHubClient(makeConfig('app'), secrets, { fetch: minted.fetch });
    const ref = await getMain(octokit);

    // Assess
    expect(ref.data.object.sha).toBe(await fake.branchSha('main'));
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /app/installations/678/access_tokens',
      'GET /repos/acme/terraform-aws/git/ref/heads/main',
    ]);
    // The installation token request goes through the same fetch: it names the API version too.
    expect(fake.requests.map((r) => r.headers['x-github-api-version'])).toEqual(['2022-11-28', '2022-11-28']);
    // The installation token is scoped to the one repository and what opening a pull request needs.
    expect(minted.bodies).toEqual([
      {
        repositories: ['terraform-aws'],
        permissions: { contents: 'write', pull_requests: 'write', workflows: 'write', metadata: 'read' },
      },
    ]);
  });

  it('asks for a read-only installation token for a reader (reconcile-repo, plan), once per client', async () => {
    // Prepare
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const fake = await seeded({ appId: '12345' });
    secretsMock
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ appId: 12345, privateKey: pem, installationId: 678 }) });

    const minted = tokenRequests(fake);

    // Act
    const octokit = await createGitHubClient(makeConfig('app'), secrets, { fetch: minted.fetch, access: 'read' });
    await getMain(octokit);
    await getMain(octokit);

    // Assess
    expect(minted.bodies).toEqual([
      { repositories: ['terraform-aws'], permissions: { contents: 'read', pull_requests: 'read', metadata: 'read' } },
    ]);
  });

  it.each([
    ['throttled', { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }, AwsThrottled],
    ['failing with 5xx', { name: 'InternalServiceError', $fault: 'server', $metadata: {} }, AwsUnavailable],
    ['denying access', { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }, GitHubAuthFailed],
  ])('names a secret read that AWS answers %s for the state machine to retry or not', async (_, shape, expected) => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).rejects(Object.assign(new Error('no'), shape));

    // Act / Assess
    await expect(createGitHubClient(makeConfig(), secrets)).rejects.toBeInstanceOf(expected);
  });

  it('rejects a secret of the wrong shape with a message that names the expected fields', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ appId: 1 }) });

    // Act / Assess
    await expect(createGitHubClient(makeConfig('app'), secrets)).rejects.toThrow(
      /"appId", "privateKey" \(PEM\), "installationId"/,
    );
  });
});

describe('retries and named errors', () => {
  const account: AccountContext = {
    accountId: '012345678901',
    name: 'Workload Dev 02',
    email: 'dev02@example.com',
    status: 'ACTIVE',
    ouPath: [],
    tags: {},
  };
  const role = {
    outcome: 'created' as const,
    roleArn: 'arn:aws:iam::012345678901:role/cicd',
    changes: [],
    accessRole: 'OrganizationAccountAccessRole',
  };

  it('rides out a 502 with a quick in-process retry and opens the PR', async () => {
    // Prepare
    const fake = await seeded();
    const octokit = await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch, retryAfterBaseMs: 0 });
    fake.failNext(1, 502);

    // Act
    const result = await ensureOnboardingPullRequest(octokit, makeConfig(), { account, role, force: false });

    // Assess
    expect(result.outcome).toBe('opened');
    expect(fake.requests[0]?.status).toBe(502);
    expect(await fake.pulls()).toHaveLength(1);
  });

  it('gives up after two quick retries of a 5xx and names it GitHubUnavailable', async () => {
    // Prepare
    const fake = await seeded();
    const octokit = await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch, retryAfterBaseMs: 0 });
    fake.failNext(3, 503);

    // Act
    const error = await failure(getMain(octokit));

    // Assess
    expect(error).toBeInstanceOf(GitHubUnavailable);
    expect(fake.requests).toHaveLength(3);
  });

  it('maps network failures to GitHubUnavailable', async () => {
    // Prepare
    const fake = await seeded();
    const octokit = await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch, retryAfterBaseMs: 0 });
    fake.networkErrorNext(3);

    // Act
    const error = await failure(getMain(octokit));

    // Assess
    expect(error).toBeInstanceOf(GitHubUnavailable);
    expect(error.message).toContain('ECONNRESET');
  });

  it('retries a secondary rate limit once, then leaves it to the state machine as GitHubRateLimited', async () => {
    // Prepare
    const fake = await seeded();
    const octokit = await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch, retryAfterBaseMs: 0 });

    // Act
    fake.secondaryRateLimitNext(1);
    const recovered = await getMain(octokit);
    fake.secondaryRateLimitNext(2);
    const error = await failure(getMain(octokit));

    // Assess
    expect(recovered.status).toBe(200);
    expect(error).toBeInstanceOf(GitHubRateLimited);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 200, 403, 403]);
  });

  it('does not wait out a primary rate limit in the Lambda', async () => {
    // Prepare
    const fake = await seeded();
    const octokit = await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch, retryAfterBaseMs: 0 });
    fake.rateLimitNext(1);

    // Act
    const error = await failure(getMain(octokit));

    // Assess
    expect(error).toBeInstanceOf(GitHubRateLimited);
    expect(fake.requests).toHaveLength(1);
  });

  it('names bad credentials GitHubAuthFailed without the token anywhere in the error', async () => {
    // Prepare
    const fake = await seeded({ token: 'ghp_the_right_token_0123456789abcdef' });
    const octokit = await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch, retryAfterBaseMs: 0 });

    // Act
    const error = await failure(ensureOnboardingPullRequest(octokit, makeConfig(), { account, role, force: false }));

    // Assess
    expect(error).toBeInstanceOf(GitHubAuthFailed);
    expect(error.message).toMatch(/HTTP 401: Bad credentials/);
    const everything = `${error.message} ${error.stack} ${JSON.stringify(error)} ${JSON.stringify(Object.entries(error))}`;
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(TOKEN.slice(4, 20));
    expect(Object.keys(error).sort()).toEqual(['name', 'status']);
  });

  it('says which app permissions are needed when the integration may not write', async () => {
    // Prepare
    const fake = await seeded();
    fake.denyWrites = true;
    const octokit = await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch, retryAfterBaseMs: 0 });

    // Act
    const error = await failure(ensureOnboardingPullRequest(octokit, makeConfig(), { account, role, force: false }));

    // Assess
    expect(error).toBeInstanceOf(GitHubAuthFailed);
    expect(error.message).toContain('Resource not accessible by integration');
    expect(error.message).toMatch(/Contents: write, Pull requests: write, Workflows: write/);
    expect(await fake.branches()).toEqual(['main']);
  });

  it('names a ref update that is not a fast-forward GitHubConflict, and scrubs secrets from messages', () => {
    // Prepare
    const notFastForward = Object.assign(new Error('Update is not a fast forward - https://docs.github.com/rest'), {
      status: 422,
      request: { headers: { authorization: `token ${TOKEN}` } },
    });
    const leaky = Object.assign(new Error(`boom ${TOKEN}`), { status: 500 });

    // Act
    const conflict = toNamedGitHubError(notFastForward, 'push branch');
    const unavailable = toNamedGitHubError(leaky);

    // Assess
    expect(conflict).toBeInstanceOf(GitHubConflict);
    expect(JSON.stringify(conflict)).not.toContain(TOKEN);
    expect(unavailable).toBeInstanceOf(GitHubUnavailable);
    expect(unavailable.message).not.toContain(TOKEN);
    expect(toNamedGitHubError(Object.assign(new Error('Conflict'), { status: 409 }))).toBeInstanceOf(GitHubConflict);
  });

  it.each([
    [400, 'Problems parsing JSON', GitHubRequestRejected],
    [410, 'Issues are disabled for this repo', GitHubRequestRejected],
    [451, 'Repository access blocked', GitHubRequestRejected],
    [422, 'Validation Failed: No commits between main and onboarding/012345678901', GitHubRequestRejected],
    [422, 'Reference already exists', GitHubConflict],
    [422, 'Update is not a fast forward', GitHubConflict],
    [408, 'Request timeout', GitHubUnavailable],
    [503, 'Service Unavailable', GitHubUnavailable],
  ])('names HTTP %d "%s" so that only what can change is retried', (status, message, expected) => {
    // Act
    const named = toNamedGitHubError(Object.assign(new Error(message), { status }), 'push branch');

    // Assess
    expect(named).toBeInstanceOf(expected);
    expect(named.message).toContain(`HTTP ${status}`);
    expect(named.message).toContain(message);
  });

  it('does not retry a permanent 4xx in-process either, and names it GitHubRequestRejected', async () => {
    // Prepare
    const fake = await seeded();
    const octokit = await createGitHubClient(makeConfig(), secrets, { fetch: fake.fetch, retryAfterBaseMs: 0 });
    fake.failNext(3, 410);

    // Act
    const error = await failure(getMain(octokit));

    // Assess
    expect(error).toBeInstanceOf(GitHubRequestRejected);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('githubFetch', () => {
  const recorder = () => {
    const seen: Array<Record<string, string>> = [];
    const inner = (async (_input: string | URL | Request, init?: RequestInit) => {
      seen.push(init?.headers as Record<string, string>);
      return new Response('{}');
    }) as typeof fetch;
    return { seen, inner };
  };

  it('adds the API version to headers given as an object, a Headers or pairs, keeping the others', async () => {
    // Prepare
    const { seen, inner } = recorder();
    const wrapped = githubFetch(inner);

    // Act
    await wrapped('https://api.github.com/zen', { headers: { accept: 'application/json' } });
    await wrapped('https://api.github.com/zen', { headers: new Headers({ accept: 'text/plain' }) });
    await wrapped('https://api.github.com/zen', { headers: [['accept', 'x/y']] });
    await wrapped('https://api.github.com/zen');

    // Assess
    expect(seen).toEqual([
      { accept: 'application/json', 'x-github-api-version': '2022-11-28' },
      { accept: 'text/plain', 'x-github-api-version': '2022-11-28' },
      { accept: 'x/y', 'x-github-api-version': '2022-11-28' },
      { 'x-github-api-version': '2022-11-28' },
    ]);
  });

  it('leaves a version the caller names alone', async () => {
    // Prepare
    const { seen, inner } = recorder();

    // Act
    await githubFetch(inner)('https://api.github.com/zen', { headers: { 'X-GitHub-Api-Version': '2026-03-10' } });

    // Assess
    expect(seen).toEqual([{ 'X-GitHub-Api-Version': '2026-03-10' }]);
  });
});
