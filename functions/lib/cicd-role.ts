import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  type GetRoleCommandOutput,
  type IAMClient,
  PutRolePermissionsBoundaryCommand,
  paginateListAttachedRolePolicies,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { isEntityAlreadyExists, isMalformedPolicyDocument, isNoSuchEntity, rethrowAws } from './aws-errors';
import { type Change, change } from './changes';
import { type OnboardingConfig, pipelineRoleArn } from './config';
import { AccountNotReady, ConfigError } from './errors';
import { type ResolvedProfile, withProfile } from './profiles';
import { buildTrustPolicy, decodePolicyDocument, describeTrustDrift, type PolicyDocument } from './trust-policy';
import type { RoleOutcome } from './types';

/**
 * The `cicd` role of a member account: one reader (observeRole), one pure planner (planRole) and one writer
 * (applyRoleChanges). ensure-cicd-role applies the plan, the reconcile check reports it, `cli plan` prints it.
 */

/** What reading the account's cicd role found. */
export type RoleObservation =
  | { kind: 'not-assumable'; message: string }
  | { kind: 'missing' }
  | {
      kind: 'present';
      arn: string;
      /** As GetRole returns it: URL-encoded JSON. */
      trustPolicyDocument: string;
      tags: Record<string, string>;
      attachedPolicyArns: string[];
      boundaryArn?: string;
    };

export type RoleAction =
  | { type: 'create' }
  | { type: 'adopt' }
  | { type: 'update-trust' }
  | { type: 'set-boundary'; arn: string }
  | { type: 'attach'; arn: string }
  | { type: 'none' };

export interface RoleChange extends Change {
  action: RoleAction;
}

/** `arn:<partition>:iam::<id>:role<path><name>`, as IAM names the cicd role. */
export const cicdRoleArn = (config: OnboardingConfig, accountId: string, partition = 'aws'): string =>
  `arn:${partition}:iam::${accountId}:role${config.cicdRolePath}${config.cicdRoleName}`;

const UNIQUE_ID = /^(AROA|AIDA)[0-9A-Z]{8,}$/;

function principalIds(doc: PolicyDocument): string[] {
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return statements.flatMap((s) => {
    const aws = s.Principal === undefined || s.Principal === '*' ? undefined : s.Principal.AWS;
    return aws === undefined ? [] : Array.isArray(aws) ? aws : [aws];
  });
}

/**
/**
 * What must change for the role to be as configured; empty when it is. Pure. With a profile (profiles.ts), its
 * policies and boundary are the ones planned; without, the top-level settings (the default profile).
 * `organizationId` is the organization the trust requires of the pipeline role (`aws:PrincipalOrgID`); a role whose
 * trust lacks it (onboarded before) is `trust-policy-changed` once, and converged.
 */
export function planRole(
  observation: RoleObservation,
  base: OnboardingConfig,
  partition = 'aws',
  { organizationId, profile }: { organizationId?: string; profile?: ResolvedProfile } = {},
): RoleChange[] {
  const config = profile ? withProfile(base, profile) : base;
  const role = `role ${config.cicdRoleName}`;
  const none = { type: 'none' } as const;
  switch (observation.kind) {
    case 'not-assumable':
      return [{ ...change('account-not-assumable', observation.message), action: none }];
    case 'missing':
      return [{ ...change('role-missing', `${role} does not exist: create it`), action: { type: 'create' } }];
    case 'present':
      return planPresentRole(observation, config, partition, organizationId);
  }
}

function planPresentRole(
  observation: Extract<RoleObservation, { kind: 'present' }>,
  config: OnboardingConfig,
  partition: string,
  organizationId: string | undefined,
): RoleChange[] {
  const role = `role ${config.cicdRoleName}`;
  const { key, value } = config.managedTag;
  const changes: RoleChange[] = [];
  if (observation.tags[key] !== value) {
    const detail = `${role} exists without the tag ${key}=${value}`;
    if (!config.adoptExistingRole) {
      // Someone else's role: nothing about it is ours to change, so nothing else is planned.
      const advice = `it is left alone: tag it ${key}=${value}, or set adoptExistingRole: true`;
      return [{ ...change('role-not-managed', `${detail}, so ${advice}`), action: { type: 'none' } }];
    }
    changes.push({
      class: 'role-not-managed',
      detail: `${detail}: adopt it (adoptExistingRole)`,
      remediable: true,
      action: { type: 'adopt' },
    });
  }
  const trust = planTrust(observation.trustPolicyDocument, config, partition, organizationId);
  if (trust) changes.push(trust);
  const boundary = config.permissionsBoundaryArn;
  if (boundary && observation.boundaryArn !== boundary) {
    const detail = observation.boundaryArn
      ? `permissions boundary ${observation.boundaryArn} instead of ${boundary}`
      : `permissions boundary ${boundary} is not set (removed?)`;
    changes.push({ ...change('boundary-changed', detail), action: { type: 'set-boundary', arn: boundary } });
  }
  const attached = new Set(observation.attachedPolicyArns);
  for (const arn of config.cicdPolicyArns.filter((a) => !attached.has(a))) {
    changes.push({ ...change('policy-detached', `${arn} is not attached`), action: { type: 'attach', arn } });
  }
  return changes;
}

function planTrust(
  document: string,
  config: OnboardingConfig,
  partition: string,
  organizationId: string | undefined,
): RoleChange | undefined {
  const update = { type: 'update-trust' } as const;
  let actual: PolicyDocument;
  try {
    actual = decodePolicyDocument(document);
  } catch (err) {
    return {
      ...change('trust-policy-changed', `the trust policy cannot be read: ${(err as Error).message}`),
      action: update,
    };
  }
  const rewritten = principalIds(actual).filter((id) => UNIQUE_ID.test(id));
  if (rewritten.length > 0) {
    const detail =
      `the trust names ${rewritten.join(', ')} instead of the pipeline role ARN: IAM rewrote it when the role it ` +
      `trusted was deleted (e.g. the tooling role was recreated), so the pipeline cannot assume ${config.cicdRoleName}`;
    return { ...change('trust-principal-rewritten', detail), action: update };
  }
  const differences = describeTrustDrift(actual, buildTrustPolicy(config, partition, organizationId));
  return differences.length > 0
    ? { ...change('trust-policy-changed', differences.join('; ')), action: update }
    : undefined;
}

// ---- observe ---------------------------------------------------------------------------------------------------

/** The single reader of the role: GetRole, then ListAttachedRolePolicies (paginated). */
export async function observeRole(
  iam: IAMClient,
  config: OnboardingConfig,
  accountId: string,
): Promise<RoleObservation> {
  const roleName = config.cicdRoleName;
  const where = `${roleName} in ${accountId}`;
  let role: GetRoleCommandOutput;
  try {
    role = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  } catch (err) {
    if (isNoSuchEntity(err)) return { kind: 'missing' };
    return rethrowAws(err, `iam:GetRole of ${where}`);
  }
  const attachedPolicyArns: string[] = [];
  try {
    for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: roleName })) {
      for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) attachedPolicyArns.push(p.PolicyArn);
    }
  } catch (err) {
    if (isNoSuchEntity(err)) return { kind: 'missing' };
    rethrowAws(err, `iam:ListAttachedRolePolicies of ${where}`);
  }
  const r = role.Role;
  const boundaryArn = r?.PermissionsBoundary?.PermissionsBoundaryArn;
  return {
    kind: 'present',
    arn: r?.Arn ?? '',
    trustPolicyDocument: r?.AssumeRolePolicyDocument ?? '',
    tags: Object.fromEntries((r?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    attachedPolicyArns,
    ...(boundaryArn ? { boundaryArn } : {}),
  };
}

// ---- apply -----------------------------------------------------------------------------------------------------

export interface CicdRoleResult {
  outcome: RoleOutcome;
  roleArn: string;
  /** What this call changed, or why it could not (`not-managed`). */
  changes: string[];
}

interface Target {
  iam: IAMClient;
  config: OnboardingConfig;
  accountId: string;
  partition: string;
  /** The organization the trust requires of the pipeline role (`aws:PrincipalOrgID`). */
  organizationId?: string;
  where: string;
}

/**
 * The single writer: carries out the remediable changes of a plan, in order. A `create` that finds the role already
 * there (a concurrent execution won the race) answers `exists`, and the caller observes and plans again.
 */
export async function applyRoleChanges(
  t: Target,
  changes: RoleChange[],
  roleArn: string,
): Promise<CicdRoleResult | 'exists'> {
  const blocked = changes.find((c) => !c.remediable);
  if (blocked) return { outcome: 'not-managed', roleArn, changes: [blocked.detail] };
  const done: string[] = [];
  let arn = roleArn;
  for (const { action } of changes) {
    switch (action.type) {
      case 'create': {
        const created = await createRole(t);
        if (created === 'exists') return 'exists';
        arn = created;
        done.push(`created ${t.where}`);
        for (const policyArn of t.config.cicdPolicyArns) {
          await attachPolicy(t, policyArn);
          done.push(`attached ${policyArn}`);
        }
        break;
      }
      case 'adopt': {
        const { key, value } = t.config.managedTag;
        await send(`iam:TagRole of ${t.where}`, () =>
          t.iam.send(new TagRoleCommand({ RoleName: t.config.cicdRoleName, Tags: [{ Key: key, Value: value }] })),
        );
        done.push(`adopted the existing role (tagged ${key}=${value})`);
        break;
      }
      case 'update-trust':
        await updateTrust(t);
        done.push(`trust policy replaced (${changes.find((c) => c.action === action)?.detail})`);
        break;
      case 'set-boundary':
        await send(`iam:PutRolePermissionsBoundary of ${t.where}`, () =>
          t.iam.send(
            new PutRolePermissionsBoundaryCommand({ RoleName: t.config.cicdRoleName, PermissionsBoundary: action.arn }),
          ),
        );
        done.push(`permissions boundary set to ${action.arn}`);
        break;
      case 'attach':
        await attachPolicy(t, action.arn);
        done.push(`attached ${action.arn}`);
        break;
      case 'none':
        break;
    }
  }
  const created = changes.some((c) => c.action.type === 'create');
  return { outcome: created ? 'created' : done.length > 0 ? 'updated' : 'unchanged', roleArn: arn, changes: done };
}

export interface EnsureCicdRoleOptions {
  partition?: string;
  /** The organization's id: the trust requires it of the pipeline role (`aws:PrincipalOrgID`). */
  organizationId?: string;
  /**
   * The account is expected to be new (an account-creation event): plan `create` without reading first, which saves
   * the reads of the common case; an existing role answers EntityAlreadyExists and is then observed and planned.
   */
  expectNew?: boolean;
  /** The account's profile (profiles.ts resolveProfile): its policies and boundary; the top-level ones without. */
  profile?: ResolvedProfile;
}

/** observe → plan → apply for the cicd role of a member account (IAM client with the account's credentials). */
export async function ensureCicdRole(
  iam: IAMClient,
  base: OnboardingConfig,
  accountId: string,
  options: EnsureCicdRoleOptions = {},
): Promise<CicdRoleResult> {
  const config = options.profile ? withProfile(base, options.profile) : base;
  const partition = options.partition ?? 'aws';
  const { organizationId } = options;
  const t: Target = {
    iam,
    config,
    accountId,
    partition,
    ...(organizationId ? { organizationId } : {}),
    where: `role ${config.cicdRoleName} in account ${accountId}`,
  };
  const defaultArn = cicdRoleArn(config, accountId, partition);
  const observation: RoleObservation = options.expectNew
    ? { kind: 'missing' }
    : await observeRole(iam, config, accountId);
  const first = await applyRoleChanges(
    t,
    planRole(observation, config, partition, { organizationId }),
    arnOf(observation, defaultArn),
  );
  if (first !== 'exists') return first;
  // The role exists: made earlier (expectNew) or by a concurrent execution between our read and our CreateRole.
  const again = await observeRole(iam, config, accountId);
  if (again.kind === 'missing') {
    // IAM is eventually consistent: the role exists but cannot be read back yet; the next attempt converges it.
    throw new AccountNotReady(
      `${t.where} already exists (created concurrently) but IAM cannot read it back yet; retried automatically`,
    );
  }
  const second = await applyRoleChanges(
    t,
    planRole(again, config, partition, { organizationId }),
    arnOf(again, defaultArn),
  );
  if (second === 'exists') throw new AccountNotReady(`${t.where} could not be converged yet; retried automatically`);
  return second;
}

const arnOf = (o: RoleObservation, fallback: string): string => (o.kind === 'present' && o.arn ? o.arn : fallback);

/** Returns the new role's ARN, or `exists` when it already exists. */
async function createRole(t: Target): Promise<string | 'exists'> {
  const { config } = t;
  const pipelineArn = pipelineRoleArn(config, t.partition);
  try {
    const { Role: role } = await t.iam.send(
      new CreateRoleCommand({
        RoleName: config.cicdRoleName,
        Path: config.cicdRolePath,
        AssumeRolePolicyDocument: JSON.stringify(buildTrustPolicy(config, t.partition, t.organizationId)),
        Description: `Assumed by ${pipelineArn} (GitHub Actions over OIDC) to run Terraform. Managed by oidc-account-onboarding.`,
        MaxSessionDuration: config.cicdMaxSessionDurationSeconds,
        ...(config.permissionsBoundaryArn ? { PermissionsBoundary: config.permissionsBoundaryArn } : {}),
        Tags: [{ Key: config.managedTag.key, Value: config.managedTag.value }],
      }),
    );
    return role?.Arn ?? cicdRoleArn(config, t.accountId, t.partition);
  } catch (err) {
    if (isEntityAlreadyExists(err)) return 'exists';
    if (isMalformedPolicyDocument(err)) throw trustRejected(t, err);
    if (isNoSuchEntity(err)) {
      throw new ConfigError(
        `IAM could not create ${t.where}: ${(err as Error).message}. Does permissionsBoundaryArn ` +
          `${config.permissionsBoundaryArn ?? '(unset)'} exist in the account?`,
      );
    }
    return rethrowAws(err, `iam:CreateRole of ${t.where}`);
  }
}

async function updateTrust(t: Target): Promise<void> {
  const document = JSON.stringify(buildTrustPolicy(t.config, t.partition, t.organizationId));
  try {
    await t.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: t.config.cicdRoleName, PolicyDocument: document }));
  } catch (err) {
    if (isMalformedPolicyDocument(err)) throw trustRejected(t, err);
    rethrowAws(err, `iam:UpdateAssumeRolePolicy of ${t.where}`);
  }
}

function trustRejected(t: Target, err: unknown): ConfigError {
  return new ConfigError(
    `IAM rejected the trust policy of ${t.where} (${(err as Error).message}): does the pipeline role ${pipelineRoleArn(t.config, t.partition)} exist? ` +
      'IAM only accepts a role principal that exists: create it in the tooling account, or fix toolingAccountId, ' +
      'pipelineRoleName or pipelineRolePath in the configuration.',
  );
}

async function attachPolicy(t: Target, policyArn: string): Promise<void> {
  try {
    await t.iam.send(new AttachRolePolicyCommand({ RoleName: t.config.cicdRoleName, PolicyArn: policyArn }));
  } catch (err) {
    if (isNoSuchEntity(err)) {
      const message = (err as Error).message ?? '';
      if (message.includes(policyArn) || /not attachable/i.test(message)) {
        throw new ConfigError(
          `Policy ${policyArn} does not exist in account ${t.accountId} or is not attachable: ` +
            'create it there first, or change cicdPolicyArns in the configuration.',
        );
      }
      // The role we just created is not visible yet (eventual consistency): the retry converges it.
      throw new AccountNotReady(
        `${t.where} is not visible to IAM yet while attaching ${policyArn}; retried automatically`,
      );
    }
    rethrowAws(err, `iam:AttachRolePolicy ${policyArn} to ${t.where}`);
  }
}

async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    return rethrowAws(err, what);
  }
}
