data "eks_encryption_config" "prod" {
  cluster_name = "prod"
}

output "prod_secrets_key" {
  description = "CUSTOMER_MANAGED, AWS_OWNED or NONE, and the CMK if there is one."
  value = {
    key_type  = data.eks_encryption_config.prod.key_type
    key_arn   = data.eks_encryption_config.prod.resolved_key_arn
    key_state = data.eks_encryption_config.prod.key_state
  }
}
