import { parseConfig } from '../../functions/lib/config';
import type { OrganizationAccount } from '../../functions/lib/organization';
import { planSelection, type SelectionOptions } from '../../functions/lib/selection';

const config = parseConfig({
  toolingAccountId: '111111111111',
  managementAccountId: '999999999999',
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github' },
  },
  terraform: {},
  filters: {
    excludeAccountIds: ['222222222222'],
    excludeOuIds: ['ou-ab12-sandbox1'],
    excludeTags: [
      { key: 'onboarding', value: 'skip' },
      { key: 'legacy', value: '*' },
    ],
  },
});

const account = (overrides: Partial<OrganizationAccount> = {}): OrganizationAccount => ({
  accountId: '012345678901',
  name: 'workload-dev-02',
  email: 'aws+dev02@example.com',
  status: 'ACTIVE',
  ouPath: [
    { id: 'r-ab12', name: 'Root' },
    { id: 'ou-ab12-workload1', name: 'Workloads' },
  ],
  tags: { env: 'dev' },
  ...overrides,
});

/** The reason a skipped account is skipped; undefined when it is onboarded. */
const skipReason = (a: OrganizationAccount, c: typeof config, options?: SelectionOptions): string | undefined => {
  const selection = planSelection(a, c, options);
  return selection.decision === 'onboard' ? undefined : selection.reason;
};

describe('planSelection', () => {
  it('onboards an active account that no filter matches', () => {
    expect(skipReason(account(), config)).toBeUndefined();
  });

  it('skips the management account, even when forced', () => {
    const management = account({ accountId: '999999999999' });

    expect(skipReason(management, config)).toBe(
      "Account 999999999999 is the organization's management account, which is never onboarded.",
    );
    expect(skipReason(management, config, { force: true })).toMatch(/management account/);
  });

  it('waits for a PENDING_ACTIVATION account instead of skipping it', () => {
    expect(planSelection(account({ status: 'PENDING_ACTIVATION' }), config)).toEqual({
      decision: 'wait',
      reason: 'Account 012345678901 is PENDING_ACTIVATION; onboarding continues once it is ACTIVE.',
    });
  });

  it.each(['SUSPENDED', 'PENDING_CLOSURE', 'CLOSED'])('skips a %s account, even when forced', (status) => {
    expect(skipReason(account({ status }), config)).toBe(
      `Account 012345678901 is ${status}; only ACTIVE accounts are onboarded.`,
    );
    expect(skipReason(account({ status }), config, { force: true })).toBeDefined();
  });

  it('skips an excluded account id', () => {
    expect(skipReason(account({ accountId: '222222222222' }), config)).toMatch(/filters\.excludeAccountIds/);
  });

  it('skips an account anywhere below an excluded OU', () => {
    // Prepare
    const deepInSandbox = account({
      ouPath: [
        { id: 'r-ab12', name: 'Root' },
        { id: 'ou-ab12-sandbox1', name: 'Sandbox' },
        { id: 'ou-ab12-teamaaa1', name: 'Team A' },
      ],
    });

    // Act
    const reason = skipReason(deepInSandbox, config);

    // Assess
    expect(reason).toBe(
      'Account 012345678901 is under OU Sandbox (ou-ab12-sandbox1), which is listed in filters.excludeOuIds.',
    );
  });

  it('skips an account whose tag matches an excluded key and value', () => {
    expect(skipReason(account({ tags: { onboarding: 'skip' } }), config)).toBe(
      'Account 012345678901 has tag onboarding=skip, which matches filters.excludeTags.',
    );
    expect(skipReason(account({ tags: { onboarding: 'yes' } }), config)).toBeUndefined();
  });

  it('treats an excluded tag value of * as any value, including empty', () => {
    expect(skipReason(account({ tags: { legacy: '' } }), config)).toMatch(/legacy=/);
    expect(skipReason(account({ tags: { legacy: 'true' } }), config)).toMatch(/legacy=true/);
  });

  it('lets force override the configured filters', () => {
    expect(skipReason(account({ accountId: '222222222222' }), config, { force: true })).toBeUndefined();
    expect(skipReason(account({ tags: { legacy: 'x' } }), config, { force: true })).toBeUndefined();
  });

  it('does not skip any account when no management account is configured', () => {
    const { managementAccountId: _, ...withoutManagement } = config;

    expect(skipReason(account({ accountId: '999999999999' }), withoutManagement)).toBeUndefined();
  });
});
