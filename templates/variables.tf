variable "aws_region" {
  description = "Region of the AWS provider."
  type        = string
  default     = "{{ region }}"
}

variable "aws_account_id" {
  description = "The AWS account this folder deploys to: 12 digits, quoted so that leading zeros survive."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "The aws_account_id must be a quoted 12-digit AWS account id, e.g. \"012345678901\"."
  }
}

variable "cicd_role_name" {
  description = "Role in the account that the pipeline role assumes."
  type        = string
  default     = "{{ cicd_role_name }}"
}
