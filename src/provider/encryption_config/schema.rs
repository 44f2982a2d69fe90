//! Schemas of the `eks_encryption_config` resource and data source. Every
//! attribute says what it does and its default; the docs are generated
//! from these descriptions. The resource's attributes are declared with
//! its model (see [`super::model`]), so names, reading and writing cannot
//! drift apart.

use super::model::{Model, Timeouts, DEFAULT_TIMEOUT};
use crate::aws::human_duration;
use crate::tfprotov6::{Attribute, Block, NestedBlock, Schema, Type};

/// The resource's schema version. Bump it with a state upgrader.
pub const SCHEMA_VERSION: i64 = 0;

/// The resource schema.
pub fn resource_schema() -> Schema {
    Schema {
        version: SCHEMA_VERSION,
        block: Block {
            description: "Associates a customer managed KMS key (CMK) with an EKS cluster for \
                envelope encryption of Kubernetes secrets, and guards it. The association is \
                permanent in EKS, so plans that would remove, change or downgrade the key are \
                refused before anything is applied, and the key is validated at plan time."
                .into(),
            attributes: Model::schema_attributes(),
            blocks: vec![NestedBlock::single("timeouts", timeouts_block())],
            deprecated: false,
        },
    }
}

/// The `timeouts` block; its default is [`DEFAULT_TIMEOUT`] (see there for
/// the reason and the sources).
fn timeouts_block() -> Block {
    Block {
        description: format!(
            "How long to wait for EKS. Real associations take 45 to 60 minutes and more, so \
             the default is `{}`. When a timeout runs out, EKS keeps working on the update: \
             the next apply waits for that same update and never starts a second \
             association. At most `24h`.",
            human_duration(DEFAULT_TIMEOUT)
        ),
        attributes: Timeouts::attributes(),
        ..Block::default()
    }
}

/// The data source schema.
pub fn data_source_schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Reads how an EKS cluster's Kubernetes secrets are encrypted: with a \
                customer managed key, EKS's AWS owned key, or not at all."
                .into(),
            attributes: vec![
                Attribute::computed("id", Type::String, "The cluster name."),
                Attribute::required(
                    "cluster_name",
                    Type::String,
                    "Name of the EKS cluster, in the provider's region.",
                ),
                Attribute::computed("cluster_arn", Type::String, "The cluster's ARN."),
                Attribute::computed(
                    "cluster_version",
                    Type::String,
                    "The cluster's Kubernetes version.",
                ),
                Attribute::computed(
                    "key_type",
                    Type::String,
                    "`CUSTOMER_MANAGED`, `AWS_OWNED` (1.28+ without a CMK) or `NONE` (below \
                     1.28 without a CMK).",
                ),
                Attribute::computed(
                    "resolved_key_arn",
                    Type::String,
                    "The CMK's key ARN; null without a CMK.",
                ),
                Attribute::computed(
                    "key_state",
                    Type::String,
                    "The CMK's KMS key state; null without a CMK.",
                ),
                Attribute::computed(
                    "resources",
                    Type::list(Type::String),
                    "The Kubernetes resources the CMK encrypts (`[\"secrets\"]`); empty without \
                     a CMK.",
                ),
                Attribute::computed(
                    "health_issues",
                    Type::list(Type::String),
                    "The codes EKS reports in the cluster's `health.issues`, e.g. \
                     `KmsKeyDisabled`, `KmsKeyMarkedForDeletion`, `KmsKeyNotFound` or \
                     `KmsGrantRevoked`; empty when EKS reports none. Each KMS issue is also a \
                     warning with EKS's message.",
                ),
            ],
            ..Block::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_described() {
        for schema in [resource_schema(), data_source_schema()] {
            for (name, attr) in schema.block.all_attributes() {
                assert!(
                    attr.description.len() > 10,
                    "attribute {name} lacks a description"
                );
            }
        }
    }
}

#[cfg(test)]
mod fuzz_type_tests {
    /// The fuzz target decodes against a copy of the resource's value type;
    /// this keeps the copy in step with the schema.
    #[test]
    fn fuzz_target_type_matches_the_schema() {
        let ty = super::resource_schema().block.value_type();
        let copy = include_str!("../../../fuzz/resource_type.json");
        let copy = crate::tfprotov6::Type::from_json(copy.trim().as_bytes()).unwrap();
        assert_eq!(
            copy, ty,
            "regenerate fuzz/resource_type.json from the schema"
        );
    }
}
