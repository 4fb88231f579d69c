import { type OnboardingConfig, pipelineRoleArn } from './config';

/**
 * The trust policy of the cicd role: built from config, read back from IAM (URL-encoded), and compared
 * semantically so that a policy IAM re-serialised (arrays, key order, encoding) is not mistaken for drift,
 * while a principal IAM rewrote to a unique id (`AROA…`, the trusted role was deleted) is.
 */

type ConditionValue = string | number | boolean;
export type PolicyPrincipal = '*' | Record<string, string | string[]>;

export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Principal?: PolicyPrincipal;
  NotPrincipal?: PolicyPrincipal;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, ConditionValue | ConditionValue[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** IAM treats a policy without `Version` as this (older) language version. */
const DEFAULT_POLICY_VERSION = '2008-10-17';

/**
 * The cicd role's trust: the tooling account's pipeline role may `sts:AssumeRole`, with the external id when
 * configured, and only while it belongs to the organization (`aws:PrincipalOrgID`, when `organizationId` is known:
 * a typo in toolingAccountId then names an account outside the organization, which can never assume the role).
 */
export function buildTrustPolicy(config: OnboardingConfig, partition = 'aws', organizationId?: string): PolicyDocument {
  const statement: PolicyStatement = {
    Effect: 'Allow',
    Principal: { AWS: pipelineRoleArn(config, partition) },
    Action: 'sts:AssumeRole',
  };
  const conditions: Record<string, string> = {
    ...(config.externalId ? { 'sts:ExternalId': config.externalId } : {}),
    ...(organizationId ? { 'aws:PrincipalOrgID': organizationId } : {}),
  };
  if (Object.keys(conditions).length > 0) statement.Condition = { StringEquals: conditions };
  return { Version: '2012-10-17', Statement: [statement] };
}

/**
 * Reads `AssumeRolePolicyDocument` as GetRole returns it: URL-encoded (RFC 3986; SDK v3 does not decode it).
 * A document that already starts with `{` is taken as decoded. Throws a SyntaxError naming the problem.
 */
export function decodePolicyDocument(doc: string): PolicyDocument {
  let text = doc.trim();
  if (!text.startsWith('{')) {
    try {
      text = decodeURIComponent(text).trim();
    } catch {
      throw new SyntaxError('The policy document is neither JSON nor a valid URL-encoded JSON string');
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`The policy document is not valid JSON (${(err as Error).message})`);
  }
  if (!isPolicyDocument(parsed)) {
    throw new SyntaxError(
      'The policy document is not an IAM policy: expected an object with a "Statement" object or array',
    );
  }
  return parsed;
}

function isPolicyDocument(value: unknown): value is PolicyDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const statement = (value as { Statement?: unknown }).Statement;
  const statements = Array.isArray(statement) ? statement : [statement];
  return statements.every((s) => typeof s === 'object' && s !== null && !Array.isArray(s));
}

/**
 * A statement reduced to what decides authorisation. `Sid` (and the document `Id`) are ignored: they are labels,
 * and a human naming our statement should not cause a rewrite. Action names and condition keys are
 * case-insensitive in IAM, so they are lower-cased; every value list is sorted and de-duplicated.
 */
interface CanonicalStatement {
  effect: string;
  principal?: Record<string, string[]>;
  notPrincipal?: Record<string, string[]>;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  condition?: Record<string, Record<string, string[]>>;
}

const asSortedList = (value: ConditionValue | ConditionValue[], lower = false): string[] =>
  [
    ...new Set((Array.isArray(value) ? value : [value]).map((v) => (lower ? String(v).toLowerCase() : String(v)))),
  ].sort();

const sortedRecord = <T>(entries: [string, T][]): Record<string, T> =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function canonicalPrincipal(principal: PolicyPrincipal | undefined): Record<string, string[]> | undefined {
  if (principal === undefined) return undefined;
  // "Principal": "*" means the same as {"AWS": "*"}.
  if (principal === '*') return { AWS: ['*'] };
  return sortedRecord(Object.entries(principal).map(([type, ids]) => [type, asSortedList(ids)]));
}

function canonicalStatement(s: PolicyStatement): CanonicalStatement {
  const c: CanonicalStatement = { effect: s.Effect };
  const principal = canonicalPrincipal(s.Principal);
  if (principal) c.principal = principal;
  const notPrincipal = canonicalPrincipal(s.NotPrincipal);
  if (notPrincipal) c.notPrincipal = notPrincipal;
  if (s.Action !== undefined) c.action = asSortedList(s.Action, true);
  if (s.NotAction !== undefined) c.notAction = asSortedList(s.NotAction, true);
  if (s.Resource !== undefined) c.resource = asSortedList(s.Resource);
  if (s.NotResource !== undefined) c.notResource = asSortedList(s.NotResource);
  if (s.Condition !== undefined) {
    c.condition = sortedRecord(
      Object.entries(s.Condition).map(([operator, block]) => [
        operator,
        sortedRecord(Object.entries(block).map(([key, values]) => [key.toLowerCase(), asSortedList(values)])),
      ]),
    );
  }
  return c;
}

interface CanonicalPolicy {
  version: string;
  statements: CanonicalStatement[];
  /** One canonical JSON string per distinct statement, sorted: statement order and duplicates do not matter. */
  keys: string[];
}

function canonicalPolicy(doc: PolicyDocument): CanonicalPolicy {
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).map(canonicalStatement);
  const keys = [...new Set(statements.map((s) => JSON.stringify(s)))].sort();
  return { version: doc.Version ?? DEFAULT_POLICY_VERSION, statements, keys };
}

/** True when both documents grant exactly the same thing (see CanonicalStatement for what is ignored). */
export function policiesEquivalent(a: PolicyDocument, b: PolicyDocument): boolean {
  const ca = canonicalPolicy(a);
  const cb = canonicalPolicy(b);
  return ca.version === cb.version && ca.keys.length === cb.keys.length && ca.keys.every((k, i) => k === cb.keys[i]);
}

/** IAM unique ids: a role (`AROA`) or user (`AIDA`) principal that was deleted is shown by its id instead of its ARN. */
const UNIQUE_ID = /^(AROA|AIDA)[0-9A-Z]{8,}$/;

const principalsOf = (p: CanonicalPolicy): Set<string> =>
  new Set(
    p.statements.flatMap((s) =>
      Object.entries(s.principal ?? {}).flatMap(([type, ids]) =>
        ids.map((id) => (type === 'AWS' ? id : `${type} ${id}`)),
      ),
    ),
  );
const actionsOf = (p: CanonicalPolicy): Set<string> => new Set(p.statements.flatMap((s) => s.action ?? []));
const conditionsOf = (p: CanonicalPolicy): Set<string> =>
  new Set(
    p.statements.flatMap((s) =>
      Object.entries(s.condition ?? {}).flatMap(([operator, block]) =>
        Object.entries(block).flatMap(([key, values]) => values.map((v) => `${operator} ${key}=${v}`)),
      ),
    ),
  );
const effectsOf = (p: CanonicalPolicy): Set<string> => new Set(p.statements.map((s) => s.effect));

const missing = (from: Set<string>, inside: Set<string>): string[] => [...from].filter((x) => !inside.has(x));

function describePrincipal(id: string): string {
  if (UNIQUE_ID.test(id)) {
    const kind = id.startsWith('AROA') ? 'role' : 'user';
    return `principal ${id} is a ${kind} id: the ${kind} it trusted was deleted (e.g. the tooling role was recreated), so the trust no longer works`;
  }
  return `principal ${id} is not expected`;
}

/** Human-readable differences between the role's trust policy and the desired one; empty when equivalent. */
export function describeTrustDrift(actual: PolicyDocument, desired: PolicyDocument): string[] {
  if (policiesEquivalent(actual, desired)) return [];
  const a = canonicalPolicy(actual);
  const d = canonicalPolicy(desired);
  const drift: string[] = [];
  if (a.version !== d.version) drift.push(`version ${a.version} instead of ${d.version}`);
  if (a.keys.length !== d.keys.length) drift.push(`${a.keys.length} statement(s) instead of ${d.keys.length}`);
  for (const effect of missing(effectsOf(a), effectsOf(d))) drift.push(`effect ${effect} is not expected`);
  const [ap, dp] = [principalsOf(a), principalsOf(d)];
  for (const p of missing(dp, ap)) drift.push(`principal ${p} is missing`);
  for (const p of missing(ap, dp)) drift.push(describePrincipal(p));
  const [aa, da] = [actionsOf(a), actionsOf(d)];
  for (const x of missing(da, aa)) drift.push(`action ${x} is missing`);
  for (const x of missing(aa, da)) drift.push(`action ${x} is not expected`);
  const [ac, dc] = [conditionsOf(a), conditionsOf(d)];
  for (const x of missing(dc, ac)) drift.push(`condition ${x} is missing`);
  for (const x of missing(ac, dc)) drift.push(`condition ${x} is not expected`);
  if (drift.length === 0) drift.push('the statements are shaped differently (same principals, actions and conditions)');
  return drift;
}
