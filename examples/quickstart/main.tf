# Quickstart: guard the customer managed key of an existing EKS cluster.
#
# `scripts/quickstart` runs this against a local AWS emulator. Against real
# AWS, leave `endpoint` unset and use your usual AWS credentials.

terraform {
  required_providers {
    eks = {
      source = "cmkguard/eks"
    }
  }
}

variable "region" {
  description = "AWS region of the cluster and the key."
  type        = string
  default     = "us-east-1"
}

variable "endpoint" {
  description = "Custom endpoint for EKS, KMS and STS (local testing only). Null uses AWS."
  type        = string
  default     = null
}

variable "cluster_name" {
  description = "The EKS cluster whose secrets the key protects."
  type        = string
  default     = "quickstart"
}

variable "key_arn" {
  description = "The customer managed KMS key: key ARN, alias ARN or alias/NAME."
  type        = string
  default     = "alias/quickstart-eks"
}

variable "remove_key" {
  description = "Set to true to try removing the key: the provider refuses at plan time."
  type        = bool
  default     = false
}

provider "eks" {
  region = var.region

  endpoints {
    eks = var.endpoint
    kms = var.endpoint
    sts = var.endpoint
  }
}

resource "eks_encryption_config" "this" {
  cluster_name = var.cluster_name
  key_arn      = var.remove_key ? null : var.key_arn
}

output "key_type" {
  description = "CUSTOMER_MANAGED once the key is associated."
  value       = eks_encryption_config.this.key_type
}

output "resolved_key_arn" {
  description = "The key ARN EKS uses."
  value       = eks_encryption_config.this.resolved_key_arn
}

output "key_state" {
  description = "The key's KMS state at the last refresh."
  value       = eks_encryption_config.this.key_state
}
