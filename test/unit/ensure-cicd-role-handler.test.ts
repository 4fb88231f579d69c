import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeAccountCommand,
  DescribeOrganizationalUnitCommand,
  ListParentsCommand,
  ListTagsForResourceCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { type EnsureCicdRoleEvent, makeHandler } from '../../functions/ensure-cicd-role/handler';
import type { OnboardingConfig } from '../../functions/lib/config';
import type { AwsCredentialIdentity } from '../../functions/lib/member-account';
import { ensureRoleSessionPolicy } from '../../functions/lib/session-policy';
import type { AccountContext } from '../../functions/lib/types';
import {
  ADMIN,
  assumedCredentials,
  desiredStatement,
  desiredTrust,
  existingRole,
  MEMBER_ACCOUNT,
  noSuchRole,
  ROLE_ARN,
  roleAlreadyExists,
  SECRET_ACCESS_KEY,
  SESSION_TOKEN,
  stsAccessDenied,
  testConfig,
} from '../support/ensure-cicd-role-fixtures';

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
const org = mockClient(OrganizationsClient);
const ORGANIZATION = 'o-a1b2c3d4e5';
const PROD_OU = 'ou-ab12-prod0001';
/** The trust this configuration wants in this organization. */
const orgTrust = {
  ...desiredTrust,
  Statement: [
    {
      ...desiredStatement,
      Condition: { StringEquals: { 'sts:ExternalId': 'acme-terraform', 'aws:PrincipalOrgID': ORGANIZATION } },
    },
  ],
};

const account: AccountContext = {
  accountId: MEMBER_ACCOUNT,
  name: 'workload-dev-01',
  email: 'aws+workload-dev-01@example.com',
  status: 'ACTIVE',
  ouPath: [{ id: 'r-ab12', name: 'Root' }],
  tags: {},
};

function setup(config: OnboardingConfig = testConfig()) {
  const iamCredentials: AwsCredentialIdentity[] = [];
  const handler = makeHandler({
    config,
    organizations: new OrganizationsClient({}),
    sts: new STSClient({}),
    iamFor: (credentials) => {
      iamCredentials.push(credentials);
      return new IAMClient({ credentials });
    },
  });
  return { handler, iamCredentials };
}

/** Organizations as it describes `id`: ACTIVE, in the Prod OU under the root, tagged Environment=prod. */
function organizationHas(id: string) {
  org.on(DescribeAccountCommand, { AccountId: id }).resolves({
    Account: {
      Id: id,
      Name: 'workload-dev-01',
      Email: 'aws+workload-dev-01@example.com',
      State: 'ACTIVE',
      Arn: `arn:aws:organizations::000000000000:account/${ORGANIZATION}/${id}`,
    },
  });
  org.on(ListParentsCommand, { ChildId: id }).resolves({ Parents: [{ Id: PROD_OU, Type: 'ORGANIZATIONAL_UNIT' }] });
  org.on(ListTagsForResourceCommand, { ResourceId: id }).resolves({ Tags: [{ Key: 'Environment', Value: 'prod' }] });
}

beforeEach(() => {
  sts.reset();
  iam.reset();
  org.reset();
  org.on(ListParentsCommand, { ChildId: PROD_OU }).resolves({ Parents: [{ Id: 'r-ab12', Type: 'ROOT' }] });
  org.on(DescribeOrganizationalUnitCommand).resolves({ OrganizationalUnit: { Id: PROD_OU, Name: 'Prod' } });
  organizationHas(MEMBER_ACCOUNT);
  organizationHas('111111111111');
  sts.on(AssumeRoleCommand).resolves({ Credentials: assumedCredentials });
  iam.on(GetRoleCommand).rejects(noSuchRole());
  iam.on(CreateRoleCommand).resolves({ Role: existingRole() });
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
});

describe('ensure-cicd-role handler', () => {
  it('creates the role in a brand-new account with exactly AssumeRole, GetRole, CreateRole and AttachRolePolicy', async () => {
    // Prepare
    const { handler, iamCredentials } = setup();

    // Act
    const result = await handler({ account });

    // Assess
    expect(result).toEqual({
      outcome: 'created',
      roleArn: ROLE_ARN,
      changes: [`created role cicd in account ${MEMBER_ACCOUNT}`, `attached ${ADMIN}`],
      accessRole: 'OrganizationAccountAccessRole',
    });
    expect(sts.calls().map((c) => c.args[0].constructor.name)).toEqual(['AssumeRoleCommand']);
    expect(iam.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'GetRoleCommand',
      'CreateRoleCommand',
      'AttachRolePolicyCommand',
    ]);
    // IAM ran with the member account's credentials, not the management account's.
    expect(iamCredentials).toEqual([expect.objectContaining({ accessKeyId: assumedCredentials.AccessKeyId })]);
  });

  it('skips the GetRole for an account-creation event: AssumeRole, CreateRole and AttachRolePolicy only', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler({ account, trigger: 'event' });

    // Assess
    expect(result.outcome).toBe('created');
    expect(iam.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'CreateRoleCommand',
      'AttachRolePolicyCommand',
    ]);
  });

  it('converges an existing role when an account-creation event finds one (CreateRole answers EntityAlreadyExists)', async () => {
    // Prepare
    iam.on(CreateRoleCommand).rejects(roleAlreadyExists());
    iam.on(GetRoleCommand).resolves({ Role: existingRole({ trust: orgTrust }) });
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolves({ AttachedPolicies: [{ PolicyArn: ADMIN, PolicyName: 'AdministratorAccess' }] });
    const { handler } = setup();

    // Act
    const result = await handler({ account, trigger: 'event' });

    // Assess
    expect(result.outcome).toBe('unchanged');
    expect(iam.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'CreateRoleCommand',
      'GetRoleCommand',
      'ListAttachedRolePoliciesCommand',
    ]);
  });

  it('returns and logs no credentials', async () => {
    // Prepare
    const { handler } = setup();
    const logged: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      logged.push(String(chunk));
      return true;
    });

    // Act
    const result = await handler({ account }).finally(() => write.mockRestore());

    // Assess
    const output = JSON.stringify(result);
    for (const secret of [SECRET_ACCESS_KEY, SESSION_TOKEN, assumedCredentials.AccessKeyId]) {
      expect(output).not.toContain(secret);
      expect(logged.join('')).not.toContain(secret);
    }
    expect(logged.join('')).toContain(`"accountId":"${MEMBER_ACCOUNT}"`);
  });

  it('reports AccountNotReady when no access role can be assumed yet, without touching IAM', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => Promise.reject(stsAccessDenied(input.RoleArn)));
    const { handler } = setup();

    // Act / Assess
    await expect(handler({ account })).rejects.toMatchObject({ name: 'AccountNotReady' });
    expect(iam.calls()).toHaveLength(0);
  });

  it('reports AccountNotAssumable for an invited account, with the role to create, its trust and the commands', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => Promise.reject(stsAccessDenied(input.RoleArn)));
    const { handler } = setup();
    const config = testConfig();

    // Act
    const failure = await handler({ account, invited: true }).catch((err: Error) => err);

    // Assess
    expect(failure).toMatchObject({ name: 'AccountNotAssumable' });
    const message = (failure as Error).message;
    expect(message).toContain(`creates the role ${config.memberAccessRoleNames[0]}`);
    expect(message).toContain(
      `trusting the management account ${config.managementAccountId ?? '<management account id>'}`,
    );
    expect(message).toContain(`aws iam create-role --role-name ${config.memberAccessRoleNames[0]}`);
    expect(message).toContain('attach-role-policy');
    expect(iam.calls()).toHaveLength(0);
  });

  it('gives the role the policies of the profile the account matches, as Organizations places it', async () => {
    // Prepare: Organizations has the account in the Prod OU; the input's OU path is not trusted
    const { AttachRolePolicyCommand } = await import('@aws-sdk/client-iam');
    iam.on(AttachRolePolicyCommand).resolves({});
    const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    const { handler } = setup({
      ...testConfig(),
      profiles: [{ name: 'prod', match: { ouPath: 'Prod' }, cicdPolicyArns: [readOnly] }],
    });

    // Act
    await handler({ account });

    // Assess
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).toEqual([readOnly]);
    const policy = JSON.parse(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.Policy ?? '{}');
    expect(JSON.stringify(policy)).toContain(readOnly);
  });

  it("converges a moved account's role: attaches its profile's policies, detaches the default's, keeps a person's", async () => {
    // Prepare: onboarded under the default profile (AdministratorAccess); a person attached a policy of their own
    const { AttachRolePolicyCommand, DetachRolePolicyCommand } = await import('@aws-sdk/client-iam');
    const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    const persons = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/break-glass-logging`;
    iam.on(GetRoleCommand).resolves({ Role: existingRole({ trust: orgTrust }) });
    iam.on(ListAttachedRolePoliciesCommand).resolves({
      AttachedPolicies: [
        { PolicyArn: ADMIN, PolicyName: 'AdministratorAccess' },
        { PolicyArn: persons, PolicyName: 'break-glass-logging' },
      ],
    });
    iam.on(AttachRolePolicyCommand).resolves({});
    iam.on(DetachRolePolicyCommand).resolves({});
    const { handler } = setup({
      ...testConfig(),
      profiles: [{ name: 'prod', match: { ouPath: 'Prod' }, cicdPolicyArns: [readOnly] }],
    });

    // Act
    const result = await handler({ account });

    // Assess
    expect(result).toMatchObject({
      outcome: 'updated',
      changes: [`attached ${readOnly}`, `detached ${ADMIN} (another profile's)`],
    });
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).toEqual([readOnly]);
    expect(iam.commandCalls(DetachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).toEqual([ADMIN]);
    // The session may detach the default profile's policy and nothing else.
    const policy = JSON.parse(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input.Policy ?? '{}');
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({
        Action: 'iam:DetachRolePolicy',
        Condition: { ArnEquals: { 'iam:PolicyARN': [ADMIN] } },
      }),
    );
  });

  it.each<[string, unknown]>([
    ['a numeric id (leading zeros lost)', { account: { ...account, accountId: 12345678901 } }],
    ['an 11-digit id', { account: { ...account, accountId: '12345678901' } }],
    ['no account', {}],
  ])('rejects %s as InvalidInput before calling AWS', async (_, event) => {
    // Prepare
    const { handler } = setup();

    // Act / Assess
    await expect(handler(event as EnsureCicdRoleEvent)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('12-digit account id as a string'),
    });
    expect(sts.calls()).toHaveLength(0);
  });

  it('assumes the access role narrowed to the cicd role, in a session named after the execution', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    await handler({
      account,
      executionId:
        'arn:aws:states:us-east-1:000000000000:execution:onboard-account:5e0c9a1e-6a7d-4c1b-9a55-0f1d3e2c4b6a',
    });

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({
        RoleSessionName: 'onboarding-5e0c9a1e-6a7d-4c1b-9a55-0f1d3e2c4b6a',
        Policy: JSON.stringify(ensureRoleSessionPolicy(testConfig(), MEMBER_ACCOUNT)),
      }),
    ]);
  });

  it('writes a trust that requires the organization the account ARN names (aws:PrincipalOrgID)', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    await handler({ account });

    // Assess
    const trust = JSON.parse(iam.commandCalls(CreateRoleCommand)[0]?.args[0].input.AssumeRolePolicyDocument ?? '{}');
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { 'sts:ExternalId': 'acme-terraform', 'aws:PrincipalOrgID': ORGANIZATION },
    });
  });

  it.each<[string, OnboardingConfig, string]>([
    ['an excluded OU the input does not mention', testConfig({ filters: { excludeOuIds: [PROD_OU] } }), 'excluded-ou'],
    [
      'an excluded tag the input does not carry',
      testConfig({ filters: { excludeTags: [{ key: 'Environment', value: 'prod' }] } }),
      'excluded-tag',
    ],
    ['an excluded account id', testConfig({ filters: { excludeAccountIds: [MEMBER_ACCOUNT] } }), 'excluded-account'],
    ['the management account', testConfig({ managementAccountId: MEMBER_ACCOUNT }), 'management-account'],
  ])('refuses %s, invoked directly, with AccountNotSelected before assuming anything', async (_, config, rule) => {
    // Prepare
    const { handler } = setup(config);

    // Act / Assess
    await expect(handler({ account: { accountId: MEMBER_ACCOUNT, ouPath: [], tags: {} } })).rejects.toMatchObject({
      name: 'AccountNotSelected',
      message: expect.stringContaining(`(${rule})`),
    });
    expect(sts.calls()).toHaveLength(0);
    expect(iam.calls()).toHaveLength(0);
  });

  it('refuses the tooling account by default, even with force; onboards it with filters.onboardToolingAccount', async () => {
    // Prepare
    const tooling = { accountId: '111111111111' };
    const refused = setup().handler;
    const allowed = setup(testConfig({ filters: { onboardToolingAccount: true } })).handler;

    // Act / Assess
    await expect(refused({ account: tooling, force: true })).rejects.toMatchObject({
      name: 'AccountNotSelected',
      message: expect.stringContaining('(tooling-account)'),
    });
    expect(sts.calls()).toHaveLength(0);
    await expect(allowed({ account: tooling })).resolves.toMatchObject({ outcome: 'created' });
  });

  it('adds aws:PrincipalOrgID to the trust of a role onboarded before, once', async () => {
    // Prepare: the trust as earlier versions wrote it
    iam.on(GetRoleCommand).resolves({ Role: existingRole({ trust: desiredTrust }) });
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolves({ AttachedPolicies: [{ PolicyArn: ADMIN, PolicyName: 'AdministratorAccess' }] });
    iam.on(UpdateAssumeRolePolicyCommand).resolves({});
    const { handler } = setup();

    // Act
    const result = await handler({ account });

    // Assess
    expect(result).toMatchObject({
      outcome: 'updated',
      changes: [expect.stringContaining(`aws:principalorgid=${ORGANIZATION} is missing`)],
    });
    expect(
      JSON.parse(iam.commandCalls(UpdateAssumeRolePolicyCommand)[0]?.args[0].input.PolicyDocument ?? '{}'),
    ).toEqual(orgTrust);
  });
});
