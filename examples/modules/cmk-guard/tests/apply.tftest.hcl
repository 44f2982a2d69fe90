# One real apply of the module against the local EKS + KMS emulator
# (acceptance-tests/emulator). The acceptance test issue12_module_cmk_guard_terraform_test
# (acceptance-tests/tests/module_cmk_guard.rs) starts the emulator, seeds the
# ACTIVE cluster "demo" and a key with the alias alias/cmk-guard-test, and
# points the provider at it with AWS_ENDPOINT_URL; it is not meant for a
# real AWS account.

provider "eks" {
  region = "us-east-1"
}

variables {
  cluster_name = "demo"
  key_arn      = "alias/cmk-guard-test"
  # terraform test destroys what it applied at the end; a protected
  # association would (rightly) refuse that.
  deletion_protection = false
  read_live_state     = true
}

run "associates_the_key_and_keeps_it" {
  command = apply

  assert {
    condition     = output.key_type == "CUSTOMER_MANAGED"
    error_message = "After the apply the cluster must be protected by the customer managed key (key_type = ${coalesce(output.key_type, "null")})."
  }
  assert {
    condition     = can(regex("^arn:aws:kms:us-east-1:[0-9]{12}:key/", output.resolved_key_arn))
    error_message = "resolved_key_arn must be the key ARN behind the alias, got ${coalesce(output.resolved_key_arn, "null")}."
  }
  assert {
    condition     = output.key_state == "Enabled"
    error_message = "The key must be Enabled."
  }
  assert {
    condition     = output.cluster_name == "demo" && startswith(output.cluster_arn, "arn:aws:eks:us-east-1:")
    error_message = "cluster_name and cluster_arn must describe the demo cluster."
  }
  # The data source was read at plan time, before the association.
  assert {
    condition     = output.live.key_type != "CUSTOMER_MANAGED" && output.live.cluster_version == "1.31"
    error_message = "live must show the cluster as it was before this apply."
  }
}

run "a_second_plan_is_empty" {
  command = plan

  assert {
    condition     = output.key_type == "CUSTOMER_MANAGED" && output.live.key_type == "CUSTOMER_MANAGED"
    error_message = "The refreshed state and the live read must both show the customer managed key."
  }
}
