import type { OnboardingConfig } from './config';
import { buildTrustPolicy, decodePolicyDocument, describeTrustDrift, type PolicyDocument } from './trust-policy';

/**
 * The drift classes and the role half of drift detection: what an account's cicd role looks like against the
 * configuration. Pure, and apart from the repository half (drift.ts) so that the batch check, which only reads
 * roles, does not carry the workflow and template code.
 */

/** Every drift class, kebab-case: they travel to the onboarding workflow as `drift` (see execution-input.ts). */
export const DRIFT_CLASSES = [
  'role-missing',
  'role-not-managed',
  'trust-policy-changed',
  'trust-principal-rewritten',
  'policy-detached',
  'account-not-assumable',
  'folder-missing',
  'tfvars-account-id',
  'matrix-entry-missing',
  'pr-stale',
  'pr-declined',
  'orphan-folder',
] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

/**
 * Classes an onboarding execution repairs. The others need a person: an account without an assumable access role,
 * a role someone else owns, a pull request a human declined, a folder whose account is gone.
 */
export const REMEDIABLE_CLASSES: ReadonlySet<DriftClass> = new Set<DriftClass>([
  'role-missing',
  'trust-policy-changed',
  'trust-principal-rewritten',
  'policy-detached',
  'folder-missing',
  'tfvars-account-id',
  'matrix-entry-missing',
  'pr-stale',
]);

export interface Finding {
  class: DriftClass;
  /** What is wrong and, where a person must act, what to do. */
  detail: string;
  /** False when an onboarding execution cannot fix it (by class, or e.g. a full matrix). */
  remediable: boolean;
}

export const finding = (cls: DriftClass, detail: string, remediable = REMEDIABLE_CLASSES.has(cls)): Finding => ({
  class: cls,
  detail,
  remediable,
});

/** What reading the account's cicd role found. */
export type RoleObservation =
  | { kind: 'not-assumable'; message: string }
  | { kind: 'missing' }
  | {
      kind: 'present';
      /** As GetRole returns it: URL-encoded JSON. */
      trustPolicyDocument: string;
      tags: Record<string, string>;
      attachedPolicyArns: string[];
    };

const UNIQUE_ID = /^(AROA|AIDA)[0-9A-Z]{8,}$/;

function principalIds(doc: PolicyDocument): string[] {
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return statements.flatMap((s) => {
    const p = s.Principal;
    if (p === undefined || p === '*') return [];
    const aws = p.AWS;
    return aws === undefined ? [] : Array.isArray(aws) ? aws : [aws];
  });
}

/** Role drift of one account from what its cicd role looks like; empty when it is as configured. */
export function roleDrift(observation: RoleObservation, config: OnboardingConfig, partition = 'aws'): Finding[] {
  const role = `role ${config.cicdRoleName}`;
  switch (observation.kind) {
    case 'not-assumable':
      return [finding('account-not-assumable', observation.message)];
    case 'missing':
      return [finding('role-missing', `${role} does not exist`)];
    case 'present': {
      const findings: Finding[] = [];
      const { key, value } = config.managedTag;
      if (observation.tags[key] !== value && !config.adoptExistingRole) {
        return [
          finding(
            'role-not-managed',
            `${role} exists without the tag ${key}=${value}, so it is left alone: tag it, or set adoptExistingRole: true`,
          ),
        ];
      }
      let actual: PolicyDocument | undefined;
      try {
        actual = decodePolicyDocument(observation.trustPolicyDocument);
      } catch (err) {
        findings.push(finding('trust-policy-changed', `the trust policy cannot be read: ${(err as Error).message}`));
      }
      if (actual) {
        const differences = describeTrustDrift(actual, buildTrustPolicy(config, partition));
        const rewritten = principalIds(actual).filter((id) => UNIQUE_ID.test(id));
        if (rewritten.length > 0) {
          findings.push(
            finding(
              'trust-principal-rewritten',
              `the trust names ${rewritten.join(', ')} instead of the pipeline role ARN: IAM rewrote it when the role it trusted was deleted (e.g. the tooling role was recreated), so the pipeline cannot assume ${config.cicdRoleName}`,
            ),
          );
        } else if (differences.length > 0) {
          findings.push(finding('trust-policy-changed', differences.join('; ')));
        }
      }
      const attached = new Set(observation.attachedPolicyArns);
      const detached = config.cicdPolicyArns.filter((arn) => !attached.has(arn));
      if (detached.length > 0) findings.push(finding('policy-detached', `${detached.join(', ')} not attached`));
      return findings;
    }
  }
}
