# Syntax-checked only by scripts/check-examples: needs the hashicorp/aws
# provider, which cannot be installed offline. checkov (CKV_AWS_58,
# CKV2_AWS_64) runs on it.
#
# An existing cluster, managed by the AWS provider, gets a customer managed
# key. The encryption_config block is there for security scanners only:
# under ignore_changes the AWS provider never acts on it, and
# eks_encryption_config does the association, with its plan-time checks.

terraform {
  required_version = ">= 1.0.0"

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

variable "region" {
  type        = string
  description = "AWS region of the cluster and the key."
}

variable "cluster_name" {
  type        = string
  description = "Name of the existing EKS cluster."
}

variable "cluster_role_arn" {
  type        = string
  description = "IAM role of the EKS control plane."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the cluster."
}

variable "terraform_principal_arn" {
  type        = string
  description = "IAM role or user ARN that runs Terraform (not an sts assumed-role session ARN)."
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
  description         = "Envelope encryption of Kubernetes API data, cluster ${var.cluster_name}"
  enable_key_rotation = true

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
        Sid       = "TerraformCreatesTheEksGrant"
        Effect    = "Allow"
        Principal = { AWS = var.terraform_principal_arn }
        Action    = ["kms:DescribeKey", "kms:CreateGrant"]
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

  # Added together with ignore_changes: the AWS provider plans nothing for
  # it, so it neither associates the key itself nor ever plans a replacement.
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

# Associates the key (an EKS cluster update of 45 to 60 minutes, sometimes
# more; the default timeouts allow 2h) after the preflight at plan has
# checked that EKS will be able to create its grant on the key.
resource "eks_encryption_config" "this" {
  cluster_name = aws_eks_cluster.this.name
  key_arn      = aws_kms_key.eks_secrets.arn
}
