# Sandbox profile (config profiles[].templates = "sandbox"): every resource is tagged as a sandbox one.
# Base credentials come from the pipeline role (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE in the workflow);
# the provider then assumes the cicd role of this account.
provider "aws" {
  region = var.aws_region

  assume_role {
    role_arn     = "arn:aws:iam::${var.aws_account_id}:role/${var.cicd_role_name}"
    session_name = "{{ session_name }}"
{{#external_id}}
    external_id  = "{{ external_id }}"
{{/external_id}}
  }

  default_tags {
    tags = {
      environment = "sandbox"
    }
  }
}
