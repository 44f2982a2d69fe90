variable "cluster_name" {
  type        = string
  description = "Name of the EKS cluster whose Kubernetes secrets the key protects. Must exist in the provider's region."

  validation {
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be an EKS cluster name: 1 to 100 letters, digits, hyphens and underscores, starting with a letter or digit."
  }
}

variable "key_arn" {
  type        = string
  description = "The customer managed KMS key: a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias ARN, or alias/NAME. It can never be removed or changed once applied."

  validation {
    condition = can(regex(
      "^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/(mrk-)?[0-9a-fA-F-]+|alias/[A-Za-z0-9/_-]+)|alias/[A-Za-z0-9/_-]+)$",
      var.key_arn,
    ))
    error_message = "key_arn must be a KMS key ARN, an alias ARN or alias/NAME."
  }

  validation {
    condition     = !can(regex("(^|:)alias/aws/", var.key_arn))
    error_message = "key_arn names an AWS managed key (alias/aws/...). EKS envelope encryption needs a customer managed key."
  }
}

variable "deletion_protection" {
  type        = bool
  default     = true
  nullable    = false
  description = "Refuse, at plan time, to destroy or replace the association while the key is on the cluster. Leave it on; see the module README for how to stop managing a cluster."
}

variable "timeouts" {
  type = object({
    create = optional(string, "2h")
    update = optional(string, "2h")
  })
  default     = {}
  nullable    = false
  description = "How long to wait for EKS to finish associating the key, as Go-style durations such as \"45m\" or \"1h30m\"."

  validation {
    condition = alltrue([
      for d in [var.timeouts.create, var.timeouts.update] :
      can(regex("^([0-9]+(\\.[0-9]+)?(h|m|s))+$", d))
    ])
    error_message = "timeouts.create and timeouts.update must be durations such as \"30m\", \"1h\" or \"1h30m\"."
  }
}

variable "read_live_state" {
  type        = bool
  default     = false
  nullable    = false
  description = "Also read the cluster's current encryption through the eks_encryption_config data source, at every plan, and expose it as the live output. Useful for dashboards and checks; costs one extra DescribeCluster call."
}
