// biome-ignore-all lint/suspicious/noTemplateCurlyInString: hostile names hold HCL and GitHub expressions on purpose
import { InvalidInput } from '../../functions/lib/errors';
import { accountFolder, accountSlug, collisionSlug, slugify } from '../../functions/lib/slug';

const SAFE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const HOSTILE_NAMES = [
  'He said "hi"',
  "O'Brien's account",
  'back\\slash\\',
  '${var.secret}',
  '%{ if true }x%{ endif }',
  '${{ secrets.GITHUB_TOKEN }}',
  '../../etc/passwd',
  'line one\nline two\r\n',
  'tab\there',
  `${'x'.repeat(30)} ${'y'.repeat(30)}`,
  '-- leading and trailing --',
  'UPPER_case.Mixed',
];

describe('slugify', () => {
  it('turns a typical account name into a lowercase dashed folder name', () => {
    // Act / Assess
    expect(slugify('Workload Prod 01')).toBe('workload-prod-01');
    expect(slugify('workload-prod-01')).toBe('workload-prod-01');
    expect(slugify('Data & Analytics (EU)')).toBe('data-analytics-eu');
  });

  it('folds accents instead of dropping the letters', () => {
    expect(slugify('Café Été Ñandú')).toBe('cafe-ete-nandu');
  });

  it.each(HOSTILE_NAMES)('gives a safe slug for the hostile name %j', (name) => {
    // Act
    const slug = slugify(name);

    // Assess
    expect(slug).toMatch(SAFE);
    expect(slug.length).toBeLessThanOrEqual(40);
  });

  it('keeps path traversal out of the slug', () => {
    expect(slugify('../../etc/passwd')).toBe('etc-passwd');
  });

  it('cuts long names without leaving a trailing dash', () => {
    // Prepare: the cut falls right after a separator
    const name = `${'a'.repeat(39)} tail of the name`;

    // Act
    const slug = slugify(name);

    // Assess
    expect(slug).toBe('a'.repeat(39));
    expect(slugify('b'.repeat(55))).toHaveLength(40);
    expect(slugify('abc def', 4)).toBe('abc');
  });

  it('returns an empty slug for a name made only of symbols', () => {
    expect(slugify('!@#$%^&*()_+{}|:"<>?~`')).toBe('');
    expect(slugify('日本語')).toBe('');
  });
});

describe('accountSlug', () => {
  it('uses the name when it has usable characters', () => {
    expect(accountSlug('Workload Prod 01', '012345678901')).toBe('workload-prod-01');
  });

  it('falls back to the account id when the name has none', () => {
    expect(accountSlug('***', '012345678901')).toBe('account-012345678901');
    expect(accountSlug('', '012345678901')).toBe('account-012345678901');
  });
});

describe('collisionSlug', () => {
  it('appends the account id', () => {
    expect(collisionSlug('workload-prod-01', '012345678901')).toBe('workload-prod-01-012345678901');
  });

  it('stays within 60 characters and ends with the full account id', () => {
    // Act
    const slug = collisionSlug(`${'a'.repeat(47)}-${'b'.repeat(12)}`, '012345678901');

    // Assess
    expect(slug.length).toBeLessThanOrEqual(60);
    expect(slug).toMatch(SAFE);
    expect(slug.endsWith('-012345678901')).toBe(true);
    expect(slug).toBe(`${'a'.repeat(47)}-012345678901`);
  });
});

describe('accountFolder', () => {
  it('joins the accounts directory and the slug', () => {
    expect(accountFolder('aws-accounts', 'workload-prod-01')).toBe('aws-accounts/workload-prod-01');
    expect(accountFolder('infra/aws-accounts/', 'tooling')).toBe('infra/aws-accounts/tooling');
  });

  it.each(['..', '../x', 'a/b', '', 'Upper', '-x', 'x-', '.hidden', 'a'.repeat(61)])(
    'refuses the slug %j that is not a single safe folder name',
    (slug) => {
      expect(() => accountFolder('aws-accounts', slug)).toThrow(InvalidInput);
    },
  );

  it.each(['', '/', '../outside', 'a/../../b', '/abs'])('refuses the accounts directory %j', (dir) => {
    expect(() => accountFolder(dir, 'tooling')).toThrow(InvalidInput);
  });
});
