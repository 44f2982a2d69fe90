# fleet.tfquery.hcl: every cluster whose name starts with "prod-", next to
# the configuration that holds the provider block (Terraform 1.14+).
list "eks_encryption_config" "prod" {
  provider = eks
  limit    = 1000

  config {
    name_prefix = "prod-"
  }
}
