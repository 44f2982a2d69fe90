//! Generated wire types for tfplugin6 and go-plugin's services.
//!
//! Everything here is produced by `build.rs` from `proto/` and is private to
//! the crate: only the gRPC adapter in [`crate::server`] touches these types,
//! converting them to and from the provider-facing types in
//! [`crate::tfprotov6`].

#![allow(missing_docs, dead_code, clippy::all, clippy::pedantic)]

/// tfplugin6, the Terraform plugin protocol version 6.
pub(crate) mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's own services: GRPCController, GRPCStdio and GRPCBroker.
pub(crate) mod plugin {
    tonic::include_proto!("plugin");
}
