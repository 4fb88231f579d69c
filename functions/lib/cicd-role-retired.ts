import type { OnboardingConfig } from './config';
import { allProfiles, defaultProfile, type ResolvedProfile } from './profiles';

/**
 * What the tool sets on a cicd role under some profile (the default included) that the account's own profile does
 * not want: the managed policies and permissions boundaries the role of a moved account sheds as it converges. A
 * policy or boundary no profile names (a person's) is never in it, so it is never removed. Pure.
 */
export interface RetiredSettings {
  /** Managed policies some profile attaches and the account's profile does not. */
  policyArns: string[];
  /** Boundaries some profile sets, when the account's profile sets none (a profile's own boundary replaces any other). */
  boundaryArns: string[];
}

const unique = (values: string[]): string[] => [...new Set(values)];

export function retiredSettings(
  base: Pick<OnboardingConfig, 'profiles' | 'cicdPolicyArns' | 'permissionsBoundaryArn' | 'github'>,
  profile: ResolvedProfile = defaultProfile(base),
): RetiredSettings {
  const profiles = allProfiles(base);
  const wanted = new Set(profile.cicdPolicyArns);
  return {
    policyArns: unique(profiles.flatMap((p) => p.cicdPolicyArns)).filter((arn) => !wanted.has(arn)),
    boundaryArns: profile.permissionsBoundaryArn
      ? []
      : unique(profiles.flatMap((p) => (p.permissionsBoundaryArn ? [p.permissionsBoundaryArn] : []))),
  };
}
