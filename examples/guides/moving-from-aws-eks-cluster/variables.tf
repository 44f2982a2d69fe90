variable "region" {
  type        = string
  description = "AWS region of the cluster and the key."
}

variable "cluster_name" {
  type        = string
  description = "Name of the existing EKS cluster."
}

variable "cluster_role_arn" {
  type        = string
  description = "IAM role of the EKS control plane."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the cluster."
}
