import { CreateRoleCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { type EnsureCicdRoleEvent, makeHandler } from '../../functions/ensure-cicd-role/handler';
import type { AwsCredentialIdentity } from '../../functions/lib/member-account';
import type { AccountContext } from '../../functions/lib/types';
import {
  ADMIN,
  assumedCredentials,
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

const account: AccountContext = {
  accountId: MEMBER_ACCOUNT,
  name: 'workload-dev-01',
  email: 'aws+workload-dev-01@example.com',
  status: 'ACTIVE',
  ouPath: [{ id: 'r-ab12', name: 'Root' }],
  tags: {},
};

function setup() {
  const iamCredentials: AwsCredentialIdentity[] = [];
  const handler = makeHandler({
    config: testConfig(),
    sts: new STSClient({}),
    iamFor: (credentials) => {
      iamCredentials.push(credentials);
      return new IAMClient({ credentials });
    },
  });
  return { handler, iamCredentials };
}

beforeEach(() => {
  sts.reset();
  iam.reset();
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
    iam.on(GetRoleCommand).resolves({ Role: existingRole() });
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

  it('gives the role the policies of the profile the account matches', async () => {
    // Prepare
    const { AttachRolePolicyCommand } = await import('@aws-sdk/client-iam');
    iam.on(AttachRolePolicyCommand).resolves({});
    const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    const handler = makeHandler({
      config: {
        ...testConfig(),
        profiles: [{ name: 'sandbox', match: { ouPath: 'Sandbox' }, cicdPolicyArns: [readOnly] }],
      },
      sts: new STSClient({}),
      iamFor: (credentials) => new IAMClient({ credentials }),
    });

    // Act
    await handler({
      account: { ...account, ouPath: [...account.ouPath, { id: 'ou-ab12-11111111', name: 'Sandbox' }] },
    });

    // Assess
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).toEqual([readOnly]);
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
});
