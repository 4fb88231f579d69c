import { DescribeAccountCommand, OrganizationsClient, TooManyRequestsException } from '@aws-sdk/client-organizations';
import { parseConfig } from '../../functions/lib/config';
import { DEPARTURE_EVENT_PATTERNS, decideDeparture, parseDepartureInput } from '../../functions/lib/departure';
import { AwsThrottled, InvalidInput } from '../../functions/lib/errors';
import { matchesEventPattern } from '../../local/event-pattern';
import { type FakeAccount, mockOrganizations, ROOT_ID } from '../support/organizations';

// Samples shaped like the CloudTrail events Organizations delivers to EventBridge in the management account
// (us-east-1): CloseAccount and RemoveAccountFromOrganization name the account in requestParameters.accountId
// (Organizations API reference; CloudTrail log entries of organizations.amazonaws.com); CloseAccountResult is the
// service event published once the account is closed; AccountDepartedOrganization is the membership event
// (departureMethod LEFT, REMOVED or CLEANED).

const MANAGEMENT = '999999999999';
const ACCOUNT = '123456789012';
const envelope = (detailType: string, detail: Record<string, unknown>) => ({
  version: '0',
  id: '5f2c4b1e-8d3a-4c7b-9e21-000000000001',
  'detail-type': detailType,
  source: 'aws.organizations',
  account: MANAGEMENT,
  time: '2026-06-02T09:26:53Z',
  region: 'us-east-1',
  resources: [],
  detail,
});
const apiCall = (eventName: string, extra: Record<string, unknown> = {}) =>
  envelope('AWS API Call via CloudTrail', {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:admin',
      arn: `arn:aws:sts::${MANAGEMENT}:assumed-role/Admin/admin`,
      accountId: MANAGEMENT,
    },
    eventTime: '2026-06-02T09:26:53Z',
    eventSource: 'organizations.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { accountId: ACCOUNT },
    responseElements: null,
    requestID: 'b1e6c0f4-1111-4c7b-9e21-000000000002',
    eventID: 'b1e6c0f4-2222-4c7b-9e21-000000000003',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: MANAGEMENT,
    eventCategory: 'Management',
    ...extra,
  });
const serviceEvent = (eventName: string, serviceEventDetails: Record<string, unknown>) =>
  envelope('AWS Service Event via CloudTrail', {
    eventVersion: '1.08',
    userIdentity: { accountId: MANAGEMENT, invokedBy: 'AWS Internal' },
    eventTime: '2026-06-02T09:31:02Z',
    eventSource: 'organizations.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: 'AWS Internal',
    userAgent: 'AWS Internal',
    requestParameters: null,
    responseElements: null,
    eventID: 'b1e6c0f4-3333-4c7b-9e21-000000000004',
    readOnly: false,
    eventType: 'AwsServiceEvent',
    managementEvent: true,
    recipientAccountId: MANAGEMENT,
    serviceEventDetails,
    eventCategory: 'Management',
  });

const SAMPLES = {
  CloseAccountCall: apiCall('CloseAccount'),
  CloseAccountResult: serviceEvent('CloseAccountResult', {
    closeAccountStatus: { accountId: ACCOUNT, state: 'SUCCEEDED' },
  }),
  RemoveAccountCall: apiCall('RemoveAccountFromOrganization'),
  AccountDeparted: serviceEvent('AccountDepartedOrganization', {
    accountId: ACCOUNT,
    departureMethod: 'LEFT',
    departureTime: '2026-06-02T09:31:02Z',
  }),
};

const NEAR_MISSES: Record<string, unknown> = {
  'a refused CloseAccount (errorCode)': apiCall('CloseAccount', {
    errorCode: 'ConstraintViolationException',
    errorMessage: 'You have exceeded close account quota for the past 30 days.',
  }),
  'a refused RemoveAccountFromOrganization': apiCall('RemoveAccountFromOrganization', {
    errorCode: 'AccessDeniedException',
  }),
  'a standalone account closing itself (account.amazonaws.com)': {
    ...apiCall('CloseAccount'),
    source: 'aws.account',
    detail: { ...apiCall('CloseAccount').detail, eventSource: 'account.amazonaws.com' },
  },
  CreateAccountResult: serviceEvent('CreateAccountResult', {
    createAccountStatus: { accountId: ACCOUNT, state: 'SUCCEEDED' },
  }),
  MoveAccount: apiCall('MoveAccount'),
  'DescribeAccount (read)': apiCall('DescribeAccount'),
  AccountJoinedOrganization: serviceEvent('AccountJoinedOrganization', {
    accountId: ACCOUNT,
    joinedMethod: 'INVITED',
  }),
  'a CloseAccountResult from another source': { ...SAMPLES.CloseAccountResult, source: 'aws.controltower' },
};

const matching = (event: unknown) =>
  Object.entries(DEPARTURE_EVENT_PATTERNS)
    .filter(([, pattern]) => matchesEventPattern(event, pattern as never))
    .map(([name]) => name);

describe('the departure rules', () => {
  it.each(Object.entries(SAMPLES))('%s matches exactly its own rule and names the account', (name, event) => {
    expect(matching(event)).toEqual([name]);
    expect(parseDepartureInput(event)).toMatchObject({ accountId: ACCOUNT, force: false });
  });

  it.each(Object.entries(NEAR_MISSES))('%s matches no rule', (_, event) => {
    expect(matching(event)).toEqual([]);
  });
});

describe('parseDepartureInput', () => {
  it('accepts a manual and a reconcile request', () => {
    expect(parseDepartureInput({ accountId: ACCOUNT, force: true })).toEqual({
      accountId: ACCOUNT,
      trigger: 'manual',
      force: true,
    });
    expect(parseDepartureInput({ accountId: ACCOUNT, trigger: 'reconcile' })).toMatchObject({ trigger: 'reconcile' });
  });

  it.each([
    ['null', null],
    ['an array', [ACCOUNT]],
    ['a numeric id', { accountId: 123456789012 }],
    ['a short id', { accountId: '1234' }],
    ['a failed call', NEAR_MISSES['a refused CloseAccount (errorCode)']],
    ['another event', NEAR_MISSES.MoveAccount],
    ['an event without an account id', serviceEvent('CloseAccountResult', { closeAccountStatus: { state: 'X' } })],
    ['an oversized input', { accountId: ACCOUNT, pad: 'x'.repeat(70 * 1024) }],
  ])('rejects %s with InvalidInput', (_, input) => {
    expect(() => parseDepartureInput(input)).toThrow(InvalidInput);
  });
});

describe('decideDeparture', () => {
  const config = parseConfig({
    toolingAccountId: '111111111111',
    managementAccountId: MANAGEMENT,
    github: { owner: 'acme', repo: 'tf', auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:x' } },
    terraform: {},
  });
  const org = (state?: FakeAccount['state']) => {
    mockOrganizations({
      accounts: state ? { [ACCOUNT]: { name: 'Workload', parentId: ROOT_ID, state } } : {},
    });
    return new OrganizationsClient({ region: 'us-east-1' });
  };

  it.each([
    ['PENDING_CLOSURE', 'closed'],
    ['SUSPENDED', 'suspended'],
  ])('offboards a %s account as %s', async (status, reason) => {
    await expect(decideDeparture(org(status as FakeAccount['state']), config, ACCOUNT)).resolves.toMatchObject({
      decision: 'offboard',
      reason,
      name: 'Workload',
    });
  });

  it('offboards an account that is no member any more as removed', async () => {
    await expect(decideDeparture(org(), config, ACCOUNT)).resolves.toMatchObject({
      decision: 'offboard',
      reason: 'removed',
    });
  });

  it('skips an ACTIVE account (reopened, or it never left) and the management account', async () => {
    await expect(decideDeparture(org('ACTIVE'), config, ACCOUNT)).resolves.toMatchObject({
      decision: 'skip',
    });
    await expect(decideDeparture(org('SUSPENDED'), config, MANAGEMENT)).resolves.toMatchObject({
      decision: 'skip',
    });
  });

  it('lets throttling reach the state machine', async () => {
    const mock = mockOrganizations({ accounts: { [ACCOUNT]: { name: 'Workload', parentId: ROOT_ID } } });
    mock
      .on(DescribeAccountCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    await expect(
      decideDeparture(new OrganizationsClient({ region: 'us-east-1' }), config, ACCOUNT),
    ).rejects.toBeInstanceOf(AwsThrottled);
  });
});
