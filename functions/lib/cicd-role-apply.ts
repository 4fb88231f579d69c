import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DetachRolePolicyCommand,
  type IAMClient,
  PutRolePermissionsBoundaryCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { isEntityAlreadyExists, isMalformedPolicyDocument, isNoSuchEntity, rethrowAws } from './aws-errors';
import { cicdRoleArn, observeRole, planRole, type RoleChange, type RoleObservation } from './cicd-role';
import { type OnboardingConfig, pipelineRoleArn } from './config';
import { AccountNotReady, ConfigError } from './errors';
import { type ResolvedProfile, withProfile } from './profiles';
import { buildTrustPolicy } from './trust-policy';
import type { RoleOutcome } from './types';

/**
 * The writer of the cicd role (the plan is cicd-role.ts planRole): carries out a plan's changes, and ensureCicdRole,
 * observe → plan → apply for one member account.
 */

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
      case 'detach':
        await detachPolicy(t, action.arn);
        done.push(`detached ${action.arn} (another profile's)`);
        break;
      case 'remove-boundary':
        await send(`iam:DeleteRolePermissionsBoundary of ${t.where}`, () =>
          t.iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: t.config.cicdRoleName })),
        );
        done.push(`permissions boundary ${action.arn} removed (another profile's)`);
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
  // Planned against the base configuration and the profile, so what other profiles set is known (and retired).
  const plan = (o: RoleObservation) => planRole(o, base, partition, { organizationId, profile: options.profile });
  const first = await applyRoleChanges(t, plan(observation), arnOf(observation, defaultArn));
  if (first !== 'exists') return first;
  // The role exists: made earlier (expectNew) or by a concurrent execution between our read and our CreateRole.
  const again = await observeRole(iam, config, accountId);
  if (again.kind === 'missing') {
    // IAM is eventually consistent: the role exists but cannot be read back yet; the next attempt converges it.
    throw new AccountNotReady(
      `${t.where} already exists (created concurrently) but IAM cannot read it back yet; retried automatically`,
    );
  }
  const second = await applyRoleChanges(t, plan(again), arnOf(again, defaultArn));
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

/** Detaches a policy another profile attached; one already gone (a concurrent run) is done. */
async function detachPolicy(t: Target, policyArn: string): Promise<void> {
  try {
    await t.iam.send(new DetachRolePolicyCommand({ RoleName: t.config.cicdRoleName, PolicyArn: policyArn }));
  } catch (err) {
    if (isNoSuchEntity(err)) return;
    rethrowAws(err, `iam:DetachRolePolicy ${policyArn} from ${t.where}`);
  }
}

async function send<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    return rethrowAws(err, what);
  }
}
