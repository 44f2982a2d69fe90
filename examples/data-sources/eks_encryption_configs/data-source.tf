data "eks_encryption_configs" "prod" {
  name_prefix = "prod-"
}

output "prod_clusters_without_a_cmk" {
  description = "Clusters whose secrets are not yet protected by a customer managed key."
  value = [
    for c in data.eks_encryption_configs.prod.clusters : c.cluster_name
    if c.key_type != "CUSTOMER_MANAGED"
  ]
}
