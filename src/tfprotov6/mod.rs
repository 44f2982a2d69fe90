//! Provider-facing protocol types: values, schemas, diagnostics, resource
//! identity, list resources, actions and the [`ProviderServer`] trait. Nothing here knows
//! about gRPC or the generated wire types.

pub mod action;
pub mod diagnostics;
pub mod identity;
pub mod list;
pub mod provider;
pub mod schema;
pub mod value;

pub use action::{ActionRequest, InvokeActionEvent, ValidateActionConfigRequest};
pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use identity::{
    GetResourceIdentitySchemasResponse, IdentityAttribute, IdentitySchema,
    UpgradeResourceIdentityRequest, UpgradeResourceIdentityResponse,
};
pub use list::{
    one_event, EventStream, GenerateResourceConfigRequest, GenerateResourceConfigResponse,
    ListResourceEvent, ListResourceRequest, ValidateListResourceConfigRequest,
};
pub use provider::*;
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use value::{AttributePath, Type, Value};
