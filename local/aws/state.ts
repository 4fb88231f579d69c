/**
 * In-memory state of the AWS stand-in: one organization, its accounts (each with its own IAM, secrets and topics),
 * issued credentials, emitted events, the call log, and helpers tests use to arrange and tamper with that state.
 * Every lookup is a Map access so thousands of accounts and tens of thousands of calls stay cheap.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { asList, type PolicyDocument, parsePolicyDocument, statementsOf, validateTrustPolicy } from './policy';
import { AwsError } from './protocols';

export interface Tag {
  Key: string;
  Value: string;
}

/** Who is calling, resolved from the access key of the request. */
export interface Caller {
  accountId: string;
  kind: 'user' | 'assumed-role';
  /** `arn:aws:iam::…:user/…` or `arn:aws:sts::…:assumed-role/<role>/<session>`. */
  arn: string;
  /** `AIDA…` or `AROA…:<session>`. */
  userId: string;
  /** The user ARN or the role ARN behind a session. */
  principalArn: string;
  /** `AIDA…` or `AROA…`. */
  principalId: string;
  roleName?: string;
  sessionName?: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface CredentialRecord extends Credentials {
  caller: Caller;
  /** Session policies passed to AssumeRole (`Policy`, `PolicyArns`): the session can do no more than they allow. */
  sessionPolicies?: PolicyDocument[];
}

export interface Account {
  id: string;
  name: string;
  email: string;
  status: 'ACTIVE' | 'PENDING_CLOSURE' | 'SUSPENDED';
  joinedMethod: 'CREATED' | 'INVITED';
  joinedTimestamp: Date;
  parentId: string;
  tags: Tag[];
  /** AssumeRole attempts into this account still answered AccessDenied (a fresh account is not ready at once). */
  assumeDenialsLeft: number;
}

export interface OrganizationalUnit {
  id: string;
  name: string;
  arn: string;
  parentId: string;
  tags: Tag[];
}

export interface CreateAccountRequest {
  id: string;
  accountName: string;
  email: string;
  state: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  requestedTimestamp: Date;
  completedTimestamp?: Date;
  accountId?: string;
  failureReason?: string;
  roleName: string;
  tags: Tag[];
  parentId: string;
  pollsLeft?: number;
  timer?: NodeJS.Timeout;
}

export interface Role {
  name: string;
  path: string;
  arn: string;
  roleId: string;
  accountId: string;
  createDate: Date;
  /** The trust policy text as submitted; see `AwsState.trustPolicyText` for what IAM shows. */
  trustPolicy: string;
  /** Role principals of the trust policy and the unique id they had when the policy was written. */
  principalRefs: Map<string, string>;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundaryArn?: string;
  tags: Tag[];
  /** Attached managed policies, ARN → name. */
  attached: Map<string, string>;
  /** Inline policies (PutRolePolicy), name → document text. */
  inline: Map<string, string>;
  /** GetRole answers NoSuchEntity this many more times (IAM eventual consistency). */
  invisibleReads: number;
  /** GetRole answers NoSuchEntity until this time (epoch ms). */
  visibleAt: number;
}

export interface ManagedPolicy {
  arn: string;
  name: string;
  path: string;
  policyId: string;
  document: string;
  createDate: Date;
  description?: string;
}

export interface User {
  name: string;
  arn: string;
  userId: string;
}

export interface Secret {
  arn: string;
  name: string;
  accountId: string;
  description?: string;
  createdDate: Date;
  versions: Array<{ id: string; secretString?: string; secretBinary?: string; stages: string[]; createdDate: Date }>;
}

export interface PublishedMessage {
  topicArn: string;
  accountId: string;
  messageId: string;
  message: string;
  subject?: string;
  attributes: Record<string, string>;
}

export interface CallRecord {
  service: string;
  action: string;
  /** The caller's account, or undefined when the request could not be authenticated. */
  accountId: string | undefined;
  status: number;
  callerArn?: string;
}

/** An EventBridge event as AWS delivers it to a rule target. */
export interface AwsEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type EventListener = (event: AwsEvent) => void | Promise<void>;

interface IamAccount {
  roles: Map<string, Role>;
  policies: Map<string, ManagedPolicy>;
  users: Map<string, User>;
}

export interface CreateRoleInput {
  roleName: string;
  /** JSON text or an object (serialised as JSON). */
  assumeRolePolicyDocument: string | PolicyDocument;
  path?: string;
  description?: string;
  maxSessionDuration?: number;
  permissionsBoundary?: string;
  tags?: Tag[];
}

export interface NewAccountInput {
  name: string;
  email?: string;
  /** Root when omitted. */
  parentId?: string;
  tags?: Tag[];
  id?: string;
  /** Member access role created in the account; defaults to the stand-in's `accessRoleName`. */
  accessRoleName?: string;
  joinedMethod?: 'CREATED' | 'INVITED';
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

export const AWS_MANAGED_POLICIES = [
  'AdministratorAccess',
  'ReadOnlyAccess',
  'PowerUserAccess',
  'SecurityAudit',
  'IAMFullAccess',
  'IAMReadOnlyAccess',
  'AmazonS3FullAccess',
  'AmazonS3ReadOnlyAccess',
  'AmazonDynamoDBFullAccess',
  'AWSCloudFormationFullAccess',
  'job-function/ViewOnlyAccess',
  'job-function/Billing',
].map((name) => `arn:aws:iam::aws:policy/${name}`);
const AWS_MANAGED = new Set(AWS_MANAGED_POLICIES);

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LOWER_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number, alphabet = ID_ALPHABET): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CloudTrail's service-event timestamp format: `May 15, 2023 8:26:54 AM` (UTC). */
export function cloudTrailTimestamp(date: Date): string {
  const hours = date.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()} ` +
    `${hours % 12 === 0 ? 12 : hours % 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ` +
    `${hours < 12 ? 'AM' : 'PM'}`
  );
}

const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export const noSuchRole = (name: string) =>
  new AwsError('NoSuchEntity', 404, `The role with name ${name} cannot be found.`);

const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:(.*)\/)?([\w+=,.@-]{1,64})$/;

export function parseRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const match = ROLE_ARN.exec(arn);
  return match ? { accountId: match[1] as string, roleName: match[3] as string } : undefined;
}

export class AwsState {
  readonly organizationId = `o-${randomId(10, LOWER_ALPHABET)}`;
  readonly rootId = `r-${randomId(4, LOWER_ALPHABET)}`;
  readonly managementAccountId: string;
  readonly accounts = new Map<string, Account>();
  readonly rootTags: { tags: Tag[] } = { tags: [] };
  readonly organizationalUnits = new Map<string, OrganizationalUnit>();
  readonly createAccountRequests = new Map<string, CreateAccountRequest>();
  readonly credentials = new Map<string, CredentialRecord>();
  readonly secrets = new Map<string, Secret>();
  readonly topics = new Map<string, { arn: string; accountId: string; name: string }>();
  readonly published: PublishedMessage[] = [];
  readonly events: AwsEvent[] = [];
  readonly calls: CallRecord[] = [];
  readonly knobs: ConsistencyKnobs = { newAccountAssumableAfter: 0, roleInvisibleReads: 0, roleVisibleAfterMs: 0 };

  private readonly iamAccounts = new Map<string, IamAccount>();
  private readonly accountsByEmail = new Map<string, string>();
  /** Children of the root and of each OU, in insertion order. */
  private readonly childAccounts = new Map<string, Set<string>>();
  private readonly childUnits = new Map<string, Set<string>>();
  private readonly listeners = new Set<EventListener>();
  private nextAccountNumber = 200000000000;
  /** Ids new accounts must not get (see reserveAccountIds). */
  private readonly reservedAccountIds = new Set<string>();
  /** False until CreateOrganization when the stand-in starts as an account outside any organization. */
  organizationInUse = true;

  constructor(
    readonly options: StateOptions,
    management: { id: string; name: string; email: string },
  ) {
    this.managementAccountId = management.id;
    this.childAccounts.set(this.rootId, new Set());
    this.childUnits.set(this.rootId, new Set());
    this.createAccount({ ...management, joinedMethod: 'INVITED', accessRoleName: '' });
  }

  // ---------------------------------------------------------------- organization

  get organizationArn(): string {
    return `arn:aws:organizations::${this.managementAccountId}:organization/${this.organizationId}`;
  }

  get rootArn(): string {
    return `arn:aws:organizations::${this.managementAccountId}:root/${this.organizationId}/${this.rootId}`;
  }

  accountArn(accountId: string): string {
    return `arn:aws:organizations::${this.managementAccountId}:account/${this.organizationId}/${accountId}`;
  }

  createOrganizationalUnit(name: string, parentId = this.rootId, tags: Tag[] = []): OrganizationalUnit {
    if (!this.isParent(parentId)) throw new AwsError('ParentNotFoundException', 404, 'Parent not found.');
    const id = `ou-${this.rootId.slice(2)}-${randomId(8, LOWER_ALPHABET)}`;
    const unit: OrganizationalUnit = {
      id,
      name,
      parentId,
      tags: [...tags],
      arn: `arn:aws:organizations::${this.managementAccountId}:ou/${this.organizationId}/${id}`,
    };
    this.organizationalUnits.set(id, unit);
    this.childUnits.get(parentId)?.add(id);
    this.childAccounts.set(id, new Set());
    this.childUnits.set(id, new Set());
    return unit;
  }

  /** The OU with this name (first found), for tests that arrange accounts by OU name. */
  findOrganizationalUnit(name: string): OrganizationalUnit | undefined {
    for (const unit of this.organizationalUnits.values()) if (unit.name === name) return unit;
    return undefined;
  }

  isParent(id: string): boolean {
    return id === this.rootId || this.organizationalUnits.has(id);
  }

  childAccountIds(parentId: string): string[] {
    return [...(this.childAccounts.get(parentId) ?? [])];
  }

  childUnitIds(parentId: string): string[] {
    return [...(this.childUnits.get(parentId) ?? [])];
  }

  /** Creates an account at once (no request, no event): for seeding and tests. */
  createAccount(input: NewAccountInput): Account {
    const parentId = input.parentId ?? this.rootId;
    if (!this.isParent(parentId)) throw new Error(`Unknown parent ${parentId}`);
    const id = input.id ?? this.allocateAccountId();
    if (!/^\d{12}$/.test(id)) throw new Error(`Account id must be 12 digits, got ${id}`);
    if (this.accounts.has(id)) throw new Error(`Account ${id} already exists`);
    const email = input.email ?? `aws+${input.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${id}@example.com`;
    const account: Account = {
      id,
      name: input.name,
      email,
      status: 'ACTIVE',
      joinedMethod: input.joinedMethod ?? 'CREATED',
      joinedTimestamp: new Date(),
      parentId,
      tags: [...(input.tags ?? [])],
      assumeDenialsLeft: 0,
    };
    this.accounts.set(id, account);
    this.accountsByEmail.set(email.toLowerCase(), id);
    this.childAccounts.get(parentId)?.add(id);
    const accessRoleName = input.accessRoleName ?? this.options.accessRoleName;
    if (accessRoleName) this.createAccessRole(id, accessRoleName);
    return account;
  }

  /**
   * Ids that new accounts must not get, e.g. those a Terraform repository already onboards from an earlier run of
   * another stand-in instance: CreateAccount numbers on from 200000000000, skipping them.
   */
  reserveAccountIds(ids: Iterable<string>): void {
    for (const id of ids) this.reservedAccountIds.add(id);
  }

  private allocateAccountId(): string {
    let id: string;
    do {
      id = String(this.nextAccountNumber++).padStart(12, '0');
    } while (this.accounts.has(id) || this.reservedAccountIds.has(id));
    return id;
  }

  getAccount(accountId: string): Account {
    const account = this.accounts.get(accountId);
    if (!account) throw new AwsError('AccountNotFoundException', 404, "You specified an account that doesn't exist.");
    return account;
  }

  emailTaken(email: string): boolean {
    return this.accountsByEmail.has(email.toLowerCase());
  }

  /** MoveAccount: the account changes parent; the call is logged in the management account. */
  moveAccount(
    accountId: string,
    sourceParentId: string,
    destinationParentId: string,
    caller: Caller = this.managementCaller(),
  ): void {
    const account = this.getAccount(accountId);
    if (!this.isParent(sourceParentId)) {
      throw new AwsError('SourceParentNotFoundException', 404, "You specified a source parent that doesn't exist.");
    }
    if (!this.isParent(destinationParentId)) {
      throw new AwsError(
        'DestinationParentNotFoundException',
        404,
        "You specified a destination parent that doesn't exist.",
      );
    }
    if (account.parentId === destinationParentId) {
      throw new AwsError(
        'DuplicateAccountException',
        409,
        'That account is already present in the specified destination.',
      );
    }
    if (account.parentId !== sourceParentId) {
      throw new AwsError('AccountNotFoundException', 404, "You specified an account that doesn't exist.");
    }
    this.childAccounts.get(account.parentId)?.delete(accountId);
    this.childAccounts.get(destinationParentId)?.add(accountId);
    account.parentId = destinationParentId;
    this.emitOrganizationsCall('MoveAccount', { accountId, sourceParentId, destinationParentId }, caller, new Date());
  }

  /** Starts an asynchronous CreateAccount as Organizations does; completes by time or by polls. */
  startCreateAccount(input: {
    accountName: string;
    email: string;
    roleName?: string;
    tags?: Tag[];
    parentId?: string;
  }) {
    const request: CreateAccountRequest = {
      id: `car-${randomId(32, '0123456789abcdef')}`,
      accountName: input.accountName,
      email: input.email,
      state: 'IN_PROGRESS',
      requestedTimestamp: new Date(),
      roleName: input.roleName ?? this.options.accessRoleName,
      tags: input.tags ?? [],
      parentId: input.parentId ?? this.rootId,
    };
    const { completeAfterMs, inProgressPolls } = this.options;
    if (inProgressPolls !== undefined) request.pollsLeft = inProgressPolls;
    const delay = completeAfterMs ?? (inProgressPolls === undefined ? 100 : undefined);
    if (delay !== undefined) {
      request.timer = setTimeout(() => this.completeCreateAccount(request), delay);
      request.timer.unref();
    }
    this.createAccountRequests.set(request.id, request);
    return request;
  }

  /** Counts a DescribeCreateAccountStatus poll; completes the request when its polls are used up. */
  pollCreateAccount(requestId: string): CreateAccountRequest {
    const request = this.createAccountRequests.get(requestId);
    if (!request) {
      throw new AwsError(
        'CreateAccountStatusNotFoundException',
        404,
        "We can't find a create account request with the CreateAccountRequestId that you specified.",
      );
    }
    if (request.state === 'IN_PROGRESS' && request.pollsLeft !== undefined) {
      if (request.pollsLeft <= 0) this.completeCreateAccount(request);
      else request.pollsLeft -= 1;
    }
    return request;
  }

  /** Completes every pending CreateAccount request now. */
  completePendingAccountCreations(): void {
    for (const request of this.createAccountRequests.values()) {
      if (request.state === 'IN_PROGRESS') this.completeCreateAccount(request);
    }
  }

  private completeCreateAccount(request: CreateAccountRequest): void {
    if (request.state !== 'IN_PROGRESS') return;
    clearTimeout(request.timer);
    request.timer = undefined;
    request.completedTimestamp = new Date();
    if (this.emailTaken(request.email)) {
      request.state = 'FAILED';
      request.failureReason = 'EMAIL_ALREADY_EXISTS';
    } else {
      const parentId = this.isParent(request.parentId) ? request.parentId : this.rootId;
      const account = this.createAccount({
        name: request.accountName,
        email: request.email,
        parentId,
        tags: request.tags,
        accessRoleName: request.roleName,
      });
      account.assumeDenialsLeft = this.knobs.newAccountAssumableAfter;
      request.state = 'SUCCEEDED';
      request.accountId = account.id;
    }
    this.emitCreateAccountResult(request);
  }

  // ---------------------------------------------------------------- departures

  private readonly closeTimers = new Set<NodeJS.Timeout>();

  /**
   * CloseAccount as Organizations does it: the account is PENDING_CLOSURE at once and the API call is logged; some
   * time later it is SUSPENDED and the CloseAccountResult service event follows.
   */
  closeAccount(accountId: string, caller: Caller): void {
    const account = this.getAccount(accountId);
    if (accountId === this.managementAccountId) {
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
    this.emitOrganizationsCall('CloseAccount', { accountId }, caller, requested);
    const timer = setTimeout(() => {
      this.closeTimers.delete(timer);
      if (this.accounts.get(accountId)?.status !== 'PENDING_CLOSURE') return;
      account.status = 'SUSPENDED';
      this.emitCloseAccountResult(accountId, requested);
    }, this.options.closeAfterMs ?? 100);
    timer.unref();
    this.closeTimers.add(timer);
  }

  /** RemoveAccountFromOrganization: the account is no member any more (DescribeAccount: AccountNotFoundException). */
  removeAccount(accountId: string, caller: Caller): void {
    const account = this.getAccount(accountId);
    if (accountId === this.managementAccountId) {
      throw new AwsError(
        'ConstraintViolationException',
        409,
        "You can't remove the management account from the organization.",
        { Reason: 'MASTER_ACCOUNT_CANNOT_LEAVE_ORGANIZATION' },
      );
    }
    this.accounts.delete(accountId);
    this.accountsByEmail.delete(account.email.toLowerCase());
    this.childAccounts.get(account.parentId)?.delete(accountId);
    this.departed.set(accountId, account);
    this.emitOrganizationsCall('RemoveAccountFromOrganization', { accountId }, caller, new Date());
    this.emitAccountDeparted(accountId, 'REMOVED');
  }

  /**
   * LeaveOrganization, called by the member: its own trail logs the call, which the management account never sees;
   * the management account gets the AccountDepartedOrganization membership event.
   */
  leaveOrganization(accountId: string): void {
    const account = this.getAccount(accountId);
    this.accounts.delete(accountId);
    this.accountsByEmail.delete(account.email.toLowerCase());
    this.childAccounts.get(account.parentId)?.delete(accountId);
    this.departed.set(accountId, account);
    this.emitAccountDeparted(accountId, 'LEFT');
  }

  /** AWS Support reopens a closed account within its 90 days: ACTIVE again, and no event is emitted. */
  reopenAccount(accountId: string): void {
    const account = this.getAccount(accountId);
    if (account.status === 'ACTIVE') throw new Error(`Account ${accountId} is not closed`);
    account.status = 'ACTIVE';
  }

  // ---------------------------------------------------------------- invitations

  /** Open invitations by handshake id: the standalone account invited, until it accepts. */
  readonly handshakes = new Map<
    string,
    { id: string; accountId: string; name: string; email: string; state: string }
  >();

  /**
   * InviteAccountToOrganization of a standalone account (by account id): an OPEN INVITE handshake; the call is
   * logged in the management account. The account is no member (DescribeAccount: AccountNotFoundException) until
   * it accepts.
   */
  inviteAccount(input: { name: string; id?: string; email?: string }, caller: Caller = this.managementCaller()) {
    const accountId = input.id ?? this.allocateAccountId();
    this.reserveAccountIds([accountId]);
    const email = input.email ?? `aws+${input.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${accountId}@example.com`;
    const handshake = { id: `h-${randomId(16, LOWER_ALPHABET)}`, accountId, name: input.name, email, state: 'OPEN' };
    this.handshakes.set(handshake.id, handshake);
    this.emitOrganizationsCall(
      'InviteAccountToOrganization',
      { target: { id: accountId, type: 'ACCOUNT' } },
      caller,
      new Date(),
      { handshake: this.handshakeShape(handshake) },
    );
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
    this.reservedAccountIds.delete(handshake.accountId);
    const account = this.createAccount({
      id: handshake.accountId,
      name: handshake.name,
      email: handshake.email,
      joinedMethod: 'INVITED',
      accessRoleName: '',
    });
    const member: Caller = {
      accountId: account.id,
      kind: 'assumed-role',
      arn: `arn:aws:sts::${account.id}:assumed-role/Admin/admin`,
      userId: 'AROAMEMBERADMIN:admin',
      principalArn: `arn:aws:iam::${account.id}:role/Admin`,
      principalId: 'AROAMEMBERADMIN',
      roleName: 'Admin',
      sessionName: 'admin',
    };
    this.emitOrganizationsCall(
      'AcceptHandshake',
      { handshakeId },
      member,
      new Date(),
      { handshake: this.handshakeShape(handshake) },
      account.id,
    );
    const joined = new Date();
    this.emit('AWS Service Event via CloudTrail', {
      eventVersion: '1.08',
      userIdentity: { accountId: this.managementAccountId, invokedBy: 'AWS Internal' },
      eventTime: isoSeconds(joined),
      eventSource: 'organizations.amazonaws.com',
      eventName: 'AccountJoinedOrganization',
      awsRegion: 'us-east-1',
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      requestParameters: null,
      responseElements: null,
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: this.managementAccountId,
      serviceEventDetails: { accountId: account.id, joinedMethod: 'INVITED', joinedTime: isoSeconds(joined) },
      eventCategory: 'Management',
    });
    return account;
  }

  /** What an administrator of an invited account does: the member access role, trusting the management account. */
  createAccessRole(accountId: string, roleName = this.options.accessRoleName): Role {
    const role = this.createRole(accountId, {
      roleName,
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${this.managementAccountId}:root` },
            Action: 'sts:AssumeRole',
          },
        ],
      },
    });
    this.attachRolePolicy(accountId, roleName, 'arn:aws:iam::aws:policy/AdministratorAccess');
    return role;
  }

  private handshakeShape(h: { id: string; accountId: string; state: string }) {
    return {
      id: h.id,
      arn: `arn:aws:organizations::${this.managementAccountId}:handshake/${this.organizationId}/invite/${h.id}`,
      action: 'INVITE',
      state: h.state,
      parties: [
        { id: this.organizationId, type: 'ORGANIZATION' },
        { id: h.accountId, type: 'ACCOUNT' },
      ],
    };
  }

  private managementCaller(): Caller {
    const id = this.managementAccountId;
    return {
      accountId: id,
      kind: 'assumed-role',
      arn: `arn:aws:sts::${id}:assumed-role/Admin/admin`,
      userId: 'AROAMANAGEMENTADMIN:admin',
      principalArn: `arn:aws:iam::${id}:role/Admin`,
      principalId: 'AROAMANAGEMENTADMIN',
      roleName: 'Admin',
      sessionName: 'admin',
    };
  }

  /** Accounts removed from, or that left, the organization (their IAM stays as it was). */
  readonly departed = new Map<string, Account>();

  private emitOrganizationsCall(
    eventName: string,
    requestParameters: Record<string, unknown>,
    caller: Caller,
    at: Date,
    responseElements: Record<string, unknown> | null = null,
    /** The account whose trail logs the call (and whose default bus gets it): the caller's. */
    loggedIn = this.managementAccountId,
  ): void {
    this.emit(
      'AWS API Call via CloudTrail',
      {
        eventVersion: '1.08',
        userIdentity: {
          type: caller.kind === 'user' ? 'IAMUser' : 'AssumedRole',
          principalId: caller.userId,
          arn: caller.arn,
          accountId: caller.accountId,
        },
        eventTime: isoSeconds(at),
        eventSource: 'organizations.amazonaws.com',
        eventName,
        awsRegion: 'us-east-1',
        sourceIPAddress: '127.0.0.1',
        userAgent: 'aws-sdk-js',
        requestParameters,
        responseElements,
        requestID: randomUUID(),
        eventID: randomUUID(),
        readOnly: false,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: loggedIn,
        eventCategory: 'Management',
      },
      loggedIn,
    );
  }

  /** Modelled on CreateAccountResult: the account id is in `serviceEventDetails`. */
  private emitCloseAccountResult(accountId: string, requested: Date): void {
    const completed = new Date();
    this.emit('AWS Service Event via CloudTrail', {
      eventVersion: '1.08',
      userIdentity: { accountId: this.managementAccountId, invokedBy: 'AWS Internal' },
      eventTime: isoSeconds(completed),
      eventSource: 'organizations.amazonaws.com',
      eventName: 'CloseAccountResult',
      awsRegion: 'us-east-1',
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      requestParameters: null,
      responseElements: null,
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: this.managementAccountId,
      serviceEventDetails: {
        closeAccountStatus: {
          accountId,
          state: 'SUCCEEDED',
          requestedTimestamp: cloudTrailTimestamp(requested),
          completedTimestamp: cloudTrailTimestamp(completed),
        },
      },
      eventCategory: 'Management',
    });
  }

  /** The membership event Organizations logs in the management account when an account leaves or is removed. */
  private emitAccountDeparted(accountId: string, departureMethod: 'LEFT' | 'REMOVED'): void {
    const now = new Date();
    this.emit('AWS Service Event via CloudTrail', {
      eventVersion: '1.08',
      userIdentity: { accountId: this.managementAccountId, invokedBy: 'AWS Internal' },
      eventTime: isoSeconds(now),
      eventSource: 'organizations.amazonaws.com',
      eventName: 'AccountDepartedOrganization',
      awsRegion: 'us-east-1',
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      requestParameters: null,
      responseElements: null,
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: this.managementAccountId,
      serviceEventDetails: { accountId, departureMethod, departureTime: isoSeconds(now) },
      eventCategory: 'Management',
    });
  }

  stopTimers(): void {
    for (const request of this.createAccountRequests.values()) clearTimeout(request.timer);
    for (const timer of this.closeTimers) clearTimeout(timer);
  }

  // ---------------------------------------------------------------- events

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `account`: whose default event bus gets the event (the management account's, unless a member's call). */
  private emit(detailType: string, detail: Record<string, unknown>, account = this.managementAccountId): void {
    const now = new Date();
    const event: AwsEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: 'aws.organizations',
      account,
      time: isoSeconds(now),
      region: 'us-east-1',
      resources: [],
      detail,
    };
    this.events.push(event);
    // Delivered asynchronously, as EventBridge does, to the listeners subscribed when the event happened.
    const listeners = [...this.listeners];
    setImmediate(() => {
      for (const listener of listeners) {
        Promise.resolve()
          .then(() => listener(event))
          .catch((error: unknown) => console.error('AWS stand-in: event listener failed', error));
      }
    });
  }

  emitCreateAccountCall(request: CreateAccountRequest, caller: Caller): void {
    this.emit('AWS API Call via CloudTrail', {
      eventVersion: '1.08',
      userIdentity: {
        type: caller.kind === 'user' ? 'IAMUser' : 'AssumedRole',
        principalId: caller.userId,
        arn: caller.arn,
        accountId: caller.accountId,
      },
      eventTime: isoSeconds(request.requestedTimestamp),
      eventSource: 'organizations.amazonaws.com',
      eventName: 'CreateAccount',
      awsRegion: 'us-east-1',
      sourceIPAddress: '127.0.0.1',
      userAgent: 'aws-sdk-js',
      requestParameters: {
        email: '****',
        accountName: '****',
        tags: request.tags.map((t) => ({ key: t.Key, value: t.Value })),
      },
      responseElements: {
        createAccountStatus: {
          id: request.id,
          state: 'IN_PROGRESS',
          accountName: '****',
          requestedTimestamp: cloudTrailTimestamp(request.requestedTimestamp),
        },
      },
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: this.managementAccountId,
      eventCategory: 'Management',
    });
  }

  private emitCreateAccountResult(request: CreateAccountRequest): void {
    const completed = request.completedTimestamp ?? new Date();
    this.emit('AWS Service Event via CloudTrail', {
      eventVersion: '1.08',
      userIdentity: { accountId: this.managementAccountId, invokedBy: 'AWS Internal' },
      eventTime: isoSeconds(completed),
      eventSource: 'organizations.amazonaws.com',
      eventName: 'CreateAccountResult',
      awsRegion: 'us-east-1',
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      requestParameters: null,
      responseElements: null,
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsServiceEvent',
      managementEvent: true,
      recipientAccountId: this.managementAccountId,
      serviceEventDetails: {
        createAccountStatus: {
          id: request.id,
          state: request.state,
          // CloudTrail masks the name; consumers read it with DescribeAccount.
          accountName: '****',
          ...(request.accountId ? { accountId: request.accountId } : {}),
          ...(request.failureReason ? { failureReason: request.failureReason } : {}),
          requestedTimestamp: cloudTrailTimestamp(request.requestedTimestamp),
          completedTimestamp: cloudTrailTimestamp(completed),
        },
      },
      eventCategory: 'Management',
    });
  }

  // ---------------------------------------------------------------- credentials

  /** Issues long-term `AKIA…` keys for an IAM user of the account (the user is created when missing). */
  issueCredentials(accountId: string, userName = 'stand-in-admin'): Credentials {
    const iam = this.iam(accountId);
    let user = iam.users.get(userName);
    if (!user) {
      user = { name: userName, arn: `arn:aws:iam::${accountId}:user/${userName}`, userId: `AIDA${randomId(17)}` };
      iam.users.set(userName, user);
    }
    const record: CredentialRecord = {
      accessKeyId: `AKIA${randomId(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      caller: {
        accountId,
        kind: 'user',
        arn: user.arn,
        userId: user.userId,
        principalArn: user.arn,
        principalId: user.userId,
      },
    };
    this.credentials.set(record.accessKeyId, record);
    return { accessKeyId: record.accessKeyId, secretAccessKey: record.secretAccessKey };
  }

  /** Issues `ASIA…` session credentials acting as the role (what STS returns). No trust check: see sts.ts. */
  issueRoleSession(
    role: Role,
    sessionName: string,
    durationSeconds = 3600,
    sessionPolicies?: PolicyDocument[],
  ): Required<Credentials> {
    const record: CredentialRecord = {
      ...(sessionPolicies?.length ? { sessionPolicies } : {}),
      accessKeyId: `ASIA${randomId(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`,
      expiration: new Date(Date.now() + durationSeconds * 1000),
      caller: {
        accountId: role.accountId,
        kind: 'assumed-role',
        arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`,
        userId: `${role.roleId}:${sessionName}`,
        principalArn: role.arn,
        principalId: role.roleId,
        roleName: role.name,
        sessionName,
      },
    };
    this.credentials.set(record.accessKeyId, record);
    return record as Required<CredentialRecord>;
  }

  /** Session credentials for a role by ARN, e.g. the tooling pipeline role as GitHub's OIDC login would give. */
  sessionFor(roleArn: string, sessionName = 'stand-in'): Required<Credentials> {
    const parsed = parseRoleArn(roleArn);
    const role = parsed && this.findRole(parsed.accountId, parsed.roleName);
    if (!role) throw new Error(`No role ${roleArn}`);
    const { accessKeyId, secretAccessKey, sessionToken, expiration } = this.issueRoleSession(role, sessionName);
    return { accessKeyId, secretAccessKey, sessionToken, expiration };
  }

  // ---------------------------------------------------------------- IAM

  private iam(accountId: string): IamAccount {
    let iam = this.iamAccounts.get(accountId);
    if (!iam) {
      iam = { roles: new Map(), policies: new Map(), users: new Map() };
      this.iamAccounts.set(accountId, iam);
    }
    return iam;
  }

  findRole(accountId: string, roleName: string): Role | undefined {
    return this.iamAccounts.get(accountId)?.roles.get(roleName.toLowerCase());
  }

  requireRole(accountId: string, roleName: string): Role {
    const role = this.findRole(accountId, roleName);
    if (!role) throw noSuchRole(roleName);
    return role;
  }

  listRoles(accountId: string): Role[] {
    return [...(this.iamAccounts.get(accountId)?.roles.values() ?? [])];
  }

  /** Whether a `role/…` or `user/…` principal exists; undefined for accounts the stand-in does not know. */
  principalExists = (accountId: string, resource: string): boolean | undefined => {
    if (!this.accounts.has(accountId) && !this.iamAccounts.has(accountId)) return undefined;
    const name = resource.slice(resource.lastIndexOf('/') + 1);
    if (resource.startsWith('role/'))
      return this.findRole(accountId, name)?.arn === `arn:aws:iam::${accountId}:${resource}`;
    return this.iam(accountId).users.has(name);
  };

  private checkedTrustPolicy(input: string | PolicyDocument): { text: string; refs: Map<string, string> } {
    let text = typeof input === 'string' ? input : JSON.stringify(input);
    const document = parsePolicyDocument(text);
    validateTrustPolicy(document, this.principalExists);
    const refs = new Map<string, string>();
    let rewritten = false;
    for (const statement of statementsOf(document)) {
      const principal = statement.Principal as Record<string, unknown> | undefined;
      if (typeof principal !== 'object' || principal === null || principal.AWS === undefined) continue;
      for (const value of asList(principal.AWS)) {
        const parsed = typeof value === 'string' ? parseRoleArn(value) : undefined;
        const role = parsed && this.findRole(parsed.accountId, parsed.roleName);
        if (role && typeof value === 'string') refs.set(value, role.roleId);
      }
      // IAM stores a bare account id principal as the account's root ARN.
      const toRoot = (value: unknown) => {
        if (typeof value !== 'string' || !/^\d{12}$/.test(value)) return value;
        rewritten = true;
        return `arn:aws:iam::${value}:root`;
      };
      principal.AWS = Array.isArray(principal.AWS) ? principal.AWS.map(toRoot) : toRoot(principal.AWS);
    }
    if (rewritten) text = JSON.stringify(document);
    return { text, refs };
  }

  /** The trust policy as IAM shows it: a role principal deleted (or recreated) since shows as its old `AROA…` id. */
  trustPolicyText(role: Role): string {
    const stale = new Map<string, string>();
    for (const [arn, roleId] of role.principalRefs) {
      const parsed = parseRoleArn(arn);
      const current = parsed && this.findRole(parsed.accountId, parsed.roleName);
      if (current?.roleId !== roleId) stale.set(arn, roleId);
    }
    if (stale.size === 0) return role.trustPolicy;
    const document = JSON.parse(role.trustPolicy) as PolicyDocument;
    for (const statement of statementsOf(document)) {
      const principal = statement.Principal as Record<string, unknown> | undefined;
      if (typeof principal !== 'object' || principal === null || principal.AWS === undefined) continue;
      const replace = (value: unknown) => (typeof value === 'string' ? (stale.get(value) ?? value) : value);
      principal.AWS = Array.isArray(principal.AWS) ? principal.AWS.map(replace) : replace(principal.AWS);
    }
    return JSON.stringify(document);
  }

  trustPolicyDocument(role: Role): PolicyDocument {
    return JSON.parse(this.trustPolicyText(role)) as PolicyDocument;
  }

  createRole(accountId: string, input: CreateRoleInput): Role {
    if (!ROLE_NAME.test(input.roleName)) {
      throw new AwsError(
        'ValidationError',
        400,
        `1 validation error detected: Value '${input.roleName}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
      );
    }
    const path = input.path ?? '/';
    if (!/^\/(?:[\x21-\x7e]*\/)?$/.test(path) || path.length > 512) {
      throw new AwsError(
        'ValidationError',
        400,
        `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
      );
    }
    const maxSessionDuration = input.maxSessionDuration ?? 3600;
    if (maxSessionDuration < 3600 || maxSessionDuration > 43200) {
      throw new AwsError(
        'ValidationError',
        400,
        `1 validation error detected: Value '${maxSessionDuration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`,
      );
    }
    if ((input.description?.length ?? 0) > 1000) {
      throw new AwsError(
        'ValidationError',
        400,
        "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000",
      );
    }
    validateTags(input.tags ?? []);
    const iam = this.iam(accountId);
    if (iam.roles.has(input.roleName.toLowerCase())) {
      throw new AwsError('EntityAlreadyExists', 409, `Role with name ${input.roleName} already exists.`);
    }
    const { text, refs } = this.checkedTrustPolicy(input.assumeRolePolicyDocument);
    if (input.permissionsBoundary) this.requirePolicy(accountId, input.permissionsBoundary);
    const role: Role = {
      name: input.roleName,
      path,
      arn: `arn:aws:iam::${accountId}:role${path}${input.roleName}`,
      roleId: `AROA${randomId(17)}`,
      accountId,
      createDate: new Date(),
      trustPolicy: text,
      principalRefs: refs,
      description: input.description,
      maxSessionDuration,
      permissionsBoundaryArn: input.permissionsBoundary,
      tags: [...(input.tags ?? [])],
      attached: new Map(),
      inline: new Map(),
      invisibleReads: 0,
      visibleAt: 0,
    };
    iam.roles.set(input.roleName.toLowerCase(), role);
    return role;
  }

  updateAssumeRolePolicy(accountId: string, roleName: string, policy: string | PolicyDocument): void {
    const role = this.requireRole(accountId, roleName);
    const { text, refs } = this.checkedTrustPolicy(policy);
    role.trustPolicy = text;
    role.principalRefs = refs;
  }

  /** Tampering helper: stores a trust policy as is, without IAM's validation (e.g. with an `AROA…` principal). */
  setTrustPolicyUnchecked(accountId: string, roleName: string, policy: string | PolicyDocument): void {
    const role = this.requireRole(accountId, roleName);
    role.trustPolicy = typeof policy === 'string' ? policy : JSON.stringify(policy);
    role.principalRefs = new Map();
  }

  deleteRole(accountId: string, roleName: string, options: { force?: boolean } = {}): void {
    const role = this.requireRole(accountId, roleName);
    if (role.attached.size > 0 && !options.force) {
      throw new AwsError('DeleteConflict', 409, 'Cannot delete entity, must detach all policies first.');
    }
    if (role.inline.size > 0 && !options.force) {
      throw new AwsError('DeleteConflict', 409, 'Cannot delete entity, must delete policies first.');
    }
    this.iam(accountId).roles.delete(roleName.toLowerCase());
  }

  /** Deletes and creates the role again with the same settings: a new `AROA…` id, as after a redeploy. */
  recreateRole(accountId: string, roleName: string): Role {
    const old = this.requireRole(accountId, roleName);
    this.deleteRole(accountId, roleName, { force: true });
    const role = this.createRole(accountId, {
      roleName: old.name,
      path: old.path,
      description: old.description,
      maxSessionDuration: old.maxSessionDuration,
      permissionsBoundary: old.permissionsBoundaryArn,
      tags: old.tags,
      assumeRolePolicyDocument: this.trustPolicyText(old),
    });
    for (const arn of old.attached.keys()) this.attachRolePolicy(accountId, roleName, arn);
    for (const [name, document] of old.inline) role.inline.set(name, document);
    return role;
  }

  createPolicy(
    accountId: string,
    input: { name: string; document: string | object; path?: string; description?: string },
  ) {
    const iam = this.iam(accountId);
    const path = input.path ?? '/';
    const arn = `arn:aws:iam::${accountId}:policy${path}${input.name}`;
    for (const policy of iam.policies.values()) {
      if (policy.name === input.name) {
        throw new AwsError(
          'EntityAlreadyExists',
          409,
          `A policy called ${input.name} already exists. Duplicate names are not allowed.`,
        );
      }
    }
    const document = typeof input.document === 'string' ? input.document : JSON.stringify(input.document);
    parsePolicyDocument(document);
    const policy: ManagedPolicy = {
      arn,
      name: input.name,
      path,
      policyId: `ANPA${randomId(17)}`,
      document,
      createDate: new Date(),
      description: input.description,
    };
    iam.policies.set(arn, policy);
    return policy;
  }

  customerPolicy(accountId: string, policyArn: string): ManagedPolicy | undefined {
    return this.iamAccounts.get(accountId)?.policies.get(policyArn);
  }

  /** Throws NoSuchEntity unless the managed policy can be attached to a principal of the account. */
  requirePolicy(accountId: string, policyArn: string): string {
    if (!/^arn:aws:iam::(aws|\d{12}):policy\/.+$/.test(policyArn)) {
      throw new AwsError('InvalidInput', 400, `ARN ${policyArn} is not valid.`);
    }
    const exists = AWS_MANAGED.has(policyArn) || this.iamAccounts.get(accountId)?.policies.has(policyArn);
    if (!exists) throw new AwsError('NoSuchEntity', 404, `Policy ${policyArn} does not exist or is not attachable.`);
    return policyArn.slice(policyArn.lastIndexOf('/') + 1);
  }

  attachRolePolicy(accountId: string, roleName: string, policyArn: string): void {
    const role = this.requireRole(accountId, roleName);
    const name = this.requirePolicy(accountId, policyArn);
    if (!role.attached.has(policyArn) && role.attached.size >= 10) {
      throw new AwsError('LimitExceeded', 409, 'Cannot exceed quota for PoliciesPerRole: 10');
    }
    role.attached.set(policyArn, name);
  }

  detachRolePolicy(accountId: string, roleName: string, policyArn: string): void {
    const role = this.requireRole(accountId, roleName);
    if (!role.attached.delete(policyArn)) {
      throw new AwsError('NoSuchEntity', 404, `Policy ${policyArn} was not found.`);
    }
  }

  /** PutRolePolicy: adds or replaces an inline policy (validated as an identity policy document). */
  putRolePolicy(accountId: string, roleName: string, policyName: string, document: string | PolicyDocument): void {
    const role = this.requireRole(accountId, roleName);
    if (!/^[\w+=,.@-]{1,128}$/.test(policyName)) {
      throw new AwsError('ValidationError', 400, `The specified value for policyName is invalid.`);
    }
    const text = typeof document === 'string' ? document : JSON.stringify(document);
    for (const statement of statementsOf(parsePolicyDocument(text))) {
      if ('Principal' in statement || 'NotPrincipal' in statement) {
        throw new AwsError('MalformedPolicyDocument', 400, 'Policy document should not specify a principal.');
      }
    }
    role.inline.set(policyName, text);
  }

  deleteRolePolicy(accountId: string, roleName: string, policyName: string): void {
    const role = this.requireRole(accountId, roleName);
    if (!role.inline.delete(policyName)) {
      throw new AwsError('NoSuchEntity', 404, `The role policy with name ${policyName} cannot be found.`);
    }
  }

  tagRole(accountId: string, roleName: string, tags: Tag[]): void {
    const role = this.requireRole(accountId, roleName);
    const merged = new Map(role.tags.map((t) => [t.Key, t.Value]));
    for (const tag of tags) merged.set(tag.Key, tag.Value);
    const next = [...merged].map(([Key, Value]) => ({ Key, Value }));
    validateTags(next);
    role.tags = next;
  }

  untagRole(accountId: string, roleName: string, keys: string[]): void {
    const role = this.requireRole(accountId, roleName);
    role.tags = role.tags.filter((t) => !keys.includes(t.Key));
  }

  putRolePermissionsBoundary(accountId: string, roleName: string, policyArn: string): void {
    const role = this.requireRole(accountId, roleName);
    this.requirePolicy(accountId, policyArn);
    role.permissionsBoundaryArn = policyArn;
  }

  deleteRolePermissionsBoundary(accountId: string, roleName: string): void {
    const role = this.requireRole(accountId, roleName);
    role.permissionsBoundaryArn = undefined;
  }

  /** A plain view of a role for assertions: the decoded trust policy, attached policy ARNs, tags as a record. */
  readRole(accountId: string, roleName: string) {
    const role = this.findRole(accountId, roleName);
    if (!role) return undefined;
    return {
      arn: role.arn,
      roleId: role.roleId,
      path: role.path,
      description: role.description,
      maxSessionDuration: role.maxSessionDuration,
      trustPolicy: this.trustPolicyDocument(role),
      attachedPolicyArns: [...role.attached.keys()],
      permissionsBoundaryArn: role.permissionsBoundaryArn,
      tags: Object.fromEntries(role.tags.map((t) => [t.Key, t.Value])),
    };
  }

  /** The next n GetRole reads of the role answer NoSuchEntity. */
  roleInvisibleReads(accountId: string, roleName: string, reads: number): void {
    this.requireRole(accountId, roleName).invisibleReads = reads;
  }

  /** The first n AssumeRole attempts into the account answer AccessDenied. */
  accountAssumableAfter(accountId: string, attempts: number): void {
    this.getAccount(accountId).assumeDenialsLeft = attempts;
  }

  // ---------------------------------------------------------------- Secrets Manager and SNS

  putSecret(accountId: string, name: string, secretString: string): string {
    const existing = this.findSecret(accountId, name);
    const version = { id: randomUUID(), secretString, stages: ['AWSCURRENT'], createdDate: new Date() };
    if (existing) {
      for (const v of existing.versions) {
        v.stages = v.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : v.stages.filter((s) => s !== 'AWSPREVIOUS');
      }
      existing.versions.push(version);
      return existing.arn;
    }
    const arn = `arn:aws:secretsmanager:${this.options.region}:${accountId}:secret:${name}-${randomId(6, LOWER_ALPHABET)}`;
    this.secrets.set(arn, { arn, name, accountId, createdDate: new Date(), versions: [version] });
    return arn;
  }

  /** By name in the account, by full ARN, or by ARN without the 6-character suffix. */
  findSecret(accountId: string, secretId: string): Secret | undefined {
    const exact = this.secrets.get(secretId);
    if (exact) return exact;
    const arnMatch = /^arn:aws:secretsmanager:[^:]+:(\d{12}):secret:(.+)$/.exec(secretId);
    const owner = arnMatch ? (arnMatch[1] as string) : accountId;
    const name = arnMatch ? (arnMatch[2] as string) : secretId;
    for (const secret of this.secrets.values()) {
      if (secret.accountId === owner && secret.name === name) return secret;
    }
    return undefined;
  }

  createTopic(accountId: string, name: string): string {
    const arn = `arn:aws:sns:${this.options.region}:${accountId}:${name}`;
    if (!this.topics.has(arn)) this.topics.set(arn, { arn, accountId, name });
    return arn;
  }
}

export function validateTags(tags: Tag[]): void {
  if (tags.length > 50) throw new AwsError('LimitExceeded', 409, 'Cannot exceed quota for TagsPerRole: 50');
  for (const tag of tags) {
    if (
      !tag.Key ||
      tag.Key.length > 128 ||
      (tag.Value ?? '').length > 256 ||
      tag.Key.toLowerCase().startsWith('aws:')
    ) {
      throw new AwsError('InvalidInput', 400, `The specified tag key '${tag.Key}' is invalid.`);
    }
  }
}
