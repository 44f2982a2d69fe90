terraform {
  required_providers {
    eks = {
      source  = "cmkguard/eks"
      version = "~> 0.1"
    }
  }
}

# Credentials come from the standard AWS chain (environment, shared files,
# SSO, web identity, instance or container roles).
provider "eks" {
  region = "eu-west-1"
}

# Another account, through an assumed role, with VPC endpoints.
provider "eks" {
  alias       = "shared_services"
  region      = "eu-west-1"
  max_retries = 8

  assume_role {
    role_arn     = "arn:aws:iam::111122223333:role/terraform-eks-encryption"
    session_name = "terraform"
  }

  endpoints {
    eks = "https://vpce-0abc123def4567890-a1b2c3d4.eks.eu-west-1.vpce.amazonaws.com"
    kms = "https://vpce-0fed987cba6543210-d4c3b2a1.kms.eu-west-1.vpce.amazonaws.com"
  }
}
