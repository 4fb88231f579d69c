import { readFileSync } from 'node:fs';
import { App, CfnResource, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type OnboardingConfigInput, parseConfig } from '../../functions/lib/config';
import { OnboardingStack } from '../../infra/onboarding-stack';
import { parseToolingConfig, type ToolingConfigInput } from '../../infra/tooling-config';
import { ToolingStack } from '../../infra/tooling-stack';
import { minimalConfig, placeholderFunctionsDir } from '../support/cdk';
import { readGeneratedTable } from '../support/permission-flows';

const TABLE_FILE = 'infra/PERMISSIONS.md';

interface TableRow {
  role: string;
  actions: string[];
  /** `always`, or the configuration setting that adds the row. */
  when: string;
}

/** The rows of every table in PERMISSIONS.md whose header starts with `| Role | Actions |`. */
function readPermissionsTable(markdown: string): TableRow[] {
  const rows: TableRow[] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    if (cells[0] === 'Role' && cells[1] === 'Actions') {
      inTable = true;
      continue;
    }
    if (!inTable || /^-+$/.test(cells[0] ?? '')) continue;
    const code = (cell = '') => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    rows.push({
      role: code(cells[0])[0] ?? '',
      actions: code(cells[1]).filter((a) => /^[a-z0-9-]+:[A-Za-z*]+$/.test(a)),
      when: (cells[4] ?? '').replace(/`/g, ''),
    });
  }
  return rows;
}

/** Role construct path -> every action its identity policies grant (attached, inline and managed). */
function synthesizedActions(stack: Stack): Map<string, Set<string>> {
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const roles = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnResource && construct.cfnResourceType === 'AWS::IAM::Role') {
      roles.set(stack.resolve(construct.logicalId), construct.node.path.replace(/\/Resource$/, ''));
    }
  }
  const result = new Map<string, Set<string>>();
  const grant = (logicalId: string, statements: unknown, source: string) => {
    const path = roles.get(logicalId) ?? `${stack.stackName}/<unknown role ${logicalId}>`;
    const actions = result.get(path) ?? new Set<string>();
    for (const s of statements as Array<{ Effect: string; Action?: string | string[]; NotAction?: unknown }>) {
      if (s.Effect !== 'Allow') continue;
      if (s.NotAction) actions.add(`NotAction in ${source}`);
      for (const action of [s.Action ?? []].flat()) actions.add(action);
    }
    result.set(path, actions);
  };
  const refs = (value: unknown) => ((value ?? []) as Array<{ Ref?: string }>).map((r) => r.Ref ?? JSON.stringify(r));
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties;
    if (resource.Type === 'AWS::IAM::Role') {
      result.set(roles.get(id) ?? id, result.get(roles.get(id) ?? id) ?? new Set());
      for (const policy of (props.Policies ?? []) as Array<{ PolicyDocument: { Statement: unknown } }>) {
        grant(id, policy.PolicyDocument.Statement, 'an inline policy');
      }
      for (const arn of (props.ManagedPolicyArns ?? []) as unknown[]) {
        result.get(roles.get(id) ?? id)?.add(`managed policy ${JSON.stringify(arn)}`);
      }
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      const document = props.PolicyDocument as { Statement: unknown };
      for (const role of refs(props.Roles)) grant(role, document.Statement, id);
    }
  }
  return result;
}

/** Every statement of every Lambda execution role, in policy order: role construct path, 1-based index, actions. */
function functionRoleStatements(stack: Stack): Array<{ rolePath: string; index: number; actions: string[] }> {
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const paths = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnResource && construct.cfnResourceType === 'AWS::IAM::Role') {
      paths.set(stack.resolve(construct.logicalId), construct.node.path.replace(/\/Resource$/, ''));
    }
  }
  const lambdaRoles = Object.entries(template.Resources)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Role' &&
        JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'),
    )
    .map(([id]) => id);
  return lambdaRoles.flatMap((roleId) =>
    Object.values(template.Resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
      )
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement)
      .map((statement, i) => ({
        rolePath: paths.get(roleId) ?? roleId,
        index: i + 1,
        actions: [statement.Action].flat(),
      })),
  );
}

/** Every difference between the table and the synthesized policies, one readable line each. */
function differences(rows: TableRow[], stacks: Stack[], includeOptional: boolean): string[] {
  const documented = new Map<string, Set<string>>();
  for (const row of rows) {
    // A role whose rows are all optional (a workflow deployed only when enabled) is not expected with them off.
    if (!includeOptional && row.when !== 'always' && !rows.some((r) => r.role === row.role && r.when === 'always')) {
      continue;
    }
    const actions = documented.get(row.role) ?? new Set<string>();
    if (includeOptional || row.when === 'always') for (const a of row.actions) actions.add(a);
    documented.set(row.role, actions);
  }
  const synthesized = new Map(stacks.flatMap((stack) => [...synthesizedActions(stack)]));
  const problems: string[] = [];
  for (const [role, actions] of synthesized) {
    const listed = documented.get(role);
    if (!listed) {
      problems.push(`role ${role} is not in ${TABLE_FILE}`);
      continue;
    }
    for (const action of actions) {
      if (!listed.has(action)) problems.push(`role ${role} holds ${action}, which ${TABLE_FILE} does not list`);
    }
  }
  for (const [role, actions] of documented) {
    const held = synthesized.get(role);
    if (!held) {
      problems.push(`${TABLE_FILE} lists role ${role}, which the stacks do not create`);
      continue;
    }
    for (const action of actions) {
      if (!held.has(action)) problems.push(`${TABLE_FILE} lists ${action} for role ${role}, which it does not hold`);
    }
  }
  return problems;
}

/** Both stacks under their real ids, as `cdk synth -c tooling=…` builds them. */
function synthBothStacks(onboarding: OnboardingConfigInput, tooling: ToolingConfigInput): Stack[] {
  const app = new App();
  const config = parseConfig(onboarding);
  return [
    new OnboardingStack(app, 'OidcAccountOnboarding', {
      env: { region: 'us-east-1' },
      config,
      functionsDir: placeholderFunctionsDir(),
    }),
    new ToolingStack(app, 'OidcAccountOnboardingTooling', {
      env: { account: config.toolingAccountId, region: config.terraform.region },
      config,
      tooling: parseToolingConfig(tooling, config),
    }),
  ];
}

/** No lock file, no lock table, no Control Tower, no refresh: only the rows marked "always" apply. */
const allOff: OnboardingConfigInput = {
  ...minimalConfig,
  terraform: { useLockfile: false },
  refresh: { enabled: false },
  dashboard: { enabled: false },
};
/** What the necessity test runs with (test/e2e/permissions-necessity.test.ts): the defaults, refresh and dashboard on. */
const necessityConfig: OnboardingConfigInput = { ...allOff, refresh: { enabled: true }, dashboard: { enabled: true } };

describe('permission table (infra/PERMISSIONS.md)', () => {
  const rows = readPermissionsTable(readFileSync(TABLE_FILE, 'utf8'));

  it('documents every role with at least one action and a reason', () => {
    // Assess
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      expect(row.role).toMatch(/^OidcAccountOnboarding(Tooling)?\//);
      expect(row.actions.length).toBeGreaterThan(0);
      expect(row.when).not.toBe('');
    }
  });

  it('matches the synthesized policies of every role when every optional feature is on', () => {
    // Prepare
    const onboarding: OnboardingConfigInput = {
      ...minimalConfig,
      controlTower: { enabled: true },
      offboarding: { enabled: true },
      notifications: { emails: ['platform@example.com'] },
      terraform: { useLockfile: true, lockTable: 'tf-locks', stateKeyPrefix: 'states/' },
    };
    const tooling = {
      organizationId: 'o-a1b2c3d4e5',
      allowedEnvironments: ['production'],
      allowPullRequests: true,
    };

    // Act
    const problems = differences(rows, synthBothStacks(onboarding, tooling), true);

    // Assess
    expect(problems).toEqual([]);
  });

  it('matches the rows marked "always" when every optional feature is off', () => {
    // Act
    const problems = differences(rows, synthBothStacks(allOff, { organizationId: 'o-a1b2c3d4e5' }), false);

    // Assess
    expect(problems).toEqual([]);
  });

  it('lists every statement of every function role in the generated necessity table, in policy order', () => {
    // Prepare
    const [onboarding] = synthBothStacks(necessityConfig, { organizationId: 'o-a1b2c3d4e5' });

    // Act
    const generated = readGeneratedTable(readFileSync(TABLE_FILE, 'utf8'));
    const synthesized = functionRoleStatements(onboarding as Stack);

    // Assess: a changed policy needs the necessity test rerun (UPDATE_PERMISSIONS=1), which proves the new statement
    expect(synthesized.length).toBeGreaterThan(20);
    expect(generated).toEqual(synthesized);
  });

  it('names the role and the action when the table and the policies disagree', () => {
    // Prepare
    const stacks = synthBothStacks(allOff, { organizationId: 'o-a1b2c3d4e5' });
    // Only the onboarding workflow's rows are edited: the reconcile rows (which also grant StartExecution,
    // sns:Publish and X-Ray) stay as they are, so the expected problems are exactly the three edits.
    const edited = rows.flatMap((row) => {
      if (!row.role.startsWith('OidcAccountOnboarding/Onboarding/')) return [row];
      if (row.actions.includes('states:StartExecution')) return [];
      if (row.actions.includes('sns:Publish')) return [{ ...row, actions: ['sns:Publish', 'sns:Subscribe'] }];
      return [{ ...row, actions: row.actions.filter((a) => a !== 'xray:GetSamplingTargets') }];
    });

    // Act
    const problems = differences(edited, stacks, false);

    // Assess
    expect(problems.sort()).toEqual([
      `${TABLE_FILE} lists sns:Subscribe for role OidcAccountOnboarding/Onboarding/StateMachine/Role, which it does not hold`,
      `role OidcAccountOnboarding/Onboarding/StateMachine/EventsRole is not in ${TABLE_FILE}`,
      `role OidcAccountOnboarding/Onboarding/StateMachine/Role holds xray:GetSamplingTargets, which ${TABLE_FILE} does not list`,
    ]);
  });
});
