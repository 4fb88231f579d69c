/**
 * Named errors. Each `name` is a string literal that the state machine matches in `ErrorEquals`,
 * so the bundles keep names (esbuild `keepNames`). Messages say what was expected and what to do;
 * they never carry secrets.
 */
export abstract class OnboardingError extends Error {
  abstract override readonly name: string;
}

/** The execution input is none of the accepted shapes, or a field in it is malformed. Nothing was changed. */
export class InvalidInput extends OnboardingError {
  override readonly name = 'InvalidInput' as const;
}

/** Configuration is missing a value or holds a bad one; the message names the field. */
export class ConfigError extends OnboardingError {
  override readonly name = 'ConfigError' as const;
}

/** Organizations reported the CreateAccount request as FAILED. */
export class AccountCreationFailed extends OnboardingError {
  override readonly name = 'AccountCreationFailed' as const;
}

/** The CreateAccount request stayed IN_PROGRESS longer than the workflow polls. */
export class AccountCreationTimedOut extends OnboardingError {
  override readonly name = 'AccountCreationTimedOut' as const;
}

/** The account id is not a member of this organization. */
export class AccountNotFound extends OnboardingError {
  override readonly name = 'AccountNotFound' as const;
}

/**
 * The account cannot be worked on yet: it is PENDING_ACTIVATION, or none of the member access roles could be assumed.
 * Retried by the state machine (functions/lib/retry-contract.ts says how long).
 */
export class AccountNotReady extends OnboardingError {
  override readonly name = 'AccountNotReady' as const;
}

/**
 * The account is one the configuration leaves alone (the management or tooling account, an excluded id, OU or tag,
 * not ACTIVE): a function invoked directly for it refuses to act. Nothing was changed; not retried.
 */
export class AccountNotSelected extends OnboardingError {
  override readonly name = 'AccountNotSelected' as const;
}

/**
 * A folder named in a function's input is not an account folder: not directly inside `github.accountsDir` (e.g.
 * `infra/prod`, `.github/workflows`, `../x`, an absolute path). Nothing was read or written; not retried.
 */
export class FolderOutsideAccountsDir extends OnboardingError {
  override readonly name = 'FolderOutsideAccountsDir' as const;
}

/** A role with the cicd name exists in the account and is not tagged as managed by this tool. */
export class RoleNotManaged extends OnboardingError {
  override readonly name = 'RoleNotManaged' as const;
}

/**
 * The repository needs a person's decision before the account's folder can be written (a tfvars names the wrong
 * account, several folders name it, no free folder): reported with what to do; nothing was written.
 */
export class RepositoryNeedsAPerson extends OnboardingError {
  override readonly name = 'RepositoryNeedsAPerson' as const;
}

/**
 * The last guard before a push: the change-set would write outside the account's own folder, overwrite a file, or
 * change the workflow beyond the matrix entry. Nothing was pushed. Always a bug, never retried.
 */
export class UnsafeChange extends OnboardingError {
  override readonly name = 'UnsafeChange' as const;
}

/** The workflow file has no matrix list under the configured key, or it cannot be edited safely. */
export class WorkflowMatrixNotFound extends OnboardingError {
  override readonly name = 'WorkflowMatrixNotFound' as const;
}

/** Adding the entry would take the matrix past GitHub's 256-job limit. The workflow is left untouched. */
export class MatrixLimitExceeded extends OnboardingError {
  override readonly name = 'MatrixLimitExceeded' as const;
}

/** A Terraform template refers to a variable that does not exist or cannot be rendered. */
export class TemplateError extends OnboardingError {
  override readonly name = 'TemplateError' as const;
}

/** GitHub answered with a primary or secondary rate limit: retried by the state machine. */
export class GitHubRateLimited extends OnboardingError {
  override readonly name = 'GitHubRateLimited' as const;
}

/** GitHub answered 5xx or the network failed: retried by the state machine. */
export class GitHubUnavailable extends OnboardingError {
  override readonly name = 'GitHubUnavailable' as const;
}

/**
 * GitHub refused the request itself (HTTP 400, 410, 451, a 422 that is not a conflict, or another permanent 4xx):
 * sending it again gets the same answer, so the state machine does not retry it.
 */
export class GitHubRequestRejected extends OnboardingError {
  override readonly name = 'GitHubRequestRejected' as const;
}

/** GitHub refused the credentials or the app lacks a permission (Contents, Pull requests, Workflows write). */
export class GitHubAuthFailed extends OnboardingError {
  override readonly name = 'GitHubAuthFailed' as const;
}

/** A concurrent writer moved the branch between our read and our write: retried by the state machine. */
export class GitHubConflict extends OnboardingError {
  override readonly name = 'GitHubConflict' as const;
}

/** AWS throttled a call after the SDK's own retries: retried by the state machine. */
export class AwsThrottled extends OnboardingError {
  override readonly name = 'AwsThrottled' as const;
}

/** AWS answered 5xx after the SDK's own retries: retried by the state machine. */
export class AwsUnavailable extends OnboardingError {
  override readonly name = 'AwsUnavailable' as const;
}

/**
 * An invited account's member access role could not be assumed through its whole wait (config
 * `invitations.accessRoleWaitSeconds`): a person creates the role (the message says which, and how), then re-runs.
 */
export class AccountNotAssumable extends OnboardingError {
  override readonly name = 'AccountNotAssumable' as const;
}

/** A profile can never apply: an earlier one in `profiles` matches every account it matches. Found at synth. */
export class ProfileShadowed extends OnboardingError {
  override readonly name = 'ProfileShadowed' as const;
}

/** A profile names a templates folder that is not a subfolder of templates/. Found at synth. */
export class UnknownTemplatesFolder extends OnboardingError {
  override readonly name = 'UnknownTemplatesFolder' as const;
}
