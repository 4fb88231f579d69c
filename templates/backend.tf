terraform {
  backend "s3" {
    bucket  = "{{ state_bucket }}"
    key     = "{{ state_key }}"
    region  = "{{ region }}"
    encrypt = true
    acl     = "bucket-owner-full-control"
{{#use_lockfile}}

    # S3 native state locking (Terraform >= 1.10).
    use_lockfile = true
{{/use_lockfile}}
{{#lock_table}}

    # DynamoDB state locking.
    dynamodb_table = "{{ lock_table }}"
{{/lock_table}}

    # The state lives in the tooling account; the pipeline reaches it with the GitHub OIDC token.
    assume_role_with_web_identity = {
      role_arn                = "{{ pipeline_role_arn }}"
      web_identity_token_file = "/tmp/web_identity_token_file"
      session_name            = "{{ session_name }}"
    }
  }
}
