# The module's input validations and defaults, which need no AWS: the provider
# is mocked (mock_provider, Terraform 1.7+), so no run makes a single AWS call.
# Invalid inputs must fail the plan on the variable's own validation; valid ones
# apply against the mock, whose values stand for a cluster that now has the key.
# Run: terraform init && terraform test -filter=tests/validation.tftest.hcl

mock_provider "eks" {
  mock_resource "eks_encryption_config" {
    defaults = {
      cluster_arn      = "arn:aws:eks:us-east-1:111122223333:cluster/prod"
      key_type         = "CUSTOMER_MANAGED"
      resolved_key_arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      key_state        = "Enabled"
    }
  }
  mock_data "eks_encryption_config" {
    defaults = {
      key_type        = "AWS_OWNED"
      cluster_version = "1.31"
    }
  }
}

variables {
  cluster_name = "prod"
  key_arn      = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

run "defaults_protect_the_key" {

  assert {
    condition     = eks_encryption_config.this.deletion_protection == true
    error_message = "deletion_protection must default to true."
  }
  assert {
    condition     = eks_encryption_config.this.resources == tolist(["secrets"])
    error_message = "The module must encrypt the secrets resource."
  }
  assert {
    condition     = eks_encryption_config.this.timeouts.create == "2h" && eks_encryption_config.this.timeouts.update == "2h"
    error_message = "timeouts must default to 2h for create and update."
  }
  assert {
    condition     = output.live == null && length(data.eks_encryption_config.live) == 0
    error_message = "read_live_state = false must not read the data source."
  }
}

run "accepts_alias_name_and_alias_arn" {

  variables {
    key_arn = "alias/prod-eks-secrets"
  }

  assert {
    condition     = eks_encryption_config.this.key_arn == "alias/prod-eks-secrets"
    error_message = "An alias/NAME key must be passed through unchanged."
  }
  assert {
    condition     = output.key_type == "CUSTOMER_MANAGED" && output.key_state == "Enabled"
    error_message = "The outputs must pass the resource's key_type and key_state through."
  }
}

run "accepts_multi_region_key_and_live_read" {

  variables {
    key_arn         = "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    read_live_state = true
    timeouts        = { create = "1h30m" }
  }

  assert {
    condition     = length(data.eks_encryption_config.live) == 1 && output.live.key_type == "AWS_OWNED"
    error_message = "read_live_state = true must read the data source and expose it as live."
  }
  assert {
    condition     = eks_encryption_config.this.timeouts.create == "1h30m" && eks_encryption_config.this.timeouts.update == "2h"
    error_message = "A partial timeouts object must keep the other default."
  }
}

run "rejects_a_malformed_cluster_name" {
  command = plan

  variables {
    cluster_name = "-prod cluster"
  }

  expect_failures = [var.cluster_name]
}

run "rejects_a_cluster_name_over_100_characters" {
  command = plan

  variables {
    # 101 characters, written out: OpenTofu 1.8 allows no function calls here.
    cluster_name = "cxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
  }

  expect_failures = [var.cluster_name]
}

run "rejects_something_that_is_not_a_key" {
  command = plan

  variables {
    key_arn = "1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  expect_failures = [var.key_arn]
}

run "rejects_an_aws_managed_key_alias" {
  command = plan

  variables {
    key_arn = "alias/aws/eks"
  }

  expect_failures = [var.key_arn]
}

run "rejects_an_aws_managed_key_alias_arn" {
  command = plan

  variables {
    key_arn = "arn:aws:kms:us-east-1:111122223333:alias/aws/eks"
  }

  expect_failures = [var.key_arn]
}

run "rejects_malformed_timeouts" {
  command = plan

  variables {
    timeouts = { create = "soon" }
  }

  expect_failures = [var.timeouts]
}
