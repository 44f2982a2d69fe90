//! The tfplugin6 `Provider` service: converts wire messages into the
//! provider-facing types of [`crate::tfprotov6`], calls the provider and
//! converts the answer back. No provider logic lives here.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures::Stream;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument as _;

use super::MAX_MESSAGE_SIZE;
use crate::tfprotov6 as pf;
use crate::tfprotov6::value::PathStep;
use crate::wire::tfplugin6 as w;
use w::provider_server::{Provider, ProviderServer as WireServer};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Wraps a provider in the generated tonic service, with Terraform's
/// message size limits.
pub(super) fn service<P: pf::ProviderServer>(provider: P) -> WireServer<Adapter<P>> {
    WireServer::new(Adapter {
        provider: Arc::new(provider),
    })
    .max_decoding_message_size(MAX_MESSAGE_SIZE)
    .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// The adapter between the wire and a [`pf::ProviderServer`].
pub(super) struct Adapter<P> {
    provider: Arc<P>,
}

/// The capabilities we advertise: destroy plans go through
/// PlanResourceChange (the deletion guard needs it) and Terraform may skip
/// GetProviderSchema when it has cached schemas.
fn server_capabilities() -> w::ServerCapabilities {
    w::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

// ---- conversions -----------------------------------------------------------

fn dynamic_in(v: Option<w::DynamicValue>) -> pf::DynamicValue {
    match v {
        Some(v) if !v.msgpack.is_empty() => pf::DynamicValue::Msgpack(v.msgpack),
        Some(v) if !v.json.is_empty() => pf::DynamicValue::Json(v.json),
        _ => pf::DynamicValue::null(),
    }
}

fn dynamic_out(v: Option<pf::DynamicValue>) -> Option<w::DynamicValue> {
    v.map(|v| match v {
        pf::DynamicValue::Msgpack(msgpack) => w::DynamicValue {
            msgpack,
            json: Vec::new(),
        },
        pf::DynamicValue::Json(json) => w::DynamicValue {
            msgpack: Vec::new(),
            json,
        },
    })
}

fn path_out(p: &pf::AttributePath) -> w::AttributePath {
    use w::attribute_path::step::Selector;
    w::AttributePath {
        steps: p
            .steps
            .iter()
            .map(|s| w::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attribute(n) => Selector::AttributeName(n.clone()),
                    PathStep::ElementKeyString(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::ElementKeyInt(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

fn diagnostics_out(d: pf::Diagnostics) -> Vec<w::Diagnostic> {
    d.0.into_iter()
        .map(|d| w::Diagnostic {
            severity: match d.severity {
                pf::Severity::Error => w::diagnostic::Severity::Error,
                pf::Severity::Warning => w::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary,
            detail: d.detail,
            attribute: d.attribute.as_ref().filter(|p| !p.is_root()).map(path_out),
        })
        .collect()
}

fn block_out(b: &pf::Block) -> w::schema::Block {
    w::schema::Block {
        version: 0,
        attributes: b
            .attributes
            .iter()
            .map(|a| w::schema::Attribute {
                name: a.name.clone(),
                r#type: a.ty.to_json(),
                nested_type: None,
                description: a.description.clone(),
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description_kind: w::StringKind::Markdown as i32,
                deprecated: false,
                write_only: false,
                deprecation_message: String::new(),
            })
            .collect(),
        block_types: b
            .blocks
            .iter()
            .map(|n| w::schema::NestedBlock {
                type_name: n.type_name.clone(),
                block: Some(block_out(&n.block)),
                nesting: match n.nesting {
                    pf::Nesting::Single => w::schema::nested_block::NestingMode::Single,
                    pf::Nesting::List => w::schema::nested_block::NestingMode::List,
                    pf::Nesting::Set => w::schema::nested_block::NestingMode::Set,
                } as i32,
                min_items: n.min_items,
                max_items: n.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: w::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        deprecation_message: String::new(),
    }
}

fn schema_out(s: &pf::Schema) -> w::Schema {
    let mut block = block_out(&s.block);
    block.version = s.version;
    w::Schema {
        version: s.version,
        block: Some(block),
    }
}

/// A diagnostic for RPCs about kinds of things this provider has none of.
fn unsupported(kind: &str, name: &str) -> Vec<w::Diagnostic> {
    diagnostics_out(
        pf::Diagnostic::error(
            format!("Unsupported {kind}"),
            format!(
                "The eks provider has no {kind} named {name:?}; it serves only the \
                 eks_encryption_config resource and data source."
            ),
        )
        .into(),
    )
}

/// Runs one RPC inside a span, logging its duration.
async fn traced<T, F: std::future::Future<Output = T>>(
    rpc: &'static str,
    type_name: &str,
    f: F,
) -> T {
    let span = tracing::debug_span!("rpc", tf_rpc = rpc, tf_resource_type = type_name);
    async move {
        let start = Instant::now();
        tracing::debug!("received request");
        let out = f.await;
        tracing::debug!(
            duration_ms = start.elapsed().as_millis() as u64,
            "served request"
        );
        out
    }
    .instrument(span)
    .await
}

// ---- the service -------------------------------------------------------------

#[tonic::async_trait]
impl<P: pf::ProviderServer> Provider for Adapter<P> {
    async fn get_metadata(
        &self,
        _req: Request<w::get_metadata::Request>,
    ) -> Result<Response<w::get_metadata::Response>, Status> {
        let schema = self.provider.schema();
        Ok(Response::new(w::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: diagnostics_out(schema.diagnostics),
            data_sources: schema
                .data_sources
                .keys()
                .map(|k| w::get_metadata::DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            resources: schema
                .resources
                .keys()
                .map(|k| w::get_metadata::ResourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<w::get_provider_schema::Request>,
    ) -> Result<Response<w::get_provider_schema::Response>, Status> {
        let schema = self.provider.schema();
        Ok(Response::new(w::get_provider_schema::Response {
            provider: schema.provider.as_ref().map(schema_out),
            resource_schemas: schema
                .resources
                .iter()
                .map(|(k, v)| (k.clone(), schema_out(v)))
                .collect(),
            data_source_schemas: schema
                .data_sources
                .iter()
                .map(|(k, v)| (k.clone(), schema_out(v)))
                .collect(),
            diagnostics: diagnostics_out(schema.diagnostics),
            server_capabilities: Some(server_capabilities()),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<w::validate_provider_config::Request>,
    ) -> Result<Response<w::validate_provider_config::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ValidateProviderConfig",
            "",
            self.provider
                .validate_provider_config(pf::ValidateProviderConfigRequest {
                    config: dynamic_in(req.config),
                }),
        )
        .await;
        Ok(Response::new(w::validate_provider_config::Response {
            diagnostics: diagnostics_out(diags),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<w::validate_resource_config::Request>,
    ) -> Result<Response<w::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ValidateResourceConfig",
            &req.type_name.clone(),
            self.provider
                .validate_resource_config(pf::ValidateConfigRequest {
                    type_name: req.type_name,
                    config: dynamic_in(req.config),
                }),
        )
        .await;
        Ok(Response::new(w::validate_resource_config::Response {
            diagnostics: diagnostics_out(diags),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<w::validate_data_resource_config::Request>,
    ) -> Result<Response<w::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ValidateDataResourceConfig",
            &req.type_name.clone(),
            self.provider
                .validate_data_resource_config(pf::ValidateConfigRequest {
                    type_name: req.type_name,
                    config: dynamic_in(req.config),
                }),
        )
        .await;
        Ok(Response::new(w::validate_data_resource_config::Response {
            diagnostics: diagnostics_out(diags),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<w::upgrade_resource_state::Request>,
    ) -> Result<Response<w::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let resp = traced(
            "UpgradeResourceState",
            &req.type_name.clone(),
            self.provider
                .upgrade_resource_state(pf::UpgradeResourceStateRequest {
                    type_name: req.type_name,
                    version: req.version,
                    raw_state_json: req.raw_state.map(|r| r.json).unwrap_or_default(),
                }),
        )
        .await;
        Ok(Response::new(w::upgrade_resource_state::Response {
            upgraded_state: dynamic_out(resp.upgraded_state),
            diagnostics: diagnostics_out(resp.diagnostics),
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _req: Request<w::get_resource_identity_schemas::Request>,
    ) -> Result<Response<w::get_resource_identity_schemas::Response>, Status> {
        // No resource identities: an empty map is the correct answer.
        Ok(Response::new(Default::default()))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<w::upgrade_resource_identity::Request>,
    ) -> Result<Response<w::upgrade_resource_identity::Response>, Status> {
        Ok(Response::new(w::upgrade_resource_identity::Response {
            upgraded_identity: None,
            diagnostics: unsupported("resource identity", &req.into_inner().type_name),
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<w::configure_provider::Request>,
    ) -> Result<Response<w::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let diags = traced(
            "ConfigureProvider",
            "",
            self.provider
                .configure_provider(pf::ConfigureProviderRequest {
                    terraform_version: req.terraform_version,
                    config: dynamic_in(req.config),
                }),
        )
        .await;
        Ok(Response::new(w::configure_provider::Response {
            diagnostics: diagnostics_out(diags),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<w::read_resource::Request>,
    ) -> Result<Response<w::read_resource::Response>, Status> {
        let req = req.into_inner();
        let resp = traced(
            "ReadResource",
            &req.type_name.clone(),
            self.provider.read_resource(pf::ReadResourceRequest {
                type_name: req.type_name,
                current_state: dynamic_in(req.current_state),
                private: req.private,
            }),
        )
        .await;
        Ok(Response::new(w::read_resource::Response {
            new_state: dynamic_out(resp.new_state),
            diagnostics: diagnostics_out(resp.diagnostics),
            private: resp.private,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<w::plan_resource_change::Request>,
    ) -> Result<Response<w::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let resp = traced(
            "PlanResourceChange",
            &req.type_name.clone(),
            self.provider
                .plan_resource_change(pf::PlanResourceChangeRequest {
                    type_name: req.type_name,
                    prior_state: dynamic_in(req.prior_state),
                    proposed_new_state: dynamic_in(req.proposed_new_state),
                    config: dynamic_in(req.config),
                    prior_private: req.prior_private,
                }),
        )
        .await;
        Ok(Response::new(w::plan_resource_change::Response {
            planned_state: dynamic_out(resp.planned_state),
            requires_replace: resp.requires_replace.iter().map(path_out).collect(),
            planned_private: resp.planned_private,
            diagnostics: diagnostics_out(resp.diagnostics),
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<w::apply_resource_change::Request>,
    ) -> Result<Response<w::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let resp = traced(
            "ApplyResourceChange",
            &req.type_name.clone(),
            self.provider
                .apply_resource_change(pf::ApplyResourceChangeRequest {
                    type_name: req.type_name,
                    prior_state: dynamic_in(req.prior_state),
                    planned_state: dynamic_in(req.planned_state),
                    config: dynamic_in(req.config),
                    planned_private: req.planned_private,
                }),
        )
        .await;
        Ok(Response::new(w::apply_resource_change::Response {
            new_state: dynamic_out(resp.new_state),
            private: resp.private,
            diagnostics: diagnostics_out(resp.diagnostics),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<w::import_resource_state::Request>,
    ) -> Result<Response<w::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let resp = traced(
            "ImportResourceState",
            &req.type_name.clone(),
            self.provider
                .import_resource_state(pf::ImportResourceStateRequest {
                    type_name: req.type_name,
                    id: req.id,
                }),
        )
        .await;
        Ok(Response::new(w::import_resource_state::Response {
            imported_resources: resp
                .imported
                .into_iter()
                .map(|r| w::import_resource_state::ImportedResource {
                    type_name: r.type_name,
                    state: dynamic_out(Some(r.state)),
                    private: r.private,
                    identity: None,
                })
                .collect(),
            diagnostics: diagnostics_out(resp.diagnostics),
            deferred: None,
        }))
    }

    async fn move_resource_state(
        &self,
        req: Request<w::move_resource_state::Request>,
    ) -> Result<Response<w::move_resource_state::Response>, Status> {
        let req = req.into_inner();
        Ok(Response::new(w::move_resource_state::Response {
            diagnostics: diagnostics_out(
                pf::Diagnostic::error(
                    "Moving resource state is not supported",
                    format!(
                        "eks_encryption_config cannot take over state from {} ({}). Import the \
                         cluster's encryption configuration instead: terraform import \
                         eks_encryption_config.NAME CLUSTER_NAME.",
                        req.source_type_name, req.source_provider_address
                    ),
                )
                .into(),
            ),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        req: Request<w::read_data_source::Request>,
    ) -> Result<Response<w::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let resp = traced(
            "ReadDataSource",
            &req.type_name.clone(),
            self.provider.read_data_source(pf::ReadDataSourceRequest {
                type_name: req.type_name,
                config: dynamic_in(req.config),
            }),
        )
        .await;
        Ok(Response::new(w::read_data_source::Response {
            state: dynamic_out(resp.state),
            diagnostics: diagnostics_out(resp.diagnostics),
            deferred: None,
        }))
    }

    async fn generate_resource_config(
        &self,
        req: Request<w::generate_resource_config::Request>,
    ) -> Result<Response<w::generate_resource_config::Response>, Status> {
        Ok(Response::new(w::generate_resource_config::Response {
            config: None,
            diagnostics: unsupported("config generation", &req.into_inner().type_name),
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<w::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<w::validate_ephemeral_resource_config::Response>, Status> {
        Ok(Response::new(
            w::validate_ephemeral_resource_config::Response {
                diagnostics: unsupported("ephemeral resource", &req.into_inner().type_name),
            },
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<w::open_ephemeral_resource::Request>,
    ) -> Result<Response<w::open_ephemeral_resource::Response>, Status> {
        Ok(Response::new(w::open_ephemeral_resource::Response {
            diagnostics: unsupported("ephemeral resource", &req.into_inner().type_name),
            ..Default::default()
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<w::renew_ephemeral_resource::Request>,
    ) -> Result<Response<w::renew_ephemeral_resource::Response>, Status> {
        Ok(Response::new(w::renew_ephemeral_resource::Response {
            diagnostics: unsupported("ephemeral resource", &req.into_inner().type_name),
            ..Default::default()
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<w::close_ephemeral_resource::Request>,
    ) -> Result<Response<w::close_ephemeral_resource::Response>, Status> {
        Ok(Response::new(w::close_ephemeral_resource::Response {
            diagnostics: unsupported("ephemeral resource", &req.into_inner().type_name),
        }))
    }

    type ListResourceStream = BoxStream<w::list_resource::Event>;

    async fn list_resource(
        &self,
        req: Request<w::list_resource::Request>,
    ) -> Result<Response<Self::ListResourceStream>, Status> {
        let event = w::list_resource::Event {
            diagnostic: unsupported("list resource", &req.into_inner().type_name),
            ..Default::default()
        };
        Ok(Response::new(Box::pin(futures::stream::iter([Ok(event)]))))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<w::validate_list_resource_config::Request>,
    ) -> Result<Response<w::validate_list_resource_config::Response>, Status> {
        Ok(Response::new(w::validate_list_resource_config::Response {
            diagnostics: unsupported("list resource", &req.into_inner().type_name),
        }))
    }

    async fn get_functions(
        &self,
        _req: Request<w::get_functions::Request>,
    ) -> Result<Response<w::get_functions::Response>, Status> {
        // No provider functions: an empty map.
        Ok(Response::new(Default::default()))
    }

    async fn call_function(
        &self,
        req: Request<w::call_function::Request>,
    ) -> Result<Response<w::call_function::Response>, Status> {
        Ok(Response::new(w::call_function::Response {
            result: None,
            error: Some(w::FunctionError {
                text: format!(
                    "The eks provider has no function named {:?}.",
                    req.into_inner().name
                ),
                function_argument: None,
            }),
        }))
    }

    async fn validate_state_store_config(
        &self,
        req: Request<w::validate_state_store::Request>,
    ) -> Result<Response<w::validate_state_store::Response>, Status> {
        Ok(Response::new(w::validate_state_store::Response {
            diagnostics: unsupported("state store", &req.into_inner().type_name),
        }))
    }

    async fn configure_state_store(
        &self,
        req: Request<w::configure_state_store::Request>,
    ) -> Result<Response<w::configure_state_store::Response>, Status> {
        Ok(Response::new(w::configure_state_store::Response {
            diagnostics: unsupported("state store", &req.into_inner().type_name),
            capabilities: None,
        }))
    }

    type ReadStateBytesStream = BoxStream<w::read_state_bytes::Response>;

    async fn read_state_bytes(
        &self,
        req: Request<w::read_state_bytes::Request>,
    ) -> Result<Response<Self::ReadStateBytesStream>, Status> {
        let resp = w::read_state_bytes::Response {
            diagnostics: unsupported("state store", &req.into_inner().type_name),
            ..Default::default()
        };
        Ok(Response::new(Box::pin(futures::stream::iter([Ok(resp)]))))
    }

    async fn write_state_bytes(
        &self,
        req: Request<Streaming<w::write_state_bytes::RequestChunk>>,
    ) -> Result<Response<w::write_state_bytes::Response>, Status> {
        let mut chunks = req.into_inner();
        let mut type_name = String::new();
        while let Ok(Some(chunk)) = chunks.message().await {
            if let Some(meta) = chunk.meta {
                type_name = meta.type_name;
            }
        }
        Ok(Response::new(w::write_state_bytes::Response {
            diagnostics: unsupported("state store", &type_name),
        }))
    }

    async fn lock_state(
        &self,
        req: Request<w::lock_state::Request>,
    ) -> Result<Response<w::lock_state::Response>, Status> {
        Ok(Response::new(w::lock_state::Response {
            lock_id: String::new(),
            diagnostics: unsupported("state store", &req.into_inner().type_name),
        }))
    }

    async fn unlock_state(
        &self,
        req: Request<w::unlock_state::Request>,
    ) -> Result<Response<w::unlock_state::Response>, Status> {
        Ok(Response::new(w::unlock_state::Response {
            diagnostics: unsupported("state store", &req.into_inner().type_name),
        }))
    }

    async fn get_states(
        &self,
        req: Request<w::get_states::Request>,
    ) -> Result<Response<w::get_states::Response>, Status> {
        Ok(Response::new(w::get_states::Response {
            state_id: Vec::new(),
            diagnostics: unsupported("state store", &req.into_inner().type_name),
        }))
    }

    async fn delete_state(
        &self,
        req: Request<w::delete_state::Request>,
    ) -> Result<Response<w::delete_state::Response>, Status> {
        Ok(Response::new(w::delete_state::Response {
            diagnostics: unsupported("state store", &req.into_inner().type_name),
        }))
    }

    async fn plan_action(
        &self,
        req: Request<w::plan_action::Request>,
    ) -> Result<Response<w::plan_action::Response>, Status> {
        Ok(Response::new(w::plan_action::Response {
            diagnostics: unsupported("action", &req.into_inner().action_type),
            deferred: None,
        }))
    }

    type InvokeActionStream = BoxStream<w::invoke_action::Event>;

    async fn invoke_action(
        &self,
        req: Request<w::invoke_action::Request>,
    ) -> Result<Response<Self::InvokeActionStream>, Status> {
        let event = w::invoke_action::Event {
            r#type: Some(w::invoke_action::event::Type::Completed(
                w::invoke_action::event::Completed {
                    diagnostics: unsupported("action", &req.into_inner().action_type),
                },
            )),
        };
        Ok(Response::new(Box::pin(futures::stream::iter([Ok(event)]))))
    }

    async fn validate_action_config(
        &self,
        req: Request<w::validate_action_config::Request>,
    ) -> Result<Response<w::validate_action_config::Response>, Status> {
        Ok(Response::new(w::validate_action_config::Response {
            diagnostics: unsupported("action", &req.into_inner().type_name),
        }))
    }

    async fn stop_provider(
        &self,
        _req: Request<w::stop_provider::Request>,
    ) -> Result<Response<w::stop_provider::Response>, Status> {
        tracing::info!("StopProvider received: cancelling in-flight work");
        let error = self.provider.stop_provider().await.unwrap_or_default();
        Ok(Response::new(w::stop_provider::Response { error }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_keep_severity_and_path() {
        let d: pf::Diagnostics = pf::Diagnostic::error("s", "d")
            .with_attribute(pf::AttributePath::attr("key_arn"))
            .into();
        let out = diagnostics_out(d);
        assert_eq!(out[0].severity, w::diagnostic::Severity::Error as i32);
        let steps = &out[0].attribute.as_ref().unwrap().steps;
        assert_eq!(
            steps[0].selector,
            Some(w::attribute_path::step::Selector::AttributeName(
                "key_arn".into()
            ))
        );
    }

    #[test]
    fn empty_dynamic_value_is_null() {
        assert_eq!(dynamic_in(None), pf::DynamicValue::null());
        let v = w::DynamicValue {
            msgpack: vec![],
            json: b"{}".to_vec(),
        };
        assert_eq!(dynamic_in(Some(v)), pf::DynamicValue::Json(b"{}".to_vec()));
    }
}
