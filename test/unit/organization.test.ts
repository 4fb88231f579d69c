import { DescribeAccountCommand, OrganizationsClient, TooManyRequestsException } from '@aws-sdk/client-organizations';
import { AccountNotFound, AwsThrottled, InvalidInput } from '../../functions/lib/errors';
import { describeCreateAccountStatus, readAccount } from '../../functions/lib/organization';
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
