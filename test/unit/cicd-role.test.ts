import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { ensureCicdRole } from '../../functions/lib/cicd-role-apply';
import {
  ADMIN,
  desiredStatement,
  desiredTrust,
  existingRole,
  iamThrottling,
  MANAGED_TAG,
  MEMBER_ACCOUNT,
  malformedPolicy,
  noSuchRole,
  PIPELINE_ROLE_ARN,
  ROLE_ARN,
  roleAlreadyExists,
  testConfig,
} from '../support/ensure-cicd-role-fixtures';

const iam = mockClient(IAMClient);
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const BOUNDARY = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/cicd-boundary`;
const WRITES = [
  CreateRoleCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  PutRolePermissionsBoundaryCommand,
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
];
/** Calls that would change the role; a run that should change nothing makes none. */
const writeCount = () => iam.calls().filter((call) => WRITES.some((command) => call.args[0] instanceof command)).length;
const createdTrust = () =>
  JSON.parse(iam.commandCalls(CreateRoleCommand)[0]?.args[0].input.AssumeRolePolicyDocument ?? 'null');
const updatedTrust = () =>
  JSON.parse(iam.commandCalls(UpdateAssumeRolePolicyCommand)[0]?.args[0].input.PolicyDocument ?? 'null');

beforeEach(() => {
  iam.reset();
  iam
    .on(ListAttachedRolePoliciesCommand)
    .resolves({ AttachedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: ADMIN }] });
});

describe('ensureCicdRole in an account without the role', () => {
  beforeEach(() => {
    iam.on(GetRoleCommand).rejects(noSuchRole());
    iam.on(CreateRoleCommand).resolves({ Role: existingRole() });
  });

  it('creates the role trusting exactly the tooling pipeline role with the external id, tagged and bounded', async () => {
    // Prepare
    const config = testConfig({ permissionsBoundaryArn: BOUNDARY, cicdRolePath: '/ci/' });
    const arnWithPath = `arn:aws:iam::${MEMBER_ACCOUNT}:role/ci/cicd`;
    iam.on(CreateRoleCommand).resolves({ Role: existingRole({ Path: '/ci/', Arn: arnWithPath }) });

    // Act
    const result = await ensureCicdRole(new IAMClient({}), config, MEMBER_ACCOUNT);

    // Assess
    expect(result).toEqual({
      outcome: 'created',
      roleArn: arnWithPath,
      changes: [`created role cicd in account ${MEMBER_ACCOUNT}`, `attached ${ADMIN}`],
    });
    expect(createdTrust()).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111111111111:role/GitHubAction-AssumeRoleWithAction' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'acme-terraform' } },
        },
      ],
    });
    expect(iam.commandCalls(CreateRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleName: 'cicd',
      Path: '/ci/',
      MaxSessionDuration: 3600,
      PermissionsBoundary: BOUNDARY,
      Tags: [MANAGED_TAG],
      Description: expect.stringContaining(PIPELINE_ROLE_ARN),
    });
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'cicd', PolicyArn: ADMIN },
    ]);
  });

  it('makes only GetRole, CreateRole and one AttachRolePolicy per policy', async () => {
    // Act
    await ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT);

    // Assess
    expect(iam.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'GetRoleCommand',
      'CreateRoleCommand',
      'AttachRolePolicyCommand',
    ]);
  });

  it('omits the boundary when none is configured', async () => {
    // Act
    await ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT);

    // Assess
    expect(iam.commandCalls(CreateRoleCommand)[0]?.args[0].input).not.toHaveProperty('PermissionsBoundary');
  });

  it('converges the role a concurrent execution created first', async () => {
    // Prepare
    iam.on(GetRoleCommand).rejectsOnce(noSuchRole()).resolves({ Role: existingRole() });
    iam.on(CreateRoleCommand).rejects(roleAlreadyExists());
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });

    // Act
    const result = await ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT);

    // Assess
    expect(result).toEqual({ outcome: 'updated', roleArn: ROLE_ARN, changes: [`attached ${ADMIN}`] });
    expect(iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(1);
    expect(iam.commandCalls(UpdateAssumeRolePolicyCommand)).toHaveLength(0);
  });

  it('asks for a retry (AccountNotReady) when the concurrently created role cannot be read back yet', async () => {
    // Prepare
    iam.on(CreateRoleCommand).rejects(roleAlreadyExists());

    // Act / Assess
    await expect(ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT)).rejects.toMatchObject({
      name: 'AccountNotReady',
      message: expect.stringContaining('created concurrently'),
    });
  });

  it('names the pipeline role when IAM rejects the trust policy', async () => {
    // Prepare
    iam.on(CreateRoleCommand).rejects(malformedPolicy());

    // Act / Assess
    await expect(ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT)).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(`does the pipeline role ${PIPELINE_ROLE_ARN} exist?`),
    });
  });

  it('reports a configured policy that does not exist in the account as ConfigError', async () => {
    // Prepare
    const custom = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/terraform`;
    iam
      .on(AttachRolePolicyCommand)
      .rejects(
        new NoSuchEntityException({ message: `Policy ${custom} does not exist or is not attachable.`, $metadata: {} }),
      );

    // Act / Assess
    await expect(
      ensureCicdRole(new IAMClient({}), testConfig({ cicdPolicyArns: [custom] }), MEMBER_ACCOUNT),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(`Policy ${custom} does not exist`),
    });
  });

  it('asks for a retry when the new role is not yet visible to AttachRolePolicy', async () => {
    // Prepare
    iam.on(AttachRolePolicyCommand).rejects(noSuchRole());

    // Act / Assess
    await expect(ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT)).rejects.toMatchObject({
      name: 'AccountNotReady',
    });
  });

  it('turns IAM throttling into AwsThrottled', async () => {
    // Prepare
    iam.on(GetRoleCommand).rejects(iamThrottling());

    // Act / Assess
    await expect(ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT)).rejects.toMatchObject({
      name: 'AwsThrottled',
    });
    expect(writeCount()).toBe(0);
  });
});

describe('ensureCicdRole in an account that has the role', () => {
  it('changes nothing when the URL-encoded trust policy is equivalent in another shape', async () => {
    // Prepare
    const reshaped = {
      Statement: {
        Condition: { StringEquals: { 'sts:ExternalId': ['acme-terraform'] } },
        Principal: { AWS: [PIPELINE_ROLE_ARN] },
        Action: ['sts:AssumeRole'],
        Effect: 'Allow',
      },
      Version: '2012-10-17',
    };
    iam.on(GetRoleCommand).resolves({ Role: existingRole({ trust: reshaped }) });

    // Act
    const result = await ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT);

    // Assess
    expect(result).toEqual({ outcome: 'unchanged', roleArn: ROLE_ARN, changes: [] });
    expect(writeCount()).toBe(0);
  });

  it('replaces a trust policy whose principal IAM rewrote to a role id', async () => {
    // Prepare
    const rewritten = {
      ...desiredTrust,
      Statement: [{ ...desiredStatement, Principal: { AWS: 'AROA1234567890EXAMPLE' } }],
    };
    iam.on(GetRoleCommand).resolves({ Role: existingRole({ trust: rewritten }) });

    // Act
    const result = await ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT);

    // Assess
    expect(result.outcome).toBe('updated');
    expect(result.changes).toEqual([
      expect.stringMatching(
        /^trust policy replaced \(the trust names AROA1234567890EXAMPLE instead of the pipeline role ARN/,
      ),
    ]);
    expect(updatedTrust()).toEqual(desiredTrust);
  });

  it('replaces a trust policy it cannot read', async () => {
    // Prepare
    iam.on(GetRoleCommand).resolves({ Role: { ...existingRole(), AssumeRolePolicyDocument: '%7Bnot-json' } });

    // Act
    const result = await ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT);

    // Assess
    expect(result.changes).toEqual([expect.stringContaining('cannot be read')]);
    expect(updatedTrust()).toEqual(desiredTrust);
  });

  it('attaches only the missing policies and keeps the ones a human added', async () => {
    // Prepare
    iam.on(GetRoleCommand).resolves({ Role: existingRole() });
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolvesOnce({
        AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' }],
        IsTruncated: true,
        Marker: 'page-2',
      })
      .resolvesOnce({ AttachedPolicies: [{ PolicyArn: ADMIN }], IsTruncated: false });

    // Act
    const result = await ensureCicdRole(
      new IAMClient({}),
      testConfig({ cicdPolicyArns: [ADMIN, READ_ONLY] }),
      MEMBER_ACCOUNT,
    );

    // Assess
    expect(result).toEqual({ outcome: 'updated', roleArn: ROLE_ARN, changes: [`attached ${READ_ONLY}`] });
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).toEqual([READ_ONLY]);
    expect(iam.commandCalls(ListAttachedRolePoliciesCommand)[1]?.args[0].input).toMatchObject({ Marker: 'page-2' });
    expect(iam.commandCalls(DetachRolePolicyCommand)).toHaveLength(0);
  });

  it('sets the configured permissions boundary when it differs', async () => {
    // Prepare
    iam.on(GetRoleCommand).resolves({
      Role: existingRole({
        PermissionsBoundary: {
          PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
          PermissionsBoundaryArn: `${BOUNDARY}-old`,
        },
      }),
    });

    // Act
    const result = await ensureCicdRole(
      new IAMClient({}),
      testConfig({ permissionsBoundaryArn: BOUNDARY }),
      MEMBER_ACCOUNT,
    );

    // Assess
    expect(result.changes).toEqual([`permissions boundary set to ${BOUNDARY}`]);
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand)[0]?.args[0].input).toEqual({
      RoleName: 'cicd',
      PermissionsBoundary: BOUNDARY,
    });
  });

  it('leaves a role it does not manage alone, saying how to adopt it, and changes nothing', async () => {
    // Prepare
    iam.on(GetRoleCommand).resolves({ Role: existingRole({ Tags: [{ Key: 'owner', Value: 'platform-team' }] }) });

    // Act
    const result = await ensureCicdRole(new IAMClient({}), testConfig(), MEMBER_ACCOUNT);

    // Assess: the pull request step still converges the folder, then fails with RoleNotManaged (a person acts)
    expect(result.outcome).toBe('not-managed');
    expect(result.changes).toEqual([
      expect.stringMatching(/tag it managed-by=oidc-account-onboarding, or set adoptExistingRole: true/),
    ]);
    expect(writeCount()).toBe(0);
  });

  it('adopts an untagged role when configured: tags it and converges it', async () => {
    // Prepare
    iam.on(GetRoleCommand).resolves({ Role: existingRole({ Tags: [], trust: { ...desiredTrust, Statement: [] } }) });

    // Act
    const result = await ensureCicdRole(new IAMClient({}), testConfig({ adoptExistingRole: true }), MEMBER_ACCOUNT);

    // Assess
    expect(result.outcome).toBe('updated');
    expect(result.changes[0]).toBe('adopted the existing role (tagged managed-by=oidc-account-onboarding)');
    expect(iam.commandCalls(TagRoleCommand)[0]?.args[0].input).toEqual({ RoleName: 'cicd', Tags: [MANAGED_TAG] });
    expect(updatedTrust()).toEqual(desiredTrust);
  });
});
