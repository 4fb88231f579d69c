/**
 * End to end on the embedded stand-ins: the real state machine file, the real handlers (TypeScript sources; the
 * bundles run in npm-start.test.ts), AWS reached through AWS_ENDPOINT_URL and GitHub through its REST API.
 */
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { SEED_MATRIX_LINE } from '../../local/seed-repo';

const WORKFLOW = '.github/workflows/tf-cicd-aws.yml';
let env: LocalEnvironment;

beforeAll(async () => {
  env = await startLocalEnvironment({ handlers: 'source', aws: { createAccount: { inProgressPolls: 1 } } });
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

afterEach(() => {
  env.aws.standIn?.setFaults({});
  env.github.standIn?.setFaults({});
  expect(env.github.standIn?.invalidRequests).toEqual([]);
});

const gh = () => env.github.standIn as NonNullable<LocalEnvironment['github']['standIn']>;
const aws = () => env.aws.standIn as NonNullable<LocalEnvironment['aws']['standIn']>;

async function pullsFor(accountId: string) {
  const pulls = (await gh().listPulls()) as Array<{ head: { ref: string } }>;
  return pulls.filter((p) => p.head.ref === `onboarding/${accountId}`);
}

async function branchesFor(accountId: string) {
  const { data } = await env.github.octokit.git.listMatchingRefs({
    owner: env.github.owner,
    repo: env.github.repo,
    ref: `heads/onboarding/${accountId}`,
  });
  return data.map((r) => r.ref);
}

const iamWrites = (accountId: string) =>
  aws().calls.filter(
    (c) => c.service === 'iam' && c.accountId === accountId && c.status < 300 && !/^(Get|List)/.test(c.action),
  );

/** The lines that differ between two texts of the same length in lines (the matrix edit never adds lines here). */
function changedLines(before: string, after: string) {
  const a = before.split('\n');
  const b = after.split('\n');
  return { lengthDelta: b.length - a.length, changed: b.flatMap((line, i) => (line === a[i] ? [] : [[a[i], line]])) };
}

describe('onboarding a new account end to end', () => {
  it('creates the cicd role and opens one pull request that adds the folder and changes one workflow line', async () => {
    // Prepare
    const created = await env.createAccount('workload-analytics-01');

    // Act: EventBridge delivers both the CreateAccount call and the CreateAccountResult event
    const deliveries = await Promise.all(created.events.map((e) => env.deliver(e)));

    // Assess
    expect(deliveries.map((d) => d.report?.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const role = await env.readRole(created.accountId);
    expect(role?.trustPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${env.aws.toolingAccountId}:role/GitHubAction-AssumeRoleWithAction` },
          Action: 'sts:AssumeRole',
          // Only while the pipeline role belongs to this organization.
          Condition: {
            StringEquals: {
              'sts:ExternalId': 'oidc-account-onboarding',
              'aws:PrincipalOrgID': aws().state.organizationId,
            },
          },
        },
      ],
    });
    expect(role?.policies).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
    const pulls = await pullsFor(created.accountId);
    expect(pulls).toHaveLength(1);
    const branch = `onboarding/${created.accountId}`;
    const before = (await gh().readFile('main', WORKFLOW)) as string;
    const after = (await gh().readFile(branch, WORKFLOW)) as string;
    expect(changedLines(before, after)).toEqual({
      lengthDelta: 0,
      changed: [
        [
          SEED_MATRIX_LINE,
          SEED_MATRIX_LINE.replace(
            "'aws-accounts/workload-prod-01']",
            "'aws-accounts/workload-prod-01', 'aws-accounts/workload-analytics-01']",
          ),
        ],
      ],
    });
    const tfvars = await gh().readFile(branch, 'aws-accounts/workload-analytics-01/terraform.tfvars');
    expect(tfvars).toContain(`aws_account_id = "${created.accountId}"`);
  });

  it('turns the same event delivered three times at once into one role, one branch and one pull request', async () => {
    // Prepare
    const created = await env.createAccount('workload-payments-01');
    const result = created.events.find((e) => (e.detail as { eventName?: string }).eventName === 'CreateAccountResult');

    // Act
    const deliveries = await Promise.all([1, 2, 3].map(() => env.deliver(result as Record<string, unknown>)));

    // Assess
    expect(deliveries.map((d) => d.report?.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(iamWrites(created.accountId).filter((c) => c.action === 'CreateRole')).toHaveLength(1);
    expect(await branchesFor(created.accountId)).toEqual([`refs/heads/onboarding/${created.accountId}`]);
    expect(await pullsFor(created.accountId)).toHaveLength(1);
  });

  it('changes nothing when run again by hand for an onboarded account', async () => {
    // Prepare
    const created = await env.createAccount('workload-search-01');
    await Promise.all(created.events.map((e) => env.deliver(e)));
    const writesBefore = gh().requests.filter((r) => r.contentCreating).length;
    const iamBefore = iamWrites(created.accountId).length;

    // Act
    const rerun = await env.startExecution({ accountId: created.accountId });

    // Assess
    expect(rerun.outcome).toMatchObject({
      status: 'SUCCEEDED',
      output: { role: { outcome: 'unchanged' }, pullRequest: { outcome: 'unchanged' } },
    });
    expect(gh().requests.filter((r) => r.contentCreating).length).toBe(writesBefore);
    expect(iamWrites(created.accountId).length).toBe(iamBefore);
    expect(await pullsFor(created.accountId)).toHaveLength(1);
  });

  it('onboards an existing account by id, keeping the leading zero of its id', async () => {
    // Act: workload-dev-01 (012345678901) exists in the seeded organization but not in the repo
    const run = await env.startExecution({ accountId: '012345678901' });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'SUCCEEDED', output: { accountId: '012345678901' } });
    expect(await env.readRole('012345678901')).toBeDefined();
    const tfvars = await gh().readFile('onboarding/012345678901', 'aws-accounts/workload-dev-01/terraform.tfvars');
    expect(tfvars).toContain('aws_account_id = "012345678901"');
  });

  it('rejects an input it does not understand with InvalidInput, a notification and no change anywhere', async () => {
    // Prepare
    const githubWrites = gh().requests.filter((r) => r.contentCreating).length;
    const awsWrites = aws().calls.filter((c) => c.service === 'iam' && !/^(Get|List)/.test(c.action)).length;
    const notices = aws().state.published.length;

    // Act
    const run = await env.startExecution({ accountId: 12345678901 });

    // Assess
    expect(run.outcome).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    expect(gh().requests.filter((r) => r.contentCreating).length).toBe(githubWrites);
    expect(aws().calls.filter((c) => c.service === 'iam' && !/^(Get|List)/.test(c.action)).length).toBe(awsWrites);
    const published = aws().state.published.slice(notices);
    expect(published).toHaveLength(1);
    expect(JSON.stringify(published[0])).toContain('InvalidInput');
  });

  it('fails with AccountCreationFailed and notifies when Organizations could not create the account', async () => {
    // Prepare: the email of an existing account makes CreateAccount fail
    const { CreateAccountCommand, OrganizationsClient } = await import('@aws-sdk/client-organizations');
    const org = new OrganizationsClient(aws().clientConfig());
    const request = await org.send(
      new CreateAccountCommand({ AccountName: 'duplicate', Email: 'aws+workload-prod-01@example.com' }),
    );
    const event = {
      version: '0',
      id: 'e2e-create-call',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.organizations',
      account: env.aws.managementAccountId,
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        eventSource: 'organizations.amazonaws.com',
        eventName: 'CreateAccount',
        awsRegion: 'us-east-1',
        responseElements: { createAccountStatus: { id: request.CreateAccountStatus?.Id, state: 'IN_PROGRESS' } },
      },
    };

    // Act
    const delivery = await env.deliver(event);

    // Assess
    expect(delivery.rule).toMatch(/CreateAccountCallRule/);
    expect(delivery.report?.outcome).toMatchObject({ status: 'FAILED', error: 'AccountCreationFailed' });
    expect(delivery.report?.notifications[0]?.Message).toContain('EMAIL_ALREADY_EXISTS');
  });

  it('waits for an account whose access role is not assumable yet, then onboards it', async () => {
    // Prepare
    aws().setFaults({ newAccountAssumableAfter: 3 });
    const created = await env.createAccount('workload-late-01');
    const result = created.events.find((e) => (e.detail as { eventName?: string }).eventName === 'CreateAccountResult');

    // Act
    const delivery = await env.deliver(result as Record<string, unknown>);

    // Assess
    expect(delivery.report?.outcome.status).toBe('SUCCEEDED');
    expect(delivery.report?.retries.EnsureCicdRole).toBeGreaterThanOrEqual(1);
    expect(await env.readRole(created.accountId)).toBeDefined();
  });

  it('keeps exactly-once effects when AWS throttles and fails calls and GitHub rate-limits and answers 502', async () => {
    // Prepare
    aws().setFaults({ throttleRate: 0.2, failRate: 0.1, only: ['iam', 'sts', 'organizations'], seed: 7 });
    gh().setFaults({ secondaryRateLimit: { count: 2, retryAfterSeconds: 0 }, badGateway: { count: 3 } });
    const created = await env.createAccount('workload-flaky-01');

    // Act
    const deliveries = await Promise.all(created.events.map((e) => env.deliver(e)));

    // Assess
    expect(deliveries.map((d) => d.report?.outcome)).toEqual([
      expect.objectContaining({ status: 'SUCCEEDED' }),
      expect.objectContaining({ status: 'SUCCEEDED' }),
    ]);
    expect(iamWrites(created.accountId).filter((c) => c.action === 'CreateRole')).toHaveLength(1);
    expect(await branchesFor(created.accountId)).toHaveLength(1);
    expect(await pullsFor(created.accountId)).toHaveLength(1);
    const workflow = (await gh().readFile(`onboarding/${created.accountId}`, WORKFLOW)) as string;
    expect(workflow.split('aws-accounts/workload-flaky-01').length - 1).toBe(1);
  });
});
