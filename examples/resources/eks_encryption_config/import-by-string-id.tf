# Terraform 1.5 and later: import with a block, then plan and apply.
import {
  to = eks_encryption_config.prod
  id = "prod"
}
