# Encrypt the Kubernetes secrets of cluster "prod" with a customer managed key.
# The key must be a symmetric ENCRYPT_DECRYPT key, Enabled, in the cluster's
# region. Once applied, the key can never be removed or changed.
resource "eks_encryption_config" "prod" {
  cluster_name = "prod"
  key_arn      = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

# An alias works too; it is interchangeable with the key ARN it points to.
resource "eks_encryption_config" "staging" {
  cluster_name        = "staging"
  key_arn             = "alias/eks-staging-secrets"
  deletion_protection = true

  timeouts {
    create = "90m"
  }
}
