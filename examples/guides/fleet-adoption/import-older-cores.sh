# Terraform before 1.7 (no for_each in import blocks): the same configuration
# without the import block, then one import per listed cluster.
terraform apply -target=data.eks_encryption_configs.fleet
terraform output -json fleet_cluster_names | jq -r '.[]' | while read -r name; do
  terraform import "eks_encryption_config.this[\"$name\"]" "$name"
done
terraform plan
