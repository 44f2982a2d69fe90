# Bring every cluster whose name starts with "prod-" under the guard in one
# plan (Terraform 1.7+: import blocks with for_each). Clusters that already
# have a CMK are adopted without an AWS call; the others get var.key_arn.

terraform {
  required_version = ">= 1.7.0"

  required_providers {
    eks = {
      source = "cmkguard/eks"
    }
  }
}

variable "key_arn" {
  type        = string
  description = "The CMK for clusters that have none yet: a key ARN, alias ARN or alias/NAME."
}

data "eks_encryption_configs" "fleet" {
  name_prefix = "prod-"
}

locals {
  clusters = { for c in data.eks_encryption_configs.fleet.clusters : c.cluster_name => c }
}

import {
  for_each = local.clusters
  to       = eks_encryption_config.this[each.key]
  id       = each.key
}

resource "eks_encryption_config" "this" {
  for_each = local.clusters

  cluster_name = each.key
  # Keep the key a cluster already has; EKS can never change it.
  key_arn = coalesce(each.value.resolved_key_arn, var.key_arn)
}

output "fleet_cluster_names" {
  description = "The clusters brought under the guard (used by the older cores' import loop)."
  value       = keys(local.clusters)
}
