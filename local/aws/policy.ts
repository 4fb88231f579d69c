/** IAM policy documents as the stand-in needs them: parse and validate trust policies, evaluate `sts:AssumeRole`. */
import { AwsError } from './protocols';

export interface PolicyStatement {
  Sid?: string;
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[] | PolicyStatement;
}

const malformed = (message: string) => new AwsError('MalformedPolicyDocument', 400, message);

export const asList = (value: unknown): unknown[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];

export function statementsOf(document: PolicyDocument): PolicyStatement[] {
  return asList(document.Statement) as PolicyStatement[];
}

export function parsePolicyDocument(text: string): PolicyDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw malformed('This policy contains invalid Json');
  }
  const candidate = document as PolicyDocument;
  const statements = asList(candidate.Statement);
  if (statements.length === 0) throw malformed('Syntax errors in policy.');
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null) throw malformed('Syntax errors in policy.');
    const { Effect } = statement as PolicyStatement;
    if (Effect !== 'Allow' && Effect !== 'Deny') throw malformed('Syntax errors in policy.');
  }
  return candidate;
}

const ARN_PRINCIPAL = /^arn:aws:iam::(\d{12}):(root|role\/.+|user\/.+)$/;

/** Answers whether a role or user ARN names an existing principal; undefined when the account is unknown. */
export type PrincipalExists = (accountId: string, resource: string) => boolean | undefined;

/** Validates a role trust policy as IAM does on CreateRole / UpdateAssumeRolePolicy. */
export function validateTrustPolicy(document: PolicyDocument, principalExists: PrincipalExists): void {
  for (const statement of statementsOf(document)) {
    if ('Resource' in statement) throw malformed('Has prohibited field Resource');
    if (statement.Principal === undefined && statement.NotPrincipal === undefined) {
      throw malformed('Missing required field Principal');
    }
    const actions = asList(statement.Action ?? statement.NotAction);
    if (actions.length === 0) throw malformed('Missing required field Action');
    for (const action of actions) {
      if (typeof action !== 'string' || !/^(sts:[A-Za-z*]+|\*)$/.test(action)) {
        throw malformed('AssumeRole policy may only specify STS AssumeRole actions.');
      }
    }
    const principal = statement.Principal ?? statement.NotPrincipal;
    if (principal === '*') continue;
    if (typeof principal !== 'object' || principal === null || Array.isArray(principal)) {
      throw malformed('Invalid principal in policy');
    }
    for (const [kind, values] of Object.entries(principal as Record<string, unknown>)) {
      if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(kind)) {
        throw malformed(`Invalid principal in policy: "${kind}"`);
      }
      for (const value of asList(values)) {
        const invalid = () => malformed(`Invalid principal in policy: "${kind}":"${String(value)}"`);
        if (typeof value !== 'string' || value.length === 0) throw invalid();
        if (kind !== 'AWS' || value === '*' || /^\d{12}$/.test(value)) continue;
        const match = ARN_PRINCIPAL.exec(value);
        if (!match) throw invalid();
        const [, accountId, resource] = match as unknown as [string, string, string];
        if (resource !== 'root' && principalExists(accountId, resource) === false) throw invalid();
      }
    }
  }
}

/** The identity calling `sts:AssumeRole`, as a trust policy sees it. */
export interface AssumingPrincipal {
  accountId: string;
  /** Role ARN (for a role session) or user ARN. */
  principalArn: string;
  /** The session ARN (`arn:aws:sts::…:assumed-role/…`) or user ARN. */
  arn: string;
  /** `AROA…` or `AIDA…`: what IAM shows in a trust policy once the principal is deleted. */
  principalId: string;
}

function principalMatches(principal: unknown, caller: AssumingPrincipal): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return asList((principal as Record<string, unknown>).AWS).some(
    (value) =>
      value === '*' ||
      value === caller.accountId ||
      value === `arn:aws:iam::${caller.accountId}:root` ||
      value === caller.principalArn ||
      value === caller.arn ||
      value === caller.principalId,
  );
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  const matches = (pattern: unknown) => typeof pattern === 'string' && wildcardMatch(pattern, action, true);
  if (statement.NotAction !== undefined) return !asList(statement.NotAction).some(matches);
  return asList(statement.Action).some(matches);
}

function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const CONDITION_OPERATORS: Record<string, (expected: string, actual: string) => boolean> = {
  StringEquals: (e, a) => e === a,
  StringNotEquals: (e, a) => e !== a,
  StringEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
  StringLike: (e, a) => wildcardMatch(e, a),
  StringNotLike: (e, a) => !wildcardMatch(e, a),
  ArnEquals: (e, a) => e === a,
  ArnLike: (e, a) => wildcardMatch(e, a),
  Bool: (e, a) => e.toLowerCase() === a.toLowerCase(),
};

/** Unknown operators or keys never match: the stand-in refuses rather than guesses. */
function conditionsMatch(
  condition: PolicyStatement['Condition'],
  context: Record<string, string | undefined>,
): boolean {
  for (const [rawOperator, entries] of Object.entries(condition ?? {})) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operatorName = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const operator = CONDITION_OPERATORS[operatorName];
    if (!operator) return false;
    for (const [rawKey, expected] of Object.entries(entries ?? {})) {
      const key = Object.keys(context).find((k) => k.toLowerCase() === rawKey.toLowerCase());
      const actual = key === undefined ? undefined : context[key];
      if (actual === undefined) {
        if (ifExists) continue;
        return false;
      }
      const negated = operatorName.includes('Not');
      const values = asList(expected).map(String);
      const ok = negated ? values.every((e) => operator(e, actual)) : values.some((e) => operator(e, actual));
      if (!ok) return false;
    }
  }
  return true;
}

/** Evaluates a trust policy for `action` by `caller`: an explicit Deny wins, otherwise one Allow is needed. */
export function trustPolicyAllows(
  document: PolicyDocument,
  action: string,
  caller: AssumingPrincipal,
  context: Record<string, string | undefined>,
): boolean {
  let allowed = false;
  for (const statement of statementsOf(document)) {
    const principalOk =
      statement.NotPrincipal !== undefined
        ? !principalMatches(statement.NotPrincipal, caller)
        : principalMatches(statement.Principal, caller);
    if (!principalOk || !actionMatches(statement, action) || !conditionsMatch(statement.Condition, context)) continue;
    if (statement.Effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}
