//! Schema of the `eks_encryption_configs` data source.

use crate::tfprotov6::{Attribute, Block, Schema, Type};

/// The type of one element of `clusters`.
pub fn cluster_type() -> Type {
    Type::object([
        ("cluster_name", Type::String),
        ("cluster_version", Type::String),
        ("key_type", Type::String),
        ("resolved_key_arn", Type::String),
        ("key_state", Type::String),
        ("health_issues", Type::list(Type::String)),
    ])
}

/// The data source schema.
pub fn data_source_schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Lists every EKS cluster in the provider's region with how its \
                Kubernetes secrets are encrypted, so that a whole fleet can be brought under \
                `eks_encryption_config` with `import` blocks and `for_each`."
                .into(),
            attributes: vec![
                Attribute::computed(
                    "id",
                    Type::String,
                    "The region and name prefix the list was read for, as `REGION/PREFIX`.",
                ),
                Attribute::optional(
                    "name_prefix",
                    Type::String,
                    "Only clusters whose name starts with this prefix. Default: every cluster.",
                ),
                Attribute::computed(
                    "clusters",
                    Type::list(cluster_type()),
                    "One object per cluster, sorted by name: `cluster_name`; \
                     `cluster_version` (Kubernetes version, e.g. `1.31`); `key_type` \
                     (`CUSTOMER_MANAGED`, `AWS_OWNED` on 1.28+ without a CMK, `NONE` below \
                     1.28 without a CMK); `resolved_key_arn` (the CMK's key ARN, null without \
                     one); `key_state` (the CMK's KMS key state, null without a CMK or when \
                     KMS does not let these credentials describe it); `health_issues` (the \
                     codes EKS reports in the cluster's `health.issues`, e.g. \
                     `KmsGrantRevoked`; empty when none). Clusters deleted while the list is \
                     read are left out.",
                ),
            ],
            ..Block::default()
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_attribute_is_described() {
        for (name, attr) in super::data_source_schema().block.all_attributes() {
            assert!(
                attr.description.len() > 10,
                "attribute {name} lacks a description"
            );
        }
    }
}
