import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseConfig } from '../../functions/lib/config';
import { lambdaStep } from '../../infra/constructs/lambda-step';
import { minimalConfig, placeholderFunctionsDir, synthOnboardingStack } from '../support/cdk';

// Every function of every workflow is a Lambda step (infra/constructs/lambda-step.ts), set up one way; every state
// machine has its execution alarms; no definition names the partition `aws` itself.

const everyFeature = {
  onboarding: {
    ...minimalConfig,
    controlTower: { enabled: true },
    offboarding: { enabled: true },
    invitations: { enabled: true, accessRoleWaitSeconds: [60, 120] },
    moves: { enabled: true },
    dashboard: { enabled: true },
  },
};

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

describe('the Lambda steps of every workflow (every optional workflow on)', () => {
  const { template } = synthOnboardingStack(everyFeature);
  const functions = template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
  const roles = template.findResources('AWS::IAM::Role') as Record<string, Resource>;

  it('keeps the logical id of every function, its role and its log group, so no deploy replaces one', () => {
    // Act
    const steps = Object.entries(functions).map(([id, fn]) => {
      const { Ref: logGroup } = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup;
      const [role] = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      return [id, role, logGroup];
    });

    // Assess: the ids the workflows had before they shared the construct
    expect(steps.sort()).toEqual([
      [
        'OffboardingOpenOffboardingPullRequestCC233693',
        'OffboardingOpenOffboardingPullRequestRole570F2C8D',
        'OffboardingOpenOffboardingPullRequestLogs118B84A9',
      ],
      [
        'OffboardingResolveDeparture08D9E885',
        'OffboardingResolveDepartureRoleA11DB660',
        'OffboardingResolveDepartureLogsA31F2947',
      ],
      [
        'OnboardingEnsureCicdRoleC050AC23',
        'OnboardingEnsureCicdRoleRoleC4FA1C2C',
        'OnboardingEnsureCicdRoleLogsFA0385E8',
      ],
      [
        'OnboardingOpenPullRequest617558E1',
        'OnboardingOpenPullRequestRoleADB02CC7',
        'OnboardingOpenPullRequestLogsF28C5F38',
      ],
      [
        'OnboardingResolveAccountD7E44B1C',
        'OnboardingResolveAccountRoleAE6F3293',
        'OnboardingResolveAccountLogsD6029C36',
      ],
      ['ReconcileCheck07C9F40B', 'ReconcileCheckRole1EB37504', 'ReconcileCheckLogsFD3B2CEF'],
      ['ReconcileInventoryC08C9A35', 'ReconcileInventoryRole7DB63C0B', 'ReconcileInventoryLogs24D07BB8'],
      ['ReconcileReport6274D7B0', 'ReconcileReportRole4DF09997', 'ReconcileReportLogs3781C885'],
      ['ReconcileRepositoryE7F217E2', 'ReconcileRepositoryRole270D265C', 'ReconcileRepositoryLogs678F7C99'],
      ['Refresh64E9834F', 'RefreshRefreshRole4323694E', 'RefreshRefreshLogs83B4E511'],
    ]);
  });

  it('runs every function the same way: Node.js 24 on arm64, traced, with the configuration and Powertools settings', () => {
    // Act
    const setups = Object.values(functions).map((fn) => {
      const { Variables } = fn.Properties.Environment as { Variables: Record<string, unknown> };
      return {
        runtime: fn.Properties.Runtime,
        architectures: fn.Properties.Architectures,
        handler: fn.Properties.Handler,
        tracing: fn.Properties.TracingConfig,
        variables: Object.keys(Variables).slice(0, 4),
        powertools: [Variables.POWERTOOLS_SERVICE_NAME, Variables.POWERTOOLS_LOG_LEVEL, Variables.NODE_OPTIONS],
      };
    });

    // Assess
    expect(setups).toHaveLength(10);
    for (const setup of setups) {
      expect(setup).toEqual({
        runtime: 'nodejs24.x',
        architectures: ['arm64'],
        handler: 'index.handler',
        tracing: { Mode: 'Active' },
        variables: ['ONBOARDING_CONFIG', 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_LOG_LEVEL'],
        powertools: ['oidc-account-onboarding', 'INFO', '--enable-source-maps'],
      });
    }
  });

  it('gives every function its own log group and its own role, which only Lambda assumes and no managed policy widens', () => {
    // Act
    const logGroups = Object.values(functions).map(
      (fn) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    const ownRoles = Object.values(functions).map(
      (fn) => (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
    );

    // Assess
    expect(new Set(logGroups).size).toBe(10);
    expect(new Set(ownRoles).size).toBe(10);
    for (const id of ownRoles) {
      expect(roles[id]?.Properties).toMatchObject({
        AssumeRolePolicyDocument: {
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        },
      });
      expect(roles[id]?.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('the state machines of every workflow (every optional workflow on)', () => {
  const { template, stack } = synthOnboardingStack(everyFeature);
  const machines = template.findResources('AWS::StepFunctions::StateMachine') as Record<string, Resource>;
  const topic = stack.resolve(stack.onboarding.failureTopic.topicArn);

  it.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionThrottled'])(
    'alarms on %s of every state machine, to the failure topic',
    (metric) => {
      // Act
      const alarmed = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
        .filter((alarm) => alarm.Properties.Namespace === 'AWS/States' && alarm.Properties.MetricName === metric)
        .map((alarm) => {
          expect(alarm.Properties.AlarmActions).toEqual([topic]);
          return alarm.Properties.Dimensions[0].Value.Ref as string;
        });

      // Assess: onboarding, reconcile, refresh, offboarding, invited and moved accounts
      expect(Object.keys(machines)).toHaveLength(6);
      expect(alarmed.sort()).toEqual(Object.keys(machines).sort());
    },
  );

  it('names the partition through the Partition substitution in every definition and every ASL file', () => {
    // Prepare
    const files = readdirSync('state-machines').filter((f) => f.endsWith('.asl.json'));

    // Act
    const literal = [
      ...files.filter((f) => readFileSync(join('state-machines', f), 'utf8').includes('arn:aws')),
      ...Object.entries(machines)
        .filter(([, m]) => String(m.Properties.DefinitionString).includes('arn:aws'))
        .map(([id]) => id),
    ];

    // Assess
    expect(files).toHaveLength(6);
    expect(literal).toEqual([]);
    for (const machine of Object.values(machines)) {
      expect((machine.Properties.DefinitionSubstitutions as Record<string, unknown>).Partition).toEqual({
        Ref: 'AWS::Partition',
      });
    }
  });
});

describe('lambdaStep', () => {
  it('keeps its logs as the workflow asks and adds the function’s own variables after the shared ones', () => {
    // Prepare
    const stack = new Stack();
    const config = parseConfig(minimalConfig);

    // Act
    lambdaStep(
      stack,
      'Probe',
      {
        config,
        functionsDir: placeholderFunctionsDir(),
        logRetention: RetentionDays.ONE_WEEK,
        logRemovalPolicy: RemovalPolicy.DESTROY,
      },
      {
        bundle: 'refresh',
        description: 'probe',
        timeout: Duration.seconds(10),
        memorySize: 128,
        environment: { EXTRA: 'x' },
      },
    );
    const template = Template.fromStack(stack);

    // Assess
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn?.Properties).toMatchObject({ Timeout: 10, MemorySize: 128, Description: 'probe' });
    expect(Object.keys(fn?.Properties.Environment.Variables)).toEqual([
      'ONBOARDING_CONFIG',
      'NODE_OPTIONS',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_LOG_LEVEL',
      'EXTRA',
    ]);
  });
});
