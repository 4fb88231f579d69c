/**
 * Invitations of standalone accounts: InviteAccountToOrganization opens an INVITE handshake; AcceptHandshake by the
 * invited account makes it a member (joinedMethod INVITED), logged in its own trail, with the
 * AccountJoinedOrganization membership event in the management account.
 */
import { adminCaller, type Caller } from './credentials';
import type { OrganizationEvents } from './organization-events';
import { type Account, defaultEmail, type OrganizationTree } from './organization-tree';
import { AwsError } from './protocols';
import { LOWER_ALPHABET, randomId } from './state-common';

export interface Handshake {
  id: string;
  accountId: string;
  name: string;
  email: string;
  state: string;
}

export class Invitations {
  /** Invitations by handshake id: the standalone account invited, OPEN until it accepts. */
  readonly handshakes = new Map<string, Handshake>();

  constructor(
    private readonly organization: OrganizationTree,
    private readonly events: OrganizationEvents,
  ) {}

  /**
   * InviteAccountToOrganization of a standalone account (by account id): an OPEN INVITE handshake; the call is
   * logged in the management account. The account is no member (DescribeAccount: AccountNotFoundException) until
   * it accepts.
   */
  inviteAccount(
    input: { name: string; id?: string; email?: string },
    caller: Caller = this.organization.managementCaller(),
  ): Handshake {
    const accountId = input.id ?? this.organization.allocateAccountId();
    this.organization.reserveAccountIds([accountId]);
    const email = input.email ?? defaultEmail(input.name, accountId);
    const handshake = { id: `h-${randomId(16, LOWER_ALPHABET)}`, accountId, name: input.name, email, state: 'OPEN' };
    this.handshakes.set(handshake.id, handshake);
    const target = { id: accountId, type: 'ACCOUNT' };
    this.events.apiCall('InviteAccountToOrganization', { target }, caller, new Date(), {
      handshake: this.handshakeShape(handshake),
    });
    return handshake;
  }

  /**
   * AcceptHandshake by the invited account: it joins (joinedMethod INVITED) with no member access role, as
   * Organizations creates OrganizationAccountAccessRole only in the accounts it creates. The call is logged in the
   * member account (its own trail and default bus); the management account gets the AccountJoinedOrganization
   * membership event.
   */
  acceptHandshake(handshakeId: string): Account {
    const handshake = this.handshakes.get(handshakeId);
    if (handshake?.state !== 'OPEN') {
      throw new AwsError(
        'HandshakeNotFoundException',
        404,
        "We can't find a handshake with the HandshakeId that you specified.",
      );
    }
    handshake.state = 'ACCEPTED';
    this.organization.releaseAccountId(handshake.accountId);
    const account = this.organization.addAccount({
      id: handshake.accountId,
      name: handshake.name,
      email: handshake.email,
      joinedMethod: 'INVITED',
    });
    const member = adminCaller(account.id, 'AROAMEMBERADMIN');
    const shape = { handshake: this.handshakeShape(handshake) };
    this.events.apiCall('AcceptHandshake', { handshakeId }, member, new Date(), shape, account.id);
    this.events.accountJoined(account.id);
    return account;
  }

  private handshakeShape(h: Handshake) {
    const { managementAccountId, organizationId } = this.organization;
    return {
      id: h.id,
      arn: `arn:aws:organizations::${managementAccountId}:handshake/${organizationId}/invite/${h.id}`,
      action: 'INVITE',
      state: h.state,
      parties: [
        { id: organizationId, type: 'ORGANIZATION' },
        { id: h.accountId, type: 'ACCOUNT' },
      ],
    };
  }
}
