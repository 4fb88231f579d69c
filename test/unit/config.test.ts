import { parseConfig } from '../../functions/lib/config';
import { ConfigError } from '../../functions/lib/errors';

/** The smallest configuration the README calls complete: the required fields only. */
const MINIMAL = {
  toolingAccountId: '111111111111',
  github: {
    owner: 'acme',
    repo: 'terraform-aws',
    auth: { type: 'token', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github-AbCdEf' },
  },
};

describe('parseConfig defaults', () => {
  it('gives a configuration without a terraform block the documented terraform defaults', () => {
    // Act
    const config = parseConfig(MINIMAL);

    // Assess: README "Configure", the terraform.* rows
    expect(config.terraform).toEqual({
      region: 'eu-central-1',
      stateBucket: 'tf-build-terraform-state',
      useLockfile: true,
      stateKeyPrefix: '',
      terraformVersion: '1.11.0',
    });
  });

  it('fills the terraform fields a partial block leaves out and keeps the ones it sets', () => {
    // Act
    const config = parseConfig({ ...MINIMAL, terraform: { region: 'us-west-2', lockTable: 'tf-locks' } });

    // Assess
    expect(config.terraform).toMatchObject({
      region: 'us-west-2',
      lockTable: 'tf-locks',
      stateBucket: 'tf-build-terraform-state',
      useLockfile: true,
      terraformVersion: '1.11.0',
    });
  });

  it('gives every other optional block its documented defaults', () => {
    // Act
    const config = parseConfig(MINIMAL);

    // Assess
    expect(config).toMatchObject({
      pipelineRoleName: 'GitHubAction-AssumeRoleWithAction',
      cicdRoleName: 'cicd',
      memberAccessRoleNames: ['OrganizationAccountAccessRole', 'AWSControlTowerExecution'],
      github: { apiUrl: 'https://api.github.com', baseBranch: 'main', branchPrefix: 'onboarding/', pacing: true },
      filters: { excludeAccountIds: [], excludeOuIds: [], excludeTags: [] },
      controlTower: { enabled: false },
      reconcile: { schedule: 'rate(1 day)', mode: 'report', remediationBudget: 20, concurrency: 10 },
    });
  });

  it('still rejects a bad terraform value with ConfigError naming the field', () => {
    // Act / Assess
    expect(() => parseConfig({ ...MINIMAL, terraform: { region: 'Frankfurt' } })).toThrow(ConfigError);
    expect(() => parseConfig({ ...MINIMAL, terraform: { region: 'Frankfurt' } })).toThrow(/terraform\.region/);
  });
});
