terraform {
  required_providers {
    eks = {
      source  = "cmkguard/eks"
      version = "~> 0.1"
    }
  }
}

# Credentials from one named profile only: with `profile` set in the block,
# AWS_ACCESS_KEY_ID and friends are ignored, as in the AWS provider. The
# profile may use IAM Identity Center (run `aws sso login --profile platform`
# first), credential_process, or role_arn with source_profile.
provider "eks" {
  profile                  = "platform"
  shared_config_files      = ["~/.aws/config"]
  shared_credentials_files = ["~/.aws/credentials"]
}
