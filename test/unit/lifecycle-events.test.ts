import { DEPARTURE_EVENT_PATTERNS } from '../../functions/lib/departure';
import { InvalidInput } from '../../functions/lib/errors';
import { parseExecutionInput } from '../../functions/lib/execution-input';
import { INVITED_EVENT_PATTERNS, MOVED_EVENT_PATTERNS } from '../../functions/lib/lifecycle-events';
import { matchesEventPattern } from '../../local/event-pattern';

// Samples shaped like the CloudTrail events of Organizations as EventBridge delivers them (us-east-1):
// - MoveAccount: an API call of the management account; requestParameters carry AccountId, SourceParentId and
//   DestinationParentId of the MoveAccount API (camelCase in CloudTrail, as every Organizations call logs them).
// - AcceptHandshake: an API call of the member account that accepts (only a member accepts an INVITE, per the
//   AcceptHandshake API reference); responseElements.handshake is the Handshake of the answer (action INVITE,
//   state ACCEPTED, parties ORGANIZATION and ACCOUNT). CloudTrail logs it in the member account.
// - AccountJoinedOrganization: the membership event Organizations logs in the management account when a handshake
//   is accepted (joinedMethod INVITED, joinedTime), as AccountDepartedOrganization is logged on a departure.

const MANAGEMENT = '999999999999';
const ACCOUNT = '123456789012';
const envelope = (detailType: string, detail: Record<string, unknown>, account = MANAGEMENT) => ({
  version: '0',
  id: '5f2c4b1e-8d3a-4c7b-9e21-000000000101',
  'detail-type': detailType,
  source: 'aws.organizations',
  account,
  time: '2026-06-02T09:26:53Z',
  region: 'us-east-1',
  resources: [],
  detail,
});
const apiCall = (eventName: string, extra: Record<string, unknown> = {}, caller = MANAGEMENT) =>
  envelope(
    'AWS API Call via CloudTrail',
    {
      eventVersion: '1.08',
      userIdentity: {
        type: 'AssumedRole',
        principalId: 'AROAEXAMPLE:admin',
        arn: `arn:aws:sts::${caller}:assumed-role/Admin/admin`,
        accountId: caller,
      },
      eventTime: '2026-06-02T09:26:53Z',
      eventSource: 'organizations.amazonaws.com',
      eventName,
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.10',
      userAgent: 'aws-cli/2.15.0',
      requestParameters: null,
      responseElements: null,
      requestID: 'b1e6c0f4-1111-4c7b-9e21-000000000002',
      eventID: 'b1e6c0f4-2222-4c7b-9e21-000000000003',
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: caller,
      eventCategory: 'Management',
      ...extra,
    },
    caller,
  );
const handshake = (action: string) => ({
  handshake: {
    id: 'h-examplehandshakeid111',
    arn: `arn:aws:organizations::${MANAGEMENT}:handshake/o-exampleorgid/invite/h-examplehandshakeid111`,
    action,
    state: 'ACCEPTED',
    parties: [
      { id: 'o-exampleorgid', type: 'ORGANIZATION' },
      { id: ACCOUNT, type: 'ACCOUNT' },
    ],
  },
});
const membership = (joinedMethod: string) =>
  envelope('AWS Service Event via CloudTrail', {
    eventVersion: '1.08',
    userIdentity: { accountId: MANAGEMENT, invokedBy: 'AWS Internal' },
    eventTime: '2026-06-02T09:31:02Z',
    eventSource: 'organizations.amazonaws.com',
    eventName: 'AccountJoinedOrganization',
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
    serviceEventDetails: { accountId: ACCOUNT, joinedMethod, joinedTime: '2026-06-02T09:31:02Z' },
    eventCategory: 'Management',
  });
const move = (extra: Record<string, unknown> = {}) =>
  apiCall('MoveAccount', {
    requestParameters: {
      accountId: ACCOUNT,
      sourceParentId: 'r-ab12',
      destinationParentId: 'ou-ab12-22222222',
    },
    ...extra,
  });

const PATTERNS = { ...INVITED_EVENT_PATTERNS, ...MOVED_EVENT_PATTERNS };
const matching = (event: unknown) =>
  Object.entries(PATTERNS)
    .filter(([, pattern]) => matchesEventPattern(event, pattern as never))
    .map(([name]) => name);

const SAMPLES = {
  AccountJoined: membership('INVITED'),
  InvitationAccepted: apiCall('AcceptHandshake', { responseElements: handshake('INVITE') }, ACCOUNT),
  MoveAccount: move(),
};

const NEAR_MISSES: Record<string, unknown> = {
  'a created account joining (joinedMethod CREATED)': membership('CREATED'),
  'the invitation itself (InviteAccountToOrganization)': apiCall('InviteAccountToOrganization', {
    requestParameters: { target: { id: ACCOUNT, type: 'ACCOUNT' } },
    responseElements: { handshake: { ...handshake('INVITE').handshake, state: 'OPEN' } },
  }),
  'accepting the all-features request (ENABLE_ALL_FEATURES)': apiCall(
    'AcceptHandshake',
    { responseElements: handshake('ENABLE_ALL_FEATURES') },
    ACCOUNT,
  ),
  'a refused AcceptHandshake (errorCode)': apiCall(
    'AcceptHandshake',
    { errorCode: 'HandshakeConstraintViolationException', responseElements: null },
    ACCOUNT,
  ),
  'a declined invitation (DeclineHandshake)': apiCall(
    'DeclineHandshake',
    { responseElements: handshake('INVITE') },
    ACCOUNT,
  ),
  'a refused MoveAccount (errorCode)': move({ errorCode: 'DuplicateAccountException' }),
  'an OU moved? no: UpdateOrganizationalUnit': apiCall('UpdateOrganizationalUnit'),
  'a departure (AccountDepartedOrganization)': {
    ...membership('INVITED'),
    detail: { ...membership('INVITED').detail, eventName: 'AccountDepartedOrganization' },
  },
  'MoveAccount from another source': { ...move(), source: 'aws.controltower' },
};

describe('the invited and moved account rules', () => {
  it.each(Object.entries(SAMPLES))('%s matches exactly its own rule, and no departure rule', (name, event) => {
    expect(matching(event)).toEqual([name]);
    expect(Object.values(DEPARTURE_EVENT_PATTERNS).some((p) => matchesEventPattern(event, p as never))).toBe(false);
  });

  it.each(Object.entries(NEAR_MISSES))('%s matches no rule', (_name, event) => {
    expect(matching(event)).toEqual([]);
  });

  it('matches the membership event whatever the case of joinedMethod (the documentation writes both)', () => {
    expect(matching(membership('Invited'))).toEqual(['AccountJoined']);
  });
});

describe('parseExecutionInput of the lifecycle events', () => {
  it('reads the invited account from the membership event and from the member call', () => {
    expect(parseExecutionInput(SAMPLES.AccountJoined)).toEqual({
      kind: 'invited',
      accountId: ACCOUNT,
      eventName: 'AccountJoinedOrganization',
    });
    expect(parseExecutionInput(SAMPLES.InvitationAccepted)).toEqual({
      kind: 'invited',
      accountId: ACCOUNT,
      eventName: 'AcceptHandshake',
    });
  });

  it('reads the moved account and its parents', () => {
    expect(parseExecutionInput(SAMPLES.MoveAccount)).toEqual({
      kind: 'moved',
      accountId: ACCOUNT,
      sourceParentId: 'r-ab12',
      destinationParentId: 'ou-ab12-22222222',
    });
  });

  it.each([
    ['a created account joining', membership('CREATED'), 'only an INVITED account'],
    ['a refused move', move({ errorCode: 'DuplicateAccountException' }), 'nothing moved'],
    [
      'an all-features handshake',
      apiCall('AcceptHandshake', { responseElements: handshake('ENABLE_ALL_FEATURES') }, ACCOUNT),
      'only an INVITE',
    ],
  ])('refuses %s with InvalidInput', (_name, event, message) => {
    expect(() => parseExecutionInput(event)).toThrow(InvalidInput);
    expect(() => parseExecutionInput(event)).toThrow(message);
  });
});
