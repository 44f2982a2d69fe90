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

data "aws_caller_identity" "current" {}

# A key meant to outlive the cluster: rotation on, a long deletion window,
# an explicit key policy, and Terraform refusing to destroy it.
resource "aws_kms_key" "eks_secrets" {
  description             = "Envelope encryption of Kubernetes secrets, cluster prod"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      # The account administers the key through IAM; see the
      # new-cluster-with-cmk example for statements naming the cluster role
      # and the identity that runs Terraform.
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })

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
