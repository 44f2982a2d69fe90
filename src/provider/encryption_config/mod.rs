//! `eks_encryption_config`: the guarded CMK association, and its data
//! source.
//!
//! - [`schema`]: the resource and data source schemas.
//! - [`model`]: the resource value as plain data.
//! - [`plan`]: the guard, as pure decisions (the decision table lives in its
//!   tests).
//! - [`plan_modifiers`]: defaults, `id`, replacement and the computed
//!   attributes of a planned state, each with its reason.
//! - [`ops`]: fact gathering and the association with its waits (calls AWS).
//! - [`preflight`]: the association preflight (a CreateGrant dry run: calls
//!   AWS) and the "not there yet" rules.
//! - [`resource`]: the lifecycle methods, in order.
//! - [`data_source`]: the read-only view.
//! - [`summary`]: the diagnostics' summaries.
//! - [`identity`]: the resource identity (account, region, cluster name)
//!   and the import-by-identity check.
//! - [`health`]: what EKS reports in the cluster's `health.issues`.
//! - [`list`]: the list resource of `terraform query`, and the
//!   configuration it generates.
//! - [`check`]: the `eks_encryption_config_check` action.

pub mod check;
pub mod data_source;
pub mod health;
pub mod identity;
pub mod list;
pub mod model;
pub mod ops;
pub mod plan;
pub mod plan_modifiers;
pub mod preflight;
pub mod resource;
pub mod schema;
pub mod summary;

/// The resource and data source type name.
pub const TYPE_NAME: &str = "eks_encryption_config";
