//! `eks_encryption_configs`: every cluster of the provider's region and how
//! its secrets are encrypted, for bringing a fleet under the guard.
//!
//! - [`schema`]: the data source schema.
//! - [`data_source`]: ListClusters (all pages), DescribeCluster per cluster,
//!   DescribeKey once per distinct key.

pub mod data_source;
pub mod schema;

/// The data source type name.
pub const TYPE_NAME: &str = "eks_encryption_configs";
