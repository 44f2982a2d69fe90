# List the fleet: one line per cluster, with its identity.
terraform query

# Write one resource block and one import block per listed cluster.
terraform query -generate-config-out=fleet.tf

# Adopt them: imports, and no association call for clusters that have a CMK.
terraform plan
terraform apply
