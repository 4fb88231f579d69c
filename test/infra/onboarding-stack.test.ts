import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CfnElement, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { parseConfig } from '../../functions/lib/config';
import { ConfigError } from '../../functions/lib/errors';
import { buildDefinition } from '../../infra/state-machine-definition';
import { definitionPlaceholders, ONBOARD_ACCOUNT_ASL } from '../support/asl';
import { acknowledgements, minimalConfig, nagViolations, synthOnboardingStack } from '../support/cdk';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The statements of every inline policy attached to a role. */
function roleStatements(template: Template, stack: Stack, role: IRole | undefined): Statement[] {
  if (!role) throw new Error('the function has no role');
  const ref = { Ref: stack.getLogicalId(role.node.defaultChild as CfnElement) };
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(JSON.stringify(ref)))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

interface AslStates {
  States: Record<
    string,
    {
      Type: string;
      Resource?: string;
      TimeoutSeconds?: number;
      Parameters?: { FunctionName?: string };
      Branches?: AslStates[];
      ItemProcessor?: AslStates;
    }
  >;
}

/** Every lambda:invoke Task of a definition (nested ones included), with its timeout and its function placeholder. */
function lambdaTasks(machine: AslStates): Array<{ name: string; timeoutSeconds: number; placeholder: string }> {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    ...[...(state.Branches ?? []), ...(state.ItemProcessor ? [state.ItemProcessor] : [])].flatMap(lambdaTasks),
    ...(state.Type === 'Task' && state.Resource?.endsWith(':states:::lambda:invoke')
      ? [
          {
            name,
            timeoutSeconds: state.TimeoutSeconds ?? Number.NaN,
            placeholder: /^\$\{(\w+)\}$/.exec(state.Parameters?.FunctionName ?? '')?.[1] ?? '',
          },
        ]
      : []),
  ]);
}

/** The template resources of one type that a construct (e.g. the onboarding workflow) defines, by logical id. */
function resourcesIn(template: Template, scope: IConstruct, type: string): ReturnType<Template['findResources']> {
  const stack = Stack.of(scope);
  const ids = new Set(
    scope.node
      .findAll()
      .filter((c): c is CfnResource => c instanceof CfnResource && c.cfnResourceType === type)
      .map((c) => stack.resolve(c.logicalId) as string),
  );
  return Object.fromEntries(Object.entries(template.findResources(type)).filter(([id]) => ids.has(id)));
}

/** Renders `Fn::Join` the way CloudFormation would, with a made-up account id. */
function renderJoin(value: unknown, accountId: string): string {
  if (typeof value === 'string') return value;
  const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts
    .map((part) =>
      typeof part === 'string' ? part : JSON.stringify(part) === '{"Ref":"AWS::AccountId"}' ? accountId : '?',
    )
    .join(separator);
}

describe('onboarding stack', () => {
  const synth = synthOnboardingStack({
    onboarding: {
      ...minimalConfig,
      memberAccessRoleNames: ['OrgAccess', 'ControlTowerExec'],
      controlTower: { enabled: true },
      notifications: { emails: ['platform@example.com'] },
    },
  });
  const { stack, template } = synth;
  const { onboarding } = stack;

  it('runs the three functions on current Node.js, arm64, with explicit timeouts, tracing and their own log group', () => {
    // Prepare
    const expected = [
      [onboarding.resolveAccount, 30],
      [onboarding.ensureCicdRole, 60],
      [onboarding.openPullRequest, 120],
    ] as const;

    // Act
    const functions = resourcesIn(template, onboarding, 'AWS::Lambda::Function');

    // Assess
    expect(Object.keys(functions)).toHaveLength(3);
    for (const [fn, timeout] of expected) {
      const props = functions[stack.getLogicalId(fn.node.defaultChild as CfnElement)]?.Properties;
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: timeout,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'oidc-account-onboarding',
            POWERTOOLS_LOG_LEVEL: 'INFO',
          },
        },
      });
      expect(props.MemorySize).toBeGreaterThanOrEqual(256);
      expect(props.MemorySize).toBeLessThanOrEqual(512);
    }
  });

  it('hands every function the validated config, with the deploying account as management account', () => {
    // Act
    const configs = Object.values(template.findResources('AWS::Lambda::Function')).map((fn) =>
      parseConfig(JSON.parse(renderJoin(fn.Properties.Environment.Variables.ONBOARDING_CONFIG, '999999999999'))),
    );

    // Assess: the onboarding workflow's three functions, the reconcile workflow's four and the refresh.
    expect(configs).toHaveLength(8);
    for (const config of configs) {
      expect(config).toEqual({ ...synth.config, managementAccountId: '999999999999' });
    }
  });

  it('keeps every log group for one month and retains it when the stack goes', () => {
    // Act
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));

    // Assess: per workflow, one per function and one for its state machine: 4 for onboarding (3 functions), 5 for
    // reconcile (4), 2 for the refresh (1).
    expect(logGroups).toHaveLength(11);
    expect(Object.keys(resourcesIn(template, onboarding, 'AWS::Logs::LogGroup'))).toHaveLength(4);
    for (const logGroup of logGroups) {
      expect(logGroup).toMatchObject({ Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain' });
    }
  });

  it('deploys the ASL file as the definition builder makes it: a Standard state machine that logs everything and traces', () => {
    // Act
    const machines = Object.values(resourcesIn(template, onboarding, 'AWS::StepFunctions::StateMachine'));

    // Assess
    expect(machines).toHaveLength(1);
    const props = machines[0]?.Properties;
    expect(props).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      TracingConfiguration: { Enabled: true },
    });
    expect(props.DefinitionString).toBe(buildDefinition(ONBOARD_ACCOUNT_ASL));
    expect(Object.keys(props.DefinitionSubstitutions).sort()).toEqual(definitionPlaceholders(ONBOARD_ACCOUNT_ASL));
  });

  it('names the partition of every ARN in every definition through the Partition substitution', () => {
    // Act
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));

    // Assess: onboarding, reconcile, refresh
    expect(machines).toHaveLength(3);
    for (const { Properties: props } of machines) {
      expect(props.DefinitionString).not.toMatch(/arn:aws/);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a definition substitution, not a JavaScript template
      expect(props.DefinitionString).toContain('arn:${Partition}:states:::lambda:invoke');
      expect(props.DefinitionSubstitutions.Partition).toEqual({ Ref: 'AWS::Partition' });
    }
  });

  it('gives every Lambda Task more time than its function, so a function timeout reaches the retriers as its error', () => {
    // Prepare
    const functionTimeouts = new Map(
      Object.entries(template.findResources('AWS::Lambda::Function')).map(([id, fn]) => [
        id,
        fn.Properties.Timeout as number,
      ]),
    );

    // Act
    const checked = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).flatMap(
      ({ Properties: props }) =>
        lambdaTasks(JSON.parse(props.DefinitionString)).map(({ name, timeoutSeconds, placeholder }) => {
          const functionId = props.DefinitionSubstitutions[placeholder]['Fn::GetAtt'][0] as string;
          return { name, timeoutSeconds, functionTimeout: functionTimeouts.get(functionId) ?? Number.NaN };
        }),
    );

    // Assess
    expect(checked.map((c) => c.name).sort()).toEqual([
      'CheckBatch',
      'EnsureCicdRole',
      'Inventory',
      'OpenPullRequest',
      'ReadRepository',
      'Refresh',
      'Report',
      'ResolveAccount',
    ]);
    for (const task of checked) {
      expect({ task: task.name, more: task.timeoutSeconds >= task.functionTimeout + 30 }).toEqual({
        task: task.name,
        more: true,
      });
    }
  });

  it('starts an execution on CreateAccountResult, on a successful CreateAccount call and on Control Tower events', () => {
    // Act
    const rules = Object.values(template.findResources('AWS::Events::Rule'));

    // Assess
    expect(rules.map((r) => r.Properties.EventPattern)).toEqual([
      {
        source: ['aws.organizations'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: { eventSource: ['organizations.amazonaws.com'], eventName: ['CreateAccountResult'] },
      },
      {
        source: ['aws.organizations'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['organizations.amazonaws.com'],
          eventName: ['CreateAccount'],
          errorCode: [{ exists: false }],
        },
      },
      {
        source: ['aws.controltower'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: { eventName: ['CreateManagedAccount', 'UpdateManagedAccount'] },
      },
    ]);
    const machineRef = { Ref: stack.getLogicalId(onboarding.stateMachine.node.defaultChild as CfnElement) };
    const queueArn = {
      'Fn::GetAtt': [stack.getLogicalId(onboarding.deadLetterQueue.node.defaultChild as CfnElement), 'Arn'],
    };
    for (const rule of rules) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: machineRef,
          DeadLetterConfig: { Arn: queueArn },
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 21600 },
        }),
      ]);
      // No input transformation: the raw event is the execution input the resolve step understands.
      expect(rule.Properties.Targets[0].Input).toBeUndefined();
    }
  });

  it('listens to Control Tower only when the config enables it', () => {
    // Act
    const { template: withoutControlTower } = synthOnboardingStack();

    // Assess
    withoutControlTower.resourceCountIs('AWS::Events::Rule', 2);
    withoutControlTower.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: Match.objectLike({ source: ['aws.controltower'] }) },
      0,
    );
  });

  it('keeps failed events in an encrypted dead-letter queue that refuses plain HTTP', () => {
    // Assess
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('notifies failures on an encrypted topic, SSL only, with the configured email subscriptions', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.resourcePropertiesCountIs(
      'AWS::SNS::Subscription',
      { Protocol: 'email', Endpoint: 'platform@example.com' },
      1,
    );
  });

  it('lets ensure-cicd-role assume only the configured member access roles, inside the organization', () => {
    // Act
    const assume = roleStatements(template, stack, onboarding.ensureCicdRole.role).filter((s) =>
      asList(s.Action).includes('sts:AssumeRole'),
    );

    // Assess
    expect(assume).toHaveLength(1);
    expect(asList(assume[0]?.Resource).map((r) => renderJoin(r, '-'))).toEqual([
      'arn:?:iam::*:role/OrgAccess',
      'arn:?:iam::*:role/ControlTowerExec',
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JavaScript template
    expect(assume[0]?.Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': '${aws:PrincipalOrgID}' } });
  });

  it('lets only open-pull-request (and reconcile-repo) read the GitHub secret, and only that secret', () => {
    // Act
    const readers = [onboarding.resolveAccount, onboarding.ensureCicdRole, onboarding.openPullRequest].map((fn) =>
      roleStatements(template, stack, fn.role).filter((s) =>
        asList(s.Action).includes('secretsmanager:GetSecretValue'),
      ),
    );
    const policiesReadingSecrets = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[]).some((s) =>
        asList(s.Action).some((a) => a.startsWith('secretsmanager:')),
      ),
    );

    // Assess
    expect(readers[0]).toEqual([]);
    expect(readers[1]).toEqual([]);
    expect(readers[2]?.map((s) => s.Resource)).toEqual([
      'arn:aws:secretsmanager:us-east-1:000000000000:secret:github-token-AbCdEf',
    ]);
    // In the whole stack, only these three roles: reconcile-repo reads the Terraform repo, the refresh rewrites its own PRs.
    const roleRef = (fn: typeof onboarding.openPullRequest) => [
      { Ref: stack.getLogicalId(fn.role?.node.defaultChild as CfnElement) },
    ];
    expect(policiesReadingSecrets.map((p) => p.Properties.Roles)).toEqual(
      expect.arrayContaining([
        roleRef(onboarding.openPullRequest),
        roleRef(stack.reconcile.repository),
        roleRef(stack.refresh?.refresh as typeof onboarding.openPullRequest),
      ]),
    );
    expect(policiesReadingSecrets).toHaveLength(3);
  });

  it('grants a secret given by partial ARN with the 6-character suffix wildcard Secrets Manager adds', () => {
    // Prepare
    const partialArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:github';
    const github = { ...minimalConfig.github, auth: { type: 'token' as const, secretArn: partialArn } };

    // Act
    const partial = synthOnboardingStack({ onboarding: { ...minimalConfig, github } });
    const statements = roleStatements(partial.template, partial.stack, partial.stack.onboarding.openPullRequest.role);

    // Assess
    expect(statements.filter((s) => asList(s.Action).includes('secretsmanager:GetSecretValue'))).toEqual([
      expect.objectContaining({ Resource: `${partialArn}-??????` }),
    ]);
  });

  it('gives resolve-account read-only Organizations access and, beyond it, only its account claims', () => {
    // Act
    const actions = roleStatements(template, stack, onboarding.resolveAccount.role).flatMap((s) => asList(s.Action));

    // Assess
    expect(actions.filter((a) => a.startsWith('organizations:')).sort()).toEqual([
      'organizations:DescribeAccount',
      'organizations:DescribeCreateAccountStatus',
      'organizations:DescribeOrganizationalUnit',
      'organizations:ListParents',
      'organizations:ListParents',
      'organizations:ListTagsForResource',
    ]);
    const others = roleStatements(template, stack, onboarding.resolveAccount.role).filter((s) =>
      asList(s.Action).some((a) => !/^(organizations|logs|xray):/.test(a)),
    );
    expect(others).toEqual([
      expect.objectContaining({ Sid: 'AccountClaims', Action: ['s3:GetObject', 's3:PutObject'] }),
    ]);
    expect(JSON.stringify(others[0]?.Resource)).toContain('/claims/onboarding/*');
  });

  it('lets the state machine invoke exactly the three functions and publish only to its topic', () => {
    // Act
    const statements = roleStatements(template, stack, onboarding.stateMachine.role);
    const invoke = statements.filter((s) => asList(s.Action).includes('lambda:InvokeFunction'));
    const publish = statements.filter((s) => asList(s.Action).includes('sns:Publish'));

    // Assess
    const arnOf = (fn: typeof onboarding.resolveAccount) => ({
      'Fn::GetAtt': [stack.getLogicalId(fn.node.defaultChild as CfnElement), 'Arn'],
    });
    expect(invoke.map((s) => s.Resource)).toEqual([
      [arnOf(onboarding.resolveAccount), arnOf(onboarding.ensureCicdRole), arnOf(onboarding.openPullRequest)],
    ]);
    expect(publish.map((s) => s.Resource)).toEqual([
      { Ref: stack.getLogicalId(onboarding.failureTopic.node.defaultChild as CfnElement) },
    ]);
    expect(statements.flatMap((s) => asList(s.Action)).filter((a) => /^(lambda|sns|states|iam|sts):/.test(a))).toEqual([
      'lambda:InvokeFunction',
      'sns:Publish',
    ]);
  });

  it('passes the cdk-nag AwsSolutions checks with no unacknowledged error or warning', () => {
    // Act
    const violations = nagViolations(stack).map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources[0]?.constructPath}`,
    );

    // Assess
    expect(violations).toEqual([]);
  });

  it('has a live cdk-nag check: a queue without SSL enforcement is reported', () => {
    // Prepare
    const { stack: other } = synthOnboardingStack();
    new Queue(other, 'PlainQueue');

    // Act
    const rules = nagViolations(other).map((v) => v.ruleName);

    // Assess
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });

  it('gives every cdk-nag acknowledgement a written reason', () => {
    // Act
    const acks = acknowledgements(stack);

    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(typeof ack.reason).toBe('string');
      expect((ack.reason as string).length).toBeGreaterThan(40);
    }
  });
});

describe('onboarding configuration at synth', () => {
  it('fails with a ConfigError that names the bad field', () => {
    // Act
    const synth = () => synthOnboardingStack({ onboarding: { ...minimalConfig, toolingAccountId: '123' } });

    // Assess
    expect(synth).toThrow(ConfigError);
    expect(synth).toThrow(/toolingAccountId: a 12-digit AWS account id/);
  });

  it('fails with a ConfigError that says how to configure when no configuration is given', () => {
    expect(() => synthOnboardingStack({})).toThrow(
      /set context "onboarding" in cdk.json or pass -c onboardingConfigFile/,
    );
  });

  it('reads the configuration from the JSON file named by onboardingConfigFile, over the context', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'onboarding-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ ...minimalConfig, toolingAccountId: '222222222222' }));

    // Act
    const { config } = synthOnboardingStack({ onboarding: minimalConfig, onboardingConfigFile: file });

    // Assess
    expect(config.toolingAccountId).toBe('222222222222');
  });

  it('names the file when the configuration file is not valid JSON', () => {
    // Prepare
    const file = join(mkdtempSync(join(tmpdir(), 'onboarding-config-')), 'config.json');
    writeFileSync(file, '{ toolingAccountId: 1');

    // Act & Assess
    expect(() => synthOnboardingStack({ onboardingConfigFile: file })).toThrow(`config file ${file} is not valid JSON`);
  });

  it('accepts the configuration passed on the command line as a JSON string', () => {
    // Act
    const { config } = synthOnboardingStack({ onboarding: JSON.stringify(minimalConfig) });

    // Assess
    expect(config.github.repo).toBe('terraform-aws');
  });

  it('ships an example configuration in cdk.json that synthesises', () => {
    // Prepare
    const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8'));

    // Act
    const { config } = synthOnboardingStack({ onboarding: cdkJson.context.onboarding });

    // Assess
    expect(cdkJson.app).toBe('npx tsx infra/app.ts');
    expect(config).toMatchObject({
      toolingAccountId: '111111111111',
      github: { owner: 'acme', repo: 'terraform-aws' },
    });
  });
});
