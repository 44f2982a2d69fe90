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

resource "aws_kms_key" "eks_secrets" {
  description             = "Envelope encryption of Kubernetes secrets, cluster ${var.cluster_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30

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

  # The encryption_config block that used to be here is gone: the key is now
  # managed by eks_encryption_config below. Without ignore_changes the AWS
  # provider would plan to destroy and re-create the cluster, because it
  # cannot remove an encryption config in place.
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
