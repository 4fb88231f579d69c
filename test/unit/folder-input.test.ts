import { checkInputFolder } from '../../functions/lib/folder-input';

describe('checkInputFolder', () => {
  it.each(['aws-accounts/workload-prod-01', 'aws-accounts/a-012345678901'])('accepts %s', (folder) => {
    expect(checkInputFolder('aws-accounts', folder)).toBe(folder);
  });

  it('accepts a folder of a nested accounts directory', () => {
    expect(checkInputFolder('terraform/accounts', 'terraform/accounts/dev')).toBe('terraform/accounts/dev');
  });

  it.each<[string, unknown, string]>([
    ['another directory', 'infra/prod', 'not directly inside'],
    ['the workflows', '.github/workflows', 'not directly inside'],
    ['a folder that is no slug', 'aws-accounts/Prod', 'not a folder slug'],
    ['a climb', '../x', 'climbs out'],
    ['a climb inside', 'aws-accounts/../x', 'climbs out'],
    ['an absolute path', '/aws-accounts/x', 'absolute'],
    ['a Windows path', 'C:\\aws-accounts\\x', 'absolute'],
    ['a nested folder', 'aws-accounts/team/x', 'not directly inside'],
    ['the accounts directory itself', 'aws-accounts', 'not directly inside'],
    ['a number', 42, 'not a path'],
  ])('refuses %s with FolderOutsideAccountsDir', (_, folder, why) => {
    expect(() => checkInputFolder('aws-accounts', folder)).toThrow(
      expect.objectContaining({ name: 'FolderOutsideAccountsDir', message: expect.stringContaining(why) }),
    );
  });
});
