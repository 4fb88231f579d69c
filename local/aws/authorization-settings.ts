/**
 * The IAM evaluation settings of one stand-in (kept beside its state, as the S3 buckets are): whether requests are
 * evaluated, the resource-based policies of its resources, the KMS keys of encrypted topics, the organization's
 * service control policies, and the record of what was decided.
 *
 * Service control policies come from a JSON file (`--scps FILE` of `npm start`, `scpFile` of the options):
 *
 * ```json
 * { "policies": [{ "name": "DenyLeavingTheOrganization", "targets": ["root"], "document": { "Version": "2012-10-17", "Statement": [ … ] } }] }
 * ```
 *
 * A target is `root`, an OU by id or by name (`Workloads`), or an account id. As in Organizations, `FullAWSAccess` stays
 * attached to the root, every OU and every account unless the file says `"fullAWSAccess": false` (then the file's
 * policies are an allow list). SCPs apply to the principals of member accounts, never to the management account's.
 */
import { readFileSync } from 'node:fs';
import type { SimulationOrgPolicies } from '@cloud-copilot/iam-simulate';
import { type PolicyDocument, statementsOf } from './policy';
import type { AwsState } from './state';

export interface ServiceControlPolicy {
  name: string;
  /** Where it is attached: `root`, an OU (id or name) or an account id. */
  targets: string[];
  document: PolicyDocument;
}

export interface ServiceControlPolicies {
  /** `FullAWSAccess` attached at every level, as Organizations does by default (default true). */
  fullAWSAccess?: boolean;
  policies: ServiceControlPolicy[];
}

/** A request the stand-in refused, with the message it answered. */
export interface Denial {
  /** The caller (`arn:aws:sts::…:assumed-role/<role>/<session>` or a user ARN). */
  callerArn: string;
  /** The role or user behind the caller. */
  principalArn: string;
  /** `service:Action`. */
  action: string;
  resource: string;
  /** The stand-in operation that was refused, e.g. `sns:Publish` for a KMS denial of a publish. */
  operation: string;
  message: string;
}

export interface AuthorizationSettings {
  /** Evaluate every request (default true). Off, the stand-in checks only signatures and trust policies. */
  enabled: boolean;
  /** Resource-based policies (topic, bucket, KMS key, secret), by the resource's ARN (a bucket's by the bucket ARN). */
  resourcePolicies: Map<string, PolicyDocument>;
  /** The KMS key of each encrypted topic, by topic ARN: publishing asks KMS for a data key as the publisher. */
  topicKeys: Map<string, string>;
  serviceControlPolicies: ServiceControlPolicies;
  /** Every refused request, in order. */
  denials: Denial[];
  /** The identity statements that allowed requests: principal ARN → `<policy name>#<statement index>` → actions. */
  grants: Map<string, Map<string, Set<string>>>;
}

const settingsByState = new WeakMap<AwsState, AuthorizationSettings>();

/** The evaluation settings of a stand-in, created on first use (evaluation on, no policies). */
export function authorizationSettings(state: AwsState): AuthorizationSettings {
  let settings = settingsByState.get(state);
  if (!settings) {
    settings = {
      enabled: true,
      resourcePolicies: new Map(),
      topicKeys: new Map(),
      serviceControlPolicies: { policies: [] },
      denials: [],
      grants: new Map(),
    };
    settingsByState.set(state, settings);
  }
  return settings;
}

/** Reads and checks a service control policy file (see the header). */
export function readServiceControlPolicies(path: string): ServiceControlPolicies {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ServiceControlPolicies>;
  const fail = (why: string) => {
    throw new Error(`${path}: ${why}`);
  };
  if (!Array.isArray(parsed.policies)) fail('expected {"policies": [{"name", "targets", "document"}, …]}');
  for (const [index, policy] of (parsed.policies ?? []).entries()) {
    if (typeof policy?.name !== 'string' || policy.name === '') fail(`policies[${index}].name must be a string`);
    if (!Array.isArray(policy.targets) || policy.targets.some((t) => typeof t !== 'string')) {
      fail(`policies[${index}].targets must be a list of "root", OU ids or names, or account ids`);
    }
    if (typeof policy.document !== 'object' || statementsOf(policy.document).length === 0) {
      fail(`policies[${index}].document must be a policy document with statements`);
    }
  }
  if (parsed.fullAWSAccess !== undefined && typeof parsed.fullAWSAccess !== 'boolean') {
    fail('fullAWSAccess must be true or false');
  }
  return { fullAWSAccess: parsed.fullAWSAccess, policies: parsed.policies as ServiceControlPolicy[] };
}

const FULL_AWS_ACCESS = {
  name: 'FullAWSAccess',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
};

/**
 * The SCPs that apply to a principal of `accountId`, one entry per level from the root down to the account (the
 * order iam-simulate expects); none for the management account, or when no SCP was given.
 */
export function serviceControlPolicyLevels(
  state: AwsState,
  settings: AuthorizationSettings,
  accountId: string,
): SimulationOrgPolicies[] {
  const { policies, fullAWSAccess = true } = settings.serviceControlPolicies;
  const account = state.organization.accounts.get(accountId);
  if (policies.length === 0 || !account || accountId === state.organization.managementAccountId) return [];
  const units = ouIdsAbove(state, account.parentId);
  const attachedTo = (target: string) => {
    const unit = state.organization.organizationalUnits.get(target);
    return (policy: ServiceControlPolicy) =>
      policy.targets.some((t) =>
        target === state.organization.rootId
          ? t === 'root' || t === 'Root' || t === state.organization.rootId
          : unit
            ? t === unit.id || t === unit.name
            : t === target,
      );
  };
  return [state.organization.rootId, ...units, accountId].map((level) => ({
    orgIdentifier: level,
    policies: [
      ...(fullAWSAccess ? [FULL_AWS_ACCESS] : []),
      ...policies.filter(attachedTo(level)).map((p) => ({ name: p.name, policy: p.document })),
    ],
  }));
}

/** The ids of the OUs from the root down to `parentId` (an account's parent), root excluded. */
export function ouIdsAbove(state: AwsState, parentId: string): string[] {
  const units: string[] = [];
  for (let parent = parentId; parent !== state.organization.rootId; ) {
    const unit = state.organization.organizationalUnits.get(parent);
    if (!unit) break;
    units.unshift(unit.id);
    parent = unit.parentId;
  }
  return units;
}
