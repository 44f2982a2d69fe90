output "cluster_name" {
  description = "The cluster the key protects."
  value       = eks_encryption_config.this.cluster_name
}

output "cluster_arn" {
  description = "The cluster's ARN."
  value       = eks_encryption_config.this.cluster_arn
}

output "key_type" {
  description = "CUSTOMER_MANAGED once the key is associated."
  value       = eks_encryption_config.this.key_type
}

output "resolved_key_arn" {
  description = "The key ARN EKS uses, with any alias resolved."
  value       = eks_encryption_config.this.resolved_key_arn
}

output "key_state" {
  description = "The key's KMS state at the last refresh: Enabled, Disabled, PendingDeletion, ..."
  value       = eks_encryption_config.this.key_state
}

output "deletion_protection" {
  description = "Whether destroying the association is refused."
  value       = eks_encryption_config.this.deletion_protection
}

output "live" {
  description = "What the data source read at this plan (key_type, resolved_key_arn, key_state, cluster_version, resources), or null when read_live_state is false."
  value = var.read_live_state ? {
    key_type         = data.eks_encryption_config.live[0].key_type
    resolved_key_arn = data.eks_encryption_config.live[0].resolved_key_arn
    key_state        = data.eks_encryption_config.live[0].key_state
    cluster_version  = data.eks_encryption_config.live[0].cluster_version
    resources        = data.eks_encryption_config.live[0].resources
  } : null
}
