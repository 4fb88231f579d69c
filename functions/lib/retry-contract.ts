/**
 * The retry contract between the functions and the state machines that run them.
 *
 * - {@link RETRY_CONTRACT}: per function, every named error it can throw and whether the state machine retries it.
 * - {@link RETRY_FAMILIES}: how each family of retryable errors is retried: one definition, which every Task state's
 *   retrier for that family copies (test/state-machines/retry-contract.test.ts checks both, per Task).
 * - {@link INTEGRATION_RETRIERS}: retriers that belong to the service integration rather than to a function (Lambda
 *   service errors and timeouts, SNS publish failures). They are not written in the ASL files: the definition builder
 *   (infra/state-machine-definition.ts) adds them to every Task of that integration, for CDK and the local runner alike.
 *
 * Not bundled into any function: only the state-machine builder and the tests import it.
 */
import type * as errors from './errors';

type ErrorExports = Omit<typeof errors, 'OnboardingError'>;

/** The `name` of every named error class in errors.ts: what a thrown error carries and `ErrorEquals` matches. */
export type ErrorName = {
  [K in keyof ErrorExports]: ErrorExports[K] extends new (
    message?: string,
  ) => infer E
    ? E extends { name: infer N extends string }
      ? N
      : never
    : never;
}[keyof ErrorExports];

/** A Step Functions Retrier. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxAttempts: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

/** A Retrier without the errors it matches. */
export type RetryPolicy = Omit<Retrier, 'ErrorEquals'>;

export interface RetryFamily {
  readonly errors: readonly ErrorName[];
  readonly policy: RetryPolicy;
}

/**
 * One retry definition per family of retryable errors. A Task retrier for a family lists the family's errors its
 * function throws and uses exactly this policy. Worst-case waits (no jitter) are in the comments; FULL jitter waits a
 * random time up to each delay.
 */
export const RETRY_FAMILIES = {
  /** AWS throttled or failed after the SDK's own retries: 5 s doubling to 2 min, 6 retries (up to ~4.6 min). */
  aws: {
    errors: ['AwsThrottled', 'AwsUnavailable'],
    policy: { IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 6, MaxDelaySeconds: 120, JitterStrategy: 'FULL' },
  },
  /**
   * The account is not usable yet (PENDING_ACTIVATION, or its member access role is not assumable yet): 30 s doubling
   * to 5 min, 10 retries, no jitter, so it is retried for a known time: 37.5 min (30+60+120+240+6×300 s).
   */
  accountNotReady: {
    errors: ['AccountNotReady'],
    policy: { IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 10, MaxDelaySeconds: 300 },
  },
  /** GitHub asks for at least a minute after a secondary limit: 60 s doubling to 15 min, 5 retries (up to 30 min). */
  githubRateLimited: {
    errors: ['GitHubRateLimited'],
    policy: { IntervalSeconds: 60, BackoffRate: 2, MaxAttempts: 5, MaxDelaySeconds: 900, JitterStrategy: 'FULL' },
  },
  /** GitHub 5xx or the network, after the client's quick retries: 10 s doubling to 5 min, 5 retries (~5 min). */
  githubUnavailable: {
    errors: ['GitHubUnavailable'],
    policy: { IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 5, MaxDelaySeconds: 300, JitterStrategy: 'FULL' },
  },
  /** A concurrent writer moved the branch: soon, 2 s doubling to 30 s, 5 retries. */
  githubConflict: {
    errors: ['GitHubConflict'],
    policy: { IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 5, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
  },
} as const satisfies Record<string, RetryFamily>;

export type RetryFamilyName = keyof typeof RETRY_FAMILIES;

/** The family of a retryable error. */
export function familyOf(error: string): RetryFamilyName | undefined {
  return (Object.keys(RETRY_FAMILIES) as RetryFamilyName[]).find((family) =>
    (RETRY_FAMILIES[family].errors as readonly string[]).includes(error),
  );
}

/** What the state machine does when a function throws the error: retry it (by its family), or fail the step. */
export type Outcome = 'retry' | 'fail';

export interface FunctionContract {
  /**
   * Every named error constructed in the code the function bundles (the test derives that list from the bundle),
   * except those in `neverThrown`, with what the state machine does about it.
   */
  readonly throws: Partial<Record<ErrorName, Outcome>>;
  /** Named errors the bundle constructs that never leave the function, and why. */
  readonly neverThrown?: Partial<Record<ErrorName, string>>;
}

const MEMBER_ACCOUNT_BUNDLED =
  'member-account.ts is bundled through reconcile.ts, but only reconcile-check assumes member roles';

/** Per function (the folder name under functions/), the errors it throws and which of them are retried. */
export const RETRY_CONTRACT = {
  'resolve-account': {
    throws: {
      InvalidInput: 'fail',
      ConfigError: 'fail',
      AccountCreationFailed: 'fail',
      AccountNotFound: 'fail',
      // PENDING_ACTIVATION: the account becomes usable by itself.
      AccountNotReady: 'retry',
      AwsThrottled: 'retry',
      AwsUnavailable: 'retry',
    },
  },
  'ensure-cicd-role': {
    throws: {
      InvalidInput: 'fail',
      ConfigError: 'fail',
      // Invoked for an account the configuration leaves alone (it reads the account itself), or one that left.
      AccountNotSelected: 'fail',
      AccountNotFound: 'fail',
      // A new account's access role, or a role just created and not readable yet.
      AccountNotReady: 'retry',
      // An invited account without an access role: the invited-account state machine waits (Wait states on its
      // schedule, a person creates the role) and calls again; everywhere else it fails the step.
      AccountNotAssumable: 'fail',
      AwsThrottled: 'retry',
      AwsUnavailable: 'retry',
    },
    neverThrown: {
      AccountCreationFailed: 'organization.ts is bundled for readAccount; CreateAccount requests are never read here',
    },
  },
  'open-pull-request': {
    throws: {
      InvalidInput: 'fail',
      // A folder in the input outside github.accountsDir (a direct invocation): refused before any request.
      FolderOutsideAccountsDir: 'fail',
      ConfigError: 'fail',
      TemplateError: 'fail',
      WorkflowMatrixNotFound: 'fail',
      MatrixLimitExceeded: 'fail',
      GitHubAuthFailed: 'fail',
      GitHubRequestRejected: 'fail',
      // A person decides: the role is someone else's, the repository needs a decision, or the last guard refused.
      RoleNotManaged: 'fail',
      RepositoryNeedsAPerson: 'fail',
      UnsafeChange: 'fail',
      GitHubRateLimited: 'retry',
      GitHubUnavailable: 'retry',
      GitHubConflict: 'retry',
      // Reading the GitHub secret.
      AwsThrottled: 'retry',
      AwsUnavailable: 'retry',
    },
  },
  'resolve-departure': {
    throws: { InvalidInput: 'fail', ConfigError: 'fail', AwsThrottled: 'retry', AwsUnavailable: 'retry' },
    neverThrown: {
      AccountNotFound: 'decideDeparture reads it as the account having left the organization (removed)',
      AccountCreationFailed: 'organization.ts is bundled for readAccount; CreateAccount requests are never read here',
    },
  },
  'open-offboarding-pull-request': {
    throws: {
      InvalidInput: 'fail',
      ConfigError: 'fail',
      WorkflowMatrixNotFound: 'fail',
      GitHubAuthFailed: 'fail',
      GitHubRequestRejected: 'fail',
      UnsafeChange: 'fail',
      GitHubRateLimited: 'retry',
      GitHubUnavailable: 'retry',
      GitHubConflict: 'retry',
      AwsThrottled: 'retry',
      AwsUnavailable: 'retry',
    },
    neverThrown: { MatrixLimitExceeded: 'workflow-matrix.ts is bundled, but an offboarding only removes entries' },
  },
  'reconcile-inventory': {
    throws: { InvalidInput: 'fail', ConfigError: 'fail', AwsThrottled: 'retry', AwsUnavailable: 'retry' },
    neverThrown: { AccountNotReady: MEMBER_ACCOUNT_BUNDLED },
  },
  'reconcile-check': {
    throws: { InvalidInput: 'fail', ConfigError: 'fail', AwsThrottled: 'retry', AwsUnavailable: 'retry' },
    neverThrown: { AccountNotReady: 'observeRole reports it as the account-not-assumable finding of that account' },
  },
  'reconcile-repo': {
    throws: {
      InvalidInput: 'fail',
      ConfigError: 'fail',
      GitHubAuthFailed: 'fail',
      GitHubRequestRejected: 'fail',
      // A read moves no branch: a 409 here is an empty repository, which waiting does not fix.
      GitHubConflict: 'fail',
      GitHubRateLimited: 'retry',
      GitHubUnavailable: 'retry',
      AwsThrottled: 'retry',
      AwsUnavailable: 'retry',
    },
    neverThrown: { AccountNotReady: MEMBER_ACCOUNT_BUNDLED },
  },
  'reconcile-report': {
    throws: {
      InvalidInput: 'fail',
      ConfigError: 'fail',
      TemplateError: 'fail',
      WorkflowMatrixNotFound: 'fail',
      MatrixLimitExceeded: 'fail',
      AwsThrottled: 'retry',
      AwsUnavailable: 'retry',
    },
    neverThrown: { AccountNotReady: MEMBER_ACCOUNT_BUNDLED },
  },
  // Scheduled every few minutes: a transient GitHub error ends the run (Deferred) and the next run is its retry.
  refresh: {
    throws: {
      InvalidInput: 'fail',
      ConfigError: 'fail',
      GitHubAuthFailed: 'fail',
      GitHubRequestRejected: 'fail',
      GitHubRateLimited: 'fail',
      GitHubUnavailable: 'fail',
      GitHubConflict: 'fail',
      // A person decides (as for open-pull-request): the repository or the templates need a fix first.
      TemplateError: 'fail',
      WorkflowMatrixNotFound: 'fail',
      MatrixLimitExceeded: 'fail',
      UnsafeChange: 'fail',
      AwsThrottled: 'retry',
      AwsUnavailable: 'retry',
    },
    neverThrown: {
      AccountNotFound: 'an account that left the organization is reported as skipped; its pull request is left alone',
      AccountCreationFailed:
        'organization.ts is bundled for readAccount; the refresh never resolves a CreateAccount request',
    },
  },
} as const satisfies Record<string, FunctionContract>;

export type FunctionName = keyof typeof RETRY_CONTRACT;

/** The errors of a function that its Task must retry. */
export function retryableErrors(fn: FunctionName): ErrorName[] {
  const throws: FunctionContract['throws'] = RETRY_CONTRACT[fn].throws;
  return (Object.keys(throws) as ErrorName[]).filter((name) => throws[name] === 'retry');
}

/** Lambda's own transient failures (Step Functions best practice, plus throttling of the invoke itself). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/**
 * Retriers of a service integration, keyed by the part of the Task's `Resource` after `arn:<partition>:states:::`.
 * The definition builder puts them first in every Task of that integration; an ASL file must not name their errors.
 */
export const INTEGRATION_RETRIERS: Record<string, readonly Retrier[]> = {
  'lambda:invoke': [
    {
      ErrorEquals: LAMBDA_SERVICE_ERRORS,
      IntervalSeconds: 2,
      BackoffRate: 2,
      MaxAttempts: 6,
      MaxDelaySeconds: 60,
      JitterStrategy: 'FULL',
    },
    // The function timed out (Sandbox.Timedout) or did not answer within the Task's TimeoutSeconds (States.Timeout).
    // The functions are idempotent, so once is safe; a timeout that repeats is not transient, so once is enough.
    { ErrorEquals: ['States.Timeout', 'Sandbox.Timedout'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 1 },
  ],
  // A notification that could not be published, for whatever reason (States.TaskFailed matches all but timeouts).
  'sns:publish': [
    {
      ErrorEquals: ['States.TaskFailed', 'States.Timeout'],
      IntervalSeconds: 2,
      BackoffRate: 2,
      MaxAttempts: 3,
      JitterStrategy: 'FULL',
    },
  ],
};
