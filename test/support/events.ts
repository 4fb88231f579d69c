/**
 * Realistic EventBridge events as Organizations and Control Tower send them (CloudTrail-backed), for any test that
 * needs the onboarding workflow's inputs. Shapes follow the events AWS delivers in us-east-1 of the management
 * account: CloudTrail hides names and emails in API call events, and service events carry `serviceEventDetails`.
 */

export const MANAGEMENT_ACCOUNT_ID = '999999999999';
export const CONTROL_TOWER_HOME_REGION = 'us-east-1';

let sequence = 0;
/** Deterministic UUID-shaped ids so snapshots and logs are stable across runs. */
const uuid = (): string => {
  sequence += 1;
  const n = sequence.toString(16).padStart(12, '0');
  return `5f2c4b1e-8d3a-4c7b-9e21-${n}`;
};

const TIME = '2025-03-14T09:26:53Z';

interface Envelope<Detail> {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
}

function envelope<Detail>(source: string, detailType: string, detail: Detail, region = 'us-east-1'): Envelope<Detail> {
  return {
    version: '0',
    id: uuid(),
    'detail-type': detailType,
    source,
    account: MANAGEMENT_ACCOUNT_ID,
    time: TIME,
    region,
    resources: [],
    detail,
  };
}

/** The identity AWS itself uses for service events. */
const awsInternal = { accountId: MANAGEMENT_ACCOUNT_ID, invokedBy: 'AWS Internal' };

function serviceEventDetail<Details>(
  eventSource: string,
  eventName: string,
  serviceEventDetails: Details,
  region: string,
) {
  return {
    eventVersion: '1.08',
    userIdentity: awsInternal,
    eventTime: TIME,
    eventSource,
    eventName,
    awsRegion: region,
    sourceIPAddress: 'AWS Internal',
    userAgent: 'AWS Internal',
    requestParameters: null,
    responseElements: null,
    eventID: uuid(),
    readOnly: false,
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: MANAGEMENT_ACCOUNT_ID,
    serviceEventDetails,
    eventCategory: 'Management',
  };
}

export interface CreateAccountResultOptions {
  state?: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';
  /** Present when SUCCEEDED (and defaulted then); absent when FAILED. */
  accountId?: string;
  requestId?: string;
  failureReason?: string;
  accountName?: string;
}

/** Organizations `CreateAccountResult` service event (sent when a CreateAccount request completes). */
export function createAccountResultEvent(options: CreateAccountResultOptions = {}) {
  const state = options.state ?? 'SUCCEEDED';
  const accountId = options.accountId ?? (state === 'SUCCEEDED' ? '012345678901' : undefined);
  const createAccountStatus = {
    id: options.requestId ?? 'car-4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c',
    state,
    accountName: options.accountName ?? '****',
    ...(accountId ? { accountId } : {}),
    requestedTimestamp: 'Mar 14, 2025 9:24:11 AM',
    ...(state === 'IN_PROGRESS' ? {} : { completedTimestamp: 'Mar 14, 2025 9:26:52 AM' }),
    ...(state === 'FAILED' ? { failureReason: options.failureReason ?? 'EMAIL_ALREADY_EXISTS' } : {}),
  };
  return envelope(
    'aws.organizations',
    'AWS Service Event via CloudTrail',
    serviceEventDetail('organizations.amazonaws.com', 'CreateAccountResult', { createAccountStatus }, 'us-east-1'),
  );
}

/** Organizations `CreateAccount` API call as CloudTrail records it: only the request id is usable. */
export function createAccountCallEvent(requestId = 'car-4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c') {
  const hidden = 'HIDDEN_DUE_TO_SECURITY_REASONS';
  return envelope('aws.organizations', 'AWS API Call via CloudTrail', {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEROLEID1234:platform-admin',
      arn: `arn:aws:sts::${MANAGEMENT_ACCOUNT_ID}:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/platform-admin`,
      accountId: MANAGEMENT_ACCOUNT_ID,
      accessKeyId: 'ASIAEXAMPLEKEYID1234',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLEID1234',
          arn: `arn:aws:iam::${MANAGEMENT_ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef`,
          accountId: MANAGEMENT_ACCOUNT_ID,
          userName: 'AWSReservedSSO_AdministratorAccess_0123456789abcdef',
        },
        attributes: { creationDate: '2025-03-14T09:20:02Z', mfaAuthenticated: 'false' },
      },
    },
    eventTime: TIME,
    eventSource: 'organizations.amazonaws.com',
    eventName: 'CreateAccount',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.22.0 md/awscrt#0.23.4 ua/2.1 os/linux',
    requestParameters: { email: hidden, accountName: hidden, iamUserAccessToBilling: 'ALLOW' },
    responseElements: {
      createAccountStatus: {
        id: requestId,
        state: 'IN_PROGRESS',
        accountName: hidden,
        requestedTimestamp: 'Mar 14, 2025 9:24:11 AM',
      },
    },
    requestID: uuid(),
    eventID: uuid(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: MANAGEMENT_ACCOUNT_ID,
    eventCategory: 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: 'organizations.us-east-1.amazonaws.com',
    },
  });
}

export interface ManagedAccountOptions {
  state?: 'SUCCEEDED' | 'FAILED';
  accountName?: string;
  ou?: { id: string; name: string };
  message?: string;
}

function controlTowerEvent(
  eventName: 'CreateManagedAccount' | 'UpdateManagedAccount',
  statusKey: 'createManagedAccountStatus' | 'updateManagedAccountStatus',
  accountId: string,
  options: ManagedAccountOptions,
) {
  const state = options.state ?? 'SUCCEEDED';
  const ou = options.ou ?? { id: 'ou-ab12-cd34ef56', name: 'Workloads' };
  const verb = eventName === 'CreateManagedAccount' ? 'created' : 'updated';
  const status = {
    organizationalUnit: { organizationalUnitName: ou.name, organizationalUnitId: ou.id },
    account: { accountName: options.accountName ?? 'workload-dev-02', accountId },
    state,
    message:
      options.message ??
      (state === 'SUCCEEDED'
        ? `AWS Control Tower successfully ${verb} an enrolled account.`
        : 'AWS Control Tower could not complete the account operation: stack set instance failed.'),
    requestedTimestamp: '2025-03-14T09:02:11+0000',
    completedTimestamp: '2025-03-14T09:26:52+0000',
  };
  return envelope(
    'aws.controltower',
    'AWS Service Event via CloudTrail',
    serviceEventDetail('controltower.amazonaws.com', eventName, { [statusKey]: status }, CONTROL_TOWER_HOME_REGION),
    CONTROL_TOWER_HOME_REGION,
  );
}

/** Control Tower lifecycle event after Account Factory created and enrolled an account. */
export function controlTowerCreateManagedAccountEvent(accountId = '012345678901', options: ManagedAccountOptions = {}) {
  return controlTowerEvent('CreateManagedAccount', 'createManagedAccountStatus', accountId, options);
}

/** Control Tower lifecycle event after an enrolled account was updated (e.g. moved to another OU). */
export function controlTowerUpdateManagedAccountEvent(accountId = '012345678901', options: ManagedAccountOptions = {}) {
  return controlTowerEvent('UpdateManagedAccount', 'updateManagedAccountStatus', accountId, options);
}

/** `{"accountId": …}` as typed into the console's StartExecution. */
export const manualInput = (accountId = '012345678901', force?: boolean) =>
  force === undefined ? { accountId } : { accountId, force };

/** What the reconcile workflow starts an onboarding execution with. */
export const reconcileInput = (accountId = '012345678901', drift: string[] = ['role-missing'], force?: boolean) => ({
  accountId,
  trigger: 'reconcile' as const,
  drift,
  ...(force === undefined ? {} : { force }),
});
