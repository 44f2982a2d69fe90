# The import id is the EKS cluster name.
terraform import eks_encryption_config.prod prod
