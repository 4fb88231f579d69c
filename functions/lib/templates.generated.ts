// Generated from templates/ by infra/templates-module.mjs: do not edit. After changing templates/, run
// `node infra/templates-module.mjs`; the build (esbuild.config.mjs) always embeds the folder itself.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: HCL interpolation written literally in the templates

/** The Terraform templates of an account folder: file name -> template text. */
export const TEMPLATE_FILES: Readonly<Record<string, string>> = {
  'backend.tf':
    'terraform {\n  backend "s3" {\n    bucket  = "{{ state_bucket }}"\n    key     = "{{ state_key }}"\n    region  = "{{ region }}"\n    encrypt = true\n    acl     = "bucket-owner-full-control"\n{{#use_lockfile}}\n\n    # S3 native state locking (Terraform >= 1.10).\n    use_lockfile = true\n{{/use_lockfile}}\n{{#lock_table}}\n\n    # DynamoDB state locking.\n    dynamodb_table = "{{ lock_table }}"\n{{/lock_table}}\n\n    # The state lives in the tooling account; the pipeline reaches it with the GitHub OIDC token.\n    assume_role_with_web_identity = {\n      role_arn                = "{{ pipeline_role_arn }}"\n      web_identity_token_file = "/tmp/web_identity_token_file"\n      session_name            = "{{ session_name }}"\n    }\n  }\n}\n',
  'provider.tf':
    '# Base credentials come from the pipeline role (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in the workflow);\n# the provider then assumes the cicd role of this account.\nprovider "aws" {\n  region = var.aws_region\n\n  assume_role {\n    role_arn     = "arn:aws:iam::${var.aws_account_id}:role/${var.cicd_role_name}"\n    session_name = "{{ session_name }}"\n{{#external_id}}\n    external_id  = "{{ external_id }}"\n{{/external_id}}\n  }\n}\n',
  'variables.tf':
    'variable "aws_region" {\n  description = "Region of the AWS provider."\n  type        = string\n  default     = "{{ region }}"\n}\n\nvariable "aws_account_id" {\n  description = "The AWS account this folder deploys to: 12 digits, quoted so that leading zeros survive."\n  type        = string\n\n  validation {\n    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))\n    error_message = "The aws_account_id must be a quoted 12-digit AWS account id, e.g. \\"012345678901\\"."\n  }\n}\n\nvariable "cicd_role_name" {\n  description = "Role in the account that the pipeline role assumes."\n  type        = string\n  default     = "{{ cicd_role_name }}"\n}\n',
  'terraform.tfvars':
    'aws_region     = "{{ region }}"\naws_account_id = "{{ account_id }}"\ncicd_role_name = "{{ cicd_role_name }}"\n',
  'main.tf':
    'terraform {\n  required_version = ">= {{ terraform_version }}"\n\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = ">= 5.0"\n    }\n  }\n}\n\nlocals {\n  account_name = "{{ account_name }}"\n}\n\n# Resources of this account go below.\n',
};

/** The template sets of the profiles: subfolder of templates/ -> its templates (they replace or add files). */
export const TEMPLATE_SETS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  sandbox: {
    'provider.tf':
      '# Sandbox profile (config profiles[].templates = "sandbox"): every resource is tagged as a sandbox one.\n# Base credentials come from the pipeline role (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in the workflow);\n# the provider then assumes the cicd role of this account.\nprovider "aws" {\n  region = var.aws_region\n\n  assume_role {\n    role_arn     = "arn:aws:iam::${var.aws_account_id}:role/${var.cicd_role_name}"\n    session_name = "{{ session_name }}"\n{{#external_id}}\n    external_id  = "{{ external_id }}"\n{{/external_id}}\n  }\n\n  default_tags {\n    tags = {\n      environment = "sandbox"\n    }\n  }\n}\n',
  },
};
