/**
 * In-memory state of the AWS stand-in, one store per service and concern: the organization (tree, account
 * creation, departures, invitations and their CloudTrail events on the event bus), IAM, the issued credentials,
 * Secrets Manager, SNS, and the call log. Services use the stores; the members below them are the arrangement API
 * the runner, the benchmarks and the tests use to set up and tamper with that state.
 * (S3, Step Functions, CloudTrail trails, SCPs and the IAM evaluation settings keep theirs in their own modules.)
 */
import { AccountCreation } from './account-creation';
import { AccountDepartures } from './account-departures';
import { CredentialStore } from './credentials';
import { EventBus } from './event-bus';
import { IamStore } from './iam-store';
import { Invitations } from './invitations';
import { OrganizationEvents } from './organization-events';
import { type Account, type NewAccountInput, OrganizationTree } from './organization-tree';
import { SecretStore } from './secrets-store';
import { TopicStore } from './topics';

export interface CallRecord {
  service: string;
  action: string;
  /** The caller's account, or undefined when the request could not be authenticated. */
  accountId: string | undefined;
  status: number;
  callerArn?: string;
}

export interface StateOptions {
  region: string;
  accessRoleName: string;
  /** Milliseconds until a CreateAccount request completes (also completed by `inProgressPolls`). */
  completeAfterMs?: number;
  /** DescribeCreateAccountStatus answers IN_PROGRESS this many times, then the request completes. */
  inProgressPolls?: number;
  /** Milliseconds from CloseAccount (PENDING_CLOSURE) to SUSPENDED and the CloseAccountResult event (default 100). */
  closeAfterMs?: number;
}

/** Knobs applied to what is created through the API after they are set (see `setFaults`). */
export interface ConsistencyKnobs {
  /** AssumeRole into an account created by CreateAccount is AccessDenied for the first n attempts. */
  newAccountAssumableAfter: number;
  /** GetRole on a role created by CreateRole answers NoSuchEntity for the next n reads. */
  roleInvisibleReads: number;
  /** GetRole on a role created by CreateRole answers NoSuchEntity for this many milliseconds. */
  roleVisibleAfterMs: number;
}

export class AwsState {
  readonly knobs: ConsistencyKnobs = { newAccountAssumableAfter: 0, roleInvisibleReads: 0, roleVisibleAfterMs: 0 };
  /** Every request, in order. */
  readonly calls: CallRecord[] = [];
  readonly bus = new EventBus();
  readonly organizationEvents: OrganizationEvents;
  readonly organization: OrganizationTree;
  readonly iam = new IamStore((accountId) => this.organization.accounts.has(accountId));
  readonly credentials = new CredentialStore(this.iam);
  readonly accountCreation: AccountCreation;
  readonly departures: AccountDepartures;
  readonly invitations: Invitations;
  readonly secrets: SecretStore;
  readonly topics: TopicStore;

  constructor(
    readonly options: StateOptions,
    management: { id: string; name: string; email: string },
  ) {
    this.organizationEvents = new OrganizationEvents(this.bus, management.id);
    this.organization = new OrganizationTree(management.id, this.organizationEvents);
    this.organization.addAccount({ ...management, joinedMethod: 'INVITED' });
    this.accountCreation = new AccountCreation(this.organization, this.organizationEvents, this.createAccount, {
      ...options,
      assumableAfter: () => this.knobs.newAccountAssumableAfter,
    });
    this.departures = new AccountDepartures(this.organization, this.organizationEvents, options.closeAfterMs);
    this.invitations = new Invitations(this.organization, this.organizationEvents);
    this.secrets = new SecretStore(options.region);
    this.topics = new TopicStore(options.region);
  }

  stopTimers(): void {
    this.accountCreation.stopTimers();
    this.departures.stopTimers();
  }

  // ---------------------------------------------------------------- arrangement: the organization

  get organizationId(): string {
    return this.organization.organizationId;
  }

  get rootId(): string {
    return this.organization.rootId;
  }

  get managementAccountId(): string {
    return this.organization.managementAccountId;
  }

  get accounts(): ReadonlyMap<string, Account> {
    return this.organization.accounts;
  }

  /** Creates an account at once (no request, no event) with its member access role: for seeding and tests. */
  readonly createAccount = (input: NewAccountInput): Account => {
    const account = this.organization.addAccount(input);
    const accessRoleName = input.accessRoleName ?? this.options.accessRoleName;
    if (accessRoleName) this.createAccessRole(account.id, accessRoleName);
    return account;
  };

  /** What an administrator of an invited account does: the member access role, trusting the management account. */
  createAccessRole(accountId: string, roleName = this.options.accessRoleName) {
    return this.iam.createAccessRole(accountId, roleName, this.managementAccountId);
  }

  /** The first n AssumeRole attempts into the account answer AccessDenied. */
  accountAssumableAfter(accountId: string, attempts: number): void {
    this.organization.getAccount(accountId).assumeDenialsLeft = attempts;
  }

  readonly getAccount: OrganizationTree['getAccount'] = (...a) => this.organization.getAccount(...a);
  readonly createOrganizationalUnit: OrganizationTree['createOrganizationalUnit'] = (...a) =>
    this.organization.createOrganizationalUnit(...a);
  readonly findOrganizationalUnit: OrganizationTree['findOrganizationalUnit'] = (...a) =>
    this.organization.findOrganizationalUnit(...a);
  readonly reserveAccountIds: OrganizationTree['reserveAccountIds'] = (...a) =>
    this.organization.reserveAccountIds(...a);
  readonly startCreateAccount: AccountCreation['startCreateAccount'] = (...a) =>
    this.accountCreation.startCreateAccount(...a);
  readonly completePendingAccountCreations: AccountCreation['completePendingAccountCreations'] = () =>
    this.accountCreation.completePendingAccountCreations();
  readonly emitCreateAccountCall: OrganizationEvents['createAccountCall'] = (...a) =>
    this.organizationEvents.createAccountCall(...a);
  readonly leaveOrganization: AccountDepartures['leaveOrganization'] = (...a) =>
    this.departures.leaveOrganization(...a);
  readonly reopenAccount: AccountDepartures['reopenAccount'] = (...a) => this.departures.reopenAccount(...a);
  readonly inviteAccount: Invitations['inviteAccount'] = (...a) => this.invitations.inviteAccount(...a);
  readonly acceptHandshake: Invitations['acceptHandshake'] = (...a) => this.invitations.acceptHandshake(...a);

  // ---------------------------------------------------------------- arrangement: IAM, sessions, secrets, events

  readonly findRole: IamStore['findRole'] = (...a) => this.iam.findRole(...a);
  readonly readRole: IamStore['readRole'] = (...a) => this.iam.readRole(...a);
  readonly createRole: IamStore['createRole'] = (...a) => this.iam.createRole(...a);
  readonly recreateRole: IamStore['recreateRole'] = (...a) => this.iam.recreateRole(...a);
  readonly deleteRole: IamStore['deleteRole'] = (...a) => this.iam.deleteRole(...a);
  readonly updateAssumeRolePolicy: IamStore['updateAssumeRolePolicy'] = (...a) => this.iam.updateAssumeRolePolicy(...a);
  readonly setTrustPolicyUnchecked: IamStore['setTrustPolicyUnchecked'] = (...a) =>
    this.iam.setTrustPolicyUnchecked(...a);
  readonly putRolePolicy: IamStore['putRolePolicy'] = (...a) => this.iam.putRolePolicy(...a);
  readonly deleteRolePolicy: IamStore['deleteRolePolicy'] = (...a) => this.iam.deleteRolePolicy(...a);
  readonly attachRolePolicy: IamStore['attachRolePolicy'] = (...a) => this.iam.attachRolePolicy(...a);
  readonly detachRolePolicy: IamStore['detachRolePolicy'] = (...a) => this.iam.detachRolePolicy(...a);
  readonly untagRole: IamStore['untagRole'] = (...a) => this.iam.untagRole(...a);
  readonly putRolePermissionsBoundary: IamStore['putRolePermissionsBoundary'] = (...a) =>
    this.iam.putRolePermissionsBoundary(...a);
  readonly deleteRolePermissionsBoundary: IamStore['deleteRolePermissionsBoundary'] = (...a) =>
    this.iam.deleteRolePermissionsBoundary(...a);
  readonly createPolicy: IamStore['createPolicy'] = (...a) => this.iam.createPolicy(...a);
  readonly issueRoleSession: CredentialStore['issueRoleSession'] = (...a) => this.credentials.issueRoleSession(...a);
  readonly sessionFor: CredentialStore['sessionFor'] = (...a) => this.credentials.sessionFor(...a);
  readonly findSecret: SecretStore['findSecret'] = (...a) => this.secrets.findSecret(...a);

  get published() {
    return this.topics.published;
  }

  get events() {
    return this.bus.events;
  }
}
