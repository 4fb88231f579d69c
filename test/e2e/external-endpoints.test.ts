/**
 * `npm start -- --aws-endpoint URL --github-endpoint URL --repo OWNER/NAME`: the runner bootstraps another
 * AWS-compatible endpoint and another GitHub-compatible API through their public APIs only. Here "another" is a
 * separate stand-in pair the runner knows nothing about except the URLs and credentials.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type AwsStandIn, startAwsStandIn } from '../../local/aws/server';
import { type GitHubStandIn, startGitHubStandIn } from '../../local/github/server';

const run = promisify(execFile);
const TOKEN = 'ghp_externalEndpointToken0123456789';
let aws: AwsStandIn;
let github: GitHubStandIn;

beforeAll(async () => {
  aws = await startAwsStandIn();
  github = await startGitHubStandIn({ token: TOKEN, owner: 'platform', repo: 'infra-live' });
});

afterAll(async () => {
  await aws?.stop();
  await github?.stop();
});

describe('npm start against other endpoints', () => {
  it('seeds an empty repository through the API and onboards a new account there', async () => {
    // Act
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/main.ts',
        '--json',
        '--aws-endpoint',
        aws.url,
        '--github-endpoint',
        github.url,
        '--repo',
        'platform/infra-live',
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
          GITHUB_TOKEN: TOKEN,
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
        maxBuffer: 10 * 1024 * 1024,
      },
    );

    // Assess: the runner's own verdict, and the state of the other endpoints read directly
    const summary = JSON.parse(stdout.slice(stdout.indexOf('{\n')));
    expect(summary.problems).toEqual([]);
    const [account] = summary.accounts;
    expect(aws.state.readRole(account.accountId, 'cicd')).toBeDefined();
    const pulls = (await github.listPulls()) as Array<{ head: { ref: string }; state: string }>;
    expect(pulls.map((p) => [p.head.ref, p.state])).toEqual([[`onboarding/${account.accountId}`, 'open']]);
    expect(await github.readFile('main', '.github/workflows/tf-cicd-aws.yml')).toContain("'aws-accounts/tooling'");
    expect(github.invalidRequests).toEqual([]);
  }, 180_000);
});
