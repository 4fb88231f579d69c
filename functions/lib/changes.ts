/**
 * The typed changes every planner returns (role, selection, repository): each names its drift class, whether an
 * onboarding execution carries it out (`remediable`), and what it is in a sentence. Onboarding applies them, the
 * sweep reports them, `cli plan` prints them: the same list, so "the sweep is clean" means "a run changes nothing".
 */

/** Every drift class, kebab-case: they travel to the onboarding workflow as `drift` (see execution-input.ts). */
export const DRIFT_CLASSES = [
  'role-missing',
  'role-not-managed',
  'trust-policy-changed',
  'trust-principal-rewritten',
  'policy-detached',
  'policy-not-in-profile',
  'boundary-changed',
  'account-not-assumable',
  'folder-missing',
  'tfvars-account-id',
  'matrix-entry-missing',
  'pr-stale',
  'pr-edited',
  'pr-declined',
  'orphan-folder',
] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

/** Classes that need a person whatever the case: the tool never acts on them. */
const NEEDS_A_PERSON: ReadonlySet<DriftClass> = new Set<DriftClass>([
  'role-not-managed',
  'account-not-assumable',
  'tfvars-account-id',
  'pr-edited',
  'pr-declined',
  'orphan-folder',
]);

export interface Change {
  class: DriftClass;
  /** What is wrong (or would be done) and, where a person must act, what to do. */
  detail: string;
  /** True when an onboarding execution carries it out; decided per change (a full matrix, an edited PR block it). */
  remediable: boolean;
}

/** A change of `cls`; remediable unless the class needs a person or `blockedBy` says why it cannot be applied. */
export function change(cls: DriftClass, detail: string, blockedBy?: string): Change {
  const blocked = NEEDS_A_PERSON.has(cls) || blockedBy !== undefined;
  return { class: cls, detail: blockedBy ? `${detail} (not applied: ${blockedBy})` : detail, remediable: !blocked };
}

export const isDriftClass = (value: string): value is DriftClass =>
  (DRIFT_CLASSES as readonly string[]).includes(value);
