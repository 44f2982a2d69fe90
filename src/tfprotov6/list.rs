//! List resources (protocol 6.10, Terraform 1.14+): `terraform query` asks
//! a provider to find the remote objects of a resource type, and can write
//! the configuration that adopts them (`-generate-config-out`).

use std::pin::Pin;

use futures::Stream;

use super::diagnostics::Diagnostics;
use super::provider::DynamicValue;

/// A stream of events a server-streaming RPC answers with.
pub type EventStream<T> = Pin<Box<dyn Stream<Item = T> + Send + 'static>>;

/// A stream of exactly one event.
pub fn one_event<T: Send + 'static>(event: T) -> EventStream<T> {
    Box::pin(futures::stream::iter([event]))
}

/// `ListResource`.
#[derive(Clone, Debug)]
pub struct ListResourceRequest {
    /// The list resource type.
    pub type_name: String,
    /// The `config` block of the `list` block, decoded with the list
    /// resource's schema.
    pub config: DynamicValue,
    /// Each result should carry the full resource object, not only its
    /// identity.
    pub include_resource_object: bool,
    /// The most results the core wants.
    pub limit: i64,
}

/// One result of `ListResource`, or a diagnostic about the listing.
#[derive(Clone, Debug, Default)]
pub struct ListResourceEvent {
    /// The identity of the object found (encoded with the resource's
    /// identity schema); `None` in an event that only carries diagnostics.
    pub identity: Option<DynamicValue>,
    /// A label for people.
    pub display_name: String,
    /// The object in the resource's state schema, when it was asked for.
    pub resource_object: Option<DynamicValue>,
    /// Problems with this result or with the listing.
    pub diagnostics: Diagnostics,
}

impl From<Diagnostics> for ListResourceEvent {
    /// An event with only diagnostics: no result.
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            diagnostics,
            ..Self::default()
        }
    }
}

/// `ValidateListResourceConfig`.
#[derive(Clone, Debug)]
pub struct ValidateListResourceConfigRequest {
    /// The list resource type.
    pub type_name: String,
    /// The `config` block, possibly with unknown values.
    pub config: DynamicValue,
    /// The `include_resource` argument as a value (a `bool`, maybe unknown).
    pub include_resource_object: DynamicValue,
    /// The `limit` argument as a value (a `number`, maybe unknown).
    pub limit: DynamicValue,
}

/// `GenerateResourceConfig`.
#[derive(Clone, Debug)]
pub struct GenerateResourceConfigRequest {
    /// The managed resource type.
    pub type_name: String,
    /// The object's state (from a list result), in the resource's schema.
    pub state: DynamicValue,
}

/// Response to `GenerateResourceConfig`.
#[derive(Clone, Debug, Default)]
pub struct GenerateResourceConfigResponse {
    /// The value to write as configuration, in the resource's schema: only
    /// the arguments a user would write are non-null.
    pub config: Option<DynamicValue>,
    /// Why no configuration could be generated.
    pub diagnostics: Diagnostics,
}

impl From<Diagnostics> for GenerateResourceConfigResponse {
    /// A failed generation: no configuration, only the diagnostics.
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            config: None,
            diagnostics,
        }
    }
}
