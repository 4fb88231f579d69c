/**
 * The events of an account's life after its creation that start a workflow other than onboard-account: an invited
 * account joining, and an account moving between OUs (departures are in departure.ts). The patterns are used by the
 * rules (infra/constructs/lifecycle-workflows.ts) and by the local runner (local/lifecycle.ts) alike.
 *
 * How they reach the management account's default event bus (us-east-1), as CloudTrail delivers Organizations events:
 * - An invitation is accepted by the member account: `AcceptHandshake` is an API call of that account, so CloudTrail
 *   logs it there (recipientAccountId = the member) and the management account's bus does not get it, unless the
 *   member's events are forwarded to it. What the management account does get is the membership event
 *   `AccountJoinedOrganization` (an AWS service event, `serviceEventDetails.joinedMethod` INVITED, with `joinedTime`),
 *   which Organizations logs "only in the management account's event history" when a handshake is accepted. Both have
 *   a rule; the claim of resolve-account (account-claim.ts) keeps one writer when both arrive.
 * - `MoveAccount` is an API call of the management account: `requestParameters` holds `accountId`, `sourceParentId`
 *   and `destinationParentId`. A refused call (`errorCode`) moved nothing and does not match.
 */

export const INVITED_EVENT_PATTERNS = {
  AccountJoined: {
    source: ['aws.organizations'],
    'detail-type': ['AWS Service Event via CloudTrail', 'AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['organizations.amazonaws.com'],
      eventName: ['AccountJoinedOrganization'],
      // Created accounts join too (joinedMethod CREATED): onboard-account handles those from CreateAccountResult.
      serviceEventDetails: { joinedMethod: [{ 'equals-ignore-case': 'INVITED' }] },
    },
  },
  InvitationAccepted: {
    source: ['aws.organizations'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['organizations.amazonaws.com'],
      eventName: ['AcceptHandshake'],
      errorCode: [{ exists: false }],
      // An invitation to join; ENABLE_ALL_FEATURES and the management account's handshakes are not.
      responseElements: { handshake: { action: ['INVITE'] } },
    },
  },
} as const;

export const MOVED_EVENT_PATTERNS = {
  MoveAccount: {
    source: ['aws.organizations'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['organizations.amazonaws.com'],
      eventName: ['MoveAccount'],
      errorCode: [{ exists: false }],
    },
  },
} as const;

/** A pattern as CDK's `events.EventPattern` takes it (camelCase `detailType`, mutable arrays). */
export function cdkEventPattern(pattern: {
  source: readonly string[];
  'detail-type': readonly string[];
  detail: object;
}) {
  return {
    source: [...pattern.source],
    detailType: [...pattern['detail-type']],
    detail: JSON.parse(JSON.stringify(pattern.detail)) as Record<string, unknown>,
  };
}
