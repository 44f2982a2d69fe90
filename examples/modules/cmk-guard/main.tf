# A team default for guarding an EKS cluster's customer managed key.
# See README.md for inputs, outputs and the reasoning behind the defaults.

resource "eks_encryption_config" "this" {
  cluster_name        = var.cluster_name
  key_arn             = var.key_arn
  resources           = ["secrets"]
  deletion_protection = var.deletion_protection

  timeouts {
    create = var.timeouts.create
    update = var.timeouts.update
  }

  lifecycle {
    postcondition {
      condition     = self.key_type == "CUSTOMER_MANAGED"
      error_message = "Cluster ${var.cluster_name} is not protected by a customer managed key after the apply (key_type = ${coalesce(self.key_type, "unknown")})."
    }
  }
}

# A warning, not an error: a disabled key must never block the plan that
# re-enables it.
check "key_enabled" {
  assert {
    condition     = eks_encryption_config.this.key_state == null || eks_encryption_config.this.key_state == "Enabled"
    error_message = "The KMS key protecting cluster ${var.cluster_name} is ${coalesce(eks_encryption_config.this.key_state, "unknown")}. The cluster is degraded until the key is Enabled again; a key past its deletion date makes the cluster unrecoverable."
  }
}

# Read at plan time from var.cluster_name (not from the resource), so the
# output shows the cluster as it is now, before this apply.
data "eks_encryption_config" "live" {
  count = var.read_live_state ? 1 : 0

  cluster_name = var.cluster_name
}
