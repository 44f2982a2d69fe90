//! Provider-facing responses to wire responses (terraform-plugin-go's
//! `internal/toproto`).
//!
//! Every wire field is set explicitly, with the reason where it is always
//! empty; the struct literals list all fields, so a field added to
//! `proto/` does not compile here until it is decided.

use crate::tfprotov6::value::PathStep;
use crate::tfprotov6::{
    ApplyResourceChangeResponse, AttributePath, Block, Diagnostics, DynamicValue,
    GenerateResourceConfigResponse, GetMetadataResponse, GetProviderSchemaResponse,
    GetResourceIdentitySchemasResponse, IdentitySchema, ImportResourceStateResponse,
    InvokeActionEvent, ListResourceEvent, Nesting, PlanResourceChangeResponse,
    ReadDataSourceResponse, ReadResourceResponse, Schema, ServerCapabilities, Severity,
    UpgradeResourceIdentityResponse, UpgradeResourceStateResponse,
};
use crate::wire::tfplugin6;

fn dynamic(v: Option<DynamicValue>) -> Option<tfplugin6::DynamicValue> {
    v.map(|v| match v {
        DynamicValue::Msgpack(msgpack) => tfplugin6::DynamicValue {
            msgpack,
            json: Vec::new(),
        },
        DynamicValue::Json(json) => tfplugin6::DynamicValue {
            msgpack: Vec::new(),
            json,
        },
    })
}

fn identity(v: Option<DynamicValue>) -> Option<tfplugin6::ResourceIdentityData> {
    v.map(|v| tfplugin6::ResourceIdentityData {
        identity_data: dynamic(Some(v)),
    })
}

fn path(p: &AttributePath) -> tfplugin6::AttributePath {
    use tfplugin6::attribute_path::step::Selector;
    tfplugin6::AttributePath {
        steps: p
            .steps
            .iter()
            .map(|s| tfplugin6::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(n) => Selector::AttributeName(n.clone()),
                    PathStep::ElementKeyString(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::ElementKeyInt(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub(super) fn diagnostics(d: Diagnostics) -> Vec<tfplugin6::Diagnostic> {
    d.0.into_iter()
        .map(|d| tfplugin6::Diagnostic {
            severity: match d.severity {
                Severity::Error => tfplugin6::diagnostic::Severity::Error,
                Severity::Warning => tfplugin6::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary,
            detail: d.detail,
            // The root path means "no attribute": Terraform then points at
            // the whole block.
            attribute: d.attribute.as_ref().filter(|p| !p.is_root()).map(path),
        })
        .collect()
}

fn capabilities(c: ServerCapabilities) -> Option<tfplugin6::ServerCapabilities> {
    let ServerCapabilities {
        plan_destroy,
        get_provider_schema_optional,
        move_resource_state,
        generate_resource_config,
    } = c;
    Some(tfplugin6::ServerCapabilities {
        plan_destroy,
        get_provider_schema_optional,
        move_resource_state,
        generate_resource_config,
    })
}

fn attribute(a: &crate::tfprotov6::Attribute) -> tfplugin6::schema::Attribute {
    tfplugin6::schema::Attribute {
        name: a.name.clone(),
        r#type: a.ty.to_json(),
        // Nested attribute types are not modelled: blocks serve instead.
        nested_type: None,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: tfplugin6::StringKind::Markdown as i32,
        // Deprecated and write-only attributes are not modelled.
        deprecated: false,
        write_only: false,
        deprecation_message: String::new(),
    }
}

fn block(b: &Block) -> tfplugin6::schema::Block {
    tfplugin6::schema::Block {
        // The version belongs to the schema; `schema` copies it here.
        version: 0,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b
            .blocks
            .iter()
            .map(|n| tfplugin6::schema::NestedBlock {
                type_name: n.type_name.clone(),
                block: Some(block(&n.block)),
                nesting: match n.nesting {
                    Nesting::Single => tfplugin6::schema::nested_block::NestingMode::Single,
                    Nesting::List => tfplugin6::schema::nested_block::NestingMode::List,
                    Nesting::Set => tfplugin6::schema::nested_block::NestingMode::Set,
                } as i32,
                min_items: n.min_items,
                max_items: n.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: tfplugin6::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        // A deprecation message is not modelled; `deprecated` says it all.
        deprecation_message: String::new(),
    }
}

fn schema(s: &Schema) -> tfplugin6::Schema {
    let mut block = block(&s.block);
    block.version = s.version;
    tfplugin6::Schema {
        version: s.version,
        block: Some(block),
    }
}

fn identity_schema(s: &IdentitySchema) -> tfplugin6::ResourceIdentitySchema {
    tfplugin6::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| tfplugin6::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json(),
                required_for_import: a.required_for_import,
                optional_for_import: a.optional_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

impl From<GetMetadataResponse> for tfplugin6::get_metadata::Response {
    fn from(r: GetMetadataResponse) -> Self {
        Self {
            server_capabilities: capabilities(r.server_capabilities),
            diagnostics: diagnostics(r.diagnostics),
            data_sources: r
                .data_sources
                .into_iter()
                .map(|type_name| tfplugin6::get_metadata::DataSourceMetadata { type_name })
                .collect(),
            resources: r
                .resources
                .into_iter()
                .map(|type_name| tfplugin6::get_metadata::ResourceMetadata { type_name })
                .collect(),
            list_resources: r
                .list_resources
                .into_iter()
                .map(|type_name| tfplugin6::get_metadata::ListResourceMetadata { type_name })
                .collect(),
            actions: r
                .actions
                .into_iter()
                .map(|type_name| tfplugin6::get_metadata::ActionMetadata { type_name })
                .collect(),
            // The trait serves none of these kinds (see its default methods).
            functions: Vec::new(),
            ephemeral_resources: Vec::new(),
            state_stores: Vec::new(),
        }
    }
}

impl From<GetProviderSchemaResponse> for tfplugin6::get_provider_schema::Response {
    fn from(r: GetProviderSchemaResponse) -> Self {
        let GetProviderSchemaResponse {
            server_capabilities,
            provider,
            resources,
            data_sources,
            list_resources,
            actions,
            diagnostics: d,
        } = r;
        Self {
            provider: provider.as_ref().map(schema),
            resource_schemas: resources
                .iter()
                .map(|(k, v)| (k.clone(), schema(v)))
                .collect(),
            data_source_schemas: data_sources
                .iter()
                .map(|(k, v)| (k.clone(), schema(v)))
                .collect(),
            diagnostics: diagnostics(d),
            // No provider_meta block is modelled.
            provider_meta: None,
            server_capabilities: capabilities(server_capabilities),
            list_resource_schemas: list_resources
                .iter()
                .map(|(k, v)| (k.clone(), schema(v)))
                .collect(),
            action_schemas: actions
                .iter()
                .map(|(k, v)| {
                    let schema = Some(schema(v));
                    (k.clone(), tfplugin6::ActionSchema { schema })
                })
                .collect(),
            // The trait serves none of these kinds (see its default methods).
            functions: Default::default(),
            ephemeral_resource_schemas: Default::default(),
            state_store_schemas: Default::default(),
        }
    }
}

impl From<UpgradeResourceStateResponse> for tfplugin6::upgrade_resource_state::Response {
    fn from(r: UpgradeResourceStateResponse) -> Self {
        Self {
            upgraded_state: dynamic(r.upgraded_state),
            diagnostics: diagnostics(r.diagnostics),
        }
    }
}

impl From<ReadResourceResponse> for tfplugin6::read_resource::Response {
    fn from(r: ReadResourceResponse) -> Self {
        Self {
            new_state: dynamic(r.new_state),
            diagnostics: diagnostics(r.diagnostics),
            private: r.private,
            // The trait has no deferral: every answer is final.
            deferred: None,
            new_identity: identity(r.new_identity),
        }
    }
}

impl From<PlanResourceChangeResponse> for tfplugin6::plan_resource_change::Response {
    fn from(r: PlanResourceChangeResponse) -> Self {
        Self {
            planned_state: dynamic(r.planned_state),
            requires_replace: r.requires_replace.iter().map(path).collect(),
            planned_private: r.planned_private,
            diagnostics: diagnostics(r.diagnostics),
            // Reserved for the legacy Go SDK; must stay false.
            legacy_type_system: false,
            // The trait has no deferral: every answer is final.
            deferred: None,
            planned_identity: identity(r.planned_identity),
        }
    }
}

impl From<ApplyResourceChangeResponse> for tfplugin6::apply_resource_change::Response {
    fn from(r: ApplyResourceChangeResponse) -> Self {
        Self {
            new_state: dynamic(r.new_state),
            private: r.private,
            diagnostics: diagnostics(r.diagnostics),
            // Reserved for the legacy Go SDK; must stay false.
            legacy_type_system: false,
            new_identity: identity(r.new_identity),
        }
    }
}

impl From<ImportResourceStateResponse> for tfplugin6::import_resource_state::Response {
    fn from(r: ImportResourceStateResponse) -> Self {
        Self {
            imported_resources: r
                .imported
                .into_iter()
                .map(|r| tfplugin6::import_resource_state::ImportedResource {
                    type_name: r.type_name,
                    state: dynamic(Some(r.state)),
                    private: r.private,
                    identity: identity(r.identity),
                })
                .collect(),
            diagnostics: diagnostics(r.diagnostics),
            // The trait has no deferral: every answer is final.
            deferred: None,
        }
    }
}

impl From<ReadDataSourceResponse> for tfplugin6::read_data_source::Response {
    fn from(r: ReadDataSourceResponse) -> Self {
        Self {
            state: dynamic(r.state),
            diagnostics: diagnostics(r.diagnostics),
            // The trait has no deferral: every answer is final.
            deferred: None,
        }
    }
}

impl From<Option<String>> for tfplugin6::stop_provider::Response {
    fn from(error: Option<String>) -> Self {
        // An empty text means "stopped".
        Self {
            error: error.unwrap_or_default(),
        }
    }
}

/// Responses whose provider-facing form is only diagnostics. Every other
/// field is set to the value given in the row, with the reason beside it.
macro_rules! from_diagnostics {
    ($($rpc:ident::$msg:ident { $($field:ident: $value:expr),* $(,)? }),* $(,)?) => {$(
        impl From<Diagnostics> for tfplugin6::$rpc::$msg {
            fn from(d: Diagnostics) -> Self {
                Self {
                    diagnostics: diagnostics(d),
                    $($field: $value,)*
                }
            }
        }
    )*};
}

from_diagnostics!(
    validate_provider_config::Response {},
    configure_provider::Response {},
    validate_resource_config::Response {},
    validate_data_resource_config::Response {},
    validate_list_resource_config::Response {},
    validate_action_config::Response {},
    plan_action::Response {
        // The trait has no deferral: every answer is final.
        deferred: None
    },
    // The default methods: nothing to list, moved, opened, renewed, read,
    // locked or configured.
    get_functions::Response {
        functions: Default::default()
    },
    move_resource_state::Response {
        target_state: None,
        target_private: Vec::new(),
        target_identity: None,
    },
    validate_ephemeral_resource_config::Response {},
    open_ephemeral_resource::Response {
        renew_at: None,
        result: None,
        private: None,
        deferred: None,
    },
    renew_ephemeral_resource::Response {
        renew_at: None,
        private: None
    },
    close_ephemeral_resource::Response {},
    validate_state_store::Response {},
    configure_state_store::Response { capabilities: None },
    read_state_bytes::Response {
        bytes: Vec::new(),
        total_length: 0,
        range: None
    },
    write_state_bytes::Response {},
    lock_state::Response {
        lock_id: String::new()
    },
    unlock_state::Response {},
    get_states::Response {
        state_id: Vec::new()
    },
    delete_state::Response {},
);

impl From<GetResourceIdentitySchemasResponse>
    for tfplugin6::get_resource_identity_schemas::Response
{
    fn from(r: GetResourceIdentitySchemasResponse) -> Self {
        Self {
            identity_schemas: r
                .identity_schemas
                .iter()
                .map(|(k, v)| (k.clone(), identity_schema(v)))
                .collect(),
            diagnostics: diagnostics(r.diagnostics),
        }
    }
}

impl From<UpgradeResourceIdentityResponse> for tfplugin6::upgrade_resource_identity::Response {
    fn from(r: UpgradeResourceIdentityResponse) -> Self {
        Self {
            upgraded_identity: identity(r.upgraded_identity),
            diagnostics: diagnostics(r.diagnostics),
        }
    }
}

impl From<GenerateResourceConfigResponse> for tfplugin6::generate_resource_config::Response {
    fn from(r: GenerateResourceConfigResponse) -> Self {
        Self {
            config: dynamic(r.config),
            diagnostics: diagnostics(r.diagnostics),
        }
    }
}

impl From<ListResourceEvent> for tfplugin6::list_resource::Event {
    fn from(e: ListResourceEvent) -> Self {
        Self {
            identity: identity(e.identity),
            display_name: e.display_name,
            resource_object: dynamic(e.resource_object),
            diagnostic: diagnostics(e.diagnostics),
        }
    }
}

impl From<InvokeActionEvent> for tfplugin6::invoke_action::Event {
    fn from(e: InvokeActionEvent) -> Self {
        use tfplugin6::invoke_action::event::{Completed, Progress, Type};
        Self {
            r#type: Some(match e {
                InvokeActionEvent::Progress(message) => Type::Progress(Progress { message }),
                InvokeActionEvent::Completed(d) => Type::Completed(Completed {
                    diagnostics: diagnostics(d),
                }),
            }),
        }
    }
}

impl From<Diagnostics> for tfplugin6::call_function::Response {
    /// Functions report a single error text, not diagnostics: the
    /// diagnostics are joined into it.
    fn from(d: Diagnostics) -> Self {
        let text = d
            .iter()
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            result: None,
            error: (!text.is_empty()).then_some(tfplugin6::FunctionError {
                text,
                function_argument: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfprotov6::Diagnostic;

    #[test]
    fn diagnostics_keep_severity_and_path() {
        let d: Diagnostics = Diagnostic::error("s", "d")
            .with_attribute(AttributePath::attr("key_arn"))
            .into();
        let out = diagnostics(d);
        assert_eq!(
            out[0].severity,
            tfplugin6::diagnostic::Severity::Error as i32
        );
        let steps = &out[0].attribute.as_ref().map(|a| a.steps.clone());
        assert_eq!(
            steps
                .as_deref()
                .and_then(|s| s.first())
                .map(|s| s.selector.clone()),
            Some(Some(
                tfplugin6::attribute_path::step::Selector::AttributeName("key_arn".into())
            ))
        );
    }

    #[test]
    fn identity_schemas_and_list_events_keep_every_field() {
        use crate::tfprotov6::{IdentityAttribute, Type};
        let schema = IdentitySchema {
            version: 2,
            attributes: vec![IdentityAttribute {
                name: "cluster_name".into(),
                ty: Type::String,
                required_for_import: true,
                optional_for_import: false,
                description: "d".into(),
            }],
        };
        let out = identity_schema(&schema);
        assert_eq!(out.version, 2);
        let a = &out.identity_attributes[0];
        assert_eq!(
            (
                a.name.as_str(),
                a.r#type.as_slice(),
                a.required_for_import,
                a.optional_for_import
            ),
            ("cluster_name", &b"\"string\""[..], true, false)
        );

        let event = tfplugin6::list_resource::Event::from(ListResourceEvent {
            identity: Some(DynamicValue::Msgpack(vec![0x80])),
            display_name: "prod".into(),
            resource_object: None,
            diagnostics: Diagnostics::new(),
        });
        let id = event
            .identity
            .and_then(|i| i.identity_data)
            .map(|d| d.msgpack);
        assert_eq!(id, Some(vec![0x80]));
        assert_eq!(event.display_name, "prod");
        assert!(event.resource_object.is_none() && event.diagnostic.is_empty());

        let progress =
            tfplugin6::invoke_action::Event::from(InvokeActionEvent::Progress("x".into()));
        assert!(matches!(
            progress.r#type,
            Some(tfplugin6::invoke_action::event::Type::Progress(p)) if p.message == "x"
        ));
    }

    #[test]
    fn function_errors_carry_the_diagnostic_text() {
        let d: Diagnostics = Diagnostic::error("CallFunction is not supported", "why").into();
        let out = tfplugin6::call_function::Response::from(d);
        let error = out.error.map(|e| e.text).unwrap_or_default();
        assert_eq!(error, "CallFunction is not supported: why");
        assert!(tfplugin6::call_function::Response::from(Diagnostics::new())
            .error
            .is_none());
    }
}
