//! `terraform-provider-eks`: a Terraform and OpenTofu provider that guards
//! the customer managed KMS key (CMK) of an Amazon EKS cluster.
//!
//! Associating a CMK with a cluster cannot be undone, so the
//! `eks_encryption_config` resource refuses, at plan time, every change that
//! would remove, swap or downgrade the key, and validates the key before
//! anything is applied.
//!
//! # Layout
//!
//! The crate follows terraform-plugin-go's layering, top to bottom; each
//! layer only calls the one below it.
//!
//! - [`server`]: the process edge. go-plugin's handshake (magic cookie,
//!   protocol negotiation, the stdout line), mutual TLS with a pinned client
//!   certificate, go-plugin's side services, and the tfplugin6 adapter,
//!   which knows no provider: `provider_grpc` runs every RPC through one
//!   template (trace, stoppable context, convert, call, convert back) over
//!   the converters in `fromproto` (wire requests to provider-facing ones)
//!   and `toproto` (the answers back), as terraform-plugin-go's
//!   `internal/fromproto` and `internal/toproto`. The generated wire types
//!   live in a private `wire` module used only here.
//! - [`tfprotov6`]: provider-facing protocol types: values and their msgpack
//!   and JSON codecs, schemas, diagnostics, and the
//!   [`ProviderServer`](tfprotov6::ProviderServer) trait, whose default
//!   methods answer the RPCs a provider does not implement.
//! - [`provider`]: the `eks` provider block (read by one
//!   [`provider::reader::Reader`] over [`tfprotov6::value::convert`], as the
//!   resource's model is), the `eks_encryption_config`
//!   resource and data source, and the check every resource and data
//!   source call runs first (known type, configured provider). The plan
//!   decisions are pure functions in `provider::encryption_config::plan`,
//!   tested as a decision table.
//! - [`aws`]: the EKS and KMS clients (aws-sdk-rust), returning plain data
//!   and typed errors that keep AWS's error code and request id (every
//!   call goes through one template in `aws::call`: time, send, error,
//!   trace); the
//!   provider block's credential sources, account guards and HTTPS client
//!   (CA bundle, proxies), with the AWS provider's precedence.
//! - [`logging`]: go-hclog-shaped JSON logs on stderr, which Terraform
//!   shows under `TF_LOG`.
//!
//! The binary (`src/main.rs`) only parses flags and runs [`server::serve`].

pub mod aws;
pub mod logging;
pub mod provider;
pub mod server;
pub mod tfprotov6;
mod wire;

/// The provider's source address in the registry.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/cmkguard/eks";
