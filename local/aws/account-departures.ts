/**
 * How accounts leave: CloseAccount (PENDING_CLOSURE, then SUSPENDED and CloseAccountResult), removal by the
 * management account, a member leaving on its own, and AWS Support reopening a closed account.
 */
import type { Caller } from './credentials';
import type { OrganizationEvents } from './organization-events';
import type { OrganizationTree } from './organization-tree';
import { AwsError } from './protocols';

export class AccountDepartures {
  private readonly closeTimers = new Set<NodeJS.Timeout>();

  /** `closeAfterMs`: from CloseAccount (PENDING_CLOSURE) to SUSPENDED and the CloseAccountResult event. */
  constructor(
    private readonly organization: OrganizationTree,
    private readonly events: OrganizationEvents,
    private readonly closeAfterMs = 100,
  ) {}

  /**
   * CloseAccount as Organizations does it: the account is PENDING_CLOSURE at once and the API call is logged; some
   * time later it is SUSPENDED and the CloseAccountResult service event follows.
   */
  closeAccount(accountId: string, caller: Caller): void {
    const account = this.organization.getAccount(accountId);
    if (accountId === this.organization.managementAccountId) {
      throw new AwsError('ConstraintViolationException', 409, "You can't close the management account with this API.", {
        Reason: 'CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED',
      });
    }
    if (account.status !== 'ACTIVE') {
      throw new AwsError(
        'AccountAlreadyClosedException',
        409,
        'You attempted to close an account that is already closed.',
      );
    }
    account.status = 'PENDING_CLOSURE';
    const requested = new Date();
    this.events.apiCall('CloseAccount', { accountId }, caller, requested);
    const timer = setTimeout(() => {
      this.closeTimers.delete(timer);
      if (this.organization.accounts.get(accountId)?.status !== 'PENDING_CLOSURE') return;
      account.status = 'SUSPENDED';
      this.events.closeAccountResult(accountId, requested);
    }, this.closeAfterMs);
    timer.unref();
    this.closeTimers.add(timer);
  }

  /** RemoveAccountFromOrganization: the account is no member any more (DescribeAccount: AccountNotFoundException). */
  removeAccount(accountId: string, caller: Caller): void {
    this.organization.getAccount(accountId);
    if (accountId === this.organization.managementAccountId) {
      throw new AwsError(
        'ConstraintViolationException',
        409,
        "You can't remove the management account from the organization.",
        { Reason: 'MASTER_ACCOUNT_CANNOT_LEAVE_ORGANIZATION' },
      );
    }
    this.organization.detachAccount(accountId);
    this.events.apiCall('RemoveAccountFromOrganization', { accountId }, caller, new Date());
    this.events.accountDeparted(accountId, 'REMOVED');
  }

  /**
   * LeaveOrganization, called by the member: its own trail logs the call, which the management account never sees;
   * the management account gets the AccountDepartedOrganization membership event.
   */
  leaveOrganization(accountId: string): void {
    this.organization.detachAccount(accountId);
    this.events.accountDeparted(accountId, 'LEFT');
  }

  /** AWS Support reopens a closed account within its 90 days: ACTIVE again, and no event is emitted. */
  reopenAccount(accountId: string): void {
    const account = this.organization.getAccount(accountId);
    if (account.status === 'ACTIVE') throw new Error(`Account ${accountId} is not closed`);
    account.status = 'ACTIVE';
  }

  stopTimers(): void {
    for (const timer of this.closeTimers) clearTimeout(timer);
  }
}
