/**
 * The CloudTrail records of AWS Organizations that reach EventBridge: API calls (`AWS API Call via CloudTrail`,
 * logged in the caller's account) and service events (`AWS Service Event via CloudTrail`, in the management
 * account), shaped as Organizations logs them.
 */
import { randomUUID } from 'node:crypto';
import type { CreateAccountRequest } from './account-creation';
import type { Caller } from './credentials';
import type { EventBus } from './event-bus';
import { isoSeconds } from './state-common';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CloudTrail's service-event timestamp format: `May 15, 2023 8:26:54 AM` (UTC). */
function cloudTrailTimestamp(date: Date): string {
  const hours = date.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()} ` +
    `${hours % 12 === 0 ? 12 : hours % 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ` +
    `${hours < 12 ? 'AM' : 'PM'}`
  );
}

export class OrganizationEvents {
  constructor(
    private readonly bus: EventBus,
    private readonly managementAccountId: string,
  ) {}

  /** An API call to Organizations, logged in `loggedIn`'s trail (and default bus): the caller's. */
  apiCall(
    eventName: string,
    requestParameters: Record<string, unknown>,
    caller: Caller,
    at: Date,
    responseElements: Record<string, unknown> | null = null,
    loggedIn = this.managementAccountId,
  ): void {
    const userIdentity = {
      type: caller.kind === 'user' ? 'IAMUser' : 'AssumedRole',
      principalId: caller.userId,
      arn: caller.arn,
      accountId: caller.accountId,
    };
    this.bus.emit(
      'AWS API Call via CloudTrail',
      {
        eventVersion: '1.08',
        userIdentity,
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

  /** The CreateAccount call: CloudTrail masks the email and the name. */
  createAccountCall(request: CreateAccountRequest, caller: Caller): void {
    const requestParameters = {
      email: '****',
      accountName: '****',
      tags: request.tags.map((t) => ({ key: t.Key, value: t.Value })),
    };
    const createAccountStatus = {
      id: request.id,
      state: 'IN_PROGRESS',
      accountName: '****',
      requestedTimestamp: cloudTrailTimestamp(request.requestedTimestamp),
    };
    this.apiCall('CreateAccount', requestParameters, caller, request.requestedTimestamp, { createAccountStatus });
  }

  /** CreateAccountResult: the account id is in `serviceEventDetails`. */
  createAccountResult(request: CreateAccountRequest): void {
    const completed = request.completedTimestamp ?? new Date();
    this.serviceEvent('CreateAccountResult', completed, {
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
    });
  }

  /** Modelled on CreateAccountResult: the account id is in `serviceEventDetails`. */
  closeAccountResult(accountId: string, requested: Date): void {
    const completed = new Date();
    this.serviceEvent('CloseAccountResult', completed, {
      closeAccountStatus: {
        accountId,
        state: 'SUCCEEDED',
        requestedTimestamp: cloudTrailTimestamp(requested),
        completedTimestamp: cloudTrailTimestamp(completed),
      },
    });
  }

  /** The membership event of an invited account that accepted. */
  accountJoined(accountId: string): void {
    const joined = new Date();
    this.serviceEvent('AccountJoinedOrganization', joined, {
      accountId,
      joinedMethod: 'INVITED',
      joinedTime: isoSeconds(joined),
    });
  }

  /** The membership event Organizations logs in the management account when an account leaves or is removed. */
  accountDeparted(accountId: string, departureMethod: 'LEFT' | 'REMOVED'): void {
    const now = new Date();
    this.serviceEvent('AccountDepartedOrganization', now, {
      accountId,
      departureMethod,
      departureTime: isoSeconds(now),
    });
  }

  private serviceEvent(eventName: string, at: Date, serviceEventDetails: Record<string, unknown>): void {
    this.bus.emit(
      'AWS Service Event via CloudTrail',
      {
        eventVersion: '1.08',
        userIdentity: { accountId: this.managementAccountId, invokedBy: 'AWS Internal' },
        eventTime: isoSeconds(at),
        eventSource: 'organizations.amazonaws.com',
        eventName,
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
        serviceEventDetails,
        eventCategory: 'Management',
      },
      this.managementAccountId,
    );
  }
}
