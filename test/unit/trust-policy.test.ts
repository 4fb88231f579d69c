import {
  buildTrustPolicy,
  decodePolicyDocument,
  describeTrustDrift,
  type PolicyDocument,
  policiesEquivalent,
} from '../../functions/lib/trust-policy';
import { desiredStatement, desiredTrust, PIPELINE_ROLE_ARN, testConfig } from '../support/ensure-cicd-role-fixtures';

describe('buildTrustPolicy', () => {
  it('trusts exactly the tooling pipeline role with sts:AssumeRole and the external id', () => {
    // Act
    const policy = buildTrustPolicy(testConfig());

    // Assess
    expect(policy).toEqual(desiredTrust);
  });

  it('has no condition when no external id is configured', () => {
    // Act
    const policy = buildTrustPolicy(testConfig({ externalId: undefined }));

    // Assess
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Principal: { AWS: PIPELINE_ROLE_ARN }, Action: 'sts:AssumeRole' },
    ]);
  });

  it('requires the organization of the pipeline role (aws:PrincipalOrgID) when the organization is known', () => {
    // Act
    const withExternalId = buildTrustPolicy(testConfig(), 'aws', 'o-a1b2c3d4e5');
    const without = buildTrustPolicy(testConfig({ externalId: undefined }), 'aws', 'o-a1b2c3d4e5');

    // Assess
    expect(withExternalId.Statement).toEqual([
      {
        ...desiredStatement,
        Condition: { StringEquals: { 'sts:ExternalId': 'acme-terraform', 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
      },
    ]);
    expect(without.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: PIPELINE_ROLE_ARN },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
      },
    ]);
  });

  it('names the pipeline role with its path and partition', () => {
    // Act
    const policy = buildTrustPolicy(testConfig({ pipelineRolePath: '/ci/' }), 'aws-cn');

    // Assess
    expect(JSON.stringify(policy)).toContain(
      '"arn:aws-cn:iam::111111111111:role/ci/GitHubAction-AssumeRoleWithAction"',
    );
  });
});

describe('decodePolicyDocument', () => {
  it('decodes the URL-encoded document GetRole returns', () => {
    // Prepare
    const encoded = encodeURIComponent(JSON.stringify(desiredTrust));

    // Act / Assess
    expect(encoded.startsWith('%7B')).toBe(true);
    expect(decodePolicyDocument(encoded)).toEqual(desiredTrust);
  });

  it('accepts a document that is already decoded', () => {
    expect(decodePolicyDocument(`  ${JSON.stringify(desiredTrust)}\n`)).toEqual(desiredTrust);
  });

  it('keeps a literal "+" in values (RFC 3986 encoding, not form encoding)', () => {
    // Prepare
    const doc = { Statement: { Effect: 'Allow', Condition: { StringEquals: { 'sts:ExternalId': 'a+b' } } } };

    // Act
    const decoded = decodePolicyDocument(encodeURIComponent(JSON.stringify(doc)).replace('%2B', '+'));

    // Assess
    expect(decoded).toEqual(doc);
  });

  it.each([
    ['truncated JSON', '%7B%22Statement%22%3A', /not valid JSON/],
    ['a broken escape', '%7B%E0%A4%A', /neither JSON nor a valid URL-encoded/],
    ['JSON that is not a policy', encodeURIComponent('[1,2]'), /not an IAM policy/],
    ['a statement that is not an object', encodeURIComponent('{"Statement":["x"]}'), /not an IAM policy/],
  ])('rejects %s with a clear SyntaxError', (_, doc, message) => {
    expect(() => decodePolicyDocument(doc)).toThrow(SyntaxError);
    expect(() => decodePolicyDocument(doc)).toThrow(message);
  });
});

describe('policiesEquivalent', () => {
  const reshaped: PolicyDocument = {
    Statement: {
      Condition: { StringEquals: { 'STS:EXTERNALID': ['acme-terraform'] } },
      Action: ['sts:assumerole', 'sts:AssumeRole'],
      Principal: { AWS: [PIPELINE_ROLE_ARN] },
      Effect: 'Allow',
      Sid: 'PipelineRole',
    },
    Version: '2012-10-17',
  };

  it('treats single values and one-element arrays, key order, case of action and condition key, and Sid as equal', () => {
    expect(policiesEquivalent(reshaped, desiredTrust)).toBe(true);
  });

  it('ignores the order of values and of statements', () => {
    // Prepare
    const [a, b, c] = ['a', 'b', 'c'].map((name) => `arn:aws:iam::222222222222:role/${name}`);
    const statement = (...principals: (string | undefined)[]) => ({
      Effect: 'Allow',
      Principal: { AWS: principals.filter((p) => p !== undefined) },
      Action: 'sts:AssumeRole',
    });
    const forward: PolicyDocument = { Version: '2012-10-17', Statement: [statement(a, b), statement(c, b)] };
    const backward: PolicyDocument = { Version: '2012-10-17', Statement: [statement(b, c), statement(b, a)] };

    // Act / Assess
    expect(policiesEquivalent(forward, backward)).toBe(true);
  });

  it.each<[string, PolicyDocument]>([
    [
      'a principal IAM rewrote to a role id',
      { ...desiredTrust, Statement: [{ ...desiredStatement, Principal: { AWS: 'AROA1234567890EXAMPLE' } }] },
    ],
    [
      'a missing external id condition',
      { ...desiredTrust, Statement: [{ ...desiredStatement, Condition: undefined }] },
    ],
    [
      'another external id',
      {
        ...desiredTrust,
        Statement: [{ ...desiredStatement, Condition: { StringEquals: { 'sts:ExternalId': 'other' } } }],
      },
    ],
    ['another action', { ...desiredTrust, Statement: [{ ...desiredStatement, Action: 'sts:*' }] }],
    [
      'an extra statement',
      {
        ...desiredTrust,
        Statement: [
          desiredStatement,
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
    ],
    ['no Version (IAM reads it as 2008-10-17)', { Statement: desiredTrust.Statement }],
  ])('sees %s as different', (_, actual) => {
    expect(policiesEquivalent(JSON.parse(JSON.stringify(actual)), desiredTrust)).toBe(false);
  });
});

describe('describeTrustDrift', () => {
  it('is empty for an equivalent policy', () => {
    expect(
      describeTrustDrift(decodePolicyDocument(encodeURIComponent(JSON.stringify(desiredTrust))), desiredTrust),
    ).toEqual([]);
  });

  it('explains a principal that IAM rewrote to a role id because the tooling role was recreated', () => {
    // Prepare
    const actual = {
      ...desiredTrust,
      Statement: [{ ...desiredStatement, Principal: { AWS: 'AROA1234567890EXAMPLE' } }],
    };

    // Act
    const drift = describeTrustDrift(actual, desiredTrust);

    // Assess
    expect(drift).toEqual([
      `principal ${PIPELINE_ROLE_ARN} is missing`,
      expect.stringMatching(/^principal AROA1234567890EXAMPLE is a role id: .*tooling role was recreated/),
    ]);
  });

  it('names a wrong external id and an extra principal', () => {
    // Prepare
    const actual: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: [PIPELINE_ROLE_ARN, 'arn:aws:iam::999999999999:root'] },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'old' } },
        },
      ],
    };

    // Act
    const drift = describeTrustDrift(actual, desiredTrust);

    // Assess
    expect(drift).toEqual([
      'principal arn:aws:iam::999999999999:root is not expected',
      'condition StringEquals sts:externalid=acme-terraform is missing',
      'condition StringEquals sts:externalid=old is not expected',
    ]);
  });
});
