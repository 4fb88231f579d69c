import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { CLAIM_WINDOW_MS, claimKey, memoryClaimStore } from '../../functions/lib/account-claim';
import { parseConfig } from '../../functions/lib/config';
import { AccountCreationFailed, AccountNotFound, InvalidInput } from '../../functions/lib/errors';
import { logger } from '../../functions/lib/logger';
import { makeHandler } from '../../functions/resolve-account/handler';
import {
  controlTowerCreateManagedAccountEvent,
  controlTowerUpdateManagedAccountEvent,
  createAccountCallEvent,
  createAccountResultEvent,
  MANAGEMENT_ACCOUNT_ID,
  manualInput,
  reconcileInput,
} from '../support/events';
import { type FakeOrganization, mockOrganizations, ROOT_ID } from '../support/organizations';

const config = parseConfig({
  toolingAccountId: '111111111111',
  managementAccountId: MANAGEMENT_ACCOUNT_ID,
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
  },
  terraform: {},
  filters: { excludeOuIds: ['ou-ab12-sandbox1'], excludeTags: [{ key: 'onboarding', value: 'skip' }] },
});

const REQUEST_ID = 'car-4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c';

/** Workloads/Prod holds the new account; Sandbox is excluded by config. */
const organization: FakeOrganization = {
  ous: {
    'ou-ab12-workload1': { name: 'Workloads', parentId: ROOT_ID },
    'ou-ab12-prodprod1': { name: 'Prod', parentId: 'ou-ab12-workload1' },
    'ou-ab12-sandbox1': { name: 'Sandbox', parentId: ROOT_ID },
    'ou-ab12-teamaaa1': { name: 'Team A', parentId: 'ou-ab12-sandbox1' },
  },
  accounts: {
    '012345678901': {
      name: 'Workload Prod 02',
      email: 'aws+prod02@example.com',
      parentId: 'ou-ab12-prodprod1',
      tags: { env: 'prod' },
    },
    '000000000042': { name: '!!!', parentId: ROOT_ID },
    [MANAGEMENT_ACCOUNT_ID]: { name: 'management', parentId: ROOT_ID },
    '111111111111': { name: 'tooling', parentId: ROOT_ID },
    '222222222222': { name: 'closing', parentId: 'ou-ab12-workload1', state: 'SUSPENDED' },
    '333333333333': { name: 'sandbox-alice', parentId: 'ou-ab12-teamaaa1' },
    '444444444444': { name: 'experiment', parentId: 'ou-ab12-workload1', tags: { onboarding: 'skip' } },
  },
  createRequests: {
    [REQUEST_ID]: { states: ['IN_PROGRESS', 'SUCCEEDED'], accountId: '012345678901' },
    'car-failed00000000': { states: ['FAILED'], failureReason: 'EMAIL_ALREADY_EXISTS' },
  },
};

const resolve = makeHandler({
  config,
  organizations: new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 }),
});

const expectedProdAccount = {
  accountId: '012345678901',
  name: 'Workload Prod 02',
  email: 'aws+prod02@example.com',
  status: 'ACTIVE',
  ouPath: [
    { id: ROOT_ID, name: 'Root' },
    { id: 'ou-ab12-workload1', name: 'Workloads' },
    { id: 'ou-ab12-prodprod1', name: 'Prod' },
  ],
  tags: { env: 'prod' },
  organizationId: 'o-exampleorg1',
};

beforeAll(() => logger.setLogLevel('SILENT'));
beforeEach(() => mockOrganizations(organization));

describe('resolve-account handler', () => {
  it('resolves a CreateAccountResult into the account context (the repository plan picks the folder)', async () => {
    // Act
    const result = await resolve({ input: createAccountResultEvent({ accountId: '012345678901' }) });

    // Assess
    expect(result).toEqual({
      decision: 'onboard',
      account: expectedProdAccount,
      trigger: 'event',
      force: false,
      drift: [],
    });
    expect(logger.getPersistentLogAttributes()).toMatchObject({ accountId: '012345678901' });
  });

  it('answers pending while the CreateAccount request is in progress, then onboards once it succeeded', async () => {
    // Prepare
    const input = createAccountCallEvent(REQUEST_ID);

    // Act
    const first = await resolve({ input });
    const second = await resolve({ input });

    // Assess
    expect(first).toEqual({ decision: 'pending', createAccountRequestId: REQUEST_ID });
    expect(second).toMatchObject({ decision: 'onboard', account: { accountId: '012345678901' }, trigger: 'event' });
  });

  it('fails with AccountCreationFailed and the reason when the polled request failed', async () => {
    const run = resolve({ input: createAccountCallEvent('car-failed00000000') });

    await expect(run).rejects.toThrow(AccountCreationFailed);
    await expect(run).rejects.toThrow(/car-failed00000000.*EMAIL_ALREADY_EXISTS/);
  });

  it('fails with AccountCreationFailed and the reason for a FAILED CreateAccountResult', async () => {
    const input = createAccountResultEvent({
      state: 'FAILED',
      requestId: REQUEST_ID,
      failureReason: 'EMAIL_ALREADY_EXISTS',
    });

    await expect(resolve({ input })).rejects.toThrow(
      new AccountCreationFailed(
        `Organizations reports CreateAccount request ${REQUEST_ID} as FAILED: EMAIL_ALREADY_EXISTS. ` +
          'Nothing was onboarded; fix the cause (e.g. EMAIL_ALREADY_EXISTS: use another email) and create the account again.',
      ),
    );
  });

  it('polls an in-progress CreateAccountResult by its request id', async () => {
    const result = await resolve({ input: createAccountResultEvent({ state: 'IN_PROGRESS', requestId: REQUEST_ID }) });

    expect(result).toEqual({ decision: 'pending', createAccountRequestId: REQUEST_ID });
  });

  it('onboards the account of Control Tower events, and fails on a failed enrollment', async () => {
    await expect(resolve({ input: controlTowerCreateManagedAccountEvent('012345678901') })).resolves.toMatchObject({
      decision: 'onboard',
      trigger: 'event',
      account: { accountId: '012345678901', name: 'Workload Prod 02' },
    });
    await expect(
      resolve({ input: controlTowerUpdateManagedAccountEvent('012345678901', { state: 'FAILED' }) }),
    ).rejects.toThrow(AccountCreationFailed);
  });

  it('passes force from a manual run and keeps the leading zeros of the id', async () => {
    const result = await resolve({ input: manualInput('000000000042', true) });

    expect(result).toMatchObject({
      decision: 'onboard',
      trigger: 'manual',
      force: true,
      account: { accountId: '000000000042' },
    });
  });

  it('passes the drift of a reconcile run', async () => {
    const result = await resolve({ input: reconcileInput('012345678901', ['role-missing', 'matrix-entry-missing']) });

    expect(result).toMatchObject({
      decision: 'onboard',
      trigger: 'reconcile',
      drift: ['role-missing', 'matrix-entry-missing'],
    });
  });

  it.each([
    ['the management account', MANAGEMENT_ACCOUNT_ID, 'management-account', /management account/],
    ['a suspended account', '222222222222', 'not-active', /is SUSPENDED; only ACTIVE accounts/],
    ['an account below an excluded OU', '333333333333', 'excluded-ou', /under OU Sandbox \(ou-ab12-sandbox1\)/],
    ['an account with an excluded tag', '444444444444', 'excluded-tag', /tag onboarding=skip/],
  ])('skips %s with a named rule and a reason', async (_, accountId, rule, reason) => {
    const result = await resolve({ input: manualInput(accountId) });

    expect(result).toEqual({ decision: 'skip', accountId, rule, reason: expect.stringMatching(reason) });
  });

  it('skips the tooling account by default, even when forced, and onboards it only with onboardToolingAccount', async () => {
    // Prepare
    const allowing = makeHandler({
      config: { ...config, filters: { ...config.filters, onboardToolingAccount: true } },
      organizations: new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 }),
    });

    // Act
    const skipped = await resolve({ input: manualInput('111111111111', true) });
    const onboarded = await allowing({ input: manualInput('111111111111') });

    // Assess
    expect(skipped).toEqual({
      decision: 'skip',
      accountId: '111111111111',
      rule: 'tooling-account',
      reason: expect.stringContaining('filters.onboardToolingAccount'),
    });
    expect(onboarded).toMatchObject({ decision: 'onboard', account: { accountId: '111111111111' } });
  });

  it('still skips the management account when forced', async () => {
    const result = await resolve({ input: manualInput(MANAGEMENT_ACCOUNT_ID, true) });

    expect(result).toMatchObject({ decision: 'skip', accountId: MANAGEMENT_ACCOUNT_ID });
  });

  it('fails with AccountNotFound for an account outside the organization', async () => {
    await expect(resolve({ input: manualInput('555555555555') })).rejects.toThrow(AccountNotFound);
  });

  it('claims the account for the window its state machine passes (claimWindowSeconds), or the default one', async () => {
    // Prepare
    const claims = memoryClaimStore();
    const claiming = makeHandler({
      config,
      organizations: new OrganizationsClient({ region: 'us-east-1', maxAttempts: 1 }),
      claims,
    });
    const held = () => {
      const claim = JSON.parse(claims.objects.get(claimKey('012345678901'))?.body ?? '{}');
      return (Date.parse(claim.expiresAt) - Date.parse(claim.claimedAt)) / 1000;
    };
    const input = createAccountResultEvent({ accountId: '012345678901' });

    // Act / Assess: the invited flow's window (its TimeoutSeconds and an hour), then the default
    await expect(
      claiming({ input, executionId: 'arn:aws:states:us-east-1:0:execution:invited:1', claimWindowSeconds: 349200 }),
    ).resolves.toMatchObject({ decision: 'onboard' });
    expect(held()).toBe(349200);
    claims.objects.clear();
    await claiming({ input, executionId: 'arn:aws:states:us-east-1:0:execution:onboard:1' });
    expect(held()).toBe(CLAIM_WINDOW_MS / 1000);
    await expect(claiming({ input, claimWindowSeconds: -1 })).rejects.toThrow(InvalidInput);
  });

  it('fails with InvalidInput before calling Organizations when the input is not accepted', async () => {
    // Prepare
    const mock = mockOrganizations(organization);

    // Act
    const run = resolve({ input: { accountId: 12345678901 } });

    // Assess
    await expect(run).rejects.toThrow(InvalidInput);
    expect(mock.calls()).toHaveLength(0);
  });
});
