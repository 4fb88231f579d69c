import { resolve } from 'node:path';
import {
  Aws,
  type Duration,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { OnboardingConfig } from '../../functions/lib/config';

/** How long a workflow keeps the logs of its functions and state machine. */
export interface LogSettings {
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the log groups when the stack is deleted. @default RETAIN (they are the audit trail) */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** What every workflow hands its Lambda steps: the configuration, where the bundles are, how long logs are kept. */
export interface LambdaStepSettings extends LogSettings {
  /** The validated configuration (see infra/config.ts); handed to every function as ONBOARDING_CONFIG. */
  readonly config: OnboardingConfig;
  /** Folder holding the bundles `<name>/index.mjs` built by esbuild.config.mjs. @default dist/functions */
  readonly functionsDir?: string;
}

/** One function of a workflow. */
export interface LambdaStepProps {
  /** The bundle: the folder name under functions/ (and under `functionsDir`). */
  readonly bundle: string;
  readonly description: string;
  /** Below the Task's TimeoutSeconds in the ASL, so a function timeout reaches the Task's retriers as its error. */
  readonly timeout: Duration;
  readonly memorySize: number;
  /** Added after the variables every step gets (ONBOARDING_CONFIG, NODE_OPTIONS, POWERTOOLS_*). */
  readonly environment?: Record<string, string>;
}

/** The props of a workflow's log group: the settings' retention and removal policy, or their defaults. */
export function logGroupProps(settings: LogSettings): logs.LogGroupProps {
  return {
    retention: settings.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: settings.logRemovalPolicy ?? RemovalPolicy.RETAIN,
  };
}

/**
 * A function a state machine runs, set up the one way every workflow sets up its functions: the esbuild bundle on
 * Node.js 24 and arm64, active tracing, the configuration and the Powertools settings in its environment, its own
 * log group (`<id>Logs`) and an explicit execution role (`<id>Role`) that may only write to that log group. Created
 * as `id`, `<id>Logs` and `<id>Role` in `scope`, the ids the workflows have always used, so logical ids stay stable.
 * The permissions of its work are granted by its workflow (see step-grants.ts).
 */
export function lambdaStep(
  scope: Construct,
  id: string,
  settings: LambdaStepSettings,
  props: LambdaStepProps,
): lambda.Function {
  const { config } = settings;
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, logGroupProps(settings));
  // An explicit role: the default one carries the AWS managed AWSLambdaBasicExecutionRole policy.
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of the ${props.bundle} function`,
  });
  logGroup.grantWrite(role);
  const fn = new lambda.Function(scope, id, {
    description: props.description,
    code: lambda.Code.fromAsset(resolve(settings.functionsDir ?? 'dist/functions', props.bundle)),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    timeout: props.timeout,
    memorySize: props.memorySize,
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    environment: {
      ONBOARDING_CONFIG: Stack.of(scope).toJsonString({
        ...config,
        managementAccountId: config.managementAccountId ?? Aws.ACCOUNT_ID,
      }),
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'oidc-account-onboarding',
      POWERTOOLS_LOG_LEVEL: config.logLevel,
      ...props.environment,
    },
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) have no resource-level permissions.',
  });
  return fn;
}
