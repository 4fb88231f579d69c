import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolesCommand,
  paginateListAttachedRolePolicies,
} from '@aws-sdk/client-iam';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type AwsEvent, type AwsStandIn, type Credentials, startAwsStandIn } from '../../local/aws/server';

const trust = (principal: string, externalId?: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: principal },
        Action: 'sts:AssumeRole',
        ...(externalId ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
      },
    ],
  });

/** The error a promise rejects with, so tests can assert on its name and status. */
async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('AWS stand-in', () => {
  let aws: AwsStandIn;
  let iam: IAMClient;
  let sts: STSClient;
  let orgs: OrganizationsClient;
  const clients = <T>(
    make: (config: ReturnType<AwsStandIn['clientConfig']> & { maxAttempts: number }) => T,
    creds?: Credentials,
  ) => make({ ...aws.clientConfig(creds), maxAttempts: 1 });

  async function assumeInto(
    accountId: string,
    roleName = 'OrganizationAccountAccessRole',
    externalId?: string,
    from?: Credentials,
  ) {
    const client = clients((c) => new STSClient(c), from);
    const { Credentials: c } = await client.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        RoleSessionName: 'test',
        ExternalId: externalId,
      }),
    );
    return {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
    };
  }

  beforeAll(async () => {
    aws = await startAwsStandIn({ createAccount: { inProgressPolls: 1 } });
    iam = clients((c) => new IAMClient(c));
    sts = clients((c) => new STSClient(c));
    orgs = clients((c) => new OrganizationsClient(c));
  });

  afterAll(async () => {
    await aws.stop();
  });

  afterEach(() => aws.setFaults({}));

  describe('IAM', () => {
    it('returns the trust policy URL-encoded as IAM does, with tags, boundary and a role id', async () => {
      // Prepare
      const document = JSON.stringify(
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: aws.pipelineRoleArn }, Action: 'sts:AssumeRole' }],
        },
        null,
        2,
      );
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'round-trip',
          AssumeRolePolicyDocument: document,
          Description: 'a <role> & "quotes"',
          PermissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess',
          Tags: [{ Key: 'managed-by', Value: 'oidc-account-onboarding' }],
        }),
      );

      // Act
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'round-trip' }));

      // Assess
      expect(Role?.AssumeRolePolicyDocument).toMatch(/^%7B%0A%20%20%22Version%22%3A/);
      expect(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '')).toBe(document);
      expect(Role).toMatchObject({
        Arn: `arn:aws:iam::${aws.accounts.management}:role/round-trip`,
        Description: 'a <role> & "quotes"',
        MaxSessionDuration: 3600,
        PermissionsBoundary: { PermissionsBoundaryArn: 'arn:aws:iam::aws:policy/PowerUserAccess' },
        Tags: [{ Key: 'managed-by', Value: 'oidc-account-onboarding' }],
      });
      expect(Role?.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
      expect(Role?.CreateDate).toBeInstanceOf(Date);
    });

    it('answers with the SDK named exceptions and IAM status codes', async () => {
      // Prepare
      await iam.send(
        new CreateRoleCommand({ RoleName: 'errors', AssumeRolePolicyDocument: trust(aws.accounts.management) }),
      );
      await iam.send(
        new AttachRolePolicyCommand({ RoleName: 'errors', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }),
      );

      // Act
      const missing = await failure(iam.send(new GetRoleCommand({ RoleName: 'nope' })));
      const duplicate = await failure(
        iam.send(new CreateRoleCommand({ RoleName: 'errors', AssumeRolePolicyDocument: trust('*') })),
      );
      const badJson = await failure(
        iam.send(new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: '{"Version":' })),
      );
      const ghost = await failure(
        iam.send(
          new CreateRoleCommand({
            RoleName: 'ghost',
            AssumeRolePolicyDocument: trust(`arn:aws:iam::${aws.accounts.tooling}:role/does-not-exist`),
          }),
        ),
      );
      const conflict = await failure(iam.send(new DeleteRoleCommand({ RoleName: 'errors' })));
      const unknownPolicy = await failure(
        iam.send(
          new AttachRolePolicyCommand({ RoleName: 'errors', PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicy' }),
        ),
      );

      // Assess
      expect([missing.name, missing.$metadata?.httpStatusCode]).toEqual(['NoSuchEntityException', 404]);
      expect(missing.message).toBe('The role with name nope cannot be found.');
      expect([duplicate.name, duplicate.$metadata?.httpStatusCode]).toEqual(['EntityAlreadyExistsException', 409]);
      expect([badJson.name, badJson.$metadata?.httpStatusCode]).toEqual(['MalformedPolicyDocumentException', 400]);
      expect(ghost.name).toBe('MalformedPolicyDocumentException');
      expect(ghost.message).toContain('Invalid principal in policy');
      expect([conflict.name, conflict.$metadata?.httpStatusCode]).toEqual(['DeleteConflictException', 409]);
      expect(unknownPolicy.name).toBe('NoSuchEntityException');
    });

    it('stores a bare account id principal as the root ARN, as IAM does', async () => {
      // Act
      await iam.send(
        new CreateRoleCommand({ RoleName: 'by-account', AssumeRolePolicyDocument: trust('012345678901') }),
      );
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'by-account' }));

      // Assess
      expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? ''))).toEqual(
        JSON.parse(trust('arn:aws:iam::012345678901:root')),
      );
    });

    it('paginates attached policies with Marker and IsTruncated', async () => {
      // Prepare
      const arns = ['AdministratorAccess', 'ReadOnlyAccess', 'SecurityAudit'].map(
        (n) => `arn:aws:iam::aws:policy/${n}`,
      );
      await iam.send(
        new CreateRoleCommand({ RoleName: 'paged', AssumeRolePolicyDocument: trust(aws.accounts.management) }),
      );
      for (const PolicyArn of arns) await iam.send(new AttachRolePolicyCommand({ RoleName: 'paged', PolicyArn }));

      // Act
      const first = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'paged', MaxItems: 2 }));
      const all: string[] = [];
      for await (const page of paginateListAttachedRolePolicies({ client: iam, pageSize: 2 }, { RoleName: 'paged' })) {
        all.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''));
      }

      // Assess
      expect(first.IsTruncated).toBe(true);
      expect(first.Marker).toEqual(expect.any(String));
      expect(all).toEqual(arns);
    });
  });

  describe('STS', () => {
    it('assumes the member access role into a workload account and acts inside that account only', async () => {
      // Prepare
      const workload = aws.accounts.workloads[1];
      const inWorkload = await assumeInto(workload);

      // Act
      const identity = await clients((c) => new STSClient(c), inWorkload).send(new GetCallerIdentityCommand({}));
      await clients((c) => new IAMClient(c), inWorkload).send(
        new CreateRoleCommand({ RoleName: 'cicd', AssumeRolePolicyDocument: trust(aws.pipelineRoleArn, 'ext-1') }),
      );

      // Assess
      expect(identity.Account).toBe('012345678901');
      expect(identity.Arn).toBe('arn:aws:sts::012345678901:assumed-role/OrganizationAccountAccessRole/test');
      expect(aws.state.readRole(workload, 'cicd')?.trustPolicy).toEqual(
        JSON.parse(trust(aws.pipelineRoleArn, 'ext-1')),
      );
      expect(aws.state.readRole(aws.accounts.management, 'cicd')).toBeUndefined();
      expect(aws.calls.filter((c) => c.accountId === workload && c.action === 'CreateRole')).toHaveLength(1);
    });

    it('lets only the trusted principal with the right external id in', async () => {
      // Prepare
      const workload = aws.accounts.workloads[0];
      aws.state.createRole(workload, {
        roleName: 'cicd',
        assumeRolePolicyDocument: trust(aws.pipelineRoleArn, 'ext-2'),
      });
      const pipeline = aws.state.sessionFor(aws.pipelineRoleArn, 'github');

      // Act
      const ok = await assumeInto(workload, 'cicd', 'ext-2', pipeline);
      const wrongExternalId = await failure(assumeInto(workload, 'cicd', 'wrong', pipeline));
      const managementUser = await failure(assumeInto(workload, 'cicd', 'ext-2'));
      const toolingIntoAccessRole = await failure(
        assumeInto(workload, 'OrganizationAccountAccessRole', undefined, pipeline),
      );

      // Assess
      expect(ok.accessKeyId).toMatch(/^ASIA/);
      expect(ok.sessionToken).toEqual(expect.any(String));
      for (const denied of [wrongExternalId, managementUser, toolingIntoAccessRole]) {
        expect([denied.name, denied.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
      }
    });

    it('shows a deleted and recreated principal as its old AROA id, which no longer matches', async () => {
      // Prepare
      const workload = aws.accounts.workloads[0];
      aws.state.createRole(workload, { roleName: 'drifted', assumeRolePolicyDocument: trust(aws.pipelineRoleArn) });
      const oldId = aws.state.readRole(aws.accounts.tooling, 'GitHubAction-AssumeRoleWithAction')?.roleId;

      // Act
      aws.state.recreateRole(aws.accounts.tooling, 'GitHubAction-AssumeRoleWithAction');
      const denied = await failure(
        assumeInto(workload, 'drifted', undefined, aws.state.sessionFor(aws.pipelineRoleArn)),
      );

      // Assess
      expect(aws.state.readRole(workload, 'drifted')?.trustPolicy).toMatchObject({
        Statement: [{ Principal: { AWS: oldId } }],
      });
      expect(denied.name).toBe('AccessDenied');
    });

    it('rejects unknown access keys and bad signatures', async () => {
      // Act
      const unknown = await failure(
        clients((c) => new STSClient(c), { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' }).send(
          new GetCallerIdentityCommand({}),
        ),
      );
      const badSignature = await failure(
        clients((c) => new STSClient(c), { ...aws.credentials, secretAccessKey: 'wrong' }).send(
          new GetCallerIdentityCommand({}),
        ),
      );

      // Assess
      expect(unknown.name).toBe('InvalidClientTokenId');
      expect(badSignature.name).toBe('SignatureDoesNotMatch');
    });
  });

  describe('Organizations', () => {
    it('creates an account asynchronously and emits the CreateAccount and CreateAccountResult events', async () => {
      // Prepare
      const events: AwsEvent[] = [];
      const completed = new Promise<void>((resolve) => {
        const unsubscribe = aws.onEvent((event) => {
          events.push(event);
          if (event.detail.eventName === 'CreateAccountResult') {
            unsubscribe();
            resolve();
          }
        });
      });

      // Act
      const { CreateAccountStatus: started } = await orgs.send(
        new CreateAccountCommand({ AccountName: 'workload-qa-01', Email: 'qa@example.com' }),
      );
      const first = await orgs.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started?.Id }));
      const second = await orgs.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: started?.Id }));
      await completed;

      // Assess
      expect(started).toMatchObject({ State: 'IN_PROGRESS', Id: expect.stringMatching(/^car-[0-9a-f]{32}$/) });
      expect(first.CreateAccountStatus?.State).toBe('IN_PROGRESS');
      expect(second.CreateAccountStatus).toMatchObject({
        State: 'SUCCEEDED',
        AccountId: expect.stringMatching(/^\d{12}$/),
      });
      const accountId = second.CreateAccountStatus?.AccountId ?? '';
      const { Account } = await orgs.send(new DescribeAccountCommand({ AccountId: accountId }));
      expect(Account).toMatchObject({ Name: 'workload-qa-01', Email: 'qa@example.com', Status: 'ACTIVE' });
      expect(events.map((e) => e['detail-type'])).toEqual([
        'AWS API Call via CloudTrail',
        'AWS Service Event via CloudTrail',
      ]);
      expect(events[0]?.detail).toMatchObject({
        eventName: 'CreateAccount',
        responseElements: { createAccountStatus: { id: started?.Id } },
      });
      expect(events[1]).toMatchObject({
        source: 'aws.organizations',
        account: aws.accounts.management,
        region: 'us-east-1',
        detail: {
          eventName: 'CreateAccountResult',
          serviceEventDetails: {
            createAccountStatus: {
              id: started?.Id,
              state: 'SUCCEEDED',
              accountId,
              requestedTimestamp: expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M$/),
            },
          },
        },
      });
      const identity = await clients((c) => new STSClient(c), await assumeInto(accountId)).send(
        new GetCallerIdentityCommand({}),
      );
      expect(identity.Account).toBe(accountId);
    });

    it('fails the creation with EMAIL_ALREADY_EXISTS when the email is taken', async () => {
      // Act
      const { CreateAccountStatus } = await orgs.send(
        new CreateAccountCommand({ AccountName: 'dup', Email: 'aws+tooling@example.com' }),
      );
      aws.state.completePendingAccountCreations();
      const status = await orgs.send(
        new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: CreateAccountStatus?.Id }),
      );

      // Assess
      expect(status.CreateAccountStatus).toMatchObject({ State: 'FAILED', FailureReason: 'EMAIL_ALREADY_EXISTS' });
      expect(aws.events.at(-1)?.detail).toMatchObject({
        serviceEventDetails: { createAccountStatus: { state: 'FAILED', failureReason: 'EMAIL_ALREADY_EXISTS' } },
      });
    });

    it('paginates ListAccounts 20 at a time and rejects a larger page', async () => {
      // Prepare
      const other = await startAwsStandIn();
      const client = new OrganizationsClient({ ...other.clientConfig(), maxAttempts: 1 });
      for (let i = 0; i < 41; i += 1) other.state.createAccount({ name: `bulk-${i}` });

      // Act
      const pages: number[] = [];
      const ids = new Set<string>();
      for await (const page of paginateListAccounts({ client }, {})) {
        pages.push(page.Accounts?.length ?? 0);
        for (const account of page.Accounts ?? []) ids.add(account.Id ?? '');
      }
      const tooLarge = await failure(client.send(new ListAccountsCommand({ MaxResults: 21 })));
      await other.stop();

      // Assess
      expect(pages).toEqual([20, 20, 5]);
      expect(ids.size).toBe(45);
      expect(ids).toContain('012345678901');
      expect(tooLarge.name).toBe('InvalidInputException');
    });

    it('places seeded accounts in OUs with tags, and refuses member accounts', async () => {
      // Prepare
      const member = await assumeInto(aws.accounts.workloads[0]);

      // Act
      const { Parents } = await orgs.send(new ListParentsCommand({ ChildId: aws.accounts.workloads[0] }));
      const { Tags } = await orgs.send(new ListTagsForResourceCommand({ ResourceId: aws.accounts.workloads[0] }));
      const denied = await failure(
        clients((c) => new OrganizationsClient(c), member).send(new ListAccountsCommand({})),
      );

      // Assess
      expect(Parents).toEqual([{ Id: aws.organization.organizationalUnits.prod, Type: 'ORGANIZATIONAL_UNIT' }]);
      expect(Tags).toContainEqual({ Key: 'Environment', Value: 'prod' });
      expect(denied.name).toBe('AccessDeniedException');
    });
  });

  describe('faults', () => {
    it('surfaces throttling as the services name it when SDK retries are off', async () => {
      // Prepare
      aws.setFaults({ throttleRate: 1 });

      // Act
      const iamThrottled = await failure(iam.send(new GetRoleCommand({ RoleName: 'round-trip' })));
      const orgsThrottled = await failure(orgs.send(new ListAccountsCommand({})));
      aws.setFaults({});
      aws.failNext({ target: 'organizations:ListAccounts' });
      const scripted = await failure(orgs.send(new ListAccountsCommand({})));
      const afterScript = await orgs.send(new ListAccountsCommand({}));

      // Assess
      expect([iamThrottled.name, iamThrottled.message, iamThrottled.$metadata?.httpStatusCode]).toEqual([
        'Throttling',
        'Rate exceeded',
        400,
      ]);
      expect([orgsThrottled.name, orgsThrottled.$metadata?.httpStatusCode]).toEqual(['TooManyRequestsException', 429]);
      expect(scripted.name).toBe('TooManyRequestsException');
      expect(afterScript.Accounts?.length).toBeGreaterThan(0);
    });

    it('injects the same faults for the same seed, only where asked', async () => {
      // Prepare
      const run = async () => {
        aws.setFaults({ failRate: 0.5, only: 'sts:GetCallerIdentity', seed: 42 });
        const outcomes: string[] = [];
        for (let i = 0; i < 20; i += 1) {
          outcomes.push(
            await sts.send(new GetCallerIdentityCommand({})).then(
              () => 'ok',
              (e: Error) => e.name,
            ),
          );
        }
        return outcomes;
      };

      // Act
      const first = await run();
      const second = await run();
      const unaffected = await iam.send(new ListRolesCommand({}));

      // Assess
      expect(first).toEqual(second);
      expect(new Set(first)).toEqual(new Set(['ok', 'InternalFailure']));
      expect(unaffected.Roles).toEqual(expect.any(Array));
    });

    it('models a fresh account that is not assumable yet and a role that is not readable yet', async () => {
      // Prepare
      const workload = aws.accounts.workloads[0];
      aws.state.accountAssumableAfter(workload, 2);
      aws.setFaults({ roleInvisibleReads: 1 });
      const inWorkload = clients((c) => new IAMClient(c), await assumeInto(aws.accounts.workloads[1]));

      // Act
      const attempts = [];
      for (let i = 0; i < 3; i += 1)
        attempts.push(
          await assumeInto(workload).then(
            () => 'ok',
            (e: Error) => e.name,
          ),
        );
      await inWorkload.send(
        new CreateRoleCommand({ RoleName: 'fresh', AssumeRolePolicyDocument: trust(aws.accounts.management) }),
      );
      const firstRead = await failure(inWorkload.send(new GetRoleCommand({ RoleName: 'fresh' })));
      const secondRead = await inWorkload.send(new GetRoleCommand({ RoleName: 'fresh' }));

      // Assess
      expect(attempts).toEqual(['AccessDenied', 'AccessDenied', 'ok']);
      expect(firstRead.name).toBe('NoSuchEntityException');
      expect(secondRead.Role?.RoleName).toBe('fresh');
    });
  });

  it('serves clients configured only through the environment (AWS_ENDPOINT_URL)', async () => {
    // Prepare
    const saved = { ...process.env };
    Object.assign(process.env, aws.env());

    // Act
    const identity = await new STSClient({}).send(new GetCallerIdentityCommand({})).finally(() => {
      process.env = saved;
    });

    // Assess
    expect(identity.Account).toBe(aws.accounts.management);
  });

  it('keeps secrets and published messages per stand-in', async () => {
    // Prepare
    const other = await startAwsStandIn();
    const secrets = clients((c) => new SecretsManagerClient(c));
    const { ARN } = await secrets.send(
      new CreateSecretCommand({ Name: 'github-token', SecretString: '{"token":"t0k"}' }),
    );

    // Act
    const value = await secrets.send(new GetSecretValueCommand({ SecretId: ARN }));
    const elsewhere = await failure(
      new SecretsManagerClient({ ...other.clientConfig(), maxAttempts: 1 }).send(
        new GetSecretValueCommand({ SecretId: 'github-token' }),
      ),
    );
    await clients((c) => new SNSClient(c)).send(
      new PublishCommand({ TopicArn: aws.topicArn, Subject: 'Onboarded', Message: 'hello' }),
    );
    const otherRole = other.state.readRole(other.accounts.management, 'round-trip');
    await other.stop();

    // Assess
    expect(value.SecretString).toBe('{"token":"t0k"}');
    expect(elsewhere.name).toBe('ResourceNotFoundException');
    expect(aws.state.published).toContainEqual(
      expect.objectContaining({ topicArn: aws.topicArn, subject: 'Onboarded', message: 'hello' }),
    );
    expect(other.state.published).toHaveLength(0);
    expect(otherRole).toBeUndefined();
    expect(other.port).not.toBe(aws.port);
  });

  it('serves a thousand accounts and thousands of calls (its speed is measured by npm run bench, not here)', async () => {
    // Prepare
    const big = await startAwsStandIn();
    for (let i = 0; i < 1000; i += 1) big.state.createAccount({ name: `acct-${i}` });
    const client = new OrganizationsClient({ ...big.clientConfig(), maxAttempts: 1 });
    const bigIam = new IAMClient({ ...big.clientConfig(), maxAttempts: 1 });

    // Act
    let accounts = 0;
    for await (const page of paginateListAccounts({ client }, {})) accounts += page.Accounts?.length ?? 0;
    for (let batch = 0; batch < 40; batch += 1) {
      await Promise.all(
        Array.from({ length: 50 }, () =>
          bigIam.send(new GetRoleCommand({ RoleName: 'OrganizationAccountAccessRole' })).catch(() => undefined),
        ),
      );
    }
    await big.stop();

    // Assess
    expect(accounts).toBe(1004);
    expect(big.calls.filter((c) => c.service === 'iam' && c.status === 404)).toHaveLength(2000);
  });
});

describe('AWS stand-in outside an organization', () => {
  it('answers AWSOrganizationsNotInUse until CreateOrganization, then lets the caller create accounts', async () => {
    // Prepare
    const bare = await startAwsStandIn({ organization: 'none', createAccount: { completeAfterMs: 0 } });
    const orgs = new OrganizationsClient({ ...bare.clientConfig(), maxAttempts: 1 });
    try {
      // Act
      const before = await failure(orgs.send(new DescribeOrganizationCommand({})));
      const refusedCreate = await failure(
        orgs.send(new CreateAccountCommand({ AccountName: 'early', Email: 'aws+early@example.com' })),
      );
      const created = await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
      const again = await failure(orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' })));
      const described = await orgs.send(new DescribeOrganizationCommand({}));
      const accounts = await orgs.send(new ListAccountsCommand({}));

      // Assess
      expect(before.name).toBe('AWSOrganizationsNotInUseException');
      expect(refusedCreate.name).toBe('AWSOrganizationsNotInUseException');
      expect(created.Organization?.MasterAccountId).toBe(described.Organization?.MasterAccountId);
      expect(again.name).toBe('AlreadyInOrganizationException');
      expect(accounts.Accounts?.map((a) => a.Id)).toEqual([described.Organization?.MasterAccountId]);
    } finally {
      await bare.stop();
    }
  });

  it('numbers new accounts around the ids it was told to reserve', async () => {
    // Prepare
    const aws = await startAwsStandIn({ createAccount: { completeAfterMs: 0 } });
    aws.state.reserveAccountIds(['200000000000', '200000000001', '200000000003']);
    try {
      // Act
      const ids = [1, 2, 3].map((n) => aws.state.createAccount({ name: `reserved-${n}` }).id);

      // Assess
      expect(ids).toEqual(['200000000002', '200000000004', '200000000005']);
    } finally {
      await aws.stop();
    }
  });
});
