# Syntax-checked only by scripts/check-examples: needs the hashicorp/aws
# provider, which cannot be installed offline. checkov (CKV_AWS_58,
# CKV2_AWS_64) runs on it.
#
# One configuration, one apply: the key, its alias, the cluster and the
# guard. The cluster is created with the key (so security scanners see an
# encryption_config), and eks_encryption_config adopts that association with
# no EKS call, then guards it from then on.

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
  description = "Name of the new EKS cluster."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the cluster (at least two Availability Zones)."
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

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

resource "aws_iam_role" "cluster" {
  name = "${var.cluster_name}-cluster"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_kms_key" "eks_secrets" {
  description             = "Envelope encryption of Kubernetes API data, cluster ${var.cluster_name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Key administration stays with the account (and its IAM policies).
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # Whoever creates the cluster or associates the key: EKS creates a
        # grant on the key as that caller.
        Sid       = "TerraformCreatesTheEksGrant"
        Effect    = "Allow"
        Principal = { AWS = var.terraform_principal_arn }
        Action    = ["kms:DescribeKey", "kms:CreateGrant"]
        Resource  = "*"
      },
      {
        # The control plane, through the cluster role.
        Sid       = "ClusterRoleUsesTheKey"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.cluster.arn }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
        Resource  = "*"
      },
    ]
  })

  lifecycle {
    # A deleted key makes the cluster unrecoverable.
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "eks_secrets" {
  name          = "alias/${var.cluster_name}-eks-secrets"
  target_key_id = aws_kms_key.eks_secrets.key_id
}

resource "aws_eks_cluster" "this" {
  name     = var.cluster_name
  role_arn = aws_iam_role.cluster.arn

  vpc_config {
    subnet_ids = var.subnet_ids
  }

  # Creates the cluster with the key and satisfies scanners that require the
  # block (checkov CKV_AWS_58, trivy AVD-AWS-0039). ignore_changes below hands
  # the key over to eks_encryption_config once the cluster exists.
  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.eks_secrets.arn
    }
  }

  lifecycle {
    # Never let the AWS provider act on the key: removing this block would
    # otherwise plan a replacement of the cluster.
    ignore_changes = [encryption_config]
  }

  depends_on = [aws_iam_role_policy_attachment.cluster]
}

resource "eks_encryption_config" "this" {
  cluster_name = aws_eks_cluster.this.name
  key_arn      = aws_kms_alias.eks_secrets.name
}
