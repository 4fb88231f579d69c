/**
 * A realistic Terraform repository as platform teams have it before this tool: the seed article's workflow
 * (matrix line, trailing comment and all) and one folder per existing account.
 */

export const SEED_MATRIX_LINE =
  "      matrix: { dir: ['aws-accounts/tooling', 'aws-accounts/workload-prod-01'] }               # Replace, declare folder(s) to traverse";

export function seedWorkflow(toolingAccountId: string, pipelineRoleName = 'GitHubAction-AssumeRoleWithAction'): string {
  return `name: "Terraform CI/CD to AWS"

env:
  AWS_REGION: "eu-central-1"
  AWS_ROLE_ARN: "arn:aws:iam::${toolingAccountId}:role/${pipelineRoleName}"  # Replace
  AWS_WEB_IDENTITY_TOKEN_FILE: "/tmp/web_identity_token_file"
  TF_VERSION: "1.6.0"

on:
  push:
    branches:
      - main
  pull_request:
    branches:
      - main

# Permission can be added at job level or workflow level    
permissions:
      id-token: write   # This is required for requesting the JWT
      contents: read    # This is required for actions/checkout
      pull-requests: write

jobs:
  terraform:
    name: Terraform
    runs-on: ubuntu-latest
    strategy:
${SEED_MATRIX_LINE}
    #defaults:
    #  run:
    #  working-directory: aws-accounts/tooling
    steps:
      - name: Get OIDC Token
        id: get_oidc_token
        run: |
          curl -s -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com" | jq -r '.value' > /tmp/web_identity_token_file
          mkdir ~/.aws
          echo -e "[profile cicd]\\nrole_arn=\${AWS_ROLE_ARN}\\nweb_identity_token_file=\${AWS_WEB_IDENTITY_TOKEN_FILE}" >> ~/.aws/config
          aws sts get-caller-identity --profile cicd

      - name: Checkout
        uses: actions/checkout@v4

      - uses: hashicorp/setup-terraform@v3
        with:
          terraform_version: \${{ env.TF_VERSION }}

      - name: Terraform format
        id: fmt
        run: terraform fmt -check
        working-directory: \${{ matrix.dir }}
        continue-on-error: true

      - name: Terraform init
        id: init
        run: terraform init
        working-directory: \${{ matrix.dir }}

      - name: Terraform validate
        id: validate
        run: terraform validate
        working-directory: \${{ matrix.dir }}

      - name: Terraform plan
        id: plan
        run: terraform plan -no-color -input=false -refresh=true -detailed-exitcode
        working-directory: \${{ matrix.dir }}
        continue-on-error: true

      - name: Terraform apply
        id: apply
        if: github.ref == 'refs/heads/main' && github.event_name == 'push'
        run: terraform apply -input=false -auto-approve
        working-directory: \${{ matrix.dir }}
`;
}

function accountFolder(name: string, accountId: string, region: string): Record<string, string> {
  return {
    [`aws-accounts/${name}/backend.tf`]: `terraform {
  backend "s3" {
    bucket       = "tf-build-terraform-state"
    key          = "aws-accounts/${name}/terraform.tfstate"
    region       = "${region}"
    encrypt      = true
    use_lockfile = true
  }
}
`,
    [`aws-accounts/${name}/provider.tf`]: `provider "aws" {
  region = var.aws_region
  assume_role {
    role_arn = "arn:aws:iam::\${var.aws_account_id}:role/\${var.profile_cicd}"
  }
}
`,
    [`aws-accounts/${name}/variables.tf`]: `variable "aws_region" {
  type    = string
  default = "${region}"
}

variable "aws_account_id" {
  type = string
}

variable "profile_cicd" {
  type    = string
  default = "cicd"
}
`,
    [`aws-accounts/${name}/terraform.tfvars`]: `aws_region     = "${region}"
profile_cicd   = "cicd"
aws_account_id = "${accountId}"
`,
    [`aws-accounts/${name}/main.tf`]: `# Hand-written resources of ${name}; the onboarding tool never overwrites this file.
module "s3_bucket" {
  source = "terraform-aws-modules/s3-bucket/aws"

  versioning = {
    enabled = true
  }
}
`,
  };
}

/** The files of the seeded repository, by path. */
export function seedRepoFiles(
  accounts: { tooling: string; workloadProd: string },
  region = 'eu-central-1',
): Record<string, string> {
  return {
    'README.md': '# terraform-aws\n\nOne folder per AWS account under `aws-accounts/`; CI runs Terraform in each.\n',
    '.github/workflows/tf-cicd-aws.yml': seedWorkflow(accounts.tooling),
    ...accountFolder('tooling', accounts.tooling, region),
    ...accountFolder('workload-prod-01', accounts.workloadProd, region),
  };
}
