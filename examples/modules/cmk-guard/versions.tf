terraform {
  # check blocks need 1.5 (optional() object attributes 1.3, postconditions 1.2).
  required_version = ">= 1.5.0"

  required_providers {
    # A reusable module states only the oldest provider it works with; the
    # root configuration that calls it pins the version.
    eks = {
      source  = "cmkguard/eks"
      version = ">= 0.1.0"
    }
  }
}
