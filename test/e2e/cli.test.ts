/**
 * The operator's CLI (bin/cli.ts) against the embedded stand-ins: the AWS stand-in serves Step Functions, whose
 * onboarding state machine runs the real ASL with the real handlers, so `run` and `status` go through
 * StartExecution / DescribeExecution / GetExecutionHistory / ListExecutions as they would against AWS, and `plan`
 * reads Organizations, IAM (through the member access role) and GitHub with nothing written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Io, main } from '../../bin/cli';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { SEED_MATRIX_LINE } from '../../local/seed-repo';

let env: LocalEnvironment;
let dir: string;
let configFile: string;
let accountId: string;

beforeAll(async () => {
  env = await startLocalEnvironment({ handlers: 'source', aws: { createAccount: { inProgressPolls: 1 } } });
  dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
  configFile = join(dir, 'onboarding.json');
  writeFileSync(configFile, JSON.stringify(env.config));
  // A new account that no event onboarded: only the CLI acts on it.
  accountId = (await env.createAccount('workload-cli-01')).accountId;
}, 60_000);

afterAll(async () => {
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;

/** Runs the CLI in-process with the stand-ins' endpoints; returns the exit code and what it printed. */
async function cli(args: string[], extraEnv: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: Partial<Io> = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { ...process.env, ...extraEnv },
    pollIntervalMs: 10,
  };
  const code = await main(
    [
      '--config',
      configFile,
      '--aws-endpoint',
      env.aws.endpoint,
      '--state-machine-arn',
      env.onboardingStateMachineArn,
      ...args,
    ],
    io,
  );
  return { code, stdout, stderr };
}

const iamWrites = () =>
  aws().calls.filter((c) => c.service === 'iam' && c.status < 300 && !/^(Get|List)/.test(c.action)).length;
const githubWrites = () => gh().requests.filter((r) => r.contentCreating).length;

describe('oidc-account-onboarding CLI', () => {
  it('plans a new account read-only: would create the role and open a PR changing one workflow line', async () => {
    // Prepare
    const [iamBefore, githubBefore] = [iamWrites(), githubWrites()];
    const githubRequestsBefore = gh().requests.length;

    // Act
    const { code, stdout, stderr } = await cli(['plan', accountId, '--github-token-secret']);

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`Role: would create arn:aws:iam::${accountId}:role/cicd`);
    expect(stdout).toContain('Profile: default — default: no profiles are configured');
    expect(stdout).toContain('Pull request: would open one');
    expect(stdout).toContain('+ aws-accounts/workload-cli-01/main.tf');
    const diff = stdout.split('\n').filter((l) => /^\s+[-+]\s{6}matrix:/.test(l));
    expect(diff).toEqual([
      `    -${SEED_MATRIX_LINE}`,
      `    +${SEED_MATRIX_LINE.replace("'aws-accounts/workload-prod-01']", "'aws-accounts/workload-prod-01', 'aws-accounts/workload-cli-01']")}`,
    ]);
    expect(iamWrites()).toBe(iamBefore);
    expect(githubWrites()).toBe(githubBefore);
    expect(gh().requests.length).toBeGreaterThan(githubRequestsBefore);
    expect(
      new Set(
        gh()
          .requests.slice(githubRequestsBefore)
          .map((r) => r.apiVersion),
      ),
    ).toEqual(new Set(['2022-11-28']));
    expect(await env.readRole(accountId)).toBeUndefined();
  });

  it('plans with GITHUB_TOKEN and prints machine output with --json', async () => {
    // Prepare: no token at all is a credentials problem that says what to do
    const missing = await cli(['plan', accountId], { GITHUB_TOKEN: '' });
    const { token } = JSON.parse(
      (await aws().state.findSecret(env.aws.managementAccountId, env.config.github.auth.secretArn))?.versions.at(-1)
        ?.secretString ?? '{}',
    ) as { token: string };

    const githubRequestsBefore = gh().requests.length;

    // Act
    const { code, stdout } = await cli(['--json', 'plan', accountId], { GITHUB_TOKEN: token });

    // Assess
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/set GITHUB_TOKEN/);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as {
      role: { action: string };
      pullRequest: { outcome: string; files: string[]; workflowDiff: string[] };
    };
    expect(plan.role.action).toBe('create');
    expect(plan.pullRequest.outcome).toBe('opened');
    expect(plan.pullRequest.files).toHaveLength(5);
    expect(plan.pullRequest.workflowDiff.filter((l) => /^[-+]/.test(l))).toHaveLength(2);
    // The token path builds its own Octokit: it names the API version too.
    expect(
      new Set(
        gh()
          .requests.slice(githubRequestsBefore)
          .map((r) => r.apiVersion),
      ),
    ).toEqual(new Set(['2022-11-28']));
  });

  it('runs the onboarding, following its states, and names the role and the pull request', async () => {
    // Act
    const { code, stdout, stderr } = await cli(['run', accountId]);

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`Started manual-${accountId}-\\d{14}`));
    expect(stdout).toMatch(
      /→ ResolveAccount\n\s+→ RouteDecision\n\s+→ EnsureCicdRole\n\s+→ RouteTrigger\n\s+→ OpenPullRequest/,
    );
    expect(stdout).toContain(`role created: arn:aws:iam::${accountId}:role/cicd`);
    const pr = /pull request opened #(\d+) (\S+)/.exec(stdout);
    expect(pr).not.toBeNull();
    const pulls = (await gh().listPulls()) as Array<{ number: number; html_url: string; head: { ref: string } }>;
    const ours = pulls.filter((p) => p.head.ref === `onboarding/${accountId}`);
    expect(ours).toHaveLength(1);
    expect(pr?.[2]).toBe(ours[0]?.html_url);
    expect((await env.readRole(accountId))?.tags['managed-by']).toBe('oidc-account-onboarding');
  });

  it('runs again with nothing to do: role and pull request unchanged, in JSON', async () => {
    // Act
    const { code, stdout } = await cli(['--json', 'run', accountId]);

    // Assess
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as {
      status: string;
      name: string;
      states: string[];
      output: { role: { outcome: string }; pullRequest: { outcome: string } };
    };
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toContain('OpenPullRequest');
    expect(result.output.role.outcome).toBe('unchanged');
    expect(result.output.pullRequest.outcome).toBe('unchanged');
  });

  it('lists both executions of the account with their outcome and pull request link', async () => {
    // Act
    const { code, stdout } = await cli(['status', accountId]);
    const json = await cli(['--json', 'status', accountId]);
    const other = await cli(['status', '999999999999']);

    // Assess
    expect(code).toBe(0);
    const names = stdout.match(new RegExp(`manual-${accountId}-\\d{14}(-\\d+)?`, 'g'));
    expect(new Set(names).size).toBe(2);
    expect(stdout).toContain('role created, pull request opened #');
    expect(stdout).toContain('role unchanged, pull request unchanged #');
    const rows = (JSON.parse(json.stdout) as { executions: Array<{ accountId: string; pullRequestUrl: string }> })
      .executions;
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.accountId === accountId && r.pullRequestUrl.includes('/pull/'))).toBe(true);
    expect(other.stdout).toContain('No executions for account 999999999999');
  });

  it('plans the onboarded account as unchanged', async () => {
    // Act
    const { code, stdout } = await cli(['plan', accountId, '--github-token-secret', env.config.github.auth.secretArn]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('Role: unchanged');
    expect(stdout).toMatch(/Pull request: unchanged — #\d+/);
  });

  it('runs a report sweep: prints the counts and each drifted account, exits 1, and changes nothing', async () => {
    // Prepare: workload-prod-01 is in the seeded repo but has no cicd role, so the sweep finds drift
    const before = { iam: iamWrites(), github: githubWrites() };

    // Act
    const { code, stdout, stderr } = await cli(
      ['--reconcile-state-machine-arn', env.reconcileStateMachineArn, 'reconcile'],
      { RECONCILE_BUCKET: env.env.RECONCILE_BUCKET as string },
    );

    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toMatch(/Checked \d+ account\(s\) in report mode: [1-9]\d* drifted/);
    expect(stdout).toMatch(/role-missing\s+[1-9]/);
    expect(stdout).toContain('100000000003 (workload-prod-01)');
    expect({ iam: iamWrites(), github: githubWrites() }).toEqual(before);
  });

  it('starts without following it (--no-wait), and status then shows how it ended', async () => {
    // Prepare: a second account nobody onboarded yet
    const other = (await env.createAccount('workload-cli-02')).accountId;

    // Act
    const { code, stdout, stderr } = await cli(['--json', 'run', '--no-wait', other]);

    // Assess: it returned with the execution started, not followed
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const started = JSON.parse(stdout) as { name: string; executionArn: string; status: string; accountId: string };
    expect(started).toMatchObject({ status: 'RUNNING', accountId: other });
    expect(started).not.toHaveProperty('output');
    expect(started.executionArn).toContain(`:manual-${other}-`);
    let rows: Array<{ name: string; status: string }> = [];
    for (let i = 0; i < 200 && rows[0]?.status !== 'SUCCEEDED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      rows = (JSON.parse((await cli(['--json', 'status', other])).stdout) as { executions: typeof rows }).executions;
    }
    expect(rows).toEqual([expect.objectContaining({ name: started.name, status: 'SUCCEEDED' })]);
    expect((await env.readRole(other))?.tags['managed-by']).toBe('oidc-account-onboarding');
  });

  it('rejects an account id that is not 12 digits with exit 2 and says why, starting nothing', async () => {
    // Prepare
    const executions = (await cli(['--json', 'status', '--limit', '1000'])).stdout;

    // Act
    const { code, stderr, stdout } = await cli(['run', '12345']);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toMatch(/Account id "12345" is not 12 digits/);
    expect(stdout).toBe('');
    expect((await cli(['--json', 'status', '--limit', '1000'])).stdout).toBe(executions);
  });

  it('fails with exit 1, the error, its cause and what to do when the execution fails', async () => {
    // Act: an id that is not in the organization
    const { code, stdout } = await cli(['run', '000000000123']);

    // Assess
    expect(code).toBe(1);
    expect(stdout).toContain('FAILED AccountNotFound');
    expect(stdout).toMatch(/what to do: check the id/);
  });

  it('says which option or variable is missing when no state machine is given (exit 3)', async () => {
    // Prepare
    let message = '';

    // Act
    const code = await main(['run', accountId], {
      stdout: () => {},
      stderr: (t) => {
        message += t;
      },
      env: {},
    });
    const again = await main(['status'], {
      stdout: () => {},
      stderr: (t) => {
        message += t;
      },
      env: {},
    });

    // Assess
    expect(code).toBe(3);
    expect(again).toBe(3);
    expect(message).toMatch(/--state-machine-arn ARN or set ONBOARDING_STATE_MACHINE_ARN/);
  });

  it('prints its usage through npm run cli -- --help', async () => {
    // Act
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'cli', '--', '--help'], {
      cwd: process.cwd(),
      timeout: 60_000,
    });

    // Assess
    for (const command of ['run', 'status', 'reconcile', 'plan']) expect(stdout).toContain(`  ${command} `);
    expect(stdout).toContain('Exit codes: 0 ok');
  }, 60_000);
});
