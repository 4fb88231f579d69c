import * as z from 'zod/mini';
import { InvalidInput } from './errors';
import type { AccountId } from './types';
import './zod';

/**
 * Normalises the five inputs the onboarding workflow accepts (DESIGN.md "Inputs") into one discriminated union.
 * EventBridge envelopes are read leniently (AWS adds fields over time); the hand-written inputs (manual, reconcile)
 * are strict, so a typo or a hostile field fails the execution before anything is changed.
 */

export type ExecutionInput =
  /**
   * Organizations `CreateAccount` API call: only the request id is known, its status must be polled.
   * A `CreateAccountResult` event that says IN_PROGRESS is normalised to this too.
   */
  | { kind: 'create-request'; requestId: string }
  /** Organizations `CreateAccountResult` service event once the request completed. */
  | { kind: 'create-result'; state: 'SUCCEEDED'; accountId: AccountId; requestId?: string }
  | { kind: 'create-result'; state: 'FAILED'; failureReason?: string; requestId?: string }
  /** Control Tower lifecycle event (Account Factory). */
  | {
      kind: 'control-tower';
      eventName: 'CreateManagedAccount' | 'UpdateManagedAccount';
      state: 'SUCCEEDED' | 'FAILED';
      accountId: AccountId;
      message?: string;
    }
  /**
   * An invited account joined (lifecycle-events.ts): the membership event AccountJoinedOrganization (joinedMethod
   * INVITED) or the member's AcceptHandshake of an INVITE. Run by the invited-account state machine.
   */
  | { kind: 'invited'; accountId: AccountId; eventName: 'AccountJoinedOrganization' | 'AcceptHandshake' }
  /** Organizations `MoveAccount` API call: the account changed OU. Run by the moved-account state machine. */
  | { kind: 'moved'; accountId: AccountId; sourceParentId?: string; destinationParentId?: string }
  /** Started by hand: `{"accountId": "012345678901", "force": true}`. */
  | { kind: 'manual'; accountId: AccountId; force: boolean }
  /** Started by the reconcile workflow for a drifted account. */
  | { kind: 'reconcile'; accountId: AccountId; drift: string[]; force: boolean }
  /**
   * Started by `cli backfill` (or a batching reconcile run): the cicd role only. The account's folder and matrix
   * entry come in a batch pull request the caller opens, so this execution opens no pull request of its own.
   */
  | { kind: 'backfill'; accountId: AccountId };

const ACCEPTED_SHAPES =
  'expected one of: an Organizations CreateAccountResult event, an Organizations CreateAccount API call event, ' +
  'an AccountJoinedOrganization, AcceptHandshake or MoveAccount event, ' +
  'a Control Tower CreateManagedAccount or UpdateManagedAccount event, {"accountId": "012345678901", "force"?: true}, ' +
  'or {"accountId": "012345678901", "trigger": "reconcile", "drift": ["role-missing"], "force"?: true}, ' +
  'or {"accountId": "012345678901", "trigger": "backfill"}';

/** How much text derived from the input an error message may carry. */
const ECHO_LIMIT = 200;

/**
 * The largest input accepted, in UTF-8 bytes of its JSON. Organizations and Control Tower events are a few KiB; the
 * bound keeps a failure notification that quotes the input under SNS's 256 KiB (input + a cause of at most 32,768
 * characters + the text around them).
 */
export const MAX_INPUT_BYTES = 64 * 1024;

const ACCOUNT_ID_HINT = 'a 12-digit account id as a JSON string, e.g. "012345678901"';

const accountId = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? `required: ${ACCOUNT_ID_HINT}`
        : typeof issue.input === 'number'
          ? `must be a quoted string, e.g. "012345678901", not a number: leading zeros are part of the id and a number loses them`
          : `must be ${ACCOUNT_ID_HINT}`,
  })
  .check(z.regex(/^\d{12}$/, `must be ${ACCOUNT_ID_HINT}`));

/** `car-` followed by 8-32 lowercase letters or digits (Organizations' CreateAccountRequestId pattern). */
export const createAccountRequestId = z
  .string()
  .check(
    z.regex(
      /^car-[a-z0-9]{8,32}$/,
      'must be a CreateAccount request id such as "car-0123456789abcdef0123456789abcdef"',
    ),
  );

const force = z._default(z.boolean({ error: 'must be true or false' }), false);

/** Drift class names reported by reconciliation, e.g. `role-missing`, `trust-drifted`. */
const driftClass = z
  .string()
  .check(
    z.maxLength(64, 'a drift class name has at most 64 characters'),
    z.regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'a drift class name is kebab-case, e.g. "trust-drifted"'),
  );

/** Names the keys a strict input accepts when it meets one it does not. */
const onlyKeys = (accepted: string) => ({
  error: (issue: { code?: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys'
      ? `unknown key(s) ${(issue.keys ?? []).map((k) => JSON.stringify(k)).join(', ')}; accepted keys are ${accepted}`
      : undefined,
});

const manualSchema = z.strictObject({ accountId, force }, onlyKeys('accountId and force'));

const reconcileSchema = z.strictObject(
  {
    accountId,
    trigger: z.literal('reconcile'),
    drift: z
      .array(driftClass, { error: 'must be a list of drift class names' })
      .check(z.maxLength(32, 'at most 32 drift classes')),
    force,
  },
  onlyKeys('accountId, trigger, drift and force'),
);

const backfillSchema = z.strictObject({ accountId, trigger: z.literal('backfill') }, onlyKeys('accountId and trigger'));

/** A free-text field from AWS, bounded so it cannot blow up logs or state payloads. */
const awsText = z.string().check(z.maxLength(1024));

const cloudTrailDetail = { eventVersion: z.optional(z.string()), eventName: z.string() };

const createAccountResultEvent = z.object({
  source: z.literal('aws.organizations'),
  'detail-type': z.literal('AWS Service Event via CloudTrail'),
  detail: z.object({
    ...cloudTrailDetail,
    eventName: z.literal('CreateAccountResult'),
    serviceEventDetails: z.object({
      createAccountStatus: z.discriminatedUnion('state', [
        z.object({
          state: z.literal('SUCCEEDED'),
          accountId,
          id: z.optional(createAccountRequestId),
        }),
        z.object({
          state: z.literal('FAILED'),
          failureReason: z.optional(awsText),
          id: z.optional(createAccountRequestId),
        }),
        // The result event is sent on completion; IN_PROGRESS is accepted so a replayed status can be polled.
        z.object({ state: z.literal('IN_PROGRESS'), id: createAccountRequestId }),
      ]),
    }),
  }),
});

const createAccountCallEvent = z.object({
  source: z.literal('aws.organizations'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  detail: z.object({
    ...cloudTrailDetail,
    eventName: z.literal('CreateAccount'),
    responseElements: z.object({ createAccountStatus: z.object({ id: createAccountRequestId }) }),
  }),
});

const managedAccountStatus = z.object({
  state: z.enum(['SUCCEEDED', 'FAILED']),
  message: z.optional(awsText),
  account: z.object({ accountId }),
});

const controlTowerEvent = z.object({
  source: z.literal('aws.controltower'),
  'detail-type': z.literal('AWS Service Event via CloudTrail'),
  detail: z.discriminatedUnion('eventName', [
    z.object({
      ...cloudTrailDetail,
      eventName: z.literal('CreateManagedAccount'),
      serviceEventDetails: z.object({ createManagedAccountStatus: managedAccountStatus }),
    }),
    z.object({
      ...cloudTrailDetail,
      eventName: z.literal('UpdateManagedAccount'),
      serviceEventDetails: z.object({ updateManagedAccountStatus: managedAccountStatus }),
    }),
  ]),
});

const parentId = z
  .string()
  .check(z.regex(/^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/, 'must be a root or OU id'));

const moveAccountCallEvent = z.object({
  source: z.literal('aws.organizations'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  detail: z.object({
    ...cloudTrailDetail,
    eventName: z.literal('MoveAccount'),
    errorCode: z.optional(z.never({ error: 'the call failed (errorCode), so nothing moved' })),
    requestParameters: z.object({
      accountId,
      sourceParentId: z.optional(parentId),
      destinationParentId: z.optional(parentId),
    }),
  }),
});

const acceptHandshakeCallEvent = z.object({
  source: z.literal('aws.organizations'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  detail: z.object({
    ...cloudTrailDetail,
    eventName: z.literal('AcceptHandshake'),
    errorCode: z.optional(z.never({ error: 'the call failed (errorCode), so nothing was accepted' })),
    // The member account accepts: the call is its own (CloudTrail logs it in that account).
    userIdentity: z.object({ accountId }),
    responseElements: z.object({
      handshake: z.object({ action: z.literal('INVITE', { error: 'only an INVITE handshake adds an account' }) }),
    }),
  }),
});

const accountJoinedEvent = z.object({
  source: z.literal('aws.organizations'),
  detail: z.object({
    ...cloudTrailDetail,
    eventName: z.literal('AccountJoinedOrganization'),
    serviceEventDetails: z.object({
      accountId,
      joinedMethod: z
        .string()
        .check(z.refine((m) => m.toUpperCase() === 'INVITED', 'only an INVITED account is onboarded from this event')),
    }),
  }),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Shortens and flattens text derived from the input so a message never carries more than ECHO_LIMIT of it. */
function bounded(text: string, limit = ECHO_LIMIT): string {
  // Control characters and newlines would let a hostile input forge log lines.
  const flat = text.replace(/[\p{Cc}\u2028\u2029]/gu, ' ');
  return flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
}

function describeIssues(error: z.core.$ZodError): string {
  const problems = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join('.') || '(input)';
    return `${path}: ${issue.message}`;
  });
  const more = error.issues.length > 5 ? ` (and ${error.issues.length - 5} more)` : '';
  return bounded(problems.join('; ')) + more;
}

function invalid(what: string, problem: string): InvalidInput {
  return new InvalidInput(`Invalid execution input (${what}): ${problem}. Nothing was changed; ${ACCEPTED_SHAPES}.`);
}

function parseWith<T>(schema: z.ZodMiniType<T>, raw: unknown, what: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw invalid(what, describeIssues(result.error));
  return result.data;
}

function parseEvent(raw: Record<string, unknown>): ExecutionInput {
  const detail = isRecord(raw.detail) ? raw.detail : {};
  const source = raw.source;
  const detailType = raw['detail-type'];
  const eventName = detail.eventName;

  if (source === 'aws.organizations' && eventName === 'CreateAccountResult') {
    const event = parseWith(createAccountResultEvent, raw, 'Organizations CreateAccountResult event');
    const status = event.detail.serviceEventDetails.createAccountStatus;
    switch (status.state) {
      case 'SUCCEEDED':
        return { kind: 'create-result', state: status.state, accountId: status.accountId, requestId: status.id };
      case 'FAILED':
        return {
          kind: 'create-result',
          state: status.state,
          failureReason: status.failureReason,
          requestId: status.id,
        };
      case 'IN_PROGRESS':
        return { kind: 'create-request', requestId: status.id };
    }
  }
  if (source === 'aws.organizations' && eventName === 'CreateAccount') {
    const event = parseWith(createAccountCallEvent, raw, 'Organizations CreateAccount API call event');
    return { kind: 'create-request', requestId: event.detail.responseElements.createAccountStatus.id };
  }
  if (source === 'aws.controltower' && (eventName === 'CreateManagedAccount' || eventName === 'UpdateManagedAccount')) {
    const { detail: ct } = parseWith(controlTowerEvent, raw, `Control Tower ${eventName} event`);
    const status =
      ct.eventName === 'CreateManagedAccount'
        ? ct.serviceEventDetails.createManagedAccountStatus
        : ct.serviceEventDetails.updateManagedAccountStatus;
    return {
      kind: 'control-tower',
      eventName: ct.eventName,
      state: status.state,
      accountId: status.account.accountId,
      message: status.message,
    };
  }
  if (source === 'aws.organizations' && eventName === 'AccountJoinedOrganization') {
    const { detail: joined } = parseWith(accountJoinedEvent, raw, 'Organizations AccountJoinedOrganization event');
    return { kind: 'invited', accountId: joined.serviceEventDetails.accountId, eventName: 'AccountJoinedOrganization' };
  }
  if (source === 'aws.organizations' && eventName === 'AcceptHandshake') {
    const { detail: accepted } = parseWith(
      acceptHandshakeCallEvent,
      raw,
      'Organizations AcceptHandshake API call event',
    );
    return { kind: 'invited', accountId: accepted.userIdentity.accountId, eventName: 'AcceptHandshake' };
  }
  if (source === 'aws.organizations' && eventName === 'MoveAccount') {
    const { detail: moved } = parseWith(moveAccountCallEvent, raw, 'Organizations MoveAccount API call event');
    const { accountId: id, sourceParentId, destinationParentId } = moved.requestParameters;
    return {
      kind: 'moved',
      accountId: id,
      ...(sourceParentId ? { sourceParentId } : {}),
      ...(destinationParentId ? { destinationParentId } : {}),
    };
  }
  const describe = (v: unknown) => (typeof v === 'string' ? JSON.stringify(bounded(v, 60)) : typeof v);
  throw invalid(
    'unsupported event',
    `source ${describe(source)}, detail-type ${describe(detailType)}, eventName ${describe(eventName)} is not handled`,
  );
}

/**
 * Turns the raw execution input into an {@link ExecutionInput}.
 * @throws InvalidInput naming what was expected and what was wrong, and quoting the start of the input (the failure
 *   notification does not carry an input that was not accepted): at most ~400 characters of it in all. Also for an
 *   input over MAX_INPUT_BYTES.
 */
export function parseExecutionInput(raw: unknown): ExecutionInput {
  const json = JSON.stringify(raw) ?? String(raw);
  try {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_INPUT_BYTES) {
      throw invalid('too large', `${bytes} bytes of JSON, over the ${MAX_INPUT_BYTES} accepted`);
    }
    return parseInput(raw);
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    throw new InvalidInput(`${error.message} The input starts: ${bounded(json)}`);
  }
}

function parseInput(raw: unknown): ExecutionInput {
  if (!isRecord(raw)) {
    const got = raw === null ? 'null' : Array.isArray(raw) ? 'an array' : `a ${typeof raw}`;
    throw invalid('not an object', `got ${got}`);
  }
  if ('detail' in raw || 'detail-type' in raw || 'source' in raw) return parseEvent(raw);
  if ('trigger' in raw) {
    if (raw.trigger === 'backfill') {
      return { kind: 'backfill', accountId: parseWith(backfillSchema, raw, 'backfill input').accountId };
    }
    if (raw.trigger !== 'reconcile') {
      throw invalid('unknown trigger', 'trigger: only "reconcile" or "backfill" is accepted; omit it for a manual run');
    }
    const input = parseWith(reconcileSchema, raw, 'reconcile input');
    return { kind: 'reconcile', accountId: input.accountId, drift: [...new Set(input.drift)], force: input.force };
  }
  const input = parseWith(manualSchema, raw, 'manual input');
  return { kind: 'manual', accountId: input.accountId, force: input.force };
}
