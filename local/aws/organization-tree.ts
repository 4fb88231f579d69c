/**
 * The organization: its id, root and OUs, the member accounts and where each sits, and the account ids it hands
 * out. Lookups are Map accesses so thousands of accounts stay cheap.
 */
import { adminCaller, type Caller } from './credentials';
import type { OrganizationEvents } from './organization-events';
import { AwsError } from './protocols';
import { LOWER_ALPHABET, randomId, type Tag } from './state-common';

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

/** The email of an account made without one: `aws+<name>-<id>@example.com`. */
export const defaultEmail = (name: string, accountId: string) =>
  `aws+${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${accountId}@example.com`;

export class OrganizationTree {
  readonly organizationId = `o-${randomId(10, LOWER_ALPHABET)}`;
  readonly rootId = `r-${randomId(4, LOWER_ALPHABET)}`;
  readonly accounts = new Map<string, Account>();
  readonly rootTags: { tags: Tag[] } = { tags: [] };
  readonly organizationalUnits = new Map<string, OrganizationalUnit>();
  /** Accounts removed from, or that left, the organization (their IAM stays as it was). */
  readonly departed = new Map<string, Account>();
  /** False until CreateOrganization when the stand-in starts as an account outside any organization. */
  inUse = true;

  private readonly accountsByEmail = new Map<string, string>();
  /** Children of the root and of each OU, in insertion order. */
  private readonly childAccounts = new Map<string, Set<string>>();
  private readonly childUnits = new Map<string, Set<string>>();
  private nextAccountNumber = 200000000000;
  /** Ids new accounts must not get (see reserveAccountIds). */
  private readonly reservedAccountIds = new Set<string>();

  constructor(
    readonly managementAccountId: string,
    private readonly events: OrganizationEvents,
  ) {
    this.childAccounts.set(this.rootId, new Set());
    this.childUnits.set(this.rootId, new Set());
  }

  get organizationArn(): string {
    return `arn:aws:organizations::${this.managementAccountId}:organization/${this.organizationId}`;
  }

  get rootArn(): string {
    return `arn:aws:organizations::${this.managementAccountId}:root/${this.organizationId}/${this.rootId}`;
  }

  accountArn(accountId: string): string {
    return `arn:aws:organizations::${this.managementAccountId}:account/${this.organizationId}/${accountId}`;
  }

  /** The management account's administrator, who makes the calls tests make "by hand". */
  managementCaller(): Caller {
    return adminCaller(this.managementAccountId, 'AROAMANAGEMENTADMIN');
  }

  // ---------------------------------------------------------------- the tree

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

  // ---------------------------------------------------------------- accounts

  /** Adds a member account at once (no request, no event, no access role). */
  addAccount(input: NewAccountInput): Account {
    const parentId = input.parentId ?? this.rootId;
    if (!this.isParent(parentId)) throw new Error(`Unknown parent ${parentId}`);
    const id = input.id ?? this.allocateAccountId();
    if (!/^\d{12}$/.test(id)) throw new Error(`Account id must be 12 digits, got ${id}`);
    if (this.accounts.has(id)) throw new Error(`Account ${id} already exists`);
    const email = input.email ?? defaultEmail(input.name, id);
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
    return account;
  }

  /** The account leaves the tree (DescribeAccount: AccountNotFoundException) and is kept among the departed. */
  detachAccount(accountId: string): Account {
    const account = this.getAccount(accountId);
    this.accounts.delete(accountId);
    this.accountsByEmail.delete(account.email.toLowerCase());
    this.childAccounts.get(account.parentId)?.delete(accountId);
    this.departed.set(accountId, account);
    return account;
  }

  /**
   * Ids that new accounts must not get, e.g. those a Terraform repository already onboards from an earlier run of
   * another stand-in instance: CreateAccount numbers on from 200000000000, skipping them.
   */
  reserveAccountIds(ids: Iterable<string>): void {
    for (const id of ids) this.reservedAccountIds.add(id);
  }

  releaseAccountId(id: string): void {
    this.reservedAccountIds.delete(id);
  }

  allocateAccountId(): string {
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
    this.checkMove(account, sourceParentId, destinationParentId);
    this.childAccounts.get(account.parentId)?.delete(accountId);
    this.childAccounts.get(destinationParentId)?.add(accountId);
    account.parentId = destinationParentId;
    this.events.apiCall('MoveAccount', { accountId, sourceParentId, destinationParentId }, caller, new Date());
  }

  private checkMove(account: Account, sourceParentId: string, destinationParentId: string): void {
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
  }
}
