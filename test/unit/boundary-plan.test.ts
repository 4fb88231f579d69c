/**
 * One role plan for every caller: a removed or changed permissions boundary is seen alike by `cli plan` (which
 * prints it), the sweep (reconcile-check, which reports it) and the onboarding (ensure-cicd-role, which sets it),
 * in every partition.
 */
import {
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
} from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { describeRolePlan } from '../../bin/plan';
import { makeHandler as makeEnsure } from '../../functions/ensure-cicd-role/handler';
import { observeRole, planRole } from '../../functions/lib/cicd-role';
import { buildTrustPolicy } from '../../functions/lib/trust-policy';
import { makeHandler as makeCheck } from '../../functions/reconcile-check/handler';
import { MANAGED_TAG, MEMBER_ACCOUNT, testConfig } from '../support/ensure-cicd-role-fixtures';
import { memoryObjectStore } from '../support/memory-object-store';
import { mockOrganizations, ROOT_ID } from '../support/organizations';

/** The organization mockOrganizations names in its account ARNs. */
const ORGANIZATION = 'o-exampleorg1';

const sts = mockClient(STSClient);
const iam = mockClient(IAMClient);
afterEach(() => {
  sts.reset();
  iam.reset();
});
afterAll(() => {
  sts.restore();
  iam.restore();
});

const credentials = {
  AccessKeyId: 'ASIAEXAMPLE',
  SecretAccessKey: 'secret',
  SessionToken: 'token',
  Expiration: new Date(Date.now() + 3600_000),
};

describe.each(['aws', 'aws-cn', 'aws-us-gov'])('a permissions boundary in the %s partition', (partition) => {
  const boundary = `arn:${partition}:iam::${MEMBER_ACCOUNT}:policy/cicd-boundary`;
  const policy = `arn:${partition}:iam::aws:policy/AdministratorAccess`;
  const config = testConfig({ permissionsBoundaryArn: boundary, cicdPolicyArns: [policy] });

  /** The account's role as IAM answers, correct in every way but the boundary. */
  function roleWithBoundary(actual: string | undefined) {
    sts.on(AssumeRoleCommand).resolves({ Credentials: credentials });
    mockOrganizations({ accounts: { [MEMBER_ACCOUNT]: { name: 'a', email: 'a@example.com', parentId: ROOT_ID } } });
    iam.on(GetRoleCommand).resolves({
      Role: {
        RoleName: 'cicd',
        Path: '/',
        Arn: `arn:${partition}:iam::${MEMBER_ACCOUNT}:role/cicd`,
        RoleId: 'AROAEXAMPLEROLEID0001',
        CreateDate: new Date('2024-01-01T00:00:00Z'),
        AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(buildTrustPolicy(config, partition, ORGANIZATION))),
        Tags: [MANAGED_TAG],
        ...(actual
          ? {
              PermissionsBoundary: {
                PermissionsBoundaryArn: actual,
                PermissionsBoundaryType: 'PermissionsBoundaryPolicy' as const,
              },
            }
          : {}),
      },
    });
    iam
      .on(ListAttachedRolePoliciesCommand)
      .resolves({ AttachedPolicies: [{ PolicyArn: policy, PolicyName: 'Admin' }] });
    iam.on(PutRolePermissionsBoundaryCommand).resolves({});
  }

  it.each([
    ['removed', undefined],
    ['changed', `arn:${partition}:iam::${MEMBER_ACCOUNT}:policy/other-boundary`],
  ])('is %s: plan prints it, the sweep reports it, the onboarding sets it', async (_what, actual) => {
    // Prepare
    roleWithBoundary(actual);

    // Act: plan
    const observation = await observeRole(new IAMClient({}), config, MEMBER_ACCOUNT);
    const printed = describeRolePlan(
      observation,
      planRole(observation, config, partition, { organizationId: ORGANIZATION }),
      config,
      MEMBER_ACCOUNT,
      partition,
      ORGANIZATION,
    );

    // Act: sweep
    const store = memoryObjectStore();
    await store.putJson('runs/r/snapshot.json', {
      runId: 'r',
      mode: 'report',
      accounts: [{ accountId: MEMBER_ACCOUNT, name: 'a', email: 'a@example.com', status: 'ACTIVE' }],
      checked: [MEMBER_ACCOUNT],
      skipped: [],
      organizationId: ORGANIZATION,
    });
    await makeCheck({
      config,
      store,
      organizations: new OrganizationsClient({}),
      sts: new STSClient({}),
      iamFor: () => new IAMClient({}),
      partition,
    })({ snapshotKey: 'runs/r/snapshot.json', batch: 0 });
    const swept = await store.getJson<{ roles: Array<{ findings: Array<{ class: string; remediable: boolean }> }> }>(
      'runs/r/results/0.json',
    );

    // Act: onboarding
    const onboarded = await makeEnsure({
      config,
      organizations: new OrganizationsClient({}),
      sts: new STSClient({}),
      iamFor: () => new IAMClient({}),
      partition,
    })({
      account: { accountId: MEMBER_ACCOUNT, name: 'a', email: 'a@example.com', status: 'ACTIVE', ouPath: [], tags: {} },
    });

    // Assess: the same one change everywhere, in this partition
    expect(printed).toMatchObject({ action: 'update', roleArn: `arn:${partition}:iam::${MEMBER_ACCOUNT}:role/cicd` });
    expect(printed.changes.map((c) => [c.class, c.remediable])).toEqual([['boundary-changed', true]]);
    expect(swept.roles[0]?.findings.map((f) => [f.class, f.remediable])).toEqual([['boundary-changed', true]]);
    expect(onboarded).toMatchObject({ outcome: 'updated', changes: [`permissions boundary set to ${boundary}`] });
    expect(iam.commandCalls(PutRolePermissionsBoundaryCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'cicd', PermissionsBoundary: boundary },
    ]);
  });
});
