//! A benchmark-only provider whose one resource has the shape of
//! `eks_encryption_config` (the same attribute names, types and
//! required/optional/computed flags, and the `timeouts` block) but does no
//! work at all: read returns the prior state, plan returns Terraform's
//! proposed state, create fills the computed attributes with values of the
//! same length as the real ones. (One difference: tf-provider has no
//! optional single-nested block, so `timeouts` is a list of at most one
//! block here.) Built with the `tf-provider` crate in the
//! peer project outside the repository (`scripts/bench` copies it there as
//! `examples/terraform-provider-eksshape.rs`), it separates what Terraform
//! spends per resource because of the schema and state's size from what it
//! spends because of anything our provider does (issue 14).
//!
//! Not part of the workspace: it is compiled only in that peer project.

use anyhow::Result;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};
use tf_provider::value::{ValueBool, ValueEmpty, ValueList, ValueString};
use tf_provider::{map, serve, Diagnostics, Provider, Resource};

/// The `timeouts` block.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct Timeouts<'a> {
    #[serde(borrow = "'a")]
    pub create: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub update: ValueString<'a>,
}

/// The resource's value, attribute for attribute as `eks_encryption_config`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ShapedState<'a> {
    #[serde(borrow = "'a")]
    pub id: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub cluster_name: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub key_arn: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub resources: ValueList<ValueString<'a>>,
    pub deletion_protection: ValueBool,
    pub preflight: ValueBool,
    pub require_key_rotation: ValueBool,
    #[serde(borrow = "'a")]
    pub cluster_arn: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub cluster_version: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub resolved_key_arn: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub key_type: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub key_state: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub update_id: ValueString<'a>,
    #[serde(borrow = "'a")]
    pub cluster_created_at: ValueString<'a>,
    /// tf-provider's `NestedBlock::Single` has `min_items = 1`, so an
    /// optional single block is its `Optional`: a list of at most one.
    #[serde(borrow = "'a", with = "tf_provider::value::serde_as_vec")]
    pub timeouts: tf_provider::value::Value<Timeouts<'a>>,
}

fn attr(t: AttributeType, c: AttributeConstraint) -> Attribute {
    Attribute {
        attr_type: t,
        // Descriptions of about the real ones' length: they travel in the schema.
        description: Description::plain(
            "An attribute of the same name, type and flags as eks_encryption_config's, \
             with a description about as long as the real one.",
        ),
        constraint: c,
        ..Default::default()
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ShapedResource;

#[async_trait]
impl Resource for ShapedResource {
    type State<'a> = ShapedState<'a>;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        use AttributeConstraint::{Computed, Optional, OptionalComputed, Required};
        use AttributeType::{Bool, List, String};
        Some(Schema {
            version: 0,
            block: Block {
                version: 0,
                description: Description::plain("eks_encryption_config's shape, no behaviour."),
                attributes: map! {
                    "id" => attr(String, Computed),
                    "cluster_name" => attr(String, Required),
                    "key_arn" => attr(String, Optional),
                    "resources" => attr(List(String.into()), OptionalComputed),
                    "deletion_protection" => attr(Bool, OptionalComputed),
                    "preflight" => attr(Bool, Optional),
                    "require_key_rotation" => attr(Bool, Optional),
                    "cluster_arn" => attr(String, Computed),
                    "cluster_version" => attr(String, Computed),
                    "resolved_key_arn" => attr(String, Computed),
                    "key_type" => attr(String, Computed),
                    "key_state" => attr(String, Computed),
                    "update_id" => attr(String, Computed),
                    "cluster_created_at" => attr(String, Computed),
                },
                blocks: map! {
                    "timeouts" => NestedBlock::Optional(Block {
                        description: Description::plain("timeouts"),
                        attributes: map! {
                            "create" => attr(String, Optional),
                            "update" => attr(String, Optional),
                        },
                        ..Default::default()
                    }),
                },
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(&self, _diags: &mut Diagnostics, _config: Self::State<'a>) -> Option<()> {
        Some(())
    }

    async fn read<'a>(
        &self,
        _diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        Some((state, private_state))
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut s = proposed_state;
        s.id = s.cluster_name.clone();
        for v in [
            &mut s.cluster_arn,
            &mut s.cluster_version,
            &mut s.resolved_key_arn,
            &mut s.key_type,
            &mut s.key_state,
            &mut s.update_id,
            &mut s.cluster_created_at,
        ] {
            *v = ValueString::Unknown;
        }
        if s.resources.is_null() {
            s.resources = ValueList::Value(vec![ValueString::from("secrets")]);
        }
        if s.deletion_protection.is_null() {
            s.deletion_protection = ValueBool::Value(true);
        }
        Some((s, Default::default()))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(
        Self::State<'a>,
        Self::PrivateState<'a>,
        Vec<tf_provider::AttributePath>,
    )> {
        Some((proposed_state, prior_private_state, Vec::new()))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        _diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut s = planned_state;
        let name = match &s.cluster_name {
            ValueString::Value(n) => n.to_string(),
            _ => String::new(),
        };
        // Values as long as the stand-in's.
        s.cluster_arn =
            ValueString::from(format!("arn:aws:eks:us-east-1:123456789012:cluster/{name}"));
        s.cluster_version = ValueString::from("1.31");
        s.resolved_key_arn = ValueString::from(
            "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
        );
        s.key_type = ValueString::from("CUSTOMER_MANAGED");
        s.key_state = ValueString::from("Enabled");
        s.update_id = ValueString::from("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        s.cluster_created_at = ValueString::from("2024-01-02T03:04:05Z");
        Some((s, private_state))
    }

    async fn update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        Some((planned_state, private_state))
    }

    async fn destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _state: Self::State<'a>,
        _private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        Some(())
    }
}

#[derive(Debug, Default, Clone)]
pub struct ShapedProvider;

#[async_trait]
impl Provider for ShapedProvider {
    type Config<'a> = ValueEmpty;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(Schema {
            version: 1,
            block: Block {
                description: Description::plain("eksshape"),
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(
        &self,
        _diags: &mut Diagnostics,
        _config: Self::Config<'a>,
    ) -> Option<()> {
        Some(())
    }

    async fn configure<'a>(
        &self,
        _diags: &mut Diagnostics,
        _terraform_version: String,
        _config: Self::Config<'a>,
    ) -> Option<()> {
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<std::collections::HashMap<String, Box<dyn tf_provider::DynamicResource>>> {
        Some(map! {
            "encryption_config" => ShapedResource,
        })
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<std::collections::HashMap<String, Box<dyn tf_provider::DynamicDataSource>>> {
        Some(map! {})
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    serve("eksshape", ShapedProvider).await
}
