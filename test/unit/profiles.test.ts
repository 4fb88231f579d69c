import { planRole, type RoleObservation } from '../../functions/lib/cicd-role';
import { parseConfig } from '../../functions/lib/config';
import { compareProfileFiles } from '../../functions/lib/profile-files';
import { allProfiles, checkProfiles, resolveProfile, withProfile } from '../../functions/lib/profiles';
import { planRepo, type RepoObservation } from '../../functions/lib/repo-plan';
import { templatesFor } from '../../functions/lib/templates';
import { renderAccountFolder } from '../../functions/lib/terraform';

const ROOT = { id: 'r-ab12', name: 'Root' };
const WORKLOADS = { id: 'ou-ab12-11111111', name: 'Workloads' };
const PROD = { id: 'ou-ab12-22222222', name: 'Prod' };
const PRODUCTION = { id: 'ou-ab12-33333333', name: 'Production' };
const SANDBOX = { id: 'ou-ab12-44444444', name: 'Sandbox' };
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const POWER_USER = 'arn:aws:iam::aws:policy/PowerUserAccess';
const BOUNDARY = 'arn:aws:iam::111111111111:policy/cicd-boundary';

const config = parseConfig({
  toolingAccountId: '111111111111',
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    labels: ['onboarding'],
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github-AbCdEf' },
  },
  profiles: [
    {
      name: 'prod',
      match: { ouPath: 'Workloads/Prod' },
      cicdPolicyArns: [POWER_USER],
      permissionsBoundaryArn: BOUNDARY,
    },
    {
      name: 'sandbox',
      match: { ouPath: 'Sandbox' },
      cicdPolicyArns: [READ_ONLY],
      templates: 'sandbox',
      labels: ['sandbox'],
      teamReviewers: ['platform'],
    },
    { name: 'tagged', match: { tags: { team: '*' } }, reviewers: ['alice'] },
  ],
});

describe('resolveProfile', () => {
  it('takes the first profile whose OU path is a prefix of whole OUs, and says why', () => {
    // Act
    const { profile, reason } = resolveProfile(
      { ouPath: [ROOT, WORKLOADS, PROD, { id: 'ou-ab12-55555555', name: 'Team-a' }] },
      config,
    );

    // Assess
    expect(profile).toMatchObject({
      name: 'prod',
      cicdPolicyArns: [POWER_USER],
      permissionsBoundaryArn: BOUNDARY,
      labels: ['onboarding'],
    });
    expect(reason).toBe(
      "profile prod (profiles[0]): the first whose match holds (OU path Workloads/Prod; the account's OU path is Workloads/Prod/Team-a)",
    );
  });

  it('never matches an OU whose name only starts like the configured one', () => {
    expect(resolveProfile({ ouPath: [ROOT, WORKLOADS, PRODUCTION] }, config).profile.name).toBe('default');
  });

  it('matches by tags (any value with *), and falls back to the top-level settings', () => {
    expect(resolveProfile({ ouPath: [ROOT], tags: { team: 'payments' } }, config).profile).toMatchObject({
      name: 'tagged',
      reviewers: ['alice'],
      cicdPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    });
    const none = resolveProfile({ ouPath: [ROOT] }, config);
    expect(none.profile).toMatchObject({
      name: 'default',
      cicdPolicyArns: config.cicdPolicyArns,
      labels: ['onboarding'],
    });
    expect(none.reason).toContain('no profile matches');
  });

  it('matches an OU by id too', () => {
    const byId = { ...config, profiles: [{ name: 'by-id', match: { ouPath: 'ou-ab12-44444444' } }] };
    expect(resolveProfile({ ouPath: [ROOT, SANDBOX] }, byId).profile.name).toBe('by-id');
  });
});

describe('the planners take the resolved profile', () => {
  const present: RoleObservation = {
    kind: 'present',
    arn: 'arn:aws:iam::200000000001:role/cicd',
    trustPolicyDocument: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [] })),
    tags: { 'managed-by': 'oidc-account-onboarding' },
    attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
  };

  it('planRole attaches the profile policies and sets its boundary; without a profile, today behaviour', () => {
    // Act
    const { profile } = resolveProfile({ ouPath: [ROOT, WORKLOADS, PROD] }, config);
    const actions = planRole(present, config, 'aws', { profile }).map((c) => c.action);
    const defaults = planRole(present, config, 'aws').map((c) => c.action);

    // Assess
    expect(actions).toContainEqual({ type: 'attach', arn: POWER_USER });
    expect(actions).toContainEqual({ type: 'set-boundary', arn: BOUNDARY });
    expect(defaults.filter((a) => a.type === 'attach' || a.type === 'set-boundary')).toEqual([]);
  });

  it('planRepo renders the folder from the profile template set', () => {
    // Prepare
    const obs: RepoObservation = {
      commitSha: 'abc',
      workflowPath: config.github.workflowPath,
      workflowText: 'jobs:\n  tf:\n    strategy:\n      matrix:\n        dir:\n          - aws-accounts/tooling\n',
      folders: {},
      pulls: [],
    };
    const { profile } = resolveProfile({ ouPath: [ROOT, SANDBOX] }, config);

    // Act
    const plan = planRepo(
      { accountId: '200000000001', name: 'play', email: 'p@example.com' },
      obs,
      withProfile(config, profile),
      { profile },
    );

    // Assess
    const provider = plan.commit?.files.find((f) => f.path.endsWith('/provider.tf'));
    expect(provider?.content).toContain('environment = "sandbox"');
    expect(plan.commit?.files.map((f) => f.path.split('/').pop()).sort()).toEqual(Object.keys(templatesFor()).sort());
  });

  it('reports, file by file, what a new profile would render differently', () => {
    // Prepare: the folder as the default templates rendered it
    const account = {
      accountId: '200000000001',
      name: 'play',
      email: 'p@example.com',
      folder: 'aws-accounts/play',
      slug: 'play',
    };
    const files = renderAccountFolder(account, config);
    const { profile } = resolveProfile({ ouPath: [ROOT, SANDBOX] }, config);

    // Act
    const differences = compareProfileFiles(account, files, config, profile);

    // Assess
    expect(differences.map((d) => [d.path, d.kind])).toEqual([['aws-accounts/play/provider.tf', 'differs']]);
    expect(compareProfileFiles(account, files, config, resolveProfile({ ouPath: [ROOT] }, config).profile)).toEqual([]);
  });
});

describe('allProfiles (the sweep, which does not read OU paths)', () => {
  it('lists the default and every profile filled in, so a role is held to the profile it fits', () => {
    // Act
    const all = allProfiles(config);

    // Assess
    expect(all.map((p) => [p.name, p.cicdPolicyArns])).toEqual([
      ['default', config.cicdPolicyArns],
      ['prod', [POWER_USER]],
      ['sandbox', [READ_ONLY]],
      ['tagged', config.cicdPolicyArns],
    ]);
    expect(all[2]).toMatchObject({ templates: 'sandbox', labels: ['sandbox'], teamReviewers: ['platform'] });
  });
});

describe('checkProfiles (synth)', () => {
  const p = (name: string, match: { ouPath?: string; tags?: Record<string, string> }, templates?: string) => ({
    name,
    match,
    ...(templates ? { templates } : {}),
  });

  it('names a profile an earlier one shadows, an overlap, and an unknown templates folder', () => {
    // Act
    const findings = checkProfiles(
      [
        p('workloads', { ouPath: 'Workloads' }),
        p('prod', { ouPath: 'Workloads/Prod' }),
        p('team', { tags: { team: '*' } }, 'nope'),
        p('sandbox', { ouPath: 'Sandbox' }, 'sandbox'),
      ],
      ['sandbox'],
    );

    // Assess
    expect(findings.map((f) => f.kind)).toEqual(['shadowed', 'unknown-templates', 'overlap', 'overlap', 'overlap']);
    expect(findings[0]?.message).toContain('profiles[1] (prod) never applies: profiles[0] (workloads) comes first');
    expect(findings[1]?.message).toContain('templates folder "nope" is not a subfolder of templates/ (known: sandbox)');
  });

  it('finds nothing for disjoint OU paths', () => {
    expect(checkProfiles([p('a', { ouPath: 'A' }), p('b', { ouPath: 'B/C' })], [])).toEqual([]);
  });
});

describe('profiles in the configuration', () => {
  it('rejects a bad policy ARN, a nameless match and duplicate names, naming the field', () => {
    const base = { toolingAccountId: '111111111111', github: config.github };
    expect(() =>
      parseConfig({ ...base, profiles: [{ name: 'x', match: { ouPath: 'A' }, cicdPolicyArns: ['ReadOnlyAccess'] }] }),
    ).toThrow('profiles.0.cicdPolicyArns.0: an IAM managed policy ARN');
    expect(() => parseConfig({ ...base, profiles: [{ name: 'x', match: {} }] })).toThrow(
      'profiles.0.match: set ouPath, tags, or both',
    );
    expect(() =>
      parseConfig({
        ...base,
        profiles: [
          { name: 'x', match: { ouPath: 'A' } },
          { name: 'x', match: { ouPath: 'B' } },
        ],
      }),
    ).toThrow('profile names must be unique');
  });
});
