terraform {
  required_providers {
    eks = {
      source  = "cmkguard/eks"
      version = "~> 0.1"
    }
  }
}

# Assume a role with session tags (for attribute-based access control) and a
# source identity (kept in CloudTrail across chained sessions).
provider "eks" {
  region = "eu-west-1"

  assume_role {
    role_arn            = "arn:aws:iam::111122223333:role/terraform-eks-encryption"
    session_name        = "terraform-ci"
    duration            = "1h"
    source_identity     = "alice"
    tags                = { team = "platform", cost-center = "1234" }
    transitive_tag_keys = ["team"]
    policy_arns         = ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
  }
}
