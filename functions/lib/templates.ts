// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL interpolation written literally in the Terraform templates
import { TemplateError } from './errors';

/**
 * Template syntax for the Terraform files of an account folder, chosen so it never clashes with HCL's own
 * `${…}` interpolation and `%{…}` directives (both pass through untouched):
 *
 * - `{{ name }}` — the variable's value, escaped for an HCL double-quoted string. Always write it inside
 *   double quotes (`key = "{{ region }}"`): the escaping makes any value a plain literal there, nowhere else.
 * - `{{#name}}…{{/name}}` — the section is kept when the variable is set (true or a non-empty string).
 * - `{{^name}}…{{/name}}` — the section is kept when the variable is not set.
 *
 * A section tag alone on its line takes the whole line with it, so optional attributes leave no blank lines.
 */

export type TemplateValue = string | boolean;
export type TemplateVariables = Readonly<Record<string, TemplateValue>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STANDALONE_SECTION_TAG = /^[ \t]*(\{\{[#^/][^{}]*\}\})[ \t]*\r?\n/gm;
const SECTION = /\{\{([#^])\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}([\s\S]*?)\{\{\/\s*\2\s*\}\}/g;
const TAG = /\{\{([^{}]*)\}\}/g;

/** Escapes a value for an HCL double-quoted string: the result is always a literal, never a template. */
export function escapeHclString(value: string): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (!/\p{Cc}/u.test(ch)) out += ch;
  }
  // A function replacement: in a replacement string `$$` would collapse to a single `$`.
  return out.replace(/([$%])\{/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}

function lookup(fileName: string, name: string, vars: TemplateVariables): TemplateValue {
  if (!NAME.test(name) || !Object.hasOwn(vars, name)) {
    const known = Object.keys(vars).sort().join(', ');
    throw new TemplateError(`Template ${fileName} refers to unknown variable "${name}"; known variables: ${known}`);
  }
  return vars[name] as TemplateValue;
}

const isSet = (value: TemplateValue): boolean => value === true || (typeof value === 'string' && value !== '');

/** Renders one template; an unknown variable or an unclosed section is a TemplateError naming the file. */
export function renderTemplate(fileName: string, template: string, vars: TemplateVariables): string {
  let text = template.replace(STANDALONE_SECTION_TAG, '$1');
  // Innermost sections first, until none is left, so sections may nest.
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(SECTION, (_match, kind: string, name: string, body: string) =>
      isSet(lookup(fileName, name, vars)) === (kind === '#') ? body : '',
    );
  }
  return text.replace(TAG, (_match, inner: string) => {
    const name = inner.trim();
    if (/^[#^/]/.test(name)) {
      throw new TemplateError(
        `Template ${fileName} has an unmatched section tag {{${inner}}}; close it with {{/name}}`,
      );
    }
    return escapeHclString(String(lookup(fileName, name, vars)));
  });
}

export type DefaultTemplateName = 'backend.tf' | 'provider.tf' | 'variables.tf' | 'terraform.tfvars' | 'main.tf';

const lines = (...text: string[]): string => `${text.join('\n')}\n`;

/**
 * The seed article's account folder with its defects fixed: the account id is a validated string, the state
 * key is per folder, locking is S3-native and/or DynamoDB as configured, and no placeholder values remain.
 * Variables are documented at `templateVariables` in terraform.ts.
 */
export const DEFAULT_TEMPLATES: Readonly<Record<DefaultTemplateName, string>> = {
  'backend.tf': lines(
    'terraform {',
    '  backend "s3" {',
    '    bucket  = "{{ state_bucket }}"',
    '    key     = "{{ state_key }}"',
    '    region  = "{{ region }}"',
    '    encrypt = true',
    '    acl     = "bucket-owner-full-control"',
    '{{#use_lockfile}}',
    '',
    '    # S3 native state locking (Terraform >= 1.10).',
    '    use_lockfile = true',
    '{{/use_lockfile}}',
    '{{#lock_table}}',
    '',
    '    # DynamoDB state locking.',
    '    dynamodb_table = "{{ lock_table }}"',
    '{{/lock_table}}',
    '',
    '    # The state lives in the tooling account; the pipeline reaches it with the GitHub OIDC token.',
    '    assume_role_with_web_identity = {',
    '      role_arn                = "{{ pipeline_role_arn }}"',
    '      web_identity_token_file = "/tmp/web_identity_token_file"',
    '      session_name            = "{{ session_name }}"',
    '    }',
    '  }',
    '}',
  ),
  'provider.tf': lines(
    '# Base credentials come from the pipeline role (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in the workflow);',
    '# the provider then assumes the cicd role of this account.',
    'provider "aws" {',
    '  region = var.aws_region',
    '',
    '  assume_role {',
    '    role_arn     = "arn:aws:iam::${var.aws_account_id}:role/${var.cicd_role_name}"',
    '    session_name = "{{ session_name }}"',
    '{{#external_id}}',
    '    external_id  = "{{ external_id }}"',
    '{{/external_id}}',
    '  }',
    '}',
  ),
  'variables.tf': lines(
    'variable "aws_region" {',
    '  description = "Region of the AWS provider."',
    '  type        = string',
    '  default     = "{{ region }}"',
    '}',
    '',
    'variable "aws_account_id" {',
    '  description = "The AWS account this folder deploys to: 12 digits, quoted so that leading zeros survive."',
    '  type        = string',
    '',
    '  validation {',
    '    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))',
    '    error_message = "The aws_account_id must be a quoted 12-digit AWS account id, e.g. \\"012345678901\\"."',
    '  }',
    '}',
    '',
    'variable "cicd_role_name" {',
    '  description = "Role in the account that the pipeline role assumes."',
    '  type        = string',
    '  default     = "{{ cicd_role_name }}"',
    '}',
  ),
  'terraform.tfvars': lines(
    'aws_region     = "{{ region }}"',
    'aws_account_id = "{{ account_id }}"',
    'cicd_role_name = "{{ cicd_role_name }}"',
  ),
  'main.tf': lines(
    'terraform {',
    '  required_version = ">= {{ terraform_version }}"',
    '',
    '  required_providers {',
    '    aws = {',
    '      source  = "hashicorp/aws"',
    '      version = ">= 5.0"',
    '    }',
    '  }',
    '}',
    '',
    'locals {',
    '  account_name = "{{ account_name }}"',
    '}',
    '',
    '# Resources of this account go below.',
  ),
};
