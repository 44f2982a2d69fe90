//! Wire requests to provider-facing requests (terraform-plugin-go's
//! `internal/fromproto`).
//!
//! Every wire field is read, or ignored with the reason written next to it.
//! The requests the provider acts on are destructured in full, so a field
//! added to `proto/` does not compile here until someone decides what it
//! means.

use tonic::Streaming;

use crate::tfprotov6::{
    ActionRequest, ApplyResourceChangeRequest, ClientCapabilities, ConfigureProviderRequest,
    DynamicValue, EmptyRequest, GenerateResourceConfigRequest, ImportResourceStateRequest,
    ListResourceRequest, PlanResourceChangeRequest, ReadDataSourceRequest, ReadResourceRequest,
    UnsupportedRequest, UpgradeResourceIdentityRequest, UpgradeResourceStateRequest,
    ValidateActionConfigRequest, ValidateConfigRequest, ValidateListResourceConfigRequest,
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
    fn convert(self) -> Self::Request;
}

/// A wire value: msgpack when present, else JSON, else null.
fn dynamic(v: Option<tfplugin6::DynamicValue>) -> DynamicValue {
    match v {
        Some(v) if !v.msgpack.is_empty() => DynamicValue::Msgpack(v.msgpack),
        Some(v) if !v.json.is_empty() => DynamicValue::Json(v.json),
        _ => DynamicValue::null(),
    }
}

/// A wire identity: `None` when the core sent none (a core without
/// resource identity, or state written before it).
fn identity_data(v: Option<tfplugin6::ResourceIdentityData>) -> Option<DynamicValue> {
    v.and_then(|v| v.identity_data)
        .filter(|v| !v.msgpack.is_empty() || !v.json.is_empty())
        .map(|v| dynamic(Some(v)))
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
            fn convert(self) -> EmptyRequest {
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
            fn convert(self) -> UnsupportedRequest {
                UnsupportedRequest { type_name: self.$name }
            }
        }
    )*};
}

unsupported_requests!(
    // The type the state would move into is the one this provider serves.
    tfplugin6::move_resource_state::Request => target_type_name,
    tfplugin6::validate_ephemeral_resource_config::Request => type_name,
    tfplugin6::open_ephemeral_resource::Request => type_name,
    tfplugin6::renew_ephemeral_resource::Request => type_name,
    tfplugin6::close_ephemeral_resource::Request => type_name,
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

/// The requests the provider acts on, one row each: the provider-facing
/// type, the field the trace names (`about`), every wire field that is read
/// (with its converter, if any) and every field that is ignored, with the
/// reason. The wire request is destructured in full, so a field added to
/// `proto/` fails to compile until its row says what it means.
macro_rules! requests {
    ($(
        $rpc:ident => $out:ident $(about $name:ident)? {
            $($field:ident $(: $conv:ident)?,)*
        } $(ignoring { $($ignored:ident,)* })?;
    )*) => {$(
        impl FromProto for tfplugin6::$rpc::Request {
            type Request = $out;
            fn type_name(&self) -> &str {
                requests!(@name self $($name)?)
            }
            fn convert(self) -> $out {
                let tfplugin6::$rpc::Request { $($field,)* $($($ignored: _,)*)? } = self;
                $out { $($field: requests!(@conv $field $($conv)?),)* }
            }
        }
    )*};
    (@name $self:tt) => { "" };
    (@name $self:tt $name:ident) => { &$self.$name };
    (@conv $field:ident) => { $field };
    (@conv $field:ident $conv:ident) => { $conv($field) };
}

requests! {
    validate_provider_config => ValidateProviderConfigRequest {
        config: dynamic,
    };
    configure_provider => ConfigureProviderRequest {
        terraform_version,
        config: dynamic,
        client_capabilities: capabilities,
    };
    validate_resource_config => ValidateConfigRequest about type_name {
        type_name,
        config: dynamic,
        client_capabilities: capabilities,
    };
    read_resource => ReadResourceRequest about type_name {
        type_name,
        current_state: dynamic,
        private,
        client_capabilities: capabilities,
        current_identity: identity_data,
    } ignoring {
        // No provider_meta schema is served, so the core sends none.
        provider_meta,
    };
    plan_resource_change => PlanResourceChangeRequest about type_name {
        type_name,
        prior_state: dynamic,
        proposed_new_state: dynamic,
        config: dynamic,
        prior_private,
        client_capabilities: capabilities,
        prior_identity: identity_data,
    } ignoring {
        // No provider_meta schema is served, so the core sends none.
        provider_meta,
    };
    // The wire request carries no client capabilities.
    apply_resource_change => ApplyResourceChangeRequest about type_name {
        type_name,
        prior_state: dynamic,
        planned_state: dynamic,
        config: dynamic,
        planned_private,
        planned_identity: identity_data,
    } ignoring {
        // No provider_meta schema is served, so the core sends none.
        provider_meta,
    };
    import_resource_state => ImportResourceStateRequest about type_name {
        type_name,
        id,
        client_capabilities: capabilities,
        identity: identity_data,
    };
    generate_resource_config => GenerateResourceConfigRequest about type_name {
        type_name,
        state: dynamic,
    };
    list_resource => ListResourceRequest about type_name {
        type_name,
        config: dynamic,
        include_resource_object,
        limit,
    };
    validate_list_resource_config => ValidateListResourceConfigRequest about type_name {
        type_name,
        config: dynamic,
        include_resource_object: dynamic,
        limit: dynamic,
    };
    validate_action_config => ValidateActionConfigRequest about type_name {
        type_name,
        config: dynamic,
    };
    plan_action => ActionRequest about action_type {
        action_type,
        config: dynamic,
        client_capabilities: capabilities,
    };
    invoke_action => ActionRequest about action_type {
        action_type,
        config: dynamic,
        client_capabilities: capabilities,
    };
    read_data_source => ReadDataSourceRequest about type_name {
        type_name,
        config: dynamic,
        client_capabilities: capabilities,
    } ignoring {
        // No provider_meta schema is served, so the core sends none.
        provider_meta,
    };
}

impl FromProto for tfplugin6::validate_data_resource_config::Request {
    type Request = ValidateConfigRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn convert(self) -> ValidateConfigRequest {
        let Self { type_name, config } = self;
        ValidateConfigRequest {
            type_name,
            config: dynamic(config),
            // This wire request carries no capabilities.
            client_capabilities: ClientCapabilities::default(),
        }
    }
}

impl FromProto for tfplugin6::upgrade_resource_identity::Request {
    type Request = UpgradeResourceIdentityRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn convert(self) -> UpgradeResourceIdentityRequest {
        let Self {
            type_name,
            version,
            raw_identity,
        } = self;
        UpgradeResourceIdentityRequest {
            type_name,
            version,
            // Identities are stored as JSON only (no flatmap form exists).
            raw_identity_json: raw_identity.map(|r| r.json).unwrap_or_default(),
        }
    }
}

impl FromProto for tfplugin6::upgrade_resource_state::Request {
    type Request = UpgradeResourceStateRequest;
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn convert(self) -> UpgradeResourceStateRequest {
        let Self {
            type_name,
            version,
            raw_state,
        } = self;
        UpgradeResourceStateRequest {
            type_name,
            version,
            // `flatmap` is the state format of Terraform before 0.12; every
            // core that speaks protocol 6 sends `json`.
            raw_state_json: raw_state.map(|r| r.json).unwrap_or_default(),
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
        .convert();
        assert_eq!(read.client_capabilities, all);
        let plan = tfplugin6::plan_resource_change::Request {
            client_capabilities: Some(tfplugin6::ClientCapabilities {
                deferral_allowed: true,
                write_only_attributes_allowed: false,
            }),
            ..Default::default()
        }
        .convert();
        assert!(plan.client_capabilities.deferral_allowed);
        assert!(!plan.client_capabilities.write_only_attributes_allowed);
        let configure = tfplugin6::configure_provider::Request {
            client_capabilities: both_capabilities(),
            ..Default::default()
        }
        .convert();
        assert_eq!(configure.client_capabilities, all);
        // A core that sends no capabilities allows nothing.
        let import = tfplugin6::import_resource_state::Request::default().convert();
        assert_eq!(import.client_capabilities, ClientCapabilities::default());
    }

    #[test]
    fn identities_reach_the_provider_and_absent_ones_stay_absent() {
        let data = |msgpack: Vec<u8>| {
            Some(tfplugin6::ResourceIdentityData {
                identity_data: Some(tfplugin6::DynamicValue {
                    msgpack,
                    json: vec![],
                }),
            })
        };
        let read = tfplugin6::read_resource::Request {
            current_identity: data(vec![0x80]),
            ..Default::default()
        }
        .convert();
        assert_eq!(
            read.current_identity,
            Some(DynamicValue::Msgpack(vec![0x80]))
        );
        // Cores without identity send no message, or an empty one.
        let plan = tfplugin6::plan_resource_change::Request::default().convert();
        assert_eq!(plan.prior_identity, None);
        let import = tfplugin6::import_resource_state::Request {
            identity: data(vec![]),
            ..Default::default()
        }
        .convert();
        assert_eq!(import.identity, None);
        let list = tfplugin6::list_resource::Request {
            type_name: "x".into(),
            include_resource_object: true,
            limit: 7,
            ..Default::default()
        }
        .convert();
        assert_eq!((list.include_resource_object, list.limit), (true, 7));
    }

    #[test]
    fn unsupported_requests_keep_the_name_they_are_about() {
        let call = tfplugin6::call_function::Request {
            name: "parse_arn".into(),
            arguments: vec![],
        };
        assert_eq!(call.type_name(), "parse_arn");
        assert_eq!(call.convert().type_name, "parse_arn");
        let store = tfplugin6::lock_state::Request {
            type_name: "x_store".into(),
            ..Default::default()
        };
        assert_eq!(store.convert().type_name, "x_store");
    }
}
