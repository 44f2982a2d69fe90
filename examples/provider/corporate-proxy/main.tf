terraform {
  required_providers {
    eks = {
      source  = "cmkguard/eks"
      version = "~> 0.1"
    }
  }
}

# Behind a TLS-inspecting corporate proxy: send HTTPS through the proxy, trust
# the proxy's CA, and reach VPC endpoints directly. The same settings come
# from HTTPS_PROXY, NO_PROXY and AWS_CA_BUNDLE when left out here.
provider "eks" {
  region           = "eu-west-1"
  https_proxy      = "http://proxy.corp.example:3128"
  no_proxy         = ".vpce.amazonaws.com,169.254.169.254"
  custom_ca_bundle = "/etc/pki/corp/ca-bundle.pem"
  retry_mode       = "adaptive"
}
