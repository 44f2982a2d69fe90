# Syntax-checked only: needs the hashicorp/aws provider, which
# scripts/check-examples cannot install offline.

terraform {
  required_version = ">= 1.6.0" # import blocks with an expression as id

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

provider "aws" {
  region = var.region
}

provider "eks" {
  region = var.region
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_kms_key" "eks_secrets" {
  description             = "Envelope encryption of Kubernetes secrets, cluster ${var.cluster_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  # Write down the policy the key has today (aws kms get-key-policy): an
  # aws_kms_key without one gets KMS's default policy, and scanners
  # (checkov CKV2_AWS_64) ask for it to be explicit.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "ClusterRoleUsesTheKey"
        Effect    = "Allow"
        Principal = { AWS = var.cluster_role_arn }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
        Resource  = "*"
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_eks_cluster" "this" {
  name     = var.cluster_name
  role_arn = var.cluster_role_arn

  vpc_config {
    subnet_ids = var.subnet_ids
  }

  # The encryption_config block stays, unchanged, for security scanners
  # (checkov CKV_AWS_58, trivy AVD-AWS-0039); ignore_changes hands the key
  # over to eks_encryption_config below, and keeps the AWS provider from ever
  # planning a replacement of the cluster over it.
  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.eks_secrets.arn
    }
  }

  lifecycle {
    ignore_changes = [encryption_config]
  }
}

# Adopt the association EKS already has. Remove this block after the apply.
import {
  to = eks_encryption_config.this
  id = var.cluster_name
}

resource "eks_encryption_config" "this" {
  cluster_name = aws_eks_cluster.this.name
  key_arn      = aws_kms_key.eks_secrets.arn
}
