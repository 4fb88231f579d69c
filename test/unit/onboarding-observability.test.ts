import { CreateRoleCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Octokit } from '@octokit/rest';
import { mockClient } from 'aws-sdk-client-mock';
import { makeHandler as makeEnsureCicdRole } from '../../functions/ensure-cicd-role/handler';
import { parseConfig } from '../../functions/lib/config';
import { logger } from '../../functions/lib/logger';
import { type MetricsSink, onboardingMetrics } from '../../functions/lib/metrics';
import type { AccountContext, RoleResult } from '../../functions/lib/types';
import { makeHandler as makeOpenPullRequest } from '../../functions/open-pull-request/handler';
import { makeHandler as makeResolveAccount } from '../../functions/resolve-account/handler';
import { seedRepoFiles } from '../../local/seed-repo';
import {
  assumedCredentials,
  existingRole,
  MEMBER_ACCOUNT,
  noSuchRole,
  testConfig,
} from '../support/ensure-cicd-role-fixtures';
import { createAccountCallEvent } from '../support/events';
import { seededGitHub } from '../support/github-fetch';
import { mockOrganizations, ROOT_ID } from '../support/organizations';

const MANAGEMENT = '999999999999';
const REQUEST_ID = 'car-4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c';
const EXECUTION = 'arn:aws:states:us-east-1:999999999999:execution:onboard-account:run-1';
const OTHER_EXECUTION = 'arn:aws:states:us-east-1:999999999999:execution:onboard-account:run-2';
const lambdaContext = {
  functionName: 'resolve-account',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:999999999999:function:resolve-account',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/resolve-account',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

const config = parseConfig({
  toolingAccountId: '111111111111',
  managementAccountId: MANAGEMENT,
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
  },
  terraform: {},
});

const account: AccountContext = {
  accountId: MEMBER_ACCOUNT,
  name: 'Workload Dev 02',
  email: 'dev02@example.com',
  status: 'ACTIVE',
  ouPath: [],
  tags: {},
};
const role: RoleResult = {
  outcome: 'created',
  roleArn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/cicd`,
  changes: [],
  accessRole: 'OrganizationAccountAccessRole',
};

/** Every JSON line written to stdout while `act` runs (Powertools writes logs and EMF metrics there). */
async function stdoutLines(act: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await act().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

/** Records what a handler counts, as Powertools Metrics would publish it. */
function recorder() {
  const published: Array<{ metrics: Record<string, number>; metadata: Record<string, string> }> = [];
  let metrics: Record<string, number> = {};
  let metadata: Record<string, string> = {};
  const sink: MetricsSink = {
    addMetric: (name, _unit, value) => {
      metrics[name] = (metrics[name] ?? 0) + value;
    },
    addMetadata: (key, value) => {
      metadata[key] = value;
    },
    publishStoredMetrics: () => {
      published.push({ metrics, metadata });
      metrics = {};
      metadata = {};
    },
  };
  return { sink, published };
}

const running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function openPullRequest(metrics?: MetricsSink) {
  const fake = await seededGitHub(seedRepoFiles({ tooling: '111111111111', workloadProd: '222222222222' }));
  running.push(fake);
  return makeOpenPullRequest({ config, github: async (): Promise<Octokit> => fake.octokit, metrics });
}

const logLines = (lines: Array<Record<string, unknown>>) => lines.filter((l) => typeof l.level === 'string');

beforeAll(() => logger.setLogLevel('INFO'));
beforeEach(() =>
  mockOrganizations({
    ous: {},
    accounts: {
      [MEMBER_ACCOUNT]: { name: 'Workload Dev 02', email: 'dev02@example.com', parentId: ROOT_ID },
      [MANAGEMENT]: { name: 'management', parentId: ROOT_ID },
    },
  }),
);

describe('onboarding logs', () => {
  it('carry the account id and the execution on every line once the account is resolved', async () => {
    // Prepare
    const resolve = makeResolveAccount({ config, organizations: new OrganizationsClient({ region: 'us-east-1' }) });

    // Act
    const lines = logLines(
      await stdoutLines(() => resolve({ input: { accountId: MEMBER_ACCOUNT }, executionId: EXECUTION }, lambdaContext)),
    );

    // Assess
    expect(lines.map((l) => l.message)).toContain('Account resolved for onboarding');
    for (const line of lines) {
      expect(line).toMatchObject({
        accountId: MEMBER_ACCOUNT,
        executionId: EXECUTION,
        function_request_id: 'req-1',
        service: 'oidc-account-onboarding',
      });
    }
  });

  it('forget the previous invocation: a warm container never logs the last account or execution', async () => {
    // Prepare
    const resolve = makeResolveAccount({ config, organizations: new OrganizationsClient({ region: 'us-east-1' }) });
    await stdoutLines(() => resolve({ input: { accountId: MEMBER_ACCOUNT }, executionId: EXECUTION }));

    // Act: a request still being created has no account yet
    mockOrganizations({
      ous: {},
      accounts: {},
      createRequests: { [REQUEST_ID]: { states: ['IN_PROGRESS'] } },
    });
    const lines = logLines(
      await stdoutLines(() => resolve({ input: createAccountCallEvent(REQUEST_ID), executionId: OTHER_EXECUTION })),
    );

    // Assess
    expect(lines).toEqual([expect.objectContaining({ message: 'CreateAccount request still in progress' })]);
    expect(lines[0]?.executionId).toBe(OTHER_EXECUTION);
    expect(lines[0]).not.toHaveProperty('accountId');
  });

  it('carry both keys in ensure-cicd-role and open-pull-request', async () => {
    // Prepare
    const sts = mockClient(STSClient);
    const iam = mockClient(IAMClient);
    sts.on(AssumeRoleCommand).resolves({ Credentials: assumedCredentials });
    iam.on(GetRoleCommand).rejects(noSuchRole());
    iam.on(CreateRoleCommand).resolves({ Role: existingRole() });
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
    const ensure = makeEnsureCicdRole({
      config: testConfig(),
      organizations: new OrganizationsClient({ region: 'us-east-1' }),
      sts: new STSClient({}),
      iamFor: (credentials) => new IAMClient({ credentials }),
    });

    const openPr = await openPullRequest();

    // Act
    const ensureLines = logLines(await stdoutLines(() => ensure({ account, executionId: EXECUTION })));
    const prLines = logLines(
      await stdoutLines(() => openPr({ account, role, trigger: 'event', executionId: OTHER_EXECUTION })),
    );

    // Assess
    expect(ensureLines.map((l) => l.message)).toContain('cicd role converged');
    expect(prLines.map((l) => l.message)).toContain('Onboarding pull request converged');
    for (const line of ensureLines) expect(line).toMatchObject({ accountId: MEMBER_ACCOUNT, executionId: EXECUTION });
    for (const line of prLines) expect(line).toMatchObject({ accountId: MEMBER_ACCOUNT, executionId: OTHER_EXECUTION });
    sts.restore();
    iam.restore();
  });
});

describe('onboarding metrics', () => {
  it('counts an onboarded account each time the pull request step converges, with the outcome', async () => {
    // Prepare
    const { sink, published } = recorder();
    const handler = await openPullRequest(sink);
    const event = { account, role, trigger: 'event' as const, executionId: EXECUTION };

    // Act
    await stdoutLines(async () => {
      await handler(event);
      await handler(event);
    });

    // Assess
    expect(published).toEqual([
      {
        metrics: { AccountsOnboarded: 1 },
        metadata: { accountId: MEMBER_ACCOUNT, executionId: EXECUTION, outcome: 'opened' },
      },
      {
        metrics: { AccountsOnboarded: 1 },
        metadata: { accountId: MEMBER_ACCOUNT, executionId: EXECUTION, outcome: 'unchanged' },
      },
    ]);
  });

  it('counts a skipped account and nothing for an account to onboard', async () => {
    // Prepare
    const { sink, published } = recorder();
    const resolve = makeResolveAccount({
      config,
      organizations: new OrganizationsClient({ region: 'us-east-1' }),
      metrics: sink,
    });

    // Act
    await stdoutLines(async () => {
      await resolve({ input: { accountId: MANAGEMENT }, executionId: EXECUTION });
      await resolve({ input: { accountId: MEMBER_ACCOUNT }, executionId: EXECUTION });
    });

    // Assess
    expect(published).toEqual([
      { metrics: { AccountsSkipped: 1 }, metadata: { accountId: MANAGEMENT, executionId: EXECUTION } },
    ]);
  });

  it('publishes in CloudWatch embedded metric format, namespace OidcAccountOnboarding, service onboarding', async () => {
    // Prepare: the metrics the deployed function uses
    const handler = await openPullRequest(onboardingMetrics());

    // Act
    const lines = await stdoutLines(() => handler({ account, role, trigger: 'event', executionId: EXECUTION }));

    // Assess
    const emf = lines.filter((l) => '_aws' in l);
    expect(emf).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            {
              Namespace: 'OidcAccountOnboarding',
              Dimensions: [['service']],
              Metrics: [{ Name: 'AccountsOnboarded', Unit: 'Count' }],
            },
          ],
        }),
        service: 'onboarding',
        AccountsOnboarded: 1,
        accountId: MEMBER_ACCOUNT,
        executionId: EXECUTION,
        outcome: 'opened',
      }),
    ]);
  });

  it('counts nothing when the pull request step fails', async () => {
    // Prepare
    const { sink, published } = recorder();
    const handler = makeOpenPullRequest({
      config,
      github: async () => {
        throw new Error('GitHub is down');
      },
      metrics: sink,
    });

    // Act
    await stdoutLines(() => handler({ account, role, trigger: 'event', executionId: EXECUTION }));

    // Assess
    expect(published).toEqual([]);
  });
});
