import {
  cicdRoleResources,
  ensureRoleSessionPolicy,
  MAX_SESSION_POLICY_LENGTH,
  reconcileSessionPolicy,
  sessionName,
} from '../../functions/lib/session-policy';
import type { PolicyStatement } from '../../functions/lib/trust-policy';
import { MEMBER_ACCOUNT, testConfig } from '../support/ensure-cicd-role-fixtures';

const statements = (policy: { Statement: PolicyStatement | PolicyStatement[] }) =>
  Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
const actions = (policy: { Statement: PolicyStatement | PolicyStatement[] }) =>
  statements(policy)
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
    .sort();
const ROLE = `arn:aws:iam::${MEMBER_ACCOUNT}:role/cicd`;

describe('the reconcile session policy', () => {
  it('allows only the two reads observeRole makes, on the cicd role only', () => {
    // Act
    const policy = reconcileSessionPolicy(testConfig(), MEMBER_ACCOUNT);

    // Assess
    expect(actions(policy)).toEqual(['iam:GetRole', 'iam:ListAttachedRolePolicies']);
    expect(statements(policy).map((s) => s.Resource)).toEqual([[ROLE, `arn:aws:iam::${MEMBER_ACCOUNT}:role/*/cicd`]]);
    expect(statements(policy).every((s) => s.Effect === 'Allow' && s.Condition === undefined)).toBe(true);
  });
});

describe('the ensure-cicd-role session policy', () => {
  it('manages the cicd role only: no delete, detach, inline policy or other role', () => {
    // Act
    const policy = ensureRoleSessionPolicy(testConfig(), MEMBER_ACCOUNT);

    // Assess
    expect(actions(policy)).toEqual([
      'iam:AttachRolePolicy',
      'iam:CreateRole',
      'iam:GetRole',
      'iam:ListAttachedRolePolicies',
      'iam:TagRole',
      'iam:UpdateAssumeRolePolicy',
    ]);
    for (const s of statements(policy)) expect(s.Resource).toEqual(cicdRoleResources(testConfig(), MEMBER_ACCOUNT));
  });

  it('attaches only the configured policies, and creates and tags only with the managed tag', () => {
    // Prepare
    const custom = `arn:aws:iam::${MEMBER_ACCOUNT}:policy/terraform`;
    const config = testConfig({ cicdPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', custom] });

    // Act
    const bySid = Object.fromEntries(
      statements(ensureRoleSessionPolicy(config, MEMBER_ACCOUNT)).map((s) => [s.Sid, s]),
    );

    // Assess
    expect(bySid.AttachConfiguredPolicies?.Condition).toEqual({
      ArnEquals: { 'iam:PolicyARN': ['arn:aws:iam::aws:policy/ReadOnlyAccess', custom] },
    });
    const tagOnly = {
      StringEquals: { 'aws:RequestTag/managed-by': 'oidc-account-onboarding' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['managed-by'] },
    };
    expect(bySid.TagCicdRole?.Condition).toEqual(tagOnly);
    // Without a configured boundary, a role is created with none.
    expect(bySid.CreateCicdRole?.Condition).toEqual({ ...tagOnly, Null: { 'iam:PermissionsBoundary': 'true' } });
    expect(bySid.SetConfiguredBoundary).toBeUndefined();
  });

  it('sets only the configured permissions boundary, at creation and after', () => {
    // Prepare
    const boundary = `arn:aws-us-gov:iam::${MEMBER_ACCOUNT}:policy/cicd-boundary`;
    const config = testConfig({ permissionsBoundaryArn: boundary });

    // Act
    const policy = ensureRoleSessionPolicy(config, MEMBER_ACCOUNT, 'aws-us-gov');
    const bySid = Object.fromEntries(statements(policy).map((s) => [s.Sid, s]));

    // Assess
    expect(bySid.SetConfiguredBoundary).toEqual({
      Sid: 'SetConfiguredBoundary',
      Effect: 'Allow',
      Action: 'iam:PutRolePermissionsBoundary',
      Resource: [
        `arn:aws-us-gov:iam::${MEMBER_ACCOUNT}:role/cicd`,
        `arn:aws-us-gov:iam::${MEMBER_ACCOUNT}:role/*/cicd`,
      ],
      Condition: { StringEquals: { 'iam:PermissionsBoundary': boundary } },
    });
    expect(bySid.CreateCicdRole?.Condition?.StringEquals).toEqual({
      'aws:RequestTag/managed-by': 'oidc-account-onboarding',
      'iam:PermissionsBoundary': boundary,
    });
  });

  it('names the role under any path (the configured one included), and fits STS with the most policies the configuration allows', () => {
    // Prepare
    const arns = Array.from({ length: 20 }, (_, i) => `arn:aws:iam::${MEMBER_ACCOUNT}:policy/p${i}`);
    const config = testConfig({ cicdRolePath: '/ci/', cicdPolicyArns: arns });

    // Act
    const policy = ensureRoleSessionPolicy(config, MEMBER_ACCOUNT);

    // Assess
    expect(statements(policy)[0]?.Resource).toEqual([ROLE, `arn:aws:iam::${MEMBER_ACCOUNT}:role/*/cicd`]);
    expect(JSON.stringify(policy).length).toBeLessThanOrEqual(MAX_SESSION_POLICY_LENGTH);
  });

  it('refuses, as ConfigError, policy ARNs too long for a session policy', () => {
    // Prepare
    const arns = Array.from({ length: 20 }, (_, i) => `arn:aws:iam::${MEMBER_ACCOUNT}:policy/${'x'.repeat(60)}${i}`);

    // Act / Assess
    expect(() => ensureRoleSessionPolicy(testConfig({ cicdPolicyArns: arns }), MEMBER_ACCOUNT)).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining('over STS') }),
    );
  });
});

describe('sessionName', () => {
  it.each([
    [
      'an execution ARN: its name',
      'arn:aws:states:us-east-1:000000000000:execution:onboard-account:manual-1',
      'onboarding-manual-1',
    ],
    ['a name with characters STS refuses', 'run:1/2 3', 'onboarding-run-1-2-3'],
    ['no execution', undefined, 'onboarding'],
  ])('carries %s', (_, run, expected) => {
    expect(sessionName('onboarding', run)).toBe(expected);
  });

  it('keeps a long name within 64 characters, distinct per execution', () => {
    // Prepare
    const long = (suffix: string) => `reconcile-${'x'.repeat(60)}-${suffix}`;

    // Act
    const [a, b] = [sessionName('reconcile', long('a')), sessionName('reconcile', long('b'))];

    // Assess
    for (const name of [a, b]) expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(a).toHaveLength(64);
    expect(a).not.toBe(b);
  });
});
