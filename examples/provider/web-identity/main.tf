terraform {
  required_providers {
    eks = {
      source  = "cmkguard/eks"
      version = "~> 0.1"
    }
  }
}

# Assume a role with an OIDC token from a CI system (GitHub Actions, GitLab,
# HCP Terraform dynamic credentials). The file is read again on every
# refresh, so a rotating token keeps working.
provider "eks" {
  region = "eu-west-1"

  assume_role_with_web_identity {
    role_arn                = "arn:aws:iam::111122223333:role/ci-deploy"
    session_name            = "pipeline"
    web_identity_token_file = "/var/run/secrets/oidc/token"
    duration                = "30m"
  }
}
