//! Wire requests to provider-facing requests (terraform-plugin-go's
//! `internal/fromproto`).
//!
//! Every wire field is read, or ignored with the reason written next to it.
//! The requests the provider acts on are destructured in full, so a field
//! added to `proto/` does not compile here until someone decides what it
//! means.

use tonic::Streaming;

use crate::tfprotov6::{
    ApplyResourceChangeRequest, ClientCapabilities, ConfigureProviderRequest, DynamicValue,
    EmptyRequest, ImportResourceStateRequest, PlanResourceChangeRequest, ReadDataSourceRequest,
    ReadResourceRequest, UnsupportedRequest, UpgradeResourceStateRequest, ValidateConfigRequest,
    ValidateProviderConfigRequest,
};
use crate::wire::tfplugin6;

/// A wire request and its provider-facing form.
pub(super) trait FromProto: Send {
    /// The provider-facing request.
    type Request: Send;
    /// The type, function or action the request is about, for the trace
    /// (empty when it names none).
    fn type_name(&self) -> &str;
    /// Converts the request.
    fn from_proto(self) -> Self::Request;
}

/// A wire value: msgpack when present, else JSON, else null.
fn dynamic(v: Option<tfplugin6::DynamicValue>) -> DynamicValue {
    match v {
        Some(v) if !v.msgpack.is_empty() => DynamicValue::Msgpack(v.msgpack),
        Some(v) if !v.json.is_empty() => DynamicValue::Json(v.json),
        _ => DynamicValue::null(),
    }
}

/// The core's capabilities; a core that sends none has none.
fn capabilities(c: Option<tfplugin6::ClientCapabilities>) -> ClientCapabilities {
    let tfplugin6::ClientCapabilities {
        deferral_allowed,
        write_only_attributes_allowed,
    } = c.unwrap_or_default();
    ClientCapabilities {
        deferral_allowed,
        write_only_attributes_allowed,
    }
}

/// Requests without fields. The empty pattern stops a field added to one
/// of them from going unnoticed.
macro_rules! empty_requests {
    ($($rpc:ident),* $(,)?) => {$(
        impl FromProto for tfplugin6::$rpc::Request {
            type Request = EmptyRequest;
            fn type_name(&self) -> &str {
                ""
            }
            fn from_proto(self) -> EmptyRequest {
                let tfplugin6::$rpc::Request {} = self;
                EmptyRequest
            }
        }
    )*};
}

empty_requests!(
    get_metadata,
    get_provider_schema,
    get_resource_identity_schemas,
    get_functions,
    stop_provider,
);

/// Requests of the RPCs the trait has no types for: only the name they are
/// about is read. Their configurations, states, chunks and identities are
/// ignored on purpose: the default methods answer "not supported" whatever
/// they hold, and a provider that implements one of these RPCs gives it
/// its own request type.
macro_rules! unsupported_requests {
    ($($ty:ty => $name:ident),* $(,)?) => {$(
        impl FromProto for $ty {
            type Request = UnsupportedRequest;
            fn type_name(&self) -> &str {
                &self.$name
            }
            fn from_proto(self) -> UnsupportedRequest {
                UnsupportedRequest { type_name: self.$name }
            }
        }
    )*};
}

unsupported_requests!(
    tfplugin6::upgrade_resource_identity::Request => type_name,
    // The type the state would move into is the one this provider serves.
    tfplugin6::move_resource_state::Request => target_type_name,
    tfplugin6::generate_resource_config::Request => type_name,
    tfplugin6::validate_ephemeral_resource_config::Request => type_name,
    tfplugin6::open_ephemeral_resource::Request => type_name,
    tfplugin6::renew_ephemeral_resource::Request => type_name,
    tfplugin6::close_ephemeral_resource::Request => type_name,
    tfplugin6::list_resource::Request => type_name,
    tfplugin6::validate_list_resource_config::Request => type_name,
    tfplugin6::call_function::Request => name,
    tfplugin6::validate_state_store::Request => type_name,
    tfplugin6::configure_state_store::Request => type_name,
    tfplugin6::read_state_bytes::Request => type_name,
    // WriteStateBytes: the meta of the first chunk, see `write_state_bytes`.
    tfplugin6::RequestChunkMeta => type_name,
    tfplugin6::lock_state::Request => type_name,
    tfplugin6::unlock_state::Request => type_name,
    tfplugin6::get_states::Request => type_name,
    tfplugin6::delete_state::Request => type_name,
    tfplugin6::plan_action::Request => action_type,
    tfplugin6::invoke_action::Request => action_type,
    tfplugin6::validate_action_config::Request => type_name,
);

/// Reads a `WriteStateBytes` client stream to its end (the client waits for
/// that before it reads the answer) and keeps the first chunk's meta, the
/// only chunk that carries one. The state bytes are dropped: no state store
/// is implemented to write them to.
pub(super) async fn write_state_bytes(
    mut chunks: Streaming<tfplugin6::write_state_bytes::RequestChunk>,
) -> tfplugin6::RequestChunkMeta {
    let mut meta = None;
    while let Ok(Some(chunk)) = chunks.message().await {
        meta = meta.or(chunk.meta);
    }
    meta.unwrap_or_default()
}

impl FromProto for tfplugin6::validate_provider_config::Request {
    type Request = ValidateProviderConfigRequest;
    fn type_name(&self) -> &str {
        ""
    }
    fn from_proto(self) -> ValidateProviderConfigRequest {
        let Self { config } = self;
        ValidateProviderConfigRequest {
            config: dynamic(config),
        }
    }
}

impl FromProto for tfplugin6::configure_provider::Request {
    type Request = ConfigureProviderRequest;
    fn type_name(&self) -> &str {
        ""
    }
    fn from_proto(self) -> ConfigureProviderRequest {
        let Self {
            terraform_version,
            config,
            client_capabilities,
        } = self;
        ConfigureProviderRequest {
            terraform_version,
            config: dynamic(config),
            client_capabilities: capabilities(client_capabilities),
        }
    }
}

impl FromProto for tfplugin6::validate_resource_config::Request {
    type Request = ValidateConfigRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn from_proto(self) -> ValidateConfigRequest {
        let Self {
            type_name,
            config,
            client_capabilities,
        } = self;
        ValidateConfigRequest {
            type_name,
            config: dynamic(config),
            client_capabilities: capabilities(client_capabilities),
        }
    }
}

impl FromProto for tfplugin6::validate_data_resource_config::Request {
    type Request = ValidateConfigRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn from_proto(self) -> ValidateConfigRequest {
        let Self { type_name, config } = self;
        ValidateConfigRequest {
            type_name,
            config: dynamic(config),
            // This wire request carries no capabilities.
            client_capabilities: ClientCapabilities::default(),
        }
    }
}

impl FromProto for tfplugin6::upgrade_resource_state::Request {
    type Request = UpgradeResourceStateRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn from_proto(self) -> UpgradeResourceStateRequest {
        let Self {
            type_name,
            version,
            raw_state,
        } = self;
        // `flatmap` is the state format of Terraform before 0.12; every core
        // that speaks protocol 6 sends `json`.
        let raw_state_json = raw_state.map(|r| r.json).unwrap_or_default();
        UpgradeResourceStateRequest {
            type_name,
            version,
            raw_state_json,
        }
    }
}

impl FromProto for tfplugin6::read_resource::Request {
    type Request = ReadResourceRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn from_proto(self) -> ReadResourceRequest {
        let Self {
            type_name,
            current_state,
            private,
            // No provider_meta schema is served, so the core sends none.
            provider_meta: _,
            client_capabilities,
            // No identity schema is served, so the core sends no identity.
            current_identity: _,
        } = self;
        ReadResourceRequest {
            type_name,
            current_state: dynamic(current_state),
            private,
            client_capabilities: capabilities(client_capabilities),
        }
    }
}

impl FromProto for tfplugin6::plan_resource_change::Request {
    type Request = PlanResourceChangeRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn from_proto(self) -> PlanResourceChangeRequest {
        let Self {
            type_name,
            prior_state,
            proposed_new_state,
            config,
            prior_private,
            // No provider_meta schema is served, so the core sends none.
            provider_meta: _,
            client_capabilities,
            // No identity schema is served, so the core sends no identity.
            prior_identity: _,
        } = self;
        PlanResourceChangeRequest {
            type_name,
            prior_state: dynamic(prior_state),
            proposed_new_state: dynamic(proposed_new_state),
            config: dynamic(config),
            prior_private,
            client_capabilities: capabilities(client_capabilities),
        }
    }
}

impl FromProto for tfplugin6::apply_resource_change::Request {
    type Request = ApplyResourceChangeRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn from_proto(self) -> ApplyResourceChangeRequest {
        let Self {
            type_name,
            prior_state,
            planned_state,
            config,
            planned_private,
            // No provider_meta schema is served, so the core sends none.
            provider_meta: _,
            // No identity schema is served, so the core sends no identity.
            planned_identity: _,
        } = self;
        ApplyResourceChangeRequest {
            type_name,
            prior_state: dynamic(prior_state),
            planned_state: dynamic(planned_state),
            config: dynamic(config),
            planned_private,
        }
    }
}

impl FromProto for tfplugin6::import_resource_state::Request {
    type Request = ImportResourceStateRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn from_proto(self) -> ImportResourceStateRequest {
        let Self {
            type_name,
            id,
            client_capabilities,
            // Import by identity needs an identity schema, which is not
            // served; the core sends an id instead.
            identity: _,
        } = self;
        ImportResourceStateRequest {
            type_name,
            id,
            client_capabilities: capabilities(client_capabilities),
        }
    }
}

impl FromProto for tfplugin6::read_data_source::Request {
    type Request = ReadDataSourceRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn from_proto(self) -> ReadDataSourceRequest {
        let Self {
            type_name,
            config,
            // No provider_meta schema is served, so the core sends none.
            provider_meta: _,
            client_capabilities,
        } = self;
        ReadDataSourceRequest {
            type_name,
            config: dynamic(config),
            client_capabilities: capabilities(client_capabilities),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_dynamic_value_is_null() {
        assert_eq!(dynamic(None), DynamicValue::null());
        let v = tfplugin6::DynamicValue {
            msgpack: vec![],
            json: b"{}".to_vec(),
        };
        assert_eq!(dynamic(Some(v)), DynamicValue::Json(b"{}".to_vec()));
    }

    fn both_capabilities() -> Option<tfplugin6::ClientCapabilities> {
        Some(tfplugin6::ClientCapabilities {
            deferral_allowed: true,
            write_only_attributes_allowed: true,
        })
    }

    #[test]
    fn client_capabilities_reach_the_provider() {
        let all = ClientCapabilities {
            deferral_allowed: true,
            write_only_attributes_allowed: true,
        };
        let read = tfplugin6::read_resource::Request {
            type_name: "x_thing".into(),
            client_capabilities: both_capabilities(),
            ..Default::default()
        }
        .from_proto();
        assert_eq!(read.client_capabilities, all);
        let plan = tfplugin6::plan_resource_change::Request {
            client_capabilities: Some(tfplugin6::ClientCapabilities {
                deferral_allowed: true,
                write_only_attributes_allowed: false,
            }),
            ..Default::default()
        }
        .from_proto();
        assert!(plan.client_capabilities.deferral_allowed);
        assert!(!plan.client_capabilities.write_only_attributes_allowed);
        let configure = tfplugin6::configure_provider::Request {
            client_capabilities: both_capabilities(),
            ..Default::default()
        }
        .from_proto();
        assert_eq!(configure.client_capabilities, all);
        // A core that sends no capabilities allows nothing.
        let import = tfplugin6::import_resource_state::Request::default().from_proto();
        assert_eq!(import.client_capabilities, ClientCapabilities::default());
    }

    #[test]
    fn unsupported_requests_keep_the_name_they_are_about() {
        let call = tfplugin6::call_function::Request {
            name: "parse_arn".into(),
            arguments: vec![],
        };
        assert_eq!(call.type_name(), "parse_arn");
        assert_eq!(call.from_proto().type_name, "parse_arn");
        let action = tfplugin6::plan_action::Request {
            action_type: "x_reboot".into(),
            ..Default::default()
        };
        assert_eq!(action.from_proto().type_name, "x_reboot");
    }
}
