//! The provider-facing side of tfplugin6: plain request and response types
//! and the [`ProviderServer`] trait the gRPC adapter calls into.
//!
//! Values stay encoded as [`DynamicValue`] here, because only the provider
//! knows the schema needed to decode them.

use std::collections::BTreeMap;

use super::diagnostics::Diagnostics;
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

/// What the provider serves: its schemas.
#[derive(Clone, Debug, Default)]
pub struct GetProviderSchemaResponse {
    /// The `provider` block schema.
    pub provider: Option<Schema>,
    /// Managed resource schemas by type name.
    pub resources: BTreeMap<String, Schema>,
    /// Data source schemas by type name.
    pub data_sources: BTreeMap<String, Schema>,
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
}

/// `ValidateResourceConfig` and `ValidateDataResourceConfig`.
#[derive(Clone, Debug)]
pub struct ValidateConfigRequest {
    /// The resource or data source type.
    pub type_name: String,
    /// The configuration, possibly with unknown values.
    pub config: DynamicValue,
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
    /// Problems.
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
}

/// Response to `ReadResource`.
#[derive(Clone, Debug, Default)]
pub struct ReadResourceResponse {
    /// The refreshed state; a null value removes the resource from state.
    pub new_state: Option<DynamicValue>,
    /// Private data to save.
    pub private: Vec<u8>,
    /// Problems and warnings.
    pub diagnostics: Diagnostics,
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
    /// Problems and warnings.
    pub diagnostics: Diagnostics,
}

/// `ApplyResourceChange`.
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
}

/// Response to `ApplyResourceChange`.
#[derive(Clone, Debug, Default)]
pub struct ApplyResourceChangeResponse {
    /// The new state; null after a destroy.
    pub new_state: Option<DynamicValue>,
    /// Private data to save.
    pub private: Vec<u8>,
    /// Problems and warnings.
    pub diagnostics: Diagnostics,
}

/// `ImportResourceState`.
#[derive(Clone, Debug)]
pub struct ImportResourceStateRequest {
    /// The resource type.
    pub type_name: String,
    /// The import id the user gave.
    pub id: String,
}

/// One resource produced by an import.
#[derive(Clone, Debug)]
pub struct ImportedResource {
    /// The resource type.
    pub type_name: String,
    /// Its state; Terraform reads it right after.
    pub state: DynamicValue,
    /// Private data.
    pub private: Vec<u8>,
}

/// Response to `ImportResourceState`.
#[derive(Clone, Debug, Default)]
pub struct ImportResourceStateResponse {
    /// What was imported.
    pub imported: Vec<ImportedResource>,
    /// Problems.
    pub diagnostics: Diagnostics,
}

/// `ReadDataSource`.
#[derive(Clone, Debug)]
pub struct ReadDataSourceRequest {
    /// The data source type.
    pub type_name: String,
    /// The configuration.
    pub config: DynamicValue,
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
#[tonic::async_trait]
pub trait ProviderServer: Send + Sync + 'static {
    /// The schemas of the provider block, resources and data sources.
    fn schema(&self) -> GetProviderSchemaResponse;

    /// Checks the provider block without contacting AWS.
    async fn validate_provider_config(&self, req: ValidateProviderConfigRequest) -> Diagnostics;

    /// Configures the provider (no AWS call is made here).
    async fn configure_provider(&self, req: ConfigureProviderRequest) -> Diagnostics;

    /// Checks a resource configuration without contacting AWS.
    async fn validate_resource_config(&self, req: ValidateConfigRequest) -> Diagnostics;

    /// Upgrades stored state to the current schema.
    async fn upgrade_resource_state(
        &self,
        req: UpgradeResourceStateRequest,
    ) -> UpgradeResourceStateResponse;

    /// Refreshes a resource.
    async fn read_resource(&self, req: ReadResourceRequest) -> ReadResourceResponse;

    /// Plans a create, update or destroy.
    async fn plan_resource_change(
        &self,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse;

    /// Applies a planned change.
    async fn apply_resource_change(
        &self,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse;

    /// Imports an existing object by id.
    async fn import_resource_state(
        &self,
        req: ImportResourceStateRequest,
    ) -> ImportResourceStateResponse;

    /// Checks a data source configuration without contacting AWS.
    async fn validate_data_resource_config(&self, req: ValidateConfigRequest) -> Diagnostics;

    /// Reads a data source.
    async fn read_data_source(&self, req: ReadDataSourceRequest) -> ReadDataSourceResponse;

    /// Cancels in-flight work; returns an error text if stopping failed.
    async fn stop_provider(&self) -> Option<String>;
}
