import { AssumeRoleCommand, RegionDisabledException, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { assumeMemberAccount } from '../../functions/lib/member-account';
import {
  assumedCredentials,
  MEMBER_ACCOUNT,
  SECRET_ACCESS_KEY,
  stsAccessDenied,
} from '../support/ensure-cicd-role-fixtures';

const sts = mockClient(STSClient);
const ROLES = ['OrganizationAccountAccessRole', 'AWSControlTowerExecution'];
const orgRoleArn = `arn:aws:iam::${MEMBER_ACCOUNT}:role/OrganizationAccountAccessRole`;
const ctRoleArn = `arn:aws:iam::${MEMBER_ACCOUNT}:role/AWSControlTowerExecution`;

beforeEach(() => sts.reset());

describe('assumeMemberAccount', () => {
  it('assumes the first access role for 15 minutes under a recognisable session name', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves({ Credentials: assumedCredentials });

    // Act
    const session = await assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES);

    // Assess
    expect(session).toEqual({
      accessRole: 'OrganizationAccountAccessRole',
      credentials: {
        accessKeyId: assumedCredentials.AccessKeyId,
        secretAccessKey: SECRET_ACCESS_KEY,
        sessionToken: assumedCredentials.SessionToken,
        expiration: assumedCredentials.Expiration,
      },
    });
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: orgRoleArn, RoleSessionName: 'oidc-account-onboarding', DurationSeconds: 900 },
    ]);
  });

  it('falls back to AWSControlTowerExecution when OrganizationAccountAccessRole is denied', async () => {
    // Prepare
    sts.on(AssumeRoleCommand, { RoleArn: orgRoleArn }).rejects(stsAccessDenied(orgRoleArn));
    sts.on(AssumeRoleCommand, { RoleArn: ctRoleArn }).resolves({ Credentials: assumedCredentials });

    // Act
    const session = await assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES);

    // Assess
    expect(session.accessRole).toBe('AWSControlTowerExecution');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('skips a role whose STS region is disabled', async () => {
    // Prepare
    sts
      .on(AssumeRoleCommand, { RoleArn: orgRoleArn })
      .rejects(new RegionDisabledException({ message: 'STS is not activated', $metadata: { httpStatusCode: 403 } }));
    sts.on(AssumeRoleCommand, { RoleArn: ctRoleArn }).resolves({ Credentials: assumedCredentials });

    // Act / Assess
    await expect(assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES)).resolves.toMatchObject({
      accessRole: 'AWSControlTowerExecution',
    });
  });

  it('reports AccountNotReady naming the account and every role tried when all are denied', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => Promise.reject(stsAccessDenied(input.RoleArn)));

    // Act
    const attempt = assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'AccountNotReady' });
    await expect(attempt).rejects.toThrow(
      /account 012345678901.*OrganizationAccountAccessRole \(AccessDenied\), AWSControlTowerExecution \(AccessDenied\).*few minutes.*administrator/,
    );
  });

  it('turns throttling into AwsThrottled without trying the next role', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act / Assess
    await expect(assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES)).rejects.toMatchObject({
      name: 'AwsThrottled',
    });
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('lets other errors through unchanged', async () => {
    // Prepare
    const expired = new STSServiceException({
      name: 'ExpiredTokenException',
      $fault: 'client',
      message: 'The security token included in the request is expired',
      $metadata: { httpStatusCode: 400 },
    });
    sts.on(AssumeRoleCommand).rejects(expired);

    // Act / Assess
    await expect(assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES)).rejects.toBe(expired);
  });

  it('builds role ARNs in the given partition', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves({ Credentials: assumedCredentials });

    // Act
    await assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ['OrganizationAccountAccessRole'], {
      partition: 'aws-us-gov',
      sessionName: 'reconcile',
    });

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: `arn:aws-us-gov:iam::${MEMBER_ACCOUNT}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'reconcile',
    });
  });
});
