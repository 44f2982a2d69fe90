terraform {
  required_providers {
    eks = {
      source  = "cmkguard/eks"
      version = "~> 0.1"
    }
  }
}

variable "prod_key_arn" {
  type = string
}

variable "staging_key_arn" {
  type = string
}

# One alias per account. `allowed_account_ids` is checked with STS
# GetCallerIdentity before the first EKS or KMS call, so a profile or role
# that points at the wrong account is refused with nothing sent.
provider "eks" {
  alias               = "prod"
  region              = "eu-west-1"
  allowed_account_ids = ["111111111111"]

  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/terraform-eks-encryption"
  }
}

provider "eks" {
  alias               = "staging"
  region              = "eu-west-1"
  allowed_account_ids = ["222222222222"]

  assume_role {
    role_arn = "arn:aws:iam::222222222222:role/terraform-eks-encryption"
  }
}

resource "eks_encryption_config" "prod" {
  provider     = eks.prod
  cluster_name = "prod"
  key_arn      = var.prod_key_arn
}

resource "eks_encryption_config" "staging" {
  provider     = eks.staging
  cluster_name = "staging"
  key_arn      = var.staging_key_arn
}
