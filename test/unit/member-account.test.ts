import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, RegionDisabledException, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { assumeMemberAccount, memberIamClients } from '../../functions/lib/member-account';
import {
  assumedCredentials,
  MEMBER_ACCOUNT,
  SECRET_ACCESS_KEY,
  stsAccessDenied,
} from '../support/ensure-cicd-role-fixtures';

const sts = mockClient(STSClient);
const ROLES = ['OrganizationAccountAccessRole', 'AWSControlTowerExecution'];
const POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iam:GetRole', Resource: `arn:aws:iam::${MEMBER_ACCOUNT}:role/cicd` }],
};
const SESSION = { sessionName: 'onboarding-run-1', policy: POLICY };
const orgRoleArn = `arn:aws:iam::${MEMBER_ACCOUNT}:role/OrganizationAccountAccessRole`;
const ctRoleArn = `arn:aws:iam::${MEMBER_ACCOUNT}:role/AWSControlTowerExecution`;

beforeEach(() => sts.reset());

describe('assumeMemberAccount', () => {
  it('assumes the first access role for 15 minutes, under the given session name and narrowed by the session policy', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves({ Credentials: assumedCredentials });

    // Act
    const session = await assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES, SESSION);

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
      {
        RoleArn: orgRoleArn,
        RoleSessionName: 'onboarding-run-1',
        DurationSeconds: 900,
        Policy: JSON.stringify(POLICY),
      },
    ]);
  });

  it('falls back to AWSControlTowerExecution when OrganizationAccountAccessRole is denied', async () => {
    // Prepare
    sts.on(AssumeRoleCommand, { RoleArn: orgRoleArn }).rejects(stsAccessDenied(orgRoleArn));
    sts.on(AssumeRoleCommand, { RoleArn: ctRoleArn }).resolves({ Credentials: assumedCredentials });

    // Act
    const session = await assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES, SESSION);

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
    await expect(assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES, SESSION)).resolves.toMatchObject({
      accessRole: 'AWSControlTowerExecution',
    });
  });

  it('reports AccountNotReady naming the account and every role tried when all are denied', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => Promise.reject(stsAccessDenied(input.RoleArn)));

    // Act
    const attempt = assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES, SESSION);

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
    await expect(assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES, SESSION)).rejects.toMatchObject({
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
    await expect(assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ROLES, SESSION)).rejects.toBe(expired);
  });

  it('builds role ARNs in the given partition', async () => {
    // Prepare
    sts.on(AssumeRoleCommand).resolves({ Credentials: assumedCredentials });

    // Act
    await assumeMemberAccount(new STSClient({}), MEMBER_ACCOUNT, ['OrganizationAccountAccessRole'], {
      partition: 'aws-us-gov',
      sessionName: 'reconcile',
      policy: POLICY,
    });

    // Assess
    expect(sts.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: `arn:aws-us-gov:iam::${MEMBER_ACCOUNT}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'reconcile',
    });
  });
});

describe('memberIamClients', () => {
  /** A minimal IAM endpoint: answers every GetRole, counting the TCP connections it accepts and the keys it saw. */
  async function fakeIam() {
    let connections = 0;
    const accessKeys: string[] = [];
    const server = createServer((req, res) => {
      accessKeys.push(/Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '');
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>' +
            '<RoleName>cicd</RoleName><Path>/</Path><Arn>arn:aws:iam::111111111111:role/cicd</Arn>' +
            '<RoleId>AROAEXAMPLE</RoleId><CreateDate>2026-01-01T00:00:00Z</CreateDate>' +
            '</Role></GetRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetRoleResponse>',
        );
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      endpoint: `http://127.0.0.1:${port}`,
      connections: () => connections,
      accessKeys,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  const credentialsOf = (i: number) => ({
    accessKeyId: `ASIAMEMBER${i}`,
    secretAccessKey: 'secret',
    sessionToken: `token-${i}`,
  });

  it('signs with each account’s credentials over one reused connection', async () => {
    // Prepare
    const iam = await fakeIam();
    const clientFor = memberIamClients({ region: 'us-east-1', endpoint: iam.endpoint });
    try {
      // Act: eight accounts checked one after another, as a reconcile worker does
      for (let i = 0; i < 8; i++) {
        const role = await clientFor(credentialsOf(i)).send(new GetRoleCommand({ RoleName: 'cicd' }));
        expect(role.Role?.RoleName).toBe('cicd');
      }

      // Assess
      expect(iam.accessKeys).toEqual(Array.from({ length: 8 }, (_, i) => `ASIAMEMBER${i}`));
      expect(iam.connections()).toBe(1);
    } finally {
      clientFor(credentialsOf(0)).destroy();
      await iam.close();
    }
  });
});
