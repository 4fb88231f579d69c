import {
  GetRoleCommand,
  type GetRoleCommandOutput,
  type IAMClient,
  paginateListAttachedRolePolicies,
} from '@aws-sdk/client-iam';
import { isNoSuchEntity, rethrowAws } from './aws-errors';
import { type Change, change } from './changes';
import { type RetiredSettings, retiredSettings } from './cicd-role-retired';
import type { OnboardingConfig } from './config';
import { type ResolvedProfile, withProfile } from './profiles';
import { buildTrustPolicy, decodePolicyDocument, describeTrustDrift, type PolicyDocument } from './trust-policy';

/**
 * The `cicd` role of a member account: one reader (observeRole) and one pure planner (planRole) here, one writer
 * (cicd-role-apply.ts applyRoleChanges). ensure-cicd-role applies the plan, the reconcile check reports it, `cli plan`
 * prints it.
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
  /** A managed policy another profile attached (cicd-role-retired.ts). */
  | { type: 'detach'; arn: string }
  /** A boundary another profile set, when the account's profile sets none. */
  | { type: 'remove-boundary'; arn: string }
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
 * What must change for the role to be as configured; empty when it is. Pure. With a profile (profiles.ts), its
 * policies and boundary are the ones planned; without, the top-level settings (the default profile). Policies and a
 * boundary that another profile sets are removed (a moved account converges); those no profile names are a person's
 * and stay.
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
      return [
        ...planPresentRole(observation, config, partition, organizationId),
        ...planRetired(observation, config, retiredSettings(base, profile), profile?.name ?? 'default'),
      ];
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

/** Detaches what another profile attached, after the account's own policies are attached (planned first). */
function planRetired(
  observation: Extract<RoleObservation, { kind: 'present' }>,
  config: OnboardingConfig,
  retired: RetiredSettings,
  profile: string,
): RoleChange[] {
  if (observation.tags[config.managedTag.key] !== config.managedTag.value && !config.adoptExistingRole) return [];
  const changes: RoleChange[] = observation.attachedPolicyArns
    .filter((arn) => retired.policyArns.includes(arn))
    .map((arn) => ({
      ...change('policy-not-in-profile', `${arn} is attached for another profile, not for ${profile}: detach it`),
      action: { type: 'detach', arn },
    }));
  const boundary = observation.boundaryArn;
  if (!config.permissionsBoundaryArn && boundary && retired.boundaryArns.includes(boundary)) {
    const detail = `permissions boundary ${boundary} is another profile's; ${profile} sets none: remove it`;
    changes.push({ ...change('boundary-changed', detail), action: { type: 'remove-boundary', arn: boundary } });
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
