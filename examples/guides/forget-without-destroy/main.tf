terraform {
  required_version = ">= 1.7.0" # removed blocks

  required_providers {
    eks = {
      source = "cmkguard/eks"
    }
  }
}

# The resource "eks_encryption_config" "prod" was deleted from the
# configuration. This block makes Terraform forget it without planning a
# destroy, so deletion_protection does not have to be turned off first.
# The key stays associated with the cluster either way.
removed {
  from = eks_encryption_config.prod

  lifecycle {
    destroy = false
  }
}
