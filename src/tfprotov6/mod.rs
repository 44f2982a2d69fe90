//! Provider-facing protocol types: values, schemas, diagnostics and the
//! [`ProviderServer`] trait. Nothing here knows
//! about gRPC or the generated wire types.

pub mod diagnostics;
pub mod provider;
pub mod schema;
pub mod value;

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use provider::*;
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use value::{AttributePath, Type, Value};
