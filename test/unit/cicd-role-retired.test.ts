import { planRole, type RoleObservation } from '../../functions/lib/cicd-role';
import { retiredSettings } from '../../functions/lib/cicd-role-retired';
import { resolveProfile } from '../../functions/lib/profiles';
import { ensureRoleSessionPolicy } from '../../functions/lib/session-policy';
import type { PolicyStatement } from '../../functions/lib/trust-policy';
import { ADMIN, MEMBER_ACCOUNT, testConfig } from '../support/ensure-cicd-role-fixtures';

const ROOT = { id: 'r-ab12', name: 'Root' };
const SANDBOX = { id: 'ou-ab12-44444444', name: 'Sandbox' };
const PROD = { id: 'ou-ab12-22222222', name: 'Prod' };
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const POWER_USER = 'arn:aws:iam::aws:policy/PowerUserAccess';
/** A policy no profile names: a person attached it. */
const PERSONS = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/break-glass-logging`;
const BOUNDARY = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/cicd-boundary`;
const PERSONS_BOUNDARY = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/security-team-boundary`;

const config = testConfig({
  profiles: [
    { name: 'prod', match: { ouPath: 'Prod' }, cicdPolicyArns: [POWER_USER], permissionsBoundaryArn: BOUNDARY },
    { name: 'sandbox', match: { ouPath: 'Sandbox' }, cicdPolicyArns: [READ_ONLY] },
  ],
});
const sandbox = resolveProfile({ ouPath: [ROOT, SANDBOX] }, config).profile;
const prod = resolveProfile({ ouPath: [ROOT, PROD] }, config).profile;

/** The managed cicd role as onboarded before (its trust is not what these tests look at). */
function role(attachedPolicyArns: string[], boundaryArn?: string): RoleObservation {
  return {
    kind: 'present',
    arn: `arn:aws:iam::${MEMBER_ACCOUNT}:role/cicd`,
    trustPolicyDocument: encodeURIComponent(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::111111111111:role/GitHubAction-AssumeRoleWithAction' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': 'acme-terraform' } },
          },
        ],
      }),
    ),
    tags: { 'managed-by': 'oidc-account-onboarding' },
    attachedPolicyArns,
    ...(boundaryArn ? { boundaryArn } : {}),
  };
}

const roleActions = (observation: RoleObservation, profile = sandbox) =>
  planRole(observation, config, 'aws', { profile })
    .map((c) => c.action)
    .filter((a) => a.type !== 'update-trust');

describe('retiredSettings: what other profiles set and the account profile does not', () => {
  it('names every other profile policy (the default one included), never the account own', () => {
    // Act / Assess
    expect(retiredSettings(config, sandbox)).toEqual({ policyArns: [ADMIN, POWER_USER], boundaryArns: [BOUNDARY] });
    expect(retiredSettings(config)).toEqual({ policyArns: [POWER_USER, READ_ONLY], boundaryArns: [BOUNDARY] });
    // A profile with its own boundary replaces any other: nothing to remove.
    expect(retiredSettings(config, prod)).toEqual({ policyArns: [ADMIN, READ_ONLY], boundaryArns: [] });
  });

  it('is empty without profiles: a configuration of one profile never detaches', () => {
    expect(retiredSettings(testConfig())).toEqual({ policyArns: [], boundaryArns: [] });
  });
});

describe('planRole converges a moved account to its new profile', () => {
  it("attaches the new profile's policies, then detaches the ones the tool attached for the old profile", () => {
    // Act
    const changes = planRole(role([ADMIN]), config, 'aws', { profile: sandbox }).filter(
      (c) => c.action.type !== 'update-trust',
    );

    // Assess: attach first, so the role is never left without its policies
    expect(changes).toEqual([
      {
        class: 'policy-detached',
        detail: `${READ_ONLY} is not attached`,
        remediable: true,
        action: { type: 'attach', arn: READ_ONLY },
      },
      {
        class: 'policy-not-in-profile',
        detail: `${ADMIN} is attached for another profile, not for sandbox: detach it`,
        remediable: true,
        action: { type: 'detach', arn: ADMIN },
      },
    ]);
  });

  it('never detaches a policy a person attached (one no profile names)', () => {
    // Act / Assess
    expect(roleActions(role([ADMIN, PERSONS, READ_ONLY]))).toEqual([{ type: 'detach', arn: ADMIN }]);
    expect(roleActions(role([PERSONS, READ_ONLY]))).toEqual([]);
  });

  it("removes another profile's boundary when the new profile sets none, never a person's boundary", () => {
    // Act / Assess
    expect(roleActions(role([READ_ONLY], BOUNDARY))).toEqual([{ type: 'remove-boundary', arn: BOUNDARY }]);
    expect(roleActions(role([READ_ONLY], PERSONS_BOUNDARY))).toEqual([]);
    // Into a profile with a boundary: its boundary replaces the other one.
    expect(roleActions(role([POWER_USER], PERSONS_BOUNDARY), prod)).toEqual([{ type: 'set-boundary', arn: BOUNDARY }]);
  });

  it('leaves a role that is not ours alone, whatever it has attached', () => {
    // Prepare
    const foreign = { ...role([ADMIN]), tags: {} };

    // Act / Assess
    expect(planRole(foreign, config, 'aws', { profile: sandbox }).map((c) => c.action)).toEqual([{ type: 'none' }]);
  });
});

describe('the ensure-cicd-role session of a moved account', () => {
  const statements = (p: { Statement: PolicyStatement | PolicyStatement[] }) =>
    Array.isArray(p.Statement) ? p.Statement : [p.Statement];

  it("may detach exactly the other profiles' policies and remove only their boundaries, on the cicd role", () => {
    // Act
    const policy = ensureRoleSessionPolicy(testConfig(), MEMBER_ACCOUNT, 'aws', retiredSettings(config, sandbox));
    const bySid = Object.fromEntries(statements(policy).map((s) => [s.Sid, s]));

    // Assess
    expect(bySid.DetachOtherProfilesPolicies).toMatchObject({
      Action: 'iam:DetachRolePolicy',
      Condition: { ArnEquals: { 'iam:PolicyARN': [ADMIN, POWER_USER] } },
    });
    expect(bySid.RemoveOtherProfilesBoundary).toMatchObject({
      Action: 'iam:DeleteRolePermissionsBoundary',
      Condition: { StringEquals: { 'iam:PermissionsBoundary': [BOUNDARY] } },
    });
    for (const s of statements(policy)) expect(s.Resource).toEqual(statements(policy)[0]?.Resource);
  });
});
