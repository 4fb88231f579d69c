/**
 * CreateAccount as Organizations runs it: a request that is IN_PROGRESS first and completes later (after a delay or
 * a number of DescribeCreateAccountStatus polls), then the CreateAccountResult service event.
 */
import type { OrganizationEvents } from './organization-events';
import type { Account, NewAccountInput, OrganizationTree } from './organization-tree';
import { AwsError } from './protocols';
import { HEX_ALPHABET, randomId, type Tag } from './state-common';

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

export interface AccountCreationSettings {
  /** Member access role created in every new account unless the request names another. */
  accessRoleName: string;
  /** Milliseconds until a CreateAccount request completes (also completed by `inProgressPolls`). */
  completeAfterMs?: number;
  /** DescribeCreateAccountStatus answers IN_PROGRESS this many times, then the request completes. */
  inProgressPolls?: number;
  /** AssumeRole into an account it creates is AccessDenied for the first n attempts (read at completion). */
  assumableAfter: () => number;
}

export class AccountCreation {
  readonly requests = new Map<string, CreateAccountRequest>();

  /** `createAccount`: adds the account with its member access role. */
  constructor(
    private readonly organization: OrganizationTree,
    private readonly events: OrganizationEvents,
    private readonly createAccount: (input: NewAccountInput) => Account,
    private readonly settings: AccountCreationSettings,
  ) {}

  /** Starts an asynchronous CreateAccount as Organizations does; completes by time or by polls. */
  startCreateAccount(input: {
    accountName: string;
    email: string;
    roleName?: string;
    tags?: Tag[];
    parentId?: string;
  }): CreateAccountRequest {
    const request: CreateAccountRequest = {
      id: `car-${randomId(32, HEX_ALPHABET)}`,
      accountName: input.accountName,
      email: input.email,
      state: 'IN_PROGRESS',
      requestedTimestamp: new Date(),
      roleName: input.roleName ?? this.settings.accessRoleName,
      tags: input.tags ?? [],
      parentId: input.parentId ?? this.organization.rootId,
    };
    const { completeAfterMs, inProgressPolls } = this.settings;
    if (inProgressPolls !== undefined) request.pollsLeft = inProgressPolls;
    const delay = completeAfterMs ?? (inProgressPolls === undefined ? 100 : undefined);
    if (delay !== undefined) {
      request.timer = setTimeout(() => this.complete(request), delay);
      request.timer.unref();
    }
    this.requests.set(request.id, request);
    return request;
  }

  /** Counts a DescribeCreateAccountStatus poll; completes the request when its polls are used up. */
  pollCreateAccount(requestId: string): CreateAccountRequest {
    const request = this.requests.get(requestId);
    if (!request) {
      throw new AwsError(
        'CreateAccountStatusNotFoundException',
        404,
        "We can't find a create account request with the CreateAccountRequestId that you specified.",
      );
    }
    if (request.state === 'IN_PROGRESS' && request.pollsLeft !== undefined) {
      if (request.pollsLeft <= 0) this.complete(request);
      else request.pollsLeft -= 1;
    }
    return request;
  }

  /** Completes every pending CreateAccount request now. */
  completePendingAccountCreations(): void {
    for (const request of this.requests.values()) {
      if (request.state === 'IN_PROGRESS') this.complete(request);
    }
  }

  stopTimers(): void {
    for (const request of this.requests.values()) clearTimeout(request.timer);
  }

  private complete(request: CreateAccountRequest): void {
    if (request.state !== 'IN_PROGRESS') return;
    clearTimeout(request.timer);
    request.timer = undefined;
    request.completedTimestamp = new Date();
    if (this.organization.emailTaken(request.email)) {
      request.state = 'FAILED';
      request.failureReason = 'EMAIL_ALREADY_EXISTS';
    } else {
      const parentId = this.organization.isParent(request.parentId) ? request.parentId : this.organization.rootId;
      const account = this.createAccount({
        name: request.accountName,
        email: request.email,
        parentId,
        tags: request.tags,
        accessRoleName: request.roleName,
      });
      account.assumeDenialsLeft = this.settings.assumableAfter();
      request.state = 'SUCCEEDED';
      request.accountId = account.id;
    }
    this.events.createAccountResult(request);
  }
}
