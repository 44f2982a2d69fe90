# Syntax-checked only: needs the hashicorp/aws provider, which
# scripts/check-examples cannot install offline.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    eks = {
      source  = "cmkguard/eks"
      version = "~> 0.1"
    }
  }
}

# A key meant to outlive the cluster: rotation on, a long deletion window,
# and Terraform refusing to destroy it.
resource "aws_kms_key" "eks_secrets" {
  description             = "Envelope encryption of Kubernetes secrets, cluster prod"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "eks_secrets" {
  name          = "alias/eks-prod-secrets"
  target_key_id = aws_kms_key.eks_secrets.key_id
}

resource "eks_encryption_config" "prod" {
  cluster_name = "prod"
  # The alias and the key ARN name the same key; either may be used, and
  # switching between them is not a key change.
  key_arn = aws_kms_alias.eks_secrets.name
}

output "secrets_key_state" {
  description = "Enabled while all is well; Disabled or PendingDeletion need action now."
  value       = eks_encryption_config.prod.key_state
}
