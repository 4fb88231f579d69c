import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  type IAMClient,
  PutRolePermissionsBoundaryCommand,
  paginateListAttachedRolePolicies,
  type Role,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { isEntityAlreadyExists, isMalformedPolicyDocument, isNoSuchEntity, rethrowAws } from './aws-errors';
import { type OnboardingConfig, pipelineRoleArn } from './config';
import { AccountNotReady, ConfigError, RoleNotManaged } from './errors';
import { buildTrustPolicy, decodePolicyDocument, describeTrustDrift, type PolicyDocument } from './trust-policy';
import type { RoleOutcome } from './types';

export interface CicdRoleResult {
  outcome: RoleOutcome;
  roleArn: string;
  /** What this call changed, e.g. `created role cicd`, `attached arn:aws:iam::aws:policy/AdministratorAccess`. */
  changes: string[];
}

export interface EnsureCicdRoleOptions {
  partition?: string;
  /**
   * The account is expected to be new (an account-creation event): try CreateRole first, which saves the GetRole
   * of the common case; an existing role answers EntityAlreadyExists and is then read and converged as usual.
   */
  expectNew?: boolean;
}

/** Everything one convergence needs; built once per call. */
interface Target {
  iam: IAMClient;
  config: OnboardingConfig;
  accountId: string;
  roleName: string;
  /** `role cicd in account 123456789012`, for messages. */
  where: string;
  pipelineArn: string;
  trustPolicy: PolicyDocument;
}

/**
 * Converges the cicd role of a member account (IAM client with the account's credentials): creates it when
 * missing, otherwise repairs the trust policy, the permissions boundary and missing policy attachments.
 * Only changes differences, never detaches policies a human added, and leaves alone a role it does not manage
 * unless `adoptExistingRole` is set. A brand-new account costs GetRole + CreateRole + one AttachRolePolicy per policy,
 * or CreateRole + AttachRolePolicy with `expectNew`.
 */
export async function ensureCicdRole(
  iam: IAMClient,
  config: OnboardingConfig,
  accountId: string,
  options: EnsureCicdRoleOptions = {},
): Promise<CicdRoleResult> {
  const partition = options.partition ?? 'aws';
  const roleName = config.cicdRoleName;
  const target: Target = {
    iam,
    config,
    accountId,
    roleName,
    where: `role ${roleName} in account ${accountId}`,
    pipelineArn: pipelineRoleArn(config, partition),
    trustPolicy: buildTrustPolicy(config, partition),
  };

  const finishCreated = async (created: { arn: string | undefined }): Promise<CicdRoleResult> => {
    const changes = [`created ${target.where}`];
    for (const policyArn of config.cicdPolicyArns) {
      await attachPolicy(target, policyArn);
      changes.push(`attached ${policyArn}`);
    }
    const roleArn = created.arn ?? `arn:${partition}:iam::${accountId}:role${config.cicdRolePath}${roleName}`;
    return { outcome: 'created', roleArn, changes };
  };

  if (!options.expectNew) {
    const existing = await getRole(target);
    if (existing) return converge(target, existing);
  }
  const created = await createRole(target);
  if (created) return finishCreated(created);

  // The role exists: made earlier (expectNew) or by a concurrent execution between our GetRole and CreateRole.
  const raced = await getRole(target);
  if (!raced) {
    // IAM is eventually consistent: the role exists but this endpoint cannot read it yet. AccountNotReady is
    // the retryable error for "this account cannot be worked on yet"; the next attempt converges it.
    throw new AccountNotReady(
      `${target.where} already exists (created concurrently) but IAM cannot read it back yet; retried automatically`,
    );
  }
  return converge(target, raced);
}

async function getRole({ iam, roleName, where }: Target): Promise<Role | undefined> {
  try {
    const { Role: role } = await iam.send(new GetRoleCommand({ RoleName: roleName }));
    return role;
  } catch (err) {
    if (isNoSuchEntity(err)) return undefined;
    return rethrowAws(err, `iam:GetRole of ${where}`);
  }
}

/** Returns the new role's ARN, or undefined when it already exists (a concurrent execution won the race). */
async function createRole(t: Target): Promise<{ arn: string | undefined } | undefined> {
  const { config } = t;
  try {
    const { Role: role } = await t.iam.send(
      new CreateRoleCommand({
        RoleName: t.roleName,
        Path: config.cicdRolePath,
        AssumeRolePolicyDocument: JSON.stringify(t.trustPolicy),
        Description: `Assumed by ${t.pipelineArn} (GitHub Actions over OIDC) to run Terraform. Managed by oidc-account-onboarding.`,
        MaxSessionDuration: config.cicdMaxSessionDurationSeconds,
        ...(config.permissionsBoundaryArn ? { PermissionsBoundary: config.permissionsBoundaryArn } : {}),
        Tags: [{ Key: config.managedTag.key, Value: config.managedTag.value }],
      }),
    );
    return { arn: role?.Arn };
  } catch (err) {
    if (isEntityAlreadyExists(err)) return undefined;
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

function trustRejected(t: Target, err: unknown): ConfigError {
  return new ConfigError(
    `IAM rejected the trust policy of ${t.where} (${(err as Error).message}): does the pipeline role ${t.pipelineArn} exist? ` +
      'IAM only accepts a role principal that exists: create it in the tooling account, or fix toolingAccountId, ' +
      'pipelineRoleName or pipelineRolePath in the configuration.',
  );
}

async function attachPolicy(t: Target, policyArn: string): Promise<void> {
  try {
    await t.iam.send(new AttachRolePolicyCommand({ RoleName: t.roleName, PolicyArn: policyArn }));
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

const hasManagedTag = (role: Role, { key, value }: OnboardingConfig['managedTag']): boolean =>
  (role.Tags ?? []).some((tag) => tag.Key === key && tag.Value === value);

async function converge(t: Target, role: Role): Promise<CicdRoleResult> {
  const { iam, config, roleName, where } = t;
  const { managedTag } = config;
  const roleArn = role.Arn ?? '';
  const changes: string[] = [];

  if (!hasManagedTag(role, managedTag)) {
    if (!config.adoptExistingRole) {
      throw new RoleNotManaged(
        `${where} exists and is not tagged ${managedTag.key}=${managedTag.value}, so it is left untouched. ` +
          `To let oidc-account-onboarding manage it, tag it ${managedTag.key}=${managedTag.value} ` +
          'or set adoptExistingRole: true in the configuration.',
      );
    }
    await send(`iam:TagRole of ${where}`, () =>
      iam.send(new TagRoleCommand({ RoleName: roleName, Tags: [{ Key: managedTag.key, Value: managedTag.value }] })),
    );
    changes.push(`adopted the existing role (tagged ${managedTag.key}=${managedTag.value})`);
  }

  const drift = trustDrift(role, t.trustPolicy);
  if (drift.length > 0) {
    try {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: JSON.stringify(t.trustPolicy) }),
      );
    } catch (err) {
      if (isMalformedPolicyDocument(err)) throw trustRejected(t, err);
      rethrowAws(err, `iam:UpdateAssumeRolePolicy of ${where}`);
    }
    changes.push(`trust policy replaced (${drift.join('; ')})`);
  }

  const boundary = config.permissionsBoundaryArn;
  const currentBoundary = role.PermissionsBoundary?.PermissionsBoundaryArn;
  if (boundary && currentBoundary !== boundary) {
    await send(`iam:PutRolePermissionsBoundary of ${where}`, () =>
      iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: roleName, PermissionsBoundary: boundary })),
    );
    changes.push(
      currentBoundary
        ? `permissions boundary ${currentBoundary} replaced by ${boundary}`
        : `permissions boundary set to ${boundary}`,
    );
  }

  const attached = await attachedPolicyArns(t);
  for (const policyArn of config.cicdPolicyArns.filter((arn) => !attached.has(arn))) {
    await attachPolicy(t, policyArn);
    changes.push(`attached ${policyArn}`);
  }

  return { outcome: changes.length > 0 ? 'updated' : 'unchanged', roleArn, changes };
}

/** Why the role's trust differs from the desired one; a document that cannot be read is drift too. */
function trustDrift(role: Role, desired: PolicyDocument): string[] {
  try {
    return describeTrustDrift(decodePolicyDocument(role.AssumeRolePolicyDocument ?? ''), desired);
  } catch (err) {
    if (err instanceof SyntaxError) return [`the current document could not be read: ${err.message}`];
    throw err;
  }
}

async function attachedPolicyArns(t: Target): Promise<Set<string>> {
  const arns = new Set<string>();
  try {
    for await (const page of paginateListAttachedRolePolicies({ client: t.iam }, { RoleName: t.roleName })) {
      for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn) arns.add(policy.PolicyArn);
    }
  } catch (err) {
    rethrowAws(err, `iam:ListAttachedRolePolicies of ${t.where}`);
  }
  return arns;
}

async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    return rethrowAws(err, what);
  }
}
