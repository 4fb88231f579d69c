/**
 * `npm start -- --aws-endpoint URL --github-endpoint URL --repo OWNER/NAME`: the runner bootstraps another
 * AWS-compatible endpoint and another GitHub-compatible API through their public APIs only. Here "another" is a
 * second pair of stand-ins, started by the test and separate from the runner's process, which knows nothing of them
 * but the URLs and credentials: an AWS account outside any organization, and a GitHub API that serves only the
 * routes the product itself calls (plus the contents API that seeds an empty repository).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { type BareAwsStandIn, startAwsStandIn } from '../../local/aws/server';
import { startLocalEnvironment } from '../../local/environment';
import { type GitHubStandIn, startGitHubStandIn } from '../../local/github/server';
import { runLocal } from '../../local/run';
import { OrganizationUnavailable } from '../../local/setup-errors';

const TOKEN = 'ghp_externalEndpointToken0123456789';
const R = '/repos/{owner}/{repo}';
/** What onboarding and the reconcile sweep call on GitHub, and the seeding of an empty repository: nothing else. */
const PRODUCT_ROUTES = new Set([
  `GET ${R}/git/ref/{ref}`,
  `POST ${R}/git/refs`,
  `PATCH ${R}/git/refs/{ref}`,
  `GET ${R}/git/trees/{tree_sha}`,
  `POST ${R}/git/trees`,
  `GET ${R}/git/blobs/{file_sha}`,
  `POST ${R}/git/commits`,
  `GET ${R}/git/commits/{commit_sha}`,
  `GET ${R}/issues/{issue_number}/comments`,
  `POST ${R}/issues/{issue_number}/comments`,
  `GET ${R}/tarball/{ref}`,
  `GET ${R}/pulls`,
  `POST ${R}/pulls`,
  `PATCH ${R}/pulls/{pull_number}`,
  `PUT ${R}/contents/{path}`,
]);

interface Summary {
  ok: boolean;
  exitCode: number;
  setup: string[];
  accounts: Array<{ name: string; accountId: string; pullRequest?: { number: number; files: string[] } }>;
  problems: string[];
  unchecked: string[];
}

/** `npm start` in its own process; resolves with the exit code and both outputs whatever the code. */
function npmStart(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'local/main.ts', ...args],
      { env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env }, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** What a later run must leave alone: each pull request's head commit, title, body and state. */
async function pullRequests(github: GitHubStandIn) {
  const pulls = (await github.listPulls()) as Array<{
    number: number;
    title: string;
    body: string;
    state: string;
    head: { ref: string; sha: string };
  }>;
  return pulls.map((p) => ({ number: p.number, branch: p.head.ref, sha: p.head.sha, title: p.title, body: p.body }));
}

const partialGitHub = (repo: string) =>
  startGitHubStandIn({ token: TOKEN, owner: 'platform', repo, serves: (_m, route) => PRODUCT_ROUTES.has(route) });

describe('npm start against a second AWS and GitHub', () => {
  let aws: BareAwsStandIn;
  let github: GitHubStandIn;

  beforeAll(async () => {
    aws = await startAwsStandIn({ organization: 'none' });
    github = await partialGitHub('infra-live');
  });

  afterAll(async () => {
    await aws?.stop();
    await github?.stop();
  });

  it('creates the organization and seeds the repository, then runs again without rewriting the first pull request', async () => {
    // Prepare
    const args = [
      '--json',
      '--aws-endpoint',
      aws.url,
      '--github-endpoint',
      github.url,
      '--repo',
      'platform/infra-live',
    ];
    const env = {
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      GITHUB_TOKEN: TOKEN,
    };

    // Act
    const first = await npmStart(args, env);
    const afterFirst = await pullRequests(github);
    const second = await npmStart(args, env);

    // Assess: each run exits 0 with exactly one JSON document on stdout (stderr shown only when it did not), and
    // said what it set up
    expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr }).toEqual({ code: 0, stderr: '' });
    expect(second.code).toBe(0);
    const [one, two] = [JSON.parse(first.stdout) as Summary, JSON.parse(second.stdout) as Summary];
    expect([one.problems, one.unchecked, two.problems, two.unchecked]).toEqual([[], [], [], []]);
    expect(one.setup).toEqual([
      expect.stringMatching(/^created organization o-\w+ at .*: the credentials' account \d{12} belonged to none/),
      expect.stringMatching(/^created the tooling account \d{12}$/),
      expect.stringMatching(/^created the pipeline role GitHubAction-AssumeRoleWithAction in \d{12}$/),
      'seeded platform/infra-live with a Terraform repository',
    ]);
    expect(two.setup).toEqual([]);
    expect(one.accounts[0]?.pullRequest?.files).toContain('.github/workflows/tf-cicd-aws.yml');

    // ... a new account and a new pull request each, the first one untouched
    const [a, b] = [one.accounts[0]?.accountId as string, two.accounts[0]?.accountId as string];
    expect(a).not.toBe(b);
    expect(afterFirst.map((p) => p.branch)).toEqual([`onboarding/${a}`]);
    const afterSecond = await pullRequests(github);
    expect(afterSecond.map((p) => p.branch).sort()).toEqual([`onboarding/${a}`, `onboarding/${b}`]);
    expect(afterSecond.find((p) => p.number === afterFirst[0]?.number)).toEqual(afterFirst[0]);

    // ... the roles are there, read directly from the other endpoint
    expect(aws.state.readRole(a, 'cicd')).toBeDefined();
    expect(aws.state.readRole(b, 'cicd')).toBeDefined();

    // ... and GitHub saw only routes it serves, each request naming the API version
    expect(github.requests.filter((r) => !r.route.includes('{'))).toEqual([]);
    expect(new Set(github.requests.map((r) => r.apiVersion))).toEqual(new Set(['2022-11-28']));
    expect(github.invalidRequests).toEqual([]);
  }, 300_000);
});

describe('npm start with the embedded AWS against a repository that outlives it', () => {
  let github: GitHubStandIn;

  beforeAll(async () => {
    github = await partialGitHub('terraform-live');
  });

  afterAll(async () => {
    await github?.stop();
  });

  it('gives each run new account ids the repository does not hold, so no earlier pull request is rewritten', async () => {
    // Prepare: every run starts a fresh embedded AWS, which numbers new accounts from 200000000000
    const args = ['--json', '--github-endpoint', github.url, '--repo', 'platform/terraform-live'];

    // Act
    const first = await npmStart(args, { GITHUB_TOKEN: TOKEN });
    const afterFirst = await pullRequests(github);
    const second = await npmStart(args, { GITHUB_TOKEN: TOKEN });

    // Assess
    expect([first.code, second.code]).toEqual([0, 0]);
    const [one, two] = [JSON.parse(first.stdout) as Summary, JSON.parse(second.stdout) as Summary];
    expect([one.problems, two.problems]).toEqual([[], []]);
    const [a, b] = [one.accounts[0]?.accountId, two.accounts[0]?.accountId];
    expect(a).toBe('200000000000');
    expect(b).toBe('200000000001');
    const afterSecond = await pullRequests(github);
    expect(afterSecond).toHaveLength(2);
    expect(afterSecond.find((p) => p.number === afterFirst[0]?.number)).toEqual(afterFirst[0]);
  }, 300_000);
});

describe('npm start when setting up fails', () => {
  /** runLocal in this process, with what it prints captured. */
  async function run(options: Partial<Parameters<typeof runLocal>[0]>) {
    let stdout = '';
    let stderr = '';
    const code = await runLocal({
      accounts: 1,
      json: true,
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      ...options,
    });
    return { code, stdout, stderr, document: JSON.parse(stdout) as { ok: boolean; error: { name: string } } };
  }

  it('refuses AWS itself without --allow-real-accounts, before any request', async () => {
    // Act
    const { code, stderr, document } = await run({ awsEndpoint: 'https://organizations.us-east-1.amazonaws.com' });

    // Assess
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /^RealAccountsRefused: --aws-endpoint https:\/\/organizations\.us-east-1\.amazonaws\.com is AWS itself/,
    );
    expect(stderr).toContain('--allow-real-accounts');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(document).toMatchObject({ ok: false, exitCode: 3, error: { name: 'RealAccountsRefused' } });
  });

  it('says the organization is unavailable when the endpoint has none and will not create one', async () => {
    // Prepare
    const aws = await startAwsStandIn({ organization: 'none' });
    aws.failNext({
      target: 'organizations:CreateOrganization',
      code: 'AccessDeniedException',
      message: 'You are not allowed to create an organization.',
    });

    // Act
    const setup = startLocalEnvironment({ awsEndpoint: aws.url, awsCredentials: aws.credentials });
    const error = await setup.then(
      async (env) => {
        await env.stop();
        throw new Error('expected the setup to fail');
      },
      (e: unknown) => e as Error,
    );
    await aws.stop();

    // Assess
    expect(error).toBeInstanceOf(OrganizationUnavailable);
    expect(error.message).toMatch(
      /^The credentials' account at http:\/\/127\.0\.0\.1:\d+ belongs to no organization, and creating one failed \(AccessDeniedException: You are not allowed to create an organization\.\): expected the management account of an organization, or an endpoint that lets the account call CreateOrganization$/,
    );
  });

  it('names an unreachable AWS endpoint and exits 3, with no stack trace', async () => {
    // Prepare: a port nothing listens on
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });

    // Act
    const { code, stdout, stderr } = await npmStart(['--json', '--aws-endpoint', `http://127.0.0.1:${port}`], {
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });

    // Assess
    expect(code).toBe(3);
    expect(stderr.trim()).toBe(
      `EndpointUnreachable: Cannot reach the AWS endpoint http://127.0.0.1:${port} (ECONNREFUSED) to describe the organization: expected an AWS-compatible endpoint serving Organizations, STS, IAM, Secrets Manager, SNS and S3 there`,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, exitCode: 3, error: { name: 'EndpointUnreachable' } });
  }, 120_000);
});
