import { DescribeAccountCommand, OrganizationsClient, TooManyRequestsException } from '@aws-sdk/client-organizations';
import { AccountNotFound, AwsThrottled, InvalidInput } from '../../functions/lib/errors';
import { describeCreateAccountStatus, ouPathReader, readAccount } from '../../functions/lib/organization';
import { mockOrganizations, ROOT_ID } from '../support/organizations';

const org = new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 });

describe('readAccount', () => {
  it('returns the OU path from the root down for an account two levels deep', async () => {
    // Prepare
    mockOrganizations({
      ous: {
        'ou-ab12-workload1': { name: 'Workloads', parentId: ROOT_ID },
        'ou-ab12-prodprod1': { name: 'Prod', parentId: 'ou-ab12-workload1' },
      },
      accounts: {
        '012345678901': { name: 'workload-prod-02', email: 'aws+prod02@example.com', parentId: 'ou-ab12-prodprod1' },
      },
    });

    // Act
    const account = await readAccount(org, '012345678901');

    // Assess
    expect(account).toEqual({
      accountId: '012345678901',
      name: 'workload-prod-02',
      email: 'aws+prod02@example.com',
      status: 'ACTIVE',
      ouPath: [
        { id: ROOT_ID, name: 'Root' },
        { id: 'ou-ab12-workload1', name: 'Workloads' },
        { id: 'ou-ab12-prodprod1', name: 'Prod' },
      ],
      tags: {},
      // From the account's ARN, without another call.
      organizationId: 'o-exampleorg1',
    });
  });

  it('reads every tag across pages', async () => {
    // Prepare
    const tags = { team: 'payments', env: 'prod', 'cost-center': '4711', owner: 'alice', empty: '' };
    mockOrganizations({ accounts: { '012345678901': { name: 'pay', parentId: ROOT_ID, tags } }, tagPageSize: 2 });

    // Act
    const account = await readAccount(org, '012345678901');

    // Assess
    expect(account.tags).toEqual(tags);
  });

  it('makes five calls for an account one OU below the root', async () => {
    // Prepare
    const mock = mockOrganizations({
      ous: { 'ou-ab12-workload1': { name: 'Workloads', parentId: ROOT_ID } },
      accounts: { '012345678901': { name: 'dev', parentId: 'ou-ab12-workload1', tags: { env: 'dev' } } },
    });

    // Act
    const account = await readAccount(org, '012345678901');

    // Assess
    expect(account.ouPath.map((ou) => ou.name)).toEqual(['Root', 'Workloads']);
    expect(
      mock
        .calls()
        .map((call) => call.args[0].constructor.name)
        .sort(),
    ).toEqual([
      'DescribeAccountCommand',
      'DescribeOrganizationalUnitCommand',
      'ListParentsCommand',
      'ListParentsCommand',
      'ListTagsForResourceCommand',
    ]);
  });

  it('keeps the leading zeros of the account id', async () => {
    mockOrganizations({ accounts: { '000000000042': { name: 'legacy', parentId: ROOT_ID } } });

    const account = await readAccount(org, '000000000042');

    expect(account.accountId).toBe('000000000042');
    expect(account.ouPath).toEqual([{ id: ROOT_ID, name: 'Root' }]);
  });

  it('reports the state of a suspended account', async () => {
    mockOrganizations({ accounts: { '012345678901': { name: 'old', parentId: ROOT_ID, state: 'SUSPENDED' } } });

    await expect(readAccount(org, '012345678901')).resolves.toMatchObject({ status: 'SUSPENDED' });
  });

  it('throws AccountNotFound for an id outside the organization', async () => {
    mockOrganizations({ accounts: {} });

    const read = readAccount(org, '123456789012');

    await expect(read).rejects.toThrow(AccountNotFound);
    await expect(read).rejects.toThrow(/123456789012 is not a member of this organization/);
  });

  it('throws AwsThrottled when Organizations keeps throttling', async () => {
    // Prepare
    const mock = mockOrganizations({ accounts: { '012345678901': { name: 'dev', parentId: ROOT_ID } } });
    mock
      .on(DescribeAccountCommand)
      .rejects(
        new TooManyRequestsException({ message: 'AWS Organizations can\u2019t complete your request', $metadata: {} }),
      );

    // Act / Assess
    await expect(readAccount(org, '012345678901')).rejects.toThrow(AwsThrottled);
  });
});

describe('ouPathReader', () => {
  it("reads each OU's path once for all the accounts below it, and each account's parent once", async () => {
    // Prepare: three accounts under Workloads/Prod, one under Workloads, one under the root
    const mock = mockOrganizations({
      ous: {
        'ou-ab12-workload1': { name: 'Workloads', parentId: ROOT_ID },
        'ou-ab12-prodprod1': { name: 'Prod', parentId: 'ou-ab12-workload1' },
      },
      accounts: {
        '200000000001': { name: 'a', parentId: 'ou-ab12-prodprod1' },
        '200000000002': { name: 'b', parentId: 'ou-ab12-prodprod1' },
        '200000000003': { name: 'c', parentId: 'ou-ab12-prodprod1' },
        '200000000004': { name: 'd', parentId: 'ou-ab12-workload1' },
        '200000000005': { name: 'e', parentId: ROOT_ID },
      },
    });
    const read = ouPathReader(org);

    // Act: concurrently, as the backfill reads them
    const ids = ['200000000001', '200000000002', '200000000003', '200000000004', '200000000005'];
    const paths = await Promise.all(ids.map((id) => read(id)));

    // Assess
    const prod = [
      { id: ROOT_ID, name: 'Root' },
      { id: 'ou-ab12-workload1', name: 'Workloads' },
      { id: 'ou-ab12-prodprod1', name: 'Prod' },
    ];
    expect(paths).toEqual([prod, prod, prod, prod.slice(0, 2), prod.slice(0, 1)]);
    const calls = mock.calls().map((call) => call.args[0].constructor.name);
    // One ListParents per account and per OU, one DescribeOrganizationalUnit per OU.
    expect(calls.filter((c) => c === 'ListParentsCommand')).toHaveLength(5 + 2);
    expect(calls.filter((c) => c === 'DescribeOrganizationalUnitCommand')).toHaveLength(2);
  });

  it('ends a malformed answer whose OUs loop with an error instead of waiting on itself', async () => {
    // Prepare
    mockOrganizations({
      ous: {
        'ou-ab12-loopaaa1': { name: 'A', parentId: 'ou-ab12-loopbbb1' },
        'ou-ab12-loopbbb1': { name: 'B', parentId: 'ou-ab12-loopaaa1' },
      },
      accounts: { '200000000001': { name: 'a', parentId: 'ou-ab12-loopaaa1' } },
    });

    // Act / Assess
    await expect(ouPathReader(org)('200000000001')).rejects.toThrow(/200000000001 is nested deeper than 10 OUs/);
  });
});

describe('describeCreateAccountStatus', () => {
  it('reports IN_PROGRESS, then the account id once SUCCEEDED', async () => {
    // Prepare
    mockOrganizations({
      createRequests: { 'car-0123456789abcdef': { states: ['IN_PROGRESS', 'SUCCEEDED'], accountId: '012345678901' } },
    });

    // Act
    const first = await describeCreateAccountStatus(org, 'car-0123456789abcdef');
    const second = await describeCreateAccountStatus(org, 'car-0123456789abcdef');

    // Assess
    expect(first).toEqual({ state: 'IN_PROGRESS' });
    expect(second).toEqual({ state: 'SUCCEEDED', accountId: '012345678901' });
  });

  it('carries the failure reason of a FAILED request', async () => {
    mockOrganizations({
      createRequests: { 'car-0123456789abcdef': { states: ['FAILED'], failureReason: 'EMAIL_ALREADY_EXISTS' } },
    });

    await expect(describeCreateAccountStatus(org, 'car-0123456789abcdef')).resolves.toEqual({
      state: 'FAILED',
      failureReason: 'EMAIL_ALREADY_EXISTS',
    });
  });

  it('throws InvalidInput for a request id the organization does not know', async () => {
    mockOrganizations({ createRequests: {} });

    await expect(describeCreateAccountStatus(org, 'car-0000000000000000')).rejects.toThrow(InvalidInput);
  });
});
