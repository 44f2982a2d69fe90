//! The provider-facing side of tfplugin6: plain request and response types
//! and the [`ProviderServer`] trait the gRPC adapter calls into.
//!
//! Values stay encoded as [`DynamicValue`] here, because only the provider
//! knows the schema needed to decode them.

use std::collections::BTreeMap;

use tokio_util::sync::CancellationToken;

use super::action::{ActionRequest, InvokeActionEvent, ValidateActionConfigRequest};
use super::diagnostics::{Diagnostic, Diagnostics};
use super::identity::{
    GetResourceIdentitySchemasResponse, UpgradeResourceIdentityRequest,
    UpgradeResourceIdentityResponse,
};
use super::list::{
    one_event, EventStream, GenerateResourceConfigRequest, GenerateResourceConfigResponse,
    ListResourceEvent, ListResourceRequest, ValidateListResourceConfigRequest,
};
use super::schema::Schema;
use super::value::{self, Type, Value};

/// A value as it crosses the wire: msgpack (the normal encoding) or JSON
/// (used by some cores for raw state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DynamicValue {
    /// cty msgpack bytes.
    Msgpack(Vec<u8>),
    /// cty JSON bytes.
    Json(Vec<u8>),
}

/// Why a [`DynamicValue`] could not be decoded or encoded.
#[derive(Debug, thiserror::Error)]
pub enum DynamicValueError {
    /// The msgpack bytes did not decode against the schema type.
    #[error("decoding msgpack value: {0}")]
    Msgpack(#[from] value::DecodeError),
    /// The value did not encode against the schema type.
    #[error("encoding value: {0}")]
    Encode(#[from] value::EncodeError),
}

impl DynamicValue {
    /// Decodes the value against the schema type.
    pub fn decode(&self, ty: &Type) -> Result<Value, DynamicValueError> {
        Ok(match self {
            DynamicValue::Msgpack(b) => value::msgpack::decode(b, ty)?,
            DynamicValue::Json(b) => value::json::decode_json(b, ty)?,
        })
    }

    /// Encodes a value as msgpack against the schema type.
    pub fn encode(v: &Value, ty: &Type) -> Result<Self, DynamicValueError> {
        Ok(DynamicValue::Msgpack(value::msgpack::encode(v, ty)?))
    }

    /// The msgpack encoding of a null value, valid for any type.
    pub fn null() -> Self {
        // msgpack nil
        DynamicValue::Msgpack(vec![0xc0])
    }
}

/// What the calling Terraform core can handle, sent with most requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientCapabilities {
    /// The core accepts a deferred answer (the change waits for a later
    /// round).
    pub deferral_allowed: bool,
    /// The core understands write-only attributes.
    pub write_only_attributes_allowed: bool,
}

/// What the provider tells Terraform it can do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerCapabilities {
    /// Destroy plans go through `PlanResourceChange` too.
    pub plan_destroy: bool,
    /// Terraform may skip `GetProviderSchema` when it has cached schemas.
    pub get_provider_schema_optional: bool,
    /// `MoveResourceState` is implemented.
    pub move_resource_state: bool,
    /// `GenerateResourceConfig` is implemented.
    pub generate_resource_config: bool,
}

/// The request of an RPC whose wire request has no fields
/// (`GetMetadata`, `GetProviderSchema`, `GetFunctions`,
/// `GetResourceIdentitySchemas`, `StopProvider`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmptyRequest;

/// The request of an RPC this trait has no dedicated types for yet: only
/// the name Terraform asked about (a type, function or action name). A
/// provider that implements one of these features gives the RPC its own
/// request type at that point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnsupportedRequest {
    /// The resource type, function, state store or action named by the
    /// request (empty when the request names none).
    pub type_name: String,
}

/// Response to `GetMetadata`: the type names without their schemas.
#[derive(Clone, Debug, Default)]
pub struct GetMetadataResponse {
    /// What the provider can do.
    pub server_capabilities: ServerCapabilities,
    /// Managed resource type names.
    pub resources: Vec<String>,
    /// Data source type names.
    pub data_sources: Vec<String>,
    /// List resource type names.
    pub list_resources: Vec<String>,
    /// Action type names.
    pub actions: Vec<String>,
    /// Problems building the schema.
    pub diagnostics: Diagnostics,
}

/// Response to `GetProviderSchema`: the schemas the provider serves.
#[derive(Clone, Debug, Default)]
pub struct GetProviderSchemaResponse {
    /// What the provider can do.
    pub server_capabilities: ServerCapabilities,
    /// The `provider` block schema.
    pub provider: Option<Schema>,
    /// Managed resource schemas by type name.
    pub resources: BTreeMap<String, Schema>,
    /// Data source schemas by type name.
    pub data_sources: BTreeMap<String, Schema>,
    /// List resource schemas (the `config` block of a `list` block) by
    /// type name.
    pub list_resources: BTreeMap<String, Schema>,
    /// Action schemas (the `config` block of an `action` block) by type
    /// name.
    pub actions: BTreeMap<String, Schema>,
    /// Problems building the schema.
    pub diagnostics: Diagnostics,
}

/// `ValidateProviderConfig`.
#[derive(Clone, Debug)]
pub struct ValidateProviderConfigRequest {
    /// The provider block, possibly with unknown values.
    pub config: DynamicValue,
}

/// `ConfigureProvider`.
#[derive(Clone, Debug)]
pub struct ConfigureProviderRequest {
    /// The version of the Terraform core calling us.
    pub terraform_version: String,
    /// The provider block.
    pub config: DynamicValue,
    /// What the core can handle.
    pub client_capabilities: ClientCapabilities,
}

/// `ValidateResourceConfig` and `ValidateDataResourceConfig`.
#[derive(Clone, Debug)]
pub struct ValidateConfigRequest {
    /// The resource or data source type.
    pub type_name: String,
    /// The configuration, possibly with unknown values.
    pub config: DynamicValue,
    /// What the core can handle (`ValidateDataResourceConfig` carries none:
    /// all false).
    pub client_capabilities: ClientCapabilities,
}

/// `UpgradeResourceState`.
#[derive(Clone, Debug)]
pub struct UpgradeResourceStateRequest {
    /// The resource type.
    pub type_name: String,
    /// The schema version the state was written with.
    pub version: i64,
    /// The stored state as JSON (empty when the core sent none).
    pub raw_state_json: Vec<u8>,
}

/// Response to `UpgradeResourceState`.
#[derive(Clone, Debug, Default)]
pub struct UpgradeResourceStateResponse {
    /// The state in the current schema.
    pub upgraded_state: Option<DynamicValue>,
    /// Why the state could not be upgraded (it does not decode).
    pub diagnostics: Diagnostics,
}

/// `ReadResource`.
#[derive(Clone, Debug)]
pub struct ReadResourceRequest {
    /// The resource type.
    pub type_name: String,
    /// The state as last saved.
    pub current_state: DynamicValue,
    /// Provider-private data saved with the state.
    pub private: Vec<u8>,
    /// What the core can handle.
    pub client_capabilities: ClientCapabilities,
    /// The identity stored with the state (`None` from cores without
    /// resource identity, and for state written before it).
    pub current_identity: Option<DynamicValue>,
}

/// Response to `ReadResource`.
#[derive(Clone, Debug, Default)]
pub struct ReadResourceResponse {
    /// The refreshed state; a null value removes the resource from state.
    pub new_state: Option<DynamicValue>,
    /// Problems and warnings.
    pub diagnostics: Diagnostics,
    /// Private data to save.
    pub private: Vec<u8>,
    /// The identity of the refreshed object.
    pub new_identity: Option<DynamicValue>,
}

/// `PlanResourceChange`.
#[derive(Clone, Debug)]
pub struct PlanResourceChangeRequest {
    /// The resource type.
    pub type_name: String,
    /// The refreshed prior state (null on create).
    pub prior_state: DynamicValue,
    /// Terraform's proposal: config merged with prior computed values
    /// (null on destroy).
    pub proposed_new_state: DynamicValue,
    /// The configuration (null on destroy).
    pub config: DynamicValue,
    /// Private data from the prior state.
    pub prior_private: Vec<u8>,
    /// What the core can handle.
    pub client_capabilities: ClientCapabilities,
    /// The identity stored with the prior state.
    pub prior_identity: Option<DynamicValue>,
}

/// Response to `PlanResourceChange`.
#[derive(Clone, Debug, Default)]
pub struct PlanResourceChangeResponse {
    /// The planned state; `None` echoes the proposal back.
    pub planned_state: Option<DynamicValue>,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<value::AttributePath>,
    /// Private data handed to apply.
    pub planned_private: Vec<u8>,
    /// Why the plan is refused, and what to watch out for.
    pub diagnostics: Diagnostics,
    /// The identity the object will have, when it is known at plan time.
    pub planned_identity: Option<DynamicValue>,
}

impl From<Diagnostics> for PlanResourceChangeResponse {
    /// A failed plan: no planned state, only the diagnostics.
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            diagnostics,
            ..Self::default()
        }
    }
}

/// `ApplyResourceChange` (the wire request carries no client
/// capabilities).
#[derive(Clone, Debug)]
pub struct ApplyResourceChangeRequest {
    /// The resource type.
    pub type_name: String,
    /// The prior state (null on create).
    pub prior_state: DynamicValue,
    /// The planned state (null on destroy).
    pub planned_state: DynamicValue,
    /// The configuration (null on destroy).
    pub config: DynamicValue,
    /// Private data from the plan.
    pub planned_private: Vec<u8>,
    /// The identity planned for the object.
    pub planned_identity: Option<DynamicValue>,
}

/// Response to `ApplyResourceChange`.
#[derive(Clone, Debug, Default)]
pub struct ApplyResourceChangeResponse {
    /// The new state; null after a destroy.
    pub new_state: Option<DynamicValue>,
    /// Private data to save.
    pub private: Vec<u8>,
    /// What went wrong, and what to watch out for; with an error the state is
    /// saved as given, so nothing half-applied is lost.
    pub diagnostics: Diagnostics,
    /// The identity of the object after the change (`None` after a
    /// destroy).
    pub new_identity: Option<DynamicValue>,
}

/// `ImportResourceState`.
#[derive(Clone, Debug)]
pub struct ImportResourceStateRequest {
    /// The resource type.
    pub type_name: String,
    /// The import id the user gave (empty when importing by identity).
    pub id: String,
    /// What the core can handle.
    pub client_capabilities: ClientCapabilities,
    /// The identity given in an `import` block instead of an id.
    pub identity: Option<DynamicValue>,
}

/// One resource produced by an import.
#[derive(Clone, Debug)]
pub struct ImportedResource {
    /// The resource type (an import may produce several types).
    pub type_name: String,
    /// Its state; Terraform reads it right after.
    pub state: DynamicValue,
    /// Private data saved with the state; empty when the resource keeps none.
    pub private: Vec<u8>,
    /// Its identity.
    pub identity: Option<DynamicValue>,
}

/// Response to `ImportResourceState`.
#[derive(Clone, Debug, Default)]
pub struct ImportResourceStateResponse {
    /// What was imported.
    pub imported: Vec<ImportedResource>,
    /// Why nothing was imported (a bad id, a missing cluster, an AWS error).
    pub diagnostics: Diagnostics,
}

/// `ReadDataSource`.
#[derive(Clone, Debug)]
pub struct ReadDataSourceRequest {
    /// The data source type.
    pub type_name: String,
    /// The configuration.
    pub config: DynamicValue,
    /// What the core can handle.
    pub client_capabilities: ClientCapabilities,
}

/// Response to `ReadDataSource`.
#[derive(Clone, Debug, Default)]
pub struct ReadDataSourceResponse {
    /// The data source's full value.
    pub state: Option<DynamicValue>,
    /// Problems and warnings.
    pub diagnostics: Diagnostics,
}

/// A provider as the gRPC adapter sees it. Every method answers with
/// diagnostics rather than failing the RPC, as Terraform expects.
///
/// Every method with a request of its own gets `stop`, the call's
/// stoppable context: it is cancelled when Terraform sends `StopProvider`,
/// and long work should give up when it is. The RPCs a provider does not need have default methods: the
/// discovery lists answer empty, and the rest answer
/// [`Diagnostic::unsupported_rpc`], naming the RPC.
#[tonic::async_trait]
pub trait ProviderServer: Send + Sync + 'static {
    /// The schemas of the provider block, resources and data sources.
    async fn get_provider_schema(
        &self,
        stop: CancellationToken,
        req: EmptyRequest,
    ) -> GetProviderSchemaResponse;

    /// The type names of [`Self::get_provider_schema`], without schemas.
    async fn get_metadata(
        &self,
        stop: CancellationToken,
        req: EmptyRequest,
    ) -> GetMetadataResponse {
        let schema = self.get_provider_schema(stop, req).await;
        GetMetadataResponse {
            server_capabilities: schema.server_capabilities,
            resources: schema.resources.into_keys().collect(),
            data_sources: schema.data_sources.into_keys().collect(),
            list_resources: schema.list_resources.into_keys().collect(),
            actions: schema.actions.into_keys().collect(),
            diagnostics: schema.diagnostics,
        }
    }

    /// Checks the provider block without contacting remote APIs.
    async fn validate_provider_config(
        &self,
        stop: CancellationToken,
        req: ValidateProviderConfigRequest,
    ) -> Diagnostics;

    /// Configures the provider.
    async fn configure_provider(
        &self,
        stop: CancellationToken,
        req: ConfigureProviderRequest,
    ) -> Diagnostics;

    /// Checks a resource configuration without contacting remote APIs.
    async fn validate_resource_config(
        &self,
        stop: CancellationToken,
        req: ValidateConfigRequest,
    ) -> Diagnostics;

    /// Upgrades stored state to the current schema.
    async fn upgrade_resource_state(
        &self,
        stop: CancellationToken,
        req: UpgradeResourceStateRequest,
    ) -> UpgradeResourceStateResponse;

    /// Refreshes a resource.
    async fn read_resource(
        &self,
        stop: CancellationToken,
        req: ReadResourceRequest,
    ) -> ReadResourceResponse;

    /// Plans a create, update or destroy.
    async fn plan_resource_change(
        &self,
        stop: CancellationToken,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse;

    /// Applies a planned change.
    async fn apply_resource_change(
        &self,
        stop: CancellationToken,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse;

    /// Imports an existing object by id.
    async fn import_resource_state(
        &self,
        stop: CancellationToken,
        req: ImportResourceStateRequest,
    ) -> ImportResourceStateResponse;

    /// Checks a data source configuration without contacting remote APIs.
    async fn validate_data_resource_config(
        &self,
        stop: CancellationToken,
        req: ValidateConfigRequest,
    ) -> Diagnostics;

    /// Reads a data source.
    async fn read_data_source(
        &self,
        stop: CancellationToken,
        req: ReadDataSourceRequest,
    ) -> ReadDataSourceResponse;

    /// Called when Terraform sends `StopProvider`, before the adapter
    /// cancels the `stop` token of every call in flight; returns an error
    /// text if stopping failed. The default has nothing of its own to stop.
    async fn stop_provider(&self, _stop: CancellationToken, _req: EmptyRequest) -> Option<String> {
        None
    }

    // ---- discovery lists with nothing in them by default ---------------------

    /// `GetResourceIdentitySchemas`: the default has no identity schemas,
    /// so the answer is an empty map and no diagnostics.
    async fn get_resource_identity_schemas(
        &self,
        _stop: CancellationToken,
        _req: EmptyRequest,
    ) -> GetResourceIdentitySchemasResponse {
        GetResourceIdentitySchemasResponse::default()
    }

    /// `GetFunctions`: the default has no functions, so the answer is an
    /// empty map and no diagnostics.
    async fn get_functions(&self, _stop: CancellationToken, _req: EmptyRequest) -> Diagnostics {
        Diagnostics::new()
    }

    // ---- unsupported unless a provider overrides them -------------------------
    //
    // The defaults answer at once with the "not supported" diagnostic. Those
    // with a request type of their own take a stop token; the others take
    // only the name asked about, until a provider implements them.

    /// `UpgradeResourceIdentity`: brings a stored identity up to the
    /// current identity version.
    async fn upgrade_resource_identity(
        &self,
        _stop: CancellationToken,
        req: UpgradeResourceIdentityRequest,
    ) -> UpgradeResourceIdentityResponse {
        unsupported("UpgradeResourceIdentity", IDENTITIES, named(req.type_name)).into()
    }

    /// `ValidateListResourceConfig`: checks a `list` block without
    /// contacting remote APIs.
    async fn validate_list_resource_config(
        &self,
        _stop: CancellationToken,
        req: ValidateListResourceConfigRequest,
    ) -> Diagnostics {
        unsupported("ValidateListResourceConfig", LISTS, named(req.type_name))
    }

    /// `ListResource`: streams the remote objects a `list` block finds.
    async fn list_resource(
        &self,
        _stop: CancellationToken,
        req: ListResourceRequest,
    ) -> EventStream<ListResourceEvent> {
        one_event(unsupported("ListResource", LISTS, named(req.type_name)).into())
    }

    /// `GenerateResourceConfig`: the configuration that adopts an object
    /// found by `ListResource`.
    async fn generate_resource_config(
        &self,
        _stop: CancellationToken,
        req: GenerateResourceConfigRequest,
    ) -> GenerateResourceConfigResponse {
        unsupported(
            "GenerateResourceConfig",
            CONFIG_GENERATION,
            named(req.type_name),
        )
        .into()
    }

    /// `ValidateActionConfig`: checks an `action` block without contacting
    /// remote APIs.
    async fn validate_action_config(
        &self,
        _stop: CancellationToken,
        req: ValidateActionConfigRequest,
    ) -> Diagnostics {
        unsupported("ValidateActionConfig", ACTIONS, named(req.type_name))
    }

    /// `PlanAction`: what an action would do, before it runs.
    async fn plan_action(&self, _stop: CancellationToken, req: ActionRequest) -> Diagnostics {
        unsupported("PlanAction", ACTIONS, named(req.action_type))
    }

    /// `InvokeAction`: runs an action, streaming progress and then one
    /// completion.
    async fn invoke_action(
        &self,
        _stop: CancellationToken,
        req: ActionRequest,
    ) -> EventStream<InvokeActionEvent> {
        one_event(unsupported("InvokeAction", ACTIONS, named(req.action_type)).into())
    }

    /// `MoveResourceState` (`moved` blocks across resource types).
    async fn move_resource_state(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("MoveResourceState", MOVES, req)
    }

    /// `ValidateEphemeralResourceConfig` (ephemeral resources).
    async fn validate_ephemeral_resource_config(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("ValidateEphemeralResourceConfig", EPHEMERAL, req)
    }

    /// `OpenEphemeralResource` (ephemeral resources).
    async fn open_ephemeral_resource(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("OpenEphemeralResource", EPHEMERAL, req)
    }

    /// `RenewEphemeralResource` (ephemeral resources).
    async fn renew_ephemeral_resource(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("RenewEphemeralResource", EPHEMERAL, req)
    }

    /// `CloseEphemeralResource` (ephemeral resources).
    async fn close_ephemeral_resource(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("CloseEphemeralResource", EPHEMERAL, req)
    }

    /// `CallFunction` (provider-defined functions).
    async fn call_function(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("CallFunction", FUNCTIONS, req)
    }

    /// `ValidateStateStoreConfig` (state stores).
    async fn validate_state_store_config(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("ValidateStateStoreConfig", STATE_STORES, req)
    }

    /// `ConfigureStateStore` (state stores).
    async fn configure_state_store(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("ConfigureStateStore", STATE_STORES, req)
    }

    /// `ReadStateBytes` (state stores).
    async fn read_state_bytes(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("ReadStateBytes", STATE_STORES, req)
    }

    /// `WriteStateBytes` (state stores).
    async fn write_state_bytes(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("WriteStateBytes", STATE_STORES, req)
    }

    /// `LockState` (state stores).
    async fn lock_state(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("LockState", STATE_STORES, req)
    }

    /// `UnlockState` (state stores).
    async fn unlock_state(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("UnlockState", STATE_STORES, req)
    }

    /// `GetStates` (state stores).
    async fn get_states(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("GetStates", STATE_STORES, req)
    }

    /// `DeleteState` (state stores).
    async fn delete_state(&self, req: UnsupportedRequest) -> Diagnostics {
        unsupported("DeleteState", STATE_STORES, req)
    }
}

// What the unsupported RPCs serve, for their diagnostics.
const IDENTITIES: &str = "resource identities";
const MOVES: &str = "moving state across resource types";
const CONFIG_GENERATION: &str = "configuration generation";
const EPHEMERAL: &str = "ephemeral resources";
const LISTS: &str = "list resources";
const FUNCTIONS: &str = "provider-defined functions";
const STATE_STORES: &str = "state stores";
const ACTIONS: &str = "actions";

/// The request of an RPC with a type of its own, as far as its
/// unsupported default reads it.
fn named(type_name: String) -> UnsupportedRequest {
    UnsupportedRequest { type_name }
}

/// The default answer of an unsupported RPC.
fn unsupported(rpc: &str, feature: &str, req: UnsupportedRequest) -> Diagnostics {
    Diagnostic::unsupported_rpc(rpc, feature, &req.type_name).into()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A provider that implements only the required methods, with one
    /// resource type, `x_thing` (also used by the adapter's tests).
    pub(crate) struct Minimal;

    #[tonic::async_trait]
    impl ProviderServer for Minimal {
        async fn get_provider_schema(
            &self,
            _: CancellationToken,
            _: EmptyRequest,
        ) -> GetProviderSchemaResponse {
            GetProviderSchemaResponse {
                resources: BTreeMap::from([(
                    "x_thing".to_owned(),
                    Schema {
                        version: 0,
                        block: Default::default(),
                    },
                )]),
                ..Default::default()
            }
        }
        async fn validate_provider_config(
            &self,
            _: CancellationToken,
            _: ValidateProviderConfigRequest,
        ) -> Diagnostics {
            Diagnostics::new()
        }
        async fn configure_provider(
            &self,
            _: CancellationToken,
            _: ConfigureProviderRequest,
        ) -> Diagnostics {
            Diagnostics::new()
        }
        async fn validate_resource_config(
            &self,
            _: CancellationToken,
            _: ValidateConfigRequest,
        ) -> Diagnostics {
            Diagnostics::new()
        }
        async fn upgrade_resource_state(
            &self,
            _: CancellationToken,
            _: UpgradeResourceStateRequest,
        ) -> UpgradeResourceStateResponse {
            UpgradeResourceStateResponse::default()
        }
        async fn read_resource(
            &self,
            _: CancellationToken,
            _: ReadResourceRequest,
        ) -> ReadResourceResponse {
            ReadResourceResponse::default()
        }
        async fn plan_resource_change(
            &self,
            _: CancellationToken,
            _: PlanResourceChangeRequest,
        ) -> PlanResourceChangeResponse {
            PlanResourceChangeResponse::default()
        }
        async fn apply_resource_change(
            &self,
            _: CancellationToken,
            _: ApplyResourceChangeRequest,
        ) -> ApplyResourceChangeResponse {
            ApplyResourceChangeResponse::default()
        }
        async fn import_resource_state(
            &self,
            _: CancellationToken,
            _: ImportResourceStateRequest,
        ) -> ImportResourceStateResponse {
            ImportResourceStateResponse::default()
        }
        async fn validate_data_resource_config(
            &self,
            _: CancellationToken,
            _: ValidateConfigRequest,
        ) -> Diagnostics {
            Diagnostics::new()
        }
        async fn read_data_source(
            &self,
            _: CancellationToken,
            _: ReadDataSourceRequest,
        ) -> ReadDataSourceResponse {
            ReadDataSourceResponse::default()
        }
    }

    fn unsupported_req(name: &str) -> UnsupportedRequest {
        UnsupportedRequest {
            type_name: name.to_owned(),
        }
    }

    #[tokio::test]
    async fn default_unsupported_rpcs_name_the_rpc_and_the_type() {
        let d = Minimal
            .open_ephemeral_resource(unsupported_req("x_secret"))
            .await;
        assert_eq!(d.0.len(), 1);
        assert!(d.has_errors());
        assert_eq!(d.0[0].summary, "OpenEphemeralResource is not supported");
        assert!(
            d.0[0].detail.contains("ephemeral resources"),
            "{}",
            d.0[0].detail
        );
        assert!(
            d.0[0].detail.contains("OpenEphemeralResource"),
            "{}",
            d.0[0].detail
        );
        assert!(d.0[0].detail.contains("\"x_secret\""), "{}", d.0[0].detail);

        let d = Minimal.lock_state(unsupported_req("x_store")).await;
        assert!(d.0[0].detail.contains("LockState"), "{}", d.0[0].detail);
    }

    #[tokio::test]
    async fn default_discovery_rpcs_answer_empty() {
        let stop = CancellationToken::new();
        assert!(Minimal
            .get_functions(stop.clone(), EmptyRequest)
            .await
            .is_empty());
        let ids = Minimal
            .get_resource_identity_schemas(stop.clone(), EmptyRequest)
            .await;
        assert!(ids.identity_schemas.is_empty() && ids.diagnostics.is_empty());
        assert_eq!(
            Minimal.stop_provider(stop.clone(), EmptyRequest).await,
            None
        );
        let meta = Minimal.get_metadata(stop, EmptyRequest).await;
        assert_eq!(meta.resources, ["x_thing"]);
        assert!(meta.data_sources.is_empty());
    }
}
