import { DescribeAccountCommand, MoveAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { INVITED_EVENT_PATTERNS, MOVED_EVENT_PATTERNS } from '../../functions/lib/lifecycle-events';
import { type AwsStandIn, startAwsStandIn } from '../../local/aws/server';
import { matchesEventPattern } from '../../local/event-pattern';

// The AWS stand-in emits the invitation and move events as Organizations does (see functions/lib/lifecycle-events.ts).

let aws: AwsStandIn;
beforeAll(async () => {
  aws = await startAwsStandIn();
});
afterAll(async () => {
  await aws.stop();
});

const detail = (e: { detail: unknown }) => e.detail as Record<string, unknown>;

describe('AWS stand-in: invitations and moves', () => {
  it('invites, then on acceptance logs the member call in the member account and the membership event in the management account', async () => {
    // Prepare
    const before = aws.events.length;
    const organizations = new OrganizationsClient(aws.clientConfig());

    // Act
    const handshake = aws.state.inviteAccount({ name: 'guest' });
    const notYet = await organizations
      .send(new DescribeAccountCommand({ AccountId: handshake.accountId }))
      .catch((e: Error) => e.name);
    const account = aws.state.acceptHandshake(handshake.id);
    const events = aws.events.slice(before);

    // Assess: the order Organizations logs them in, and whose bus gets each
    expect(notYet).toBe('AccountNotFoundException');
    expect(events.map((e) => [detail(e).eventName, e.account])).toEqual([
      ['InviteAccountToOrganization', aws.state.managementAccountId],
      ['AcceptHandshake', account.id],
      ['AccountJoinedOrganization', aws.state.managementAccountId],
    ]);
    expect(detail(events[1] as never)).toMatchObject({
      recipientAccountId: account.id,
      userIdentity: { accountId: account.id },
      responseElements: { handshake: { id: handshake.id, action: 'INVITE', state: 'ACCEPTED' } },
    });
    expect(detail(events[2] as never).serviceEventDetails).toMatchObject({
      accountId: account.id,
      joinedMethod: 'INVITED',
    });
    expect(matchesEventPattern(events[2], INVITED_EVENT_PATTERNS.AccountJoined as never)).toBe(true);
    expect(
      (await organizations.send(new DescribeAccountCommand({ AccountId: account.id }))).Account?.JoinedMethod,
    ).toBe('INVITED');
    expect(() => aws.state.acceptHandshake(handshake.id)).toThrow("can't find a handshake");
  });

  it('gives an invited account no access role until one is created', async () => {
    // Prepare
    const account = aws.state.acceptHandshake(aws.state.inviteAccount({ name: 'guest-2' }).id);
    const sts = new STSClient(aws.clientConfig());
    const roleArn = `arn:aws:iam::${account.id}:role/OrganizationAccountAccessRole`;
    const assume = () => sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'test' }));

    // Act / Assess
    await expect(assume()).rejects.toMatchObject({ name: 'AccessDenied' });
    aws.state.createAccessRole(account.id);
    await expect(assume()).resolves.toMatchObject({ Credentials: expect.anything() });
  });

  it('logs MoveAccount in the management account with both parents', async () => {
    // Prepare
    const organizations = new OrganizationsClient(aws.clientConfig());
    const id = aws.state.createAccount({ name: 'mover' }).id;
    const unit = aws.state.createOrganizationalUnit('Sandbox');
    const before = aws.events.length;

    // Act
    await organizations.send(
      new MoveAccountCommand({ AccountId: id, SourceParentId: aws.state.rootId, DestinationParentId: unit.id }),
    );

    // Assess
    const [moved] = aws.events.slice(before);
    expect(detail(moved as never)).toMatchObject({
      eventName: 'MoveAccount',
      requestParameters: { accountId: id, sourceParentId: aws.state.rootId, destinationParentId: unit.id },
    });
    expect(matchesEventPattern(moved, MOVED_EVENT_PATTERNS.MoveAccount as never)).toBe(true);
  });
});
