terraform {
  required_version = ">= 1.5.0" # check blocks

  required_providers {
    eks = {
      source = "cmkguard/eks"
    }
  }
}

resource "eks_encryption_config" "prod" {
  cluster_name = "prod"
  key_arn      = "alias/eks-prod-secrets"
}

# Every plan and apply reports a warning when the key that protects the
# cluster is not Enabled any more, in addition to the provider's own warning.
check "secrets_key_enabled" {
  assert {
    condition     = eks_encryption_config.prod.key_state == "Enabled"
    error_message = "The KMS key of cluster prod is ${coalesce(eks_encryption_config.prod.key_state, "unknown")}: the cluster is degraded until the key is Enabled again."
  }
}
