/**
 * The IAM side of the synthesized onboarding stack, as the local runtime evaluates it: each Lambda function's execution
 * role with its identity-based policies, and the resource-based policies of the failure topic, its KMS key and the
 * reconcile run bucket. The stack is synthesized from the same configuration as the local run (as the tests synthesize
 * it, with placeholder bundles), and CloudFormation's references (`Ref`, `Fn::GetAtt`, `Fn::Join`, pseudo parameters)
 * are resolved to the local resources, so the stand-in evaluates exactly the statements that would be deployed.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OnboardingConfig } from '../functions/lib/config';
import type { PolicyDocument } from './aws/policy';

/** The functions of the stack, as the local runtime names them (their folders under functions/). */
export const FUNCTION_NAMES = [
  'resolve-account',
  'ensure-cicd-role',
  'open-pull-request',
  'reconcile-inventory',
  'reconcile-check',
  'reconcile-repo',
  'reconcile-report',
  // Present when `offboarding.enabled`.
  'resolve-departure',
  'open-offboarding-pull-request',
  // Present when `refresh.enabled` (the default).
  'refresh',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface RolePolicy {
  /** The policy's name (`PolicyName` of its AWS::IAM::Policy): an inline policy of the role once deployed. */
  name: string;
  document: PolicyDocument;
}

export interface FunctionRole {
  functionName: FunctionName;
  /** The role's construct path, as infra/PERMISSIONS.md names it (`OidcAccountOnboarding/Onboarding/ResolveAccountRole`). */
  rolePath: string;
  /** The role's name in the stand-in (CloudFormation would generate one from the same path). */
  roleName: string;
  policies: RolePolicy[];
}

/** The local (or placeholder) values CloudFormation references resolve to. */
export interface LocalResources {
  accountId: string;
  region: string;
  topicArn: string;
  keyArn: string;
  bucket: string;
  /** The claims bucket of resolve-account (one writer per account creation). */
  claimsBucket: string;
  onboardingStateMachineArn: string;
  reconcileStateMachineArn: string;
  offboardingStateMachineArn: string;
  refreshStateMachineArn: string;
}

export interface SynthesizedPolicies {
  functions: FunctionRole[];
  /** Resource-based policies, by the local ARN of their resource (the bucket's by the bucket ARN). */
  resourcePolicies: Map<string, PolicyDocument>;
  /** The KMS key of each encrypted topic, by topic ARN. */
  topicKeys: Map<string, string>;
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

let placeholderDir: string | undefined;

/** Only policies are read from this synth: a one-line bundle per function keeps assets out of the way. */
function placeholderFunctionsDir(): string {
  if (placeholderDir) return placeholderDir;
  const dir = mkdtempSync(join(tmpdir(), 'onboarding-policies-'));
  for (const name of FUNCTION_NAMES) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'index.mjs'), 'export const handler = async () => ({});\n');
  }
  placeholderDir = dir;
  return dir;
}

/** Resolves the intrinsic functions CDK writes into policies; any other reference is an error, never a guess. */
function resolver(template: Template, values: Map<string, Record<string, string>>, resources: LocalResources) {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': resources.region,
    'AWS::AccountId': resources.accountId,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const attribute = (logicalId: string, name: string, where: string): string => {
    const value = values.get(logicalId)?.[name];
    if (value === undefined) {
      throw new Error(
        `${where}: no local value for ${name === 'Ref' ? `Ref ${logicalId}` : `${logicalId}.${name}`} (${template.Resources[logicalId]?.Type ?? 'unknown resource'})`,
      );
    }
    return value;
  };
  const resolve = (value: unknown, where: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => resolve(v, where));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [key, argument] = entries[0] ?? [];
    if (entries.length === 1 && key === 'Ref') {
      const name = argument as string;
      return pseudo[name] ?? attribute(name, 'Ref', where);
    }
    if (entries.length === 1 && key === 'Fn::GetAtt') {
      const [logicalId, name] = argument as [string, string];
      return attribute(logicalId, name, where);
    }
    if (entries.length === 1 && key === 'Fn::Join') {
      const [separator, parts] = argument as [string, unknown[]];
      return (resolve(parts, where) as unknown[]).map(String).join(separator);
    }
    if (entries.length === 1 && key?.startsWith('Fn::')) throw new Error(`${where}: ${key} is not resolved locally`);
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, where)]));
  };
  return resolve;
}

/**
 * Synthesizes the onboarding stack for `config` and returns its function roles and resource policies, resolved to
 * `resources`. Synthesis takes a second or two: results are kept per configuration and resources.
 */
export async function synthesizeFunctionRoles(
  config: OnboardingConfig,
  resources: LocalResources,
  stackName = 'OidcAccountOnboarding',
): Promise<SynthesizedPolicies> {
  const key = JSON.stringify([config, resources, stackName]);
  let result = cache.get(key);
  if (!result) {
    result = synthesize(config, resources, stackName);
    cache.set(key, result);
  }
  return result;
}

const cache = new Map<string, Promise<SynthesizedPolicies>>();

async function synthesize(
  config: OnboardingConfig,
  resources: LocalResources,
  stackName: string,
): Promise<SynthesizedPolicies> {
  const { App, Stack } = await import('aws-cdk-lib');
  const { Template } = await import('aws-cdk-lib/assertions');
  const { OnboardingStack } = await import('../infra/onboarding-stack');
  const app = new App();
  const stack = new OnboardingStack(app, stackName, {
    env: { region: resources.region },
    config,
    functionsDir: placeholderFunctionsDir(),
  });
  const template = Template.fromStack(stack).toJSON() as Template;
  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    Stack.of(stack).resolve((construct.node.defaultChild as { logicalId: string }).logicalId) as string;

  const { onboarding, reconcile, offboarding, refresh } = stack;
  const functions: Partial<Record<FunctionName, typeof onboarding.resolveAccount>> = {
    'resolve-account': onboarding.resolveAccount,
    'ensure-cicd-role': onboarding.ensureCicdRole,
    'open-pull-request': onboarding.openPullRequest,
    'reconcile-inventory': reconcile.inventory,
    'reconcile-check': reconcile.check,
    'reconcile-repo': reconcile.repository,
    'reconcile-report': reconcile.report,
    ...(offboarding && {
      'resolve-departure': offboarding.resolveDeparture,
      'open-offboarding-pull-request': offboarding.openPullRequest,
    }),
    ...(refresh && { refresh: refresh.refresh }),
  };
  const { accountId, region } = resources;
  const values = new Map<string, Record<string, string>>([
    [logicalId(onboarding.failureTopic), { Ref: resources.topicArn, TopicArn: resources.topicArn }],
    [
      logicalId(onboarding.failureTopicKey),
      { Ref: resources.keyArn.slice(resources.keyArn.lastIndexOf('/') + 1), Arn: resources.keyArn },
    ],
    [logicalId(reconcile.bucket), { Ref: resources.bucket, Arn: `arn:aws:s3:::${resources.bucket}` }],
    [
      logicalId(onboarding.claims.bucket),
      { Ref: resources.claimsBucket, Arn: `arn:aws:s3:::${resources.claimsBucket}` },
    ],
    [logicalId(onboarding.stateMachine), { Ref: resources.onboardingStateMachineArn }],
    [logicalId(reconcile.stateMachine), { Ref: resources.reconcileStateMachineArn }],
  ]);
  if (offboarding) values.set(logicalId(offboarding.stateMachine), { Ref: resources.offboardingStateMachineArn });
  if (refresh) values.set(logicalId(refresh.stateMachine), { Ref: resources.refreshStateMachineArn });
  const roles = new Map<string, FunctionRole>();
  for (const [name, fn] of Object.entries(functions) as Array<[FunctionName, typeof onboarding.resolveAccount]>) {
    const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
    values.set(logicalId(fn), { Ref: name, Arn: functionArn });
    const logGroup = `/aws/lambda/${name}`;
    const logGroupConstruct = fn.logGroup as unknown as { node: { defaultChild?: unknown } };
    values.set(logicalId(logGroupConstruct), {
      Ref: logGroup,
      Arn: `arn:aws:logs:${region}:${accountId}:log-group:${logGroup}:*`,
    });
    const role = fn.role as unknown as { node: { defaultChild?: unknown; path: string } };
    const rolePath = role.node.path;
    const roleName = rolePath.replaceAll('/', '-');
    values.set(logicalId(role), { Ref: roleName, Arn: `arn:aws:iam::${accountId}:role/${roleName}` });
    roles.set(logicalId(role), { functionName: name, rolePath, roleName, policies: [] });
  }
  const unmapped = Object.entries(template.Resources).filter(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && !values.has(id),
  );
  if (unmapped.length > 0) {
    throw new Error(`local/function-roles.ts does not know the functions ${unmapped.map(([id]) => id).join(', ')}`);
  }

  const resolve = resolver(template, values, resources);
  const resourcePolicies = new Map<string, PolicyDocument>();
  const topicKeys = new Map<string, string>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Policy') {
      for (const ref of props.Roles as Array<{ Ref: string }>) {
        const role = roles.get(ref.Ref);
        if (!role) continue; // A state machine's, EventBridge's or the scheduler's role: not a function's.
        role.policies.push({
          name: props.PolicyName as string,
          document: resolve(props.PolicyDocument, id) as PolicyDocument,
        });
      }
    }
    if (resource.Type === 'AWS::IAM::Role' && roles.has(id)) {
      for (const inline of (props.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>) {
        roles
          .get(id)
          ?.policies.push({ name: inline.PolicyName, document: resolve(inline.PolicyDocument, id) as PolicyDocument });
      }
      if (props.ManagedPolicyArns)
        throw new Error(`${id}: managed policies on a function role are not evaluated locally`);
    }
    if (resource.Type === 'AWS::SNS::TopicPolicy') {
      for (const topic of resolve(props.Topics, id) as string[]) {
        resourcePolicies.set(topic, resolve(props.PolicyDocument, id) as PolicyDocument);
      }
    }
    if (resource.Type === 'AWS::SNS::Topic' && props.KmsMasterKeyId && values.has(id)) {
      topicKeys.set(values.get(id)?.Ref as string, resolve(props.KmsMasterKeyId, id) as string);
    }
    if (resource.Type === 'AWS::S3::BucketPolicy') {
      resourcePolicies.set(
        `arn:aws:s3:::${resolve(props.Bucket, id)}`,
        resolve(props.PolicyDocument, id) as PolicyDocument,
      );
    }
    if (resource.Type === 'AWS::KMS::Key' && values.has(id)) {
      resourcePolicies.set(values.get(id)?.Arn as string, resolve(props.KeyPolicy, id) as PolicyDocument);
    }
  }
  return {
    functions: FUNCTION_NAMES.flatMap((name) => [...roles.values()].filter((r) => r.functionName === name)),
    resourcePolicies,
    topicKeys,
  };
}
