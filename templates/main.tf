terraform {
  required_version = ">= {{ terraform_version }}"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

locals {
  account_name = "{{ account_name }}"
}

# Resources of this account go below.
