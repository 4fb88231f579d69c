import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isServerError, isThrottling, rethrowAws } from './aws-errors';
import type { AccountId } from './types';

/**
 * One writer per account creation. Every account creation raises up to three events (the CreateAccount call, the
 * CreateAccountResult service event, Control Tower's CreateManagedAccount), each starting an execution, in any
 * order, together or hours apart, any of them possibly lost. The first execution that resolves the account to
 * `onboard` claims it with an S3 conditional write (`PutObject` with `If-None-Match: *`: S3 creates the object for
 * exactly one caller and answers the others 412 PreconditionFailed, or 409 while a write is in flight); the others
 * end `duplicate` before they touch IAM or GitHub. The claim names its execution, so a retry of the same execution
 * passes. It holds for its claimant's window, which outlives the claimant's state machine: CLAIM_WINDOW_MS (above
 * onboard-account's 7 h timeout) by default, longer for a flow that runs longer (onboard-invited-account waits up to
 * days for a person, and passes its window as `claimWindowSeconds`). The claim records when it lapses (`expiresAt`),
 * so any later execution, whatever its own flow, respects the holder's window; after it, a later event for the
 * account (Control Tower's UpdateManagedAccount) claims it again by replacing exactly the version it read
 * (`If-Match: <etag>`). Manual, forced and reconcile runs do not claim: a person or the sweep asks for them
 * explicitly.
 */

/** 8 hours: the onboarding state machine times out after 7. */
export const CLAIM_WINDOW_MS = 8 * 60 * 60 * 1000;

/** Days the claims bucket keeps a claim object (its lifecycle rule): longer than any flow's claim window. */
export const CLAIM_RETENTION_DAYS = 5;

export interface Claim {
  accountId: AccountId;
  executionId: string;
  claimedAt: string;
  /** When the claim lapses: claimedAt plus its claimant's window. Claims written before it lapse after the window. */
  expiresAt?: string;
}

/** The conditional writes the claim needs; S3 in production, memory in tests. */
export interface ClaimStore {
  /** Creates the object only when absent: false when another exists. */
  create(key: string, body: string): Promise<boolean>;
  read(key: string): Promise<{ body: string; etag: string } | undefined>;
  /** Replaces only the version with this ETag: false when it changed (or vanished). */
  replace(key: string, body: string, etag: string): Promise<boolean>;
}

export type ClaimResult = { claimed: true; claim: Claim } | { claimed: false; heldBy: Claim };

export const claimKey = (accountId: AccountId): string => `claims/onboarding/${accountId}.json`;

export async function claimAccount(
  store: ClaimStore,
  accountId: AccountId,
  executionId: string,
  options: { now?: Date; windowMs?: number } = {},
): Promise<ClaimResult> {
  const now = options.now ?? new Date();
  const windowMs = options.windowMs ?? CLAIM_WINDOW_MS;
  const expiresAt = new Date(now.getTime() + windowMs).toISOString();
  const claim: Claim = { accountId, executionId, claimedAt: now.toISOString(), expiresAt };
  const key = claimKey(accountId);
  const body = JSON.stringify(claim);
  // Each round either wins a conditional write or reads who holds it; a lost race only repeats the round.
  for (let round = 0; round < 5; round++) {
    if (await store.create(key, body)) return { claimed: true, claim };
    const held = await store.read(key);
    if (!held) continue; // expired (lifecycle) between the two calls: create again
    const holder = parseClaim(held.body);
    if (holder?.executionId === executionId) return { claimed: true, claim: holder };
    if (holder && !lapsed(holder, now, windowMs)) return { claimed: false, heldBy: holder };
    if (await store.replace(key, body, held.etag)) return { claimed: true, claim };
  }
  const holder = parseClaim((await store.read(key))?.body);
  if (holder) return { claimed: false, heldBy: holder };
  throw new Error(`Could not settle the onboarding claim ${key} after 5 rounds of conditional writes`);
}

/** Whether the holder's claim has lapsed: after its own `expiresAt`, or (written before it) after `windowMs`. */
function lapsed(holder: Claim, now: Date, windowMs: number): boolean {
  const expiresAt = holder.expiresAt === undefined ? Number.NaN : Date.parse(holder.expiresAt);
  if (!Number.isNaN(expiresAt)) return now.getTime() > expiresAt;
  return now.getTime() - Date.parse(holder.claimedAt) > windowMs;
}

function parseClaim(text: string | undefined): Claim | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Claim>;
    if (typeof value.executionId === 'string' && typeof value.claimedAt === 'string' && value.accountId) {
      return value as Claim;
    }
  } catch {
    // not a claim: replaced like an expired one
  }
  return undefined;
}

/** S3's answers to a condition that did not hold: 412, or 409 while another conditional write is in flight. */
const conditionFailed = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  return (
    status === 412 ||
    status === 409 ||
    e?.name === 'PreconditionFailed' ||
    e?.name === 'ConditionalRequestConflict' ||
    (status === 404 && e?.name === 'NoSuchKey')
  );
};

function rethrow(err: unknown, what: string): never {
  if (isThrottling(err) || isServerError(err)) rethrowAws(err, what);
  const code = (err as { name?: unknown } | undefined)?.name;
  const error = new Error(`${what} failed: ${typeof code === 'string' ? code : String(err)}`, { cause: err });
  if (typeof code === 'string') error.name = code;
  throw error;
}

export function s3ClaimStore(client: S3Client, bucket: string): ClaimStore {
  const put = async (key: string, body: string, condition: { IfNoneMatch: '*' } | { IfMatch: string }) => {
    try {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', ...condition }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      return rethrow(err, `s3:PutObject (conditional) of s3://${bucket}/${key}`);
    }
  };
  return {
    create: (key, body) => put(key, body, { IfNoneMatch: '*' }),
    replace: (key, body, etag) => put(key, body, { IfMatch: etag }),
    async read(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return { body: (await res.Body?.transformToString()) ?? '', etag: res.ETag ?? '' };
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
        return rethrow(err, `s3:GetObject of s3://${bucket}/${key}`);
      }
    },
  };
}

/** Conditional writes in memory (tests); atomic as S3's are, since each call runs to its end before the next. */
export function memoryClaimStore(): ClaimStore & { objects: Map<string, { body: string; etag: string }> } {
  const objects = new Map<string, { body: string; etag: string }>();
  let version = 0;
  return {
    objects,
    async create(key, body) {
      if (objects.has(key)) return false;
      objects.set(key, { body, etag: `"${++version}"` });
      return true;
    },
    async read(key) {
      return objects.get(key);
    },
    async replace(key, body, etag) {
      if (objects.get(key)?.etag !== etag) return false;
      objects.set(key, { body, etag: `"${++version}"` });
      return true;
    },
  };
}
