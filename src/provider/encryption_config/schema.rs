//! Schemas of the `eks_encryption_config` resource and data source. Every
//! attribute says what it does and its default; the docs are generated
//! from these descriptions.

use crate::tfprotov6::{Attribute, Block, NestedBlock, Schema, Type};

/// The resource's schema version. Bump it with a state upgrader.
pub const SCHEMA_VERSION: i64 = 0;

/// Default create and update timeout, as written in the docs; see
/// [`super::model::DEFAULT_TIMEOUT`] for the reason and the sources.
pub const DEFAULT_TIMEOUT: &str = "2h";

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
            attributes: vec![
                Attribute::computed("id", Type::String, "The cluster name; also the import id."),
                Attribute::required(
                    "cluster_name",
                    Type::String,
                    "Name of the EKS cluster, in the provider's region. Changing it means a \
                     different cluster and plans a replacement (which `deletion_protection` \
                     guards).",
                ),
                Attribute::optional(
                    "key_arn",
                    Type::String,
                    "The customer managed KMS key: a key ARN, an alias ARN or `alias/NAME`. \
                     Must be a symmetric `ENCRYPT_DECRYPT` key, Enabled, in the cluster's region. \
                     Null (the default) means EKS's AWS owned key, the default envelope \
                     encryption on Kubernetes 1.28+. Once a CMK is set it can never be removed \
                     or changed; the alias and ARN forms of the same key are interchangeable.",
                ),
                Attribute::optional_computed(
                    "resources",
                    Type::list(Type::String),
                    "Kubernetes resources to encrypt with the key. Only `[\"secrets\"]` is \
                     supported by EKS, and it is the default.",
                ),
                Attribute::optional_computed(
                    "deletion_protection",
                    Type::Bool,
                    "When `true` (the default), destroying or replacing this resource while a \
                     CMK is associated fails at plan time. Set it to `false` and apply before \
                     removing the resource; the CMK stays on the cluster either way.",
                ),
                Attribute::optional(
                    "preflight",
                    Type::Bool,
                    "When `true` (the default), before an association is planned (or before \
                     it is applied, when the plan could not tell: the cluster or the key did \
                     not exist yet) the provider makes a KMS `CreateGrant` call with \
                     `DryRun = true`, as the caller, for the cluster's IAM role: a refusal is an \
                     error on `key_arn` at plan instead of a failed association. Set `false` \
                     for callers that may not call CreateGrant with DryRun. The key's custody \
                     warnings (expiring imported material, custom key store) are given either \
                     way.",
                ),
                Attribute::optional(
                    "require_key_rotation",
                    Type::Bool,
                    "When `true`, a key without automatic rotation is an error at plan \
                     (`Automatic key rotation is required`) instead of a warning. Default \
                     `false`.",
                ),
                Attribute::computed("cluster_arn", Type::String, "The cluster's ARN."),
                Attribute::computed(
                    "cluster_version",
                    Type::String,
                    "The cluster's Kubernetes version, e.g. `1.31`.",
                ),
                Attribute::computed(
                    "resolved_key_arn",
                    Type::String,
                    "The key ARN EKS actually uses (aliases resolved). Null without a CMK.",
                ),
                Attribute::computed(
                    "key_type",
                    Type::String,
                    "`CUSTOMER_MANAGED` when a CMK is associated, `AWS_OWNED` on Kubernetes \
                     1.28+ without a CMK, `NONE` below 1.28 without a CMK (no envelope \
                     encryption).",
                ),
                Attribute::computed(
                    "key_state",
                    Type::String,
                    "The KMS state of the CMK at the last refresh (`Enabled`, `Disabled`, \
                     `PendingDeletion`, ...). Null without a CMK.",
                ),
                Attribute::computed(
                    "update_id",
                    Type::String,
                    "The id of the EKS update that associated the key, when known.",
                ),
                Attribute::computed(
                    "cluster_created_at",
                    Type::String,
                    "When EKS created the cluster (RFC 3339). A cluster deleted and recreated \
                     under the same name keeps its ARN but not this time, so the provider \
                     notices the new cluster and plans the key association again.",
                ),
            ],
            blocks: vec![NestedBlock::single("timeouts", timeouts_block())],
            deprecated: false,
        },
    }
}

fn timeouts_block() -> Block {
    Block {
        description: "How long to wait for EKS. Real associations take 45 to 60 minutes and \
            more, so the default is `2h`. When a timeout runs out, EKS keeps working on the \
            update: the next apply waits for that same update and never starts a second \
            association. At most `24h`."
            .into(),
        attributes: vec![
            Attribute::optional(
                "create",
                Type::String,
                "How long a create may wait for the association update, as a duration such as \
                 `90m` or `2h` (at most `24h`). Default `2h`.",
            ),
            Attribute::optional(
                "update",
                Type::String,
                "How long an update may wait for the association update, as a duration such \
                 as `90m` or `2h` (at most `24h`). Default `2h`.",
            ),
        ],
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
