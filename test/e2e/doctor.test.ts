/**
 * `cli doctor` against the embedded stand-ins: every prerequisite passes on a correct setup, and each one broken in
 * turn gives its own failing line with its fix (and exit 1), while doctor writes nothing anywhere.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudTrailClient,
  CreateTrailCommand,
  PutEventSelectorsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
} from '@aws-sdk/client-cloudtrail';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  DetachPolicyCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Io, main } from '../../bin/cli';
import type { CheckId, CheckResult } from '../../bin/doctor';
import type { OnboardingConfig } from '../../functions/lib/config';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';

let env: LocalEnvironment;
let dir: string;
let newest: string;

const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;
const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const cloudtrail = () => new CloudTrailClient(aws().clientConfig());
const organizations = () => new OrganizationsClient(aws().clientConfig());

beforeAll(async () => {
  env = await startLocalEnvironment({ handlers: 'source' });
  dir = mkdtempSync(join(tmpdir(), 'doctor-test-'));
  // A correct setup has a trail delivering management events in us-east-1.
  await cloudtrail().send(new CreateTrailCommand({ Name: 'management-events', S3BucketName: 'trail-logs' }));
  await cloudtrail().send(new StartLoggingCommand({ Name: 'management-events' }));
  newest = (await env.createAccount('workload-doctor-01')).accountId;
}, 60_000);

afterAll(async () => {
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `doctor --json` (or the text form) with the configuration, optionally changed. */
async function doctor(
  options: { config?: (c: OnboardingConfig) => OnboardingConfig; reconcileArn?: string; json?: boolean } = {},
) {
  const configFile = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(configFile, JSON.stringify((options.config ?? ((c) => c))(structuredClone(env.config))));
  let stdout = '';
  let stderr = '';
  const io: Partial<Io> = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: { ...process.env },
  };
  const code = await main(
    [
      ...(options.json === false ? [] : ['--json']),
      '--config',
      configFile,
      '--aws-endpoint',
      env.aws.endpoint,
      '--state-machine-arn',
      env.onboardingStateMachineArn,
      '--reconcile-state-machine-arn',
      options.reconcileArn ?? env.reconcileStateMachineArn,
      'doctor',
    ],
    io,
  );
  const checks = options.json === false ? [] : (JSON.parse(stdout) as { checks: CheckResult[] }).checks;
  const byId = Object.fromEntries(checks.map((c) => [c.id, c])) as Record<CheckId, CheckResult>;
  const failing = checks.filter((c) => c.status === 'fail').map((c) => c.id);
  return { code, stdout, stderr, byId, failing };
}

const writes = () => ({
  aws: aws().calls.filter((c) => c.status < 300 && !/^(Get|List|Describe|AssumeRole)/.test(c.action)).length,
  github: gh().requests.filter((r) => r.contentCreating).length,
});

describe('cli doctor', () => {
  it('passes every prerequisite on a correct setup, one line each, and writes nothing', async () => {
    // Prepare
    const before = writes();

    // Act
    const { code, byId, failing } = await doctor();
    const text = await doctor({ json: false });

    // Assess
    expect(failing).toEqual([]);
    expect(code).toBe(0);
    expect(Object.keys(byId)).toEqual([
      'cloudtrail',
      'secret',
      'github-permissions',
      'workflow',
      'member-access',
      'scp',
      'deployment',
    ]);
    expect(byId.cloudtrail.detail).toContain('management-events');
    expect(byId['member-access'].detail).toContain(newest);
    expect(byId.scp.detail).toMatch(/2 SCP\(s\) on workload-doctor-01/);
    expect(byId.workflow.detail).toMatch(/runs 2 of 256 matrix jobs \(2 folders\), room for 254 more/);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').filter((l) => /^(PASS|WARN|FAIL|SKIP) /.test(l))).toHaveLength(7);
    expect(text.stdout).toContain('Every prerequisite is met.');
    expect(writes()).toEqual(before);
  });

  it('fails the CloudTrail line, with the fix, when the trail stops logging or logs no management writes', async () => {
    // Prepare
    await cloudtrail().send(new StopLoggingCommand({ Name: 'management-events' }));
    const stopped = await doctor();
    await cloudtrail().send(new StartLoggingCommand({ Name: 'management-events' }));
    await cloudtrail().send(
      new PutEventSelectorsCommand({
        TrailName: 'management-events',
        EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }],
      }),
    );

    // Act
    const readOnly = await doctor();
    await cloudtrail().send(
      new PutEventSelectorsCommand({
        TrailName: 'management-events',
        EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }],
      }),
    );

    // Assess
    expect(stopped.code).toBe(1);
    expect(stopped.failing).toEqual(['cloudtrail']);
    expect(stopped.byId.cloudtrail.fix).toBe(
      'aws cloudtrail start-logging --region us-east-1 --name management-events',
    );
    expect(readOnly.failing).toEqual(['cloudtrail']);
    expect(readOnly.byId.cloudtrail.fix).toMatch(/put-event-selectors .*"ReadWriteType":"All"/);
  });

  it('fails the secret line when the secret cannot be read, and skips what needs it', async () => {
    // Act
    const result = await doctor({
      config: (c) => ({
        ...c,
        github: { ...c.github, auth: { ...c.github.auth, secretArn: `${c.github.auth.secretArn.slice(0, -6)}absent` } },
      }),
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.failing).toEqual(['secret']);
    expect(result.byId.secret.fix).toMatch(/secretsmanager:GetSecretValue/);
    expect(result.byId['github-permissions'].status).toBe('skip');
    expect(result.byId.workflow.status).toBe('skip');
  });

  it("fails the GitHub permissions line when a classic token lacks the workflow scope or can't push", async () => {
    // Prepare
    gh().grants.tokenScopes = ['repo', 'read:org'];
    const noWorkflow = await doctor();
    gh().grants.tokenScopes = undefined;
    gh().grants.repository.push = false;

    // Act
    const noPush = await doctor();
    gh().grants.repository.push = true;

    // Assess
    expect(noWorkflow.failing).toEqual(['github-permissions']);
    expect(noWorkflow.byId['github-permissions'].detail).toMatch(/Workflows \(scope workflow\) missing/);
    expect(noWorkflow.byId['github-permissions'].fix).toMatch(/regenerate the token with the workflow scope/);
    expect(noPush.failing).toEqual(['github-permissions']);
    expect(noPush.byId['github-permissions'].fix).toMatch(/Contents: write, Pull requests: write, Workflows: write/);
  });

  it("reads a GitHub App installation's permissions and fails without Workflows", async () => {
    // Prepare: App credentials in a secret of their own
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const secretArn = (
      await new SecretsManagerClient(aws().clientConfig()).send(
        new CreateSecretCommand({
          Name: 'doctor/github-app',
          SecretString: JSON.stringify({
            appId: '1',
            installationId: 1,
            privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
          }),
        }),
      )
    ).ARN as string;
    const asApp = (c: OnboardingConfig) => ({
      ...c,
      github: { ...c.github, auth: { type: 'app' as const, secretArn } },
    });
    const granted = await doctor({ config: asApp });
    delete gh().grants.installation.workflows;

    // Act
    const result = await doctor({ config: asApp });
    gh().grants.installation.workflows = 'write';

    // Assess
    expect(granted.failing).toEqual([]);
    expect(granted.byId['github-permissions'].detail).toMatch(/the App's installation on .* has Contents: write/);
    expect(result.failing).toEqual(['github-permissions']);
    expect(result.byId['github-permissions'].detail).toBe("the App's installation lacks Workflows: write");
    expect(result.byId['github-permissions'].fix).toMatch(/grant Workflows: write/);
  });

  it('asks the App for Issues: write while the dashboard is on, and not once it is off', async () => {
    // Prepare
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const secretArn = (
      await new SecretsManagerClient(aws().clientConfig()).send(
        new CreateSecretCommand({
          Name: 'doctor/github-app-issues',
          SecretString: JSON.stringify({
            appId: '1',
            installationId: 1,
            privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
          }),
        }),
      )
    ).ARN as string;
    const asApp = (dashboard: boolean) => (c: OnboardingConfig) => ({
      ...c,
      dashboard: { enabled: dashboard },
      github: { ...c.github, auth: { type: 'app' as const, secretArn } },
    });
    delete gh().grants.installation.issues;

    // Act
    const on = await doctor({ config: asApp(true) });
    const off = await doctor({ config: asApp(false) });
    gh().grants.installation.issues = 'write';

    // Assess
    expect(on.failing).toEqual(['github-permissions']);
    expect(on.byId['github-permissions'].detail).toBe("the App's installation lacks Issues: write");
    expect(off.failing).toEqual([]);
  });

  it('fails the workflow line when the matrix is missing or has no room under 256 jobs', async () => {
    // Prepare
    const path = env.config.github.workflowPath;
    const original = (await gh().readFile('main', path)) as string;
    const missing = await doctor({ config: (c) => ({ ...c, github: { ...c.github, matrixKey: 'folder' } }) });
    const full = Array.from({ length: 256 }, (_, i) => `'aws-accounts/a${i}'`).join(', ');
    await gh().seed({ [path]: original.replace(/dir: \[[^\]]*\]/, `dir: [${full}]`) });

    // Act
    const crowded = await doctor();
    await gh().seed({ [path]: original });

    // Assess
    expect(missing.failing).toEqual(['workflow']);
    expect(missing.byId.workflow.detail).toMatch(/matrix has only dir and no "folder" list/);
    expect(missing.byId.workflow.fix).toMatch(/literal matrix \(strategy: matrix: folder:/);
    expect(crowded.failing).toEqual(['workflow']);
    expect(crowded.byId.workflow.detail).toMatch(/256 of 256 matrix jobs .* room for 0 more/);
    expect(crowded.byId.workflow.fix).toMatch(/split the workflow/);
  });

  it('fails the member access line when no access role can be assumed in the sampled accounts', async () => {
    // Act
    const result = await doctor({ config: (c) => ({ ...c, memberAccessRoleNames: ['NoSuchAccessRole'] }) });

    // Assess
    expect(result.code).toBe(1);
    expect(result.failing).toEqual(['member-access']);
    expect(result.byId['member-access'].detail).toContain(`workload-doctor-01 (${newest})`);
    expect(result.byId['member-access'].fix).toMatch(/create NoSuchAccessRole in those accounts/);
  });

  it("fails the SCP line, naming the denying policy, when an SCP on the sample account's path denies our calls", async () => {
    // Prepare: the usual guard rail, denying changes to roles named cicd to everyone
    const { Policy } = await organizations().send(
      new CreatePolicyCommand({
        Name: 'DenyCicdRoleChanges',
        Description: 'protect the cicd role',
        Type: 'SERVICE_CONTROL_POLICY',
        Content: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ProtectCicd',
              Effect: 'Deny',
              Action: ['iam:CreateRole', 'iam:AttachRolePolicy'],
              Resource: 'arn:aws:iam::*:role/cicd',
            },
          ],
        }),
      }),
    );
    const policyId = Policy?.PolicySummary?.Id as string;
    await organizations().send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: aws().organization.rootId }));

    // Act
    const result = await doctor();
    await organizations().send(new DetachPolicyCommand({ PolicyId: policyId, TargetId: aws().organization.rootId }));
    const after = await doctor();

    // Assess
    expect(result.code).toBe(1);
    expect(result.failing).toEqual(['scp']);
    expect(result.byId.scp.detail).toMatch(
      /iam:CreateRole denied by DenyCicdRoleChanges \(p-\w+, on r-\w+\) \(statement ProtectCicd\)/,
    );
    expect(result.byId.scp.detail).toMatch(/iam:AttachRolePolicy denied by DenyCicdRoleChanges/);
    expect(result.byId.scp.detail).not.toMatch(/iam:GetRole/);
    expect(result.byId.scp.fix).toMatch(/exempt the member access role \(OrganizationAccountAccessRole\)/);
    expect(after.failing).toEqual([]);
  });

  it('fails the deployment line when a state machine is not deployed', async () => {
    // Act
    const result = await doctor({
      reconcileArn: env.reconcileStateMachineArn.replace(/:stateMachine:.*/, ':stateMachine:NotDeployed'),
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.failing).toEqual(['deployment']);
    expect(result.byId.deployment.detail).toMatch(/NotDeployed: StateMachineDoesNotExist/);
    expect(result.byId.deployment.fix).toMatch(/cdk deploy/);
  });
});
