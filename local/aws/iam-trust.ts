/**
 * Trust policies as IAM keeps them: validated when written, a bare account id stored as its root ARN, and each role
 * principal remembered by the unique id it had then, so that a role deleted (or recreated) since shows as that old
 * `AROA…` id, as IAM shows it.
 */
import {
  type PolicyDocument,
  type PrincipalExists,
  parsePolicyDocument,
  statementsOf,
  validateTrustPolicy,
} from './policy';

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:(.*)\/)?([\w+=,.@-]{1,64})$/;

export function parseRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const match = ROLE_ARN.exec(arn);
  return match ? { accountId: match[1] as string, roleName: match[3] as string } : undefined;
}

/** The current unique id (`AROA…`) of the role an ARN names, undefined when there is no such role. */
export type RoleIdOf = (roleArn: string) => string | undefined;

/** What IAM stores of a trust policy: its text and the `AROA…` id of each role principal when it was written. */
export interface StoredTrustPolicy {
  text: string;
  refs: Map<string, string>;
}

/** Replaces each string of a statement's `Principal.AWS` (a value or a list) by `replace(value)`. */
function mapAwsPrincipals(document: PolicyDocument, replace: (value: unknown) => unknown): void {
  for (const statement of statementsOf(document)) {
    const principal = statement.Principal as Record<string, unknown> | undefined;
    if (typeof principal !== 'object' || principal === null || principal.AWS === undefined) continue;
    principal.AWS = Array.isArray(principal.AWS) ? principal.AWS.map(replace) : replace(principal.AWS);
  }
}

/** Validates a trust policy as CreateRole and UpdateAssumeRolePolicy do, and returns what IAM stores of it. */
export function checkedTrustPolicy(
  input: string | PolicyDocument,
  principalExists: PrincipalExists,
  roleIdOf: RoleIdOf,
): StoredTrustPolicy {
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  const document = parsePolicyDocument(text);
  validateTrustPolicy(document, principalExists);
  const refs = new Map<string, string>();
  let rewritten = false;
  mapAwsPrincipals(document, (value) => {
    if (typeof value !== 'string') return value;
    const roleId = parseRoleArn(value) && roleIdOf(value);
    if (roleId) refs.set(value, roleId);
    // IAM stores a bare account id principal as the account's root ARN.
    if (!/^\d{12}$/.test(value)) return value;
    rewritten = true;
    return `arn:aws:iam::${value}:root`;
  });
  return { text: rewritten ? JSON.stringify(document) : text, refs };
}

/** The trust policy as IAM shows it: a role principal deleted (or recreated) since shows as its old `AROA…` id. */
export function shownTrustPolicy(stored: StoredTrustPolicy, roleIdOf: RoleIdOf): string {
  const stale = new Map<string, string>();
  for (const [arn, roleId] of stored.refs) {
    if (roleIdOf(arn) !== roleId) stale.set(arn, roleId);
  }
  if (stale.size === 0) return stored.text;
  const document = JSON.parse(stored.text) as PolicyDocument;
  mapAwsPrincipals(document, (value) => (typeof value === 'string' ? (stale.get(value) ?? value) : value));
  return JSON.stringify(document);
}
