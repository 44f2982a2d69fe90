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
//! The crate follows terraform-plugin-go's split into a server, protocol
//! types and the provider. The layers form a diamond, not a chain (each
//! line joins a layer to one below it that it uses):
//!
//! ```text
//!               main.rs
//!              /       \
//!         server       provider
//!              \       /      \
//!             tfprotov6        aws
//! ```
//!
//! `server` serves any [`ProviderServer`](tfprotov6::ProviderServer) and
//! knows no provider; `provider` implements that trait with `tfprotov6`'s
//! types and calls EKS and KMS through `aws`; `aws` knows nothing of the
//! protocol; the binary joins `server` and `provider`.
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
//!   and JSON codecs, schemas, diagnostics, resource identity, list
//!   resources and actions (server-streaming RPCs answer an
//!   [`EventStream`](tfprotov6::EventStream)), and the
//!   [`ProviderServer`](tfprotov6::ProviderServer) trait, whose default
//!   methods answer the RPCs a provider does not implement. Uses no other
//!   layer.
//! - [`provider`]: the `eks` provider block, one module per concern
//!   (`auth`, `endpoints`, `network`, `timeouts`, assembled by
//!   `provider::settings` and read by one [`provider::reader::Reader`] over
//!   [`tfprotov6::value::convert`]; `provider`'s module doc maps a setting's
//!   path), the `eks_encryption_config` resource and data source, and the
//!   check every resource and data source call runs first (known type,
//!   configured provider). In `provider::encryption_config`: `plan.rs`
//!   holds the guard as pure decisions, tested as a decision table;
//!   `ops.rs` gathers the facts and runs the association and its waits,
//!   calling `aws`; `preflight.rs` makes the CreateGrant dry run (it calls
//!   `aws` too) and decides the preflight's and the "not there yet"
//!   diagnostics; `resource.rs` runs the lifecycle methods over them.
//!   Beside them, Terraform 1.12-1.14's features: `identity.rs` (the
//!   resource identity and import by identity), `list.rs` (the list
//!   resource of `terraform query` and the configuration it generates),
//!   `check.rs` (the `eks_encryption_config_check` action) and `health.rs`
//!   (what EKS reports in `health.issues`).
//! - [`aws`]: the EKS, KMS and STS clients (aws-sdk-rust), returning plain
//!   data and typed errors that keep AWS's error code and request id (every
//!   call goes through one template in `aws::call`: time, send, error,
//!   trace); the provider block's settings as plain data, credential
//!   sources, account guards and HTTPS client (CA bundle, proxies), with the
//!   AWS provider's precedence. Knows nothing of the protocol; its module
//!   doc lists its modules in dependency order.
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
