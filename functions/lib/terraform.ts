import { type OnboardingConfig, pipelineRoleArn } from './config';
import { InvalidInput } from './errors';
import { DEFAULT_TEMPLATES, renderTemplate, type TemplateVariables } from './templates';
import type { PlacedAccount } from './types';

/**
 * Variables a template can use, each escaped for an HCL double-quoted string. templates/README.md documents them
 * for template authors (a test keeps its table and this function in step).
 */
export function templateVariables(account: PlacedAccount, config: OnboardingConfig): TemplateVariables {
  if (!/^\d{12}$/.test(account.accountId)) {
    throw new InvalidInput(`Account id "${account.accountId}" is not a 12-digit string; leading zeros must be kept`);
  }
  return {
    account_id: account.accountId,
    account_name: account.name,
    account_email: account.email,
    slug: account.slug,
    folder: account.folder,
    region: config.terraform.region,
    state_bucket: config.terraform.stateBucket,
    state_key: `${config.terraform.stateKeyPrefix}${account.folder}/terraform.tfstate`,
    use_lockfile: config.terraform.useLockfile,
    lock_table: config.terraform.lockTable ?? '',
    cicd_role_name: config.cicdRoleName,
    pipeline_role_arn: pipelineRoleArn(config),
    tooling_account_id: config.toolingAccountId,
    external_id: config.externalId ?? '',
    terraform_version: config.terraform.terraformVersion,
    // STS session names allow [\w+=,.@-] up to 64 characters; slugs are [a-z0-9-] of at most 60.
    session_name: `tf-${account.slug}`.slice(0, 64),
  };
}

/** Renders the files of an account folder: file name -> content. */
export function renderAccountFolder(
  account: PlacedAccount,
  config: OnboardingConfig,
  templates: Readonly<Record<string, string>> = DEFAULT_TEMPLATES,
): Record<string, string> {
  const vars = templateVariables(account, config);
  return Object.fromEntries(
    Object.entries(templates).map(([fileName, template]) => [fileName, renderTemplate(fileName, template, vars)]),
  );
}
