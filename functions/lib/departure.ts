import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { OnboardingConfig } from './config';
import { AccountNotFound, InvalidInput } from './errors';
import type { OffboardReason } from './offboarding-pr';
import { readAccount } from './organization';
import type { AccountId } from './types';

/**
 * Departures from the organization: the events that start the offboard-account workflow, the execution inputs it
 * accepts, and the one decision it takes from what Organizations says now (never from the event alone).
 *
 * The events, as CloudTrail delivers them to EventBridge in us-east-1 of the management account:
 * - `CloseAccount` (API call, `requestParameters.accountId`): the account is `PENDING_CLOSURE`.
 * - `CloseAccountResult` (service event, some minutes later): the account is `SUSPENDED`; the account id is read from
 *   `serviceEventDetails` (or `requestParameters` when present).
 * - `RemoveAccountFromOrganization` (API call, `requestParameters.accountId`).
 * - `AccountDepartedOrganization` (membership event, since 2026: `departureMethod` Left, Removed or Cleaned): the only
 *   event of `LeaveOrganization` the management account sees (the call itself is logged in the member account).
 * A refused call (`errorCode` present) changed nothing and does not match.
 */

/** EventBridge patterns of the offboarding rules (infra and the local runner both use these). */
export const DEPARTURE_EVENT_PATTERNS = {
  CloseAccountCall: {
    source: ['aws.organizations'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['organizations.amazonaws.com'],
      eventName: ['CloseAccount'],
      errorCode: [{ exists: false }],
    },
  },
  CloseAccountResult: {
    source: ['aws.organizations'],
    'detail-type': ['AWS Service Event via CloudTrail'],
    detail: { eventSource: ['organizations.amazonaws.com'], eventName: ['CloseAccountResult'] },
  },
  RemoveAccountCall: {
    source: ['aws.organizations'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['organizations.amazonaws.com'],
      eventName: ['RemoveAccountFromOrganization'],
      errorCode: [{ exists: false }],
    },
  },
  AccountDeparted: {
    source: ['aws.organizations'],
    'detail-type': ['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail'],
    detail: { eventSource: ['organizations.amazonaws.com'], eventName: ['AccountDepartedOrganization'] },
  },
} as const;

export type DepartureTrigger =
  | 'CloseAccount'
  | 'CloseAccountResult'
  | 'RemoveAccountFromOrganization'
  | 'AccountDepartedOrganization'
  | 'manual'
  | 'reconcile';

export interface DepartureInput {
  accountId: AccountId;
  trigger: DepartureTrigger;
  force: boolean;
}

const ACCOUNT_ID = /^\d{12}$/;
const MAX_INPUT_CHARS = 64 * 1024;
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const idIn = (...candidates: unknown[]): string | undefined =>
  candidates.find((c): c is string => typeof c === 'string' && ACCOUNT_ID.test(c));

/**
 * Reads an execution input: one of the events above (as EventBridge delivers it), `{"accountId", "force"?}` by hand,
 * or `{"accountId", "trigger": "reconcile"}` from a remediating sweep. Anything else is InvalidInput.
 */
export function parseDepartureInput(input: unknown): DepartureInput {
  let size = 0;
  try {
    size = JSON.stringify(input ?? null).length;
  } catch {
    size = Number.POSITIVE_INFINITY;
  }
  if (!isObject(input) || size > MAX_INPUT_CHARS) {
    throw new InvalidInput(
      'offboard-account expects an Organizations CloseAccount, CloseAccountResult, RemoveAccountFromOrganization or AccountDepartedOrganization event, or {"accountId": "012345678901"}',
    );
  }
  const detail = input.detail;
  if (isObject(detail) && typeof detail.eventName === 'string') {
    const trigger = detail.eventName as DepartureTrigger;
    const request = isObject(detail.requestParameters) ? detail.requestParameters : {};
    const service = isObject(detail.serviceEventDetails) ? detail.serviceEventDetails : {};
    const nested = Object.values(service).filter(isObject);
    const accountId = idIn(
      request.accountId,
      service.accountId,
      ...nested.map((n) => n.accountId),
      isObject(detail.additionalEventData) ? detail.additionalEventData.accountId : undefined,
    );
    const known: DepartureTrigger[] = [
      'CloseAccount',
      'CloseAccountResult',
      'RemoveAccountFromOrganization',
      'AccountDepartedOrganization',
    ];
    if (!known.includes(trigger) || detail.errorCode !== undefined || !accountId) {
      throw new InvalidInput(
        `offboard-account cannot act on this ${String(detail.eventName)} event${accountId ? '' : ' (no account id in it)'}${detail.errorCode !== undefined ? ` (the call failed: ${String(detail.errorCode)})` : ''}`,
      );
    }
    return { accountId, trigger, force: false };
  }
  const accountId = input.accountId;
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) {
    throw new InvalidInput(
      'offboard-account expects "accountId" as a 12-digit string, e.g. {"accountId": "012345678901"}',
    );
  }
  return { accountId, trigger: input.trigger === 'reconcile' ? 'reconcile' : 'manual', force: input.force === true };
}

export type DepartureDecision =
  | { decision: 'offboard'; accountId: AccountId; name?: string; reason: OffboardReason; status: string }
  | { decision: 'skip'; accountId: AccountId; reason: string };

/**
 * What to do, from what Organizations says now: an account that is no member any more was removed (or left); one
 * `PENDING_CLOSURE` or `SUSPENDED` was closed; an `ACTIVE` one was reopened (or never left) and is not offboarded.
 * Nothing here touches the account itself: the tool no longer governs it.
 */
export async function decideDeparture(
  org: OrganizationsClient,
  config: OnboardingConfig,
  accountId: AccountId,
): Promise<DepartureDecision> {
  if (accountId === config.managementAccountId) {
    return { decision: 'skip', accountId, reason: 'the management account is never offboarded' };
  }
  let account: Awaited<ReturnType<typeof readAccount>>;
  try {
    account = await readAccount(org, accountId);
  } catch (err) {
    if (err instanceof AccountNotFound) {
      return { decision: 'offboard', accountId, reason: 'removed', status: 'NOT_A_MEMBER' };
    }
    throw err;
  }
  const base = { accountId, ...(account.name ? { name: account.name } : {}), status: account.status };
  if (account.status === 'PENDING_CLOSURE' || account.status === 'CLOSED') {
    return { decision: 'offboard', ...base, reason: 'closed' };
  }
  if (account.status === 'SUSPENDED') return { decision: 'offboard', ...base, reason: 'suspended' };
  return {
    decision: 'skip',
    accountId,
    reason: `the account is ${account.status} in the organization (reopened, or it never left): nothing to offboard`,
  };
}
