# Not shown in the docs: lets `terraform validate` resolve the provider.
terraform {
  required_providers {
    eks = {
      source = "cmkguard/eks"
    }
  }
}
