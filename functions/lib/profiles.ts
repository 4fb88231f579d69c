import type { OnboardingConfig } from './config';
import type { OrganizationalUnitRef } from './types';

/**
 * Per-OU profiles (config `profiles`): what an account gets, chosen from where it sits in the organization and its
 * tags. The list is matched in order and the first match wins; an account that matches none gets the top-level
 * settings (the `default` profile), which is today's behaviour. One pure resolver for every caller: ensure-cicd-role
 * (the role's policies and boundary), the repository planner (the templates, labels and reviewers), reconciliation
 * and `cli plan` (which prints the profile and why).
 */

export type ProfileConfig = OnboardingConfig['profiles'][number];

/** What a profile decides, with the top-level settings filled in for what it leaves out. */
export interface ResolvedProfile {
  /** The profile's name, or `default` when none matched. */
  name: string;
  cicdPolicyArns: string[];
  permissionsBoundaryArn?: string;
  /** Subfolder of templates/ whose files replace (or add to) the default templates; none for the defaults. */
  templates?: string;
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
}

export interface ProfileResolution {
  profile: ResolvedProfile;
  /** Why, as a sentence for logs, `cli plan` and reports. */
  reason: string;
}

/** What matching looks at: the OUs above the account (root first) and its tags. */
export interface ProfileFacts {
  ouPath: Pick<OrganizationalUnitRef, 'id' | 'name'>[];
  tags?: Record<string, string>;
}

type ProfileSource = Pick<OnboardingConfig, 'profiles' | 'cicdPolicyArns' | 'permissionsBoundaryArn' | 'github'>;

/** The OU path as matched: the OUs below the root, as `Name/Name`; the root itself is left out. */
export function ouPathOf(ouPath: ProfileFacts['ouPath']): string[] {
  return ouPath.filter((o) => !o.id.startsWith('r-')).map((o) => o.name);
}

/** Splits a configured `ouPath` (`Workloads/Prod`, with or without a leading `Root/` or `/`) into its OUs. */
export function pathSegments(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  return parts[0] === 'Root' ? parts.slice(1) : parts;
}

/**
 * Whether the account is at or below the configured path: each configured segment names the OU at that depth, by
 * name or by id (`ou-…`). A prefix of whole segments: `Workloads/Prod` matches `Workloads/Prod/Team-a`, never
 * `Workloads/Production`.
 */
function ouPathMatches(configured: string, facts: ProfileFacts): boolean {
  const below = facts.ouPath.filter((o) => !o.id.startsWith('r-'));
  const wanted = pathSegments(configured);
  return wanted.length <= below.length && wanted.every((s, i) => below[i]?.name === s || below[i]?.id === s);
}

/** Every configured tag is on the account (`*` matches any value). */
function tagsMatch(tags: Record<string, string>, facts: ProfileFacts): boolean {
  const own = facts.tags ?? {};
  return Object.entries(tags).every(([k, v]) => Object.hasOwn(own, k) && (v === '*' || own[k] === v));
}

/** Whether one profile's `match` holds for the account (all of its conditions). */
export function profileMatches(profile: ProfileConfig, facts: ProfileFacts): boolean {
  const { ouPath, tags } = profile.match;
  return (ouPath === undefined || ouPathMatches(ouPath, facts)) && (tags === undefined || tagsMatch(tags, facts));
}

const describeMatch = (profile: ProfileConfig): string =>
  [
    profile.match.ouPath !== undefined ? `OU path ${pathSegments(profile.match.ouPath).join('/') || '(root)'}` : '',
    profile.match.tags !== undefined
      ? `tags ${Object.entries(profile.match.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`
      : '',
  ]
    .filter(Boolean)
    .join(' and ');

/** The default profile: the top-level settings. */
export function defaultProfile(config: ProfileSource): ResolvedProfile {
  return {
    name: 'default',
    cicdPolicyArns: [...config.cicdPolicyArns],
    ...(config.permissionsBoundaryArn ? { permissionsBoundaryArn: config.permissionsBoundaryArn } : {}),
    labels: [...config.github.labels],
    reviewers: [...config.github.reviewers],
    teamReviewers: [...config.github.teamReviewers],
  };
}

/** The first profile that matches the account, filled in from the top-level settings; `default` when none does. */
export function resolveProfile(facts: ProfileFacts, config: ProfileSource): ProfileResolution {
  const base = defaultProfile(config);
  const where = ouPathOf(facts.ouPath).join('/') || '(root)';
  const index = config.profiles.findIndex((p) => profileMatches(p, facts));
  const matched = config.profiles[index];
  if (!matched) {
    const tried = config.profiles.length === 0 ? 'no profiles are configured' : 'no profile matches';
    return { profile: base, reason: `default: ${tried} (OU path ${where}), so the top-level settings apply` };
  }
  const boundary = matched.permissionsBoundaryArn ?? base.permissionsBoundaryArn;
  return {
    profile: {
      name: matched.name,
      cicdPolicyArns: matched.cicdPolicyArns ?? base.cicdPolicyArns,
      ...(boundary ? { permissionsBoundaryArn: boundary } : {}),
      ...(matched.templates ? { templates: matched.templates } : {}),
      labels: matched.labels ?? base.labels,
      reviewers: matched.reviewers ?? base.reviewers,
      teamReviewers: matched.teamReviewers ?? base.teamReviewers,
    },
    reason: `profile ${matched.name} (profiles[${index}]): the first whose match holds (${describeMatch(matched)}; the account's OU path is ${where})`,
  };
}

/** Every profile an account can get: the default, then each configured one (filled in from the top-level settings). */
export function allProfiles(config: ProfileSource): ResolvedProfile[] {
  return [
    defaultProfile(config),
    ...config.profiles.map(
      (p) =>
        resolveProfile(
          { ouPath: [], tags: {} },
          // Resolves exactly this profile: a list of one that matches everything.
          { ...config, profiles: [{ ...p, match: { tags: {} } }] },
        ).profile,
    ),
  ];
}

/**
 * The configuration as the planners and writers see it for one account: the profile's policies, boundary, labels and
 * reviewers in place of the top-level ones. Everything else is unchanged.
 */
export function withProfile<C extends ProfileSource>(config: C, profile: ResolvedProfile): C {
  const { permissionsBoundaryArn: _, ...rest } = config;
  return {
    ...rest,
    cicdPolicyArns: profile.cicdPolicyArns,
    ...(profile.permissionsBoundaryArn ? { permissionsBoundaryArn: profile.permissionsBoundaryArn } : {}),
    github: {
      ...config.github,
      labels: profile.labels,
      reviewers: profile.reviewers,
      teamReviewers: profile.teamReviewers,
    },
  } as C;
}

// ---- validation at synth ---------------------------------------------------------------------------------------

export interface ProfileFinding {
  kind: 'shadowed' | 'overlap' | 'unknown-templates';
  message: string;
}

/** Whether every account `b` matches is also matched by `a` (so `a`, listed first, leaves nothing for `b`). */
function covers(a: ProfileConfig, b: ProfileConfig): boolean {
  if (a.match.ouPath !== undefined) {
    if (b.match.ouPath === undefined) return false;
    const pa = pathSegments(a.match.ouPath);
    const pb = pathSegments(b.match.ouPath);
    if (pa.length > pb.length || !pa.every((s, i) => pb[i] === s)) return false;
  }
  if (a.match.tags !== undefined) {
    const tb = b.match.tags ?? {};
    for (const [k, v] of Object.entries(a.match.tags)) {
      if (!Object.hasOwn(tb, k) || (v !== '*' && tb[k] !== v)) return false;
    }
  }
  return true;
}

/** Whether some account could match both (neither path excludes the other, no tag asks two values). */
function intersects(a: ProfileConfig, b: ProfileConfig): boolean {
  if (a.match.ouPath !== undefined && b.match.ouPath !== undefined) {
    const pa = pathSegments(a.match.ouPath);
    const pb = pathSegments(b.match.ouPath);
    const n = Math.min(pa.length, pb.length);
    // Segments may be names or ids, so only two names that differ at one depth exclude each other for sure.
    if (pa.slice(0, n).some((s, i) => s !== pb[i] && !s.startsWith('ou-') && !pb[i]?.startsWith('ou-'))) return false;
  }
  for (const [k, v] of Object.entries(a.match.tags ?? {})) {
    const w = b.match.tags?.[k];
    if (w !== undefined && v !== '*' && w !== '*' && v !== w) return false;
  }
  return true;
}

/**
 * What is wrong or worth knowing about the profiles: a profile an earlier one shadows entirely (it can never match:
 * an error), two that overlap (the earlier wins for the accounts both match: reported), a templates folder that is
 * not there (an error). `templateFolders` lists the subfolders of templates/ the build embeds.
 */
export function checkProfiles(profiles: ProfileConfig[], templateFolders: readonly string[]): ProfileFinding[] {
  const findings: ProfileFinding[] = [];
  profiles.forEach((p, i) => {
    if (p.templates !== undefined && !templateFolders.includes(p.templates)) {
      const known = templateFolders.length > 0 ? templateFolders.join(', ') : 'none';
      findings.push({
        kind: 'unknown-templates',
        message: `profiles[${i}] (${p.name}): templates folder "${p.templates}" is not a subfolder of templates/ (known: ${known})`,
      });
    }
    for (let j = 0; j < i; j++) {
      const q = profiles[j] as ProfileConfig;
      if (covers(q, p)) {
        findings.push({
          kind: 'shadowed',
          message: `profiles[${i}] (${p.name}) never applies: profiles[${j}] (${q.name}) comes first and matches every account it matches (${describeMatch(q)} ⊇ ${describeMatch(p)}); move it up or narrow ${q.name}`,
        });
      } else if (intersects(q, p)) {
        findings.push({
          kind: 'overlap',
          message: `profiles[${j}] (${q.name}) and profiles[${i}] (${p.name}) overlap (${describeMatch(q)} / ${describeMatch(p)}): accounts matching both get ${q.name}, the first`,
        });
      }
    }
  });
  return findings;
}
