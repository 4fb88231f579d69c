/** What every command of the CLI shares: output, exit codes, configuration, endpoints and error translation. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type OnboardingConfig, parseConfig } from '../functions/lib/config';
import { OnboardingError } from '../functions/lib/errors';

export const EXIT = { ok: 0, failed: 1, usage: 2, config: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where the CLI writes and what it reads from its surroundings; tests pass their own. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Milliseconds between two polls of a running execution. */
  pollIntervalMs: number;
}

export const processIo = (): Io => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  pollIntervalMs: 2000,
});

/** An error the CLI reports as one message (plus what to do) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GlobalOptions {
  json: boolean;
  config?: string;
  stateMachineArn?: string;
  reconcileStateMachineArn?: string;
  awsEndpoint?: string;
  githubEndpoint?: string;
}

/** Prints lines for people, or nothing in `--json` mode (where each command prints one JSON document). */
export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  line(text = ''): void {
    if (!this.json) this.io.stdout(`${text}\n`);
  }

  document(value: unknown): void {
    if (this.json) this.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }
}

/** The onboarding configuration: `--config FILE` (the JSON of cdk.json's `context.onboarding`), else cdk.json's. */
export function loadConfig(options: GlobalOptions, io: Io): OnboardingConfig {
  const file = resolve(io.cwd, options.config ?? 'cdk.json');
  if (!existsSync(file)) {
    throw new CliError(
      options.config
        ? `--config ${options.config}: no such file`
        : `No cdk.json in ${io.cwd}: run the CLI from the project folder or pass --config FILE (the JSON of cdk.json's context.onboarding)`,
      EXIT.config,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`, EXIT.config);
  }
  if (!options.config) {
    raw = (raw as { context?: { onboarding?: unknown } }).context?.onboarding;
    if (raw === undefined) {
      throw new CliError(
        `${file} has no context.onboarding: add the configuration there (see README "Configure") or pass --config FILE`,
        EXIT.config,
      );
    }
  }
  return parseConfig(raw, options.config ? `configuration in ${options.config}` : `context.onboarding of ${file}`);
}

const STACK = 'OidcAccountOnboarding';

/** The ARN of the onboarding or reconcile state machine, from the option or the environment. */
export function stateMachineArn(kind: 'onboarding' | 'reconcile', options: GlobalOptions, io: Io): string {
  const [option, variable, output] =
    kind === 'onboarding'
      ? ['--state-machine-arn', 'ONBOARDING_STATE_MACHINE_ARN', 'OnboardingStateMachineArn']
      : ['--reconcile-state-machine-arn', 'RECONCILE_STATE_MACHINE_ARN', 'ReconcileStateMachineArn'];
  const arn =
    (kind === 'onboarding' ? options.stateMachineArn : options.reconcileStateMachineArn) ?? io.env[variable] ?? '';
  if (!arn) {
    throw new CliError(
      `No ${kind} state machine: pass ${option} ARN or set ${variable} to the ${output} output of the ${STACK} stack ` +
        `(aws cloudformation describe-stacks --region us-east-1 --stack-name ${STACK} --query "Stacks[0].Outputs[?OutputKey=='${output}'].OutputValue" --output text)`,
      EXIT.config,
    );
  }
  if (!/^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/.test(arn)) {
    throw new CliError(
      `${arn} is not a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>): check ${option} / ${variable}`,
      EXIT.config,
    );
  }
  return arn;
}

/** Client configuration: the region, and `--aws-endpoint` when given (else the SDK's AWS_ENDPOINT_URL handling). */
export function awsClientConfig(options: GlobalOptions, region: string): { region: string; endpoint?: string } {
  return { region, ...(options.awsEndpoint ? { endpoint: options.awsEndpoint } : {}) };
}

export const regionOfArn = (arn: string): string => arn.split(':')[3] ?? 'us-east-1';

/** `yyyymmddHHMMss` in UTC: readable and sortable in execution names. */
export const timestamp = (date = new Date()): string => date.toISOString().replace(/\D/g, '').slice(0, 14);

export const ACCOUNT_ID = /^\d{12}$/;

export function requireAccountId(value: string): string {
  if (!ACCOUNT_ID.test(value)) {
    throw new CliError(
      `Account id "${value}" is not 12 digits: give the AWS account id as its 12 digits, leading zeros included (e.g. 012345678901)`,
      EXIT.usage,
    );
  }
  return value;
}

/** What to do about each named error (README, "Troubleshooting: the named errors"). */
export const TROUBLESHOOTING: Record<string, string> = {
  InvalidInput: 'start it with {"accountId": "<12-digit string>"}; nothing was changed',
  ConfigError: 'fix the value the message names in cdk.json (context.onboarding) and redeploy',
  AccountCreationFailed: 'fix the request in Organizations (e.g. use another email); there is nothing to onboard',
  AccountCreationTimedOut: 'check the request in Organizations, then re-run by account id',
  AccountNotFound: 'check the id, and that the stack runs in the management account of the organization',
  AccountNotReady:
    'a new account needs a few minutes before its access role can be assumed, and a PENDING_ACTIVATION one may need its sign-up completed: run again later; an invited account needs OrganizationAccountAccessRole created by its administrator',
  RoleNotManaged:
    'tag the role managed-by=oidc-account-onboarding, or set adoptExistingRole: true in the configuration',
  WorkflowMatrixNotFound: 'the message says what was found; keep the account folders in a literal matrix list',
  MatrixLimitExceeded:
    "split the workflow: the matrix would exceed GitHub's 256 jobs (the workflow was left untouched)",
  TemplateError: 'the message names the template file and the unknown variable',
  GitHubAuthFailed:
    "check the GitHub secret and the app's Contents, Pull requests and Workflows permissions (or the token's)",
  GitHubRequestRejected:
    'GitHub refused the request itself (the message gives its status and reason, e.g. a repository rule or a blocked repository): fix that, then run again',
  GitHubRateLimited: 'transient: it was retried with backoff; run again (or redrive) later',
  GitHubUnavailable: 'transient: it was retried with backoff; run again (or redrive) later',
  GitHubConflict: 'transient: it was retried with backoff; run again (or redrive) later',
  AwsThrottled: 'transient: it was retried with backoff; run again (or redrive) later',
  AwsUnavailable: 'transient: it was retried with backoff; run again (or redrive) later',
};

export const whatToDo = (error: string | undefined): string =>
  (error && TROUBLESHOOTING[error]) ??
  'read the cause above and the execution history in the Step Functions console; every step is idempotent, so run again (or redrive) once the cause is fixed';

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDenied',
  'AccessDeniedException',
]);
const CONFIG_ERRORS = new Set(['StateMachineDoesNotExist', 'InvalidArn', 'ConfigError', 'GitHubAuthFailed']);

/** Turns anything thrown by a command into the message and exit code the user sees. */
export function explain(error: unknown): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  const e = error instanceof Error ? error : new Error(String(error));
  if (CREDENTIAL_ERRORS.has(e.name)) {
    return {
      message:
        `AWS refused the credentials (${e.name}: ${e.message}). Use credentials of the management account ` +
        '(AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) that may use Step Functions, Organizations and sts:AssumeRole.',
      exitCode: EXIT.config,
    };
  }
  if (CONFIG_ERRORS.has(e.name)) {
    const hint = TROUBLESHOOTING[e.name];
    return {
      message: `${e.name}: ${e.message}${hint ? `\nWhat to do: ${hint}` : ''}`,
      exitCode: EXIT.config,
    };
  }
  const code = (e as { code?: string }).code ?? (e.cause as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || /fetch failed|ECONNREFUSED/.test(e.message)) {
    return {
      message: `EndpointUnreachable: cannot reach the endpoint (${code ?? e.message}): expected an AWS-compatible (--aws-endpoint) or GitHub-compatible (--github-endpoint) API there; check the URL and the network`,
      exitCode: EXIT.config,
    };
  }
  if (e.name === 'AccountNotFound' || e.name === 'InvalidInput') {
    return { message: `${e.name}: ${e.message}\nWhat to do: ${whatToDo(e.name)}`, exitCode: EXIT.usage };
  }
  if (e instanceof OnboardingError) {
    return { message: `${e.name}: ${e.message}\nWhat to do: ${whatToDo(e.name)}`, exitCode: EXIT.failed };
  }
  return { message: `${e.name}: ${e.message}`, exitCode: EXIT.failed };
}

/** The message of a Lambda error cause (`{"errorType","errorMessage","trace"}`), else the cause as it is. */
export function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message
  }
  return cause;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
