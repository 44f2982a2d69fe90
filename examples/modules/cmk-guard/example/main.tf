# Using the cmk-guard module. From another repository, point source at
# "git::https://<your-git-host>/<repo>.git//examples/modules/cmk-guard?ref=<tag>"
# or copy the module.

terraform {
  required_providers {
    eks = {
      source  = "cmkguard/eks"
      version = "~> 0.1"
    }
  }
}

provider "eks" {
  region = "eu-west-1"
}

module "prod_secrets_key" {
  source = "../"

  cluster_name    = "prod"
  key_arn         = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  read_live_state = true

  timeouts = {
    create = "90m"
  }
}

output "prod_secrets_key" {
  value = {
    key_type         = module.prod_secrets_key.key_type
    resolved_key_arn = module.prod_secrets_key.resolved_key_arn
    key_state        = module.prod_secrets_key.key_state
  }
}
