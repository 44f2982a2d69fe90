//! The `eks` provider: its configuration, and dispatch to the
//! `eks_encryption_config` resource and data source and the
//! `eks_encryption_configs` data source.

pub mod access;
pub mod call_timeouts;
pub mod config;
pub mod encryption_config;
pub mod encryption_configs;
pub mod errors;
pub mod preflight;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use tokio_util::sync::CancellationToken;

use crate::aws::AwsClients;
use crate::tfprotov6::*;
use encryption_config::ops::{ClusterCache, Ctx};
use encryption_config::{data_source, resource, schema as ec_schema, TYPE_NAME};

/// One configured provider: SDK clients and caches shared by every resource
/// that uses this provider block (each alias gets its own).
pub struct Configured {
    /// The AWS clients.
    pub clients: AwsClients,
    /// DescribeCluster results for this run.
    pub clusters: ClusterCache,
}

/// The provider server.
pub struct EksProvider {
    configured: RwLock<Option<Arc<Configured>>>,
    /// The stop token of the requests starting now. StopProvider cancels
    /// it (stopping the work in flight) and puts a fresh one in its place,
    /// so later requests on the same server are not born cancelled, as in
    /// terraform-plugin-go.
    stop: Mutex<CancellationToken>,
}

impl Default for EksProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl EksProvider {
    /// An unconfigured provider.
    pub fn new() -> Self {
        Self {
            configured: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    /// A provider already configured with the given clients (for tests).
    pub fn with_clients(clients: AwsClients) -> Self {
        let p = Self::new();
        p.set_configured(clients);
        p
    }

    fn set_configured(&self, clients: AwsClients) {
        let mut slot = self.configured.write().unwrap_or_else(|p| p.into_inner());
        *slot = Some(Arc::new(Configured {
            clients,
            clusters: ClusterCache::default(),
        }));
    }

    fn configured(&self) -> Result<Arc<Configured>, Diagnostic> {
        self.configured
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| {
                Diagnostic::error(
                    "Provider not configured",
                    "Terraform called the eks provider before ConfigureProvider. Please report \
                     this as a bug.",
                )
            })
    }

    /// The stop token for a request starting now.
    fn request_stop(&self) -> CancellationToken {
        self.stop.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn ctx<'a>(&self, c: &'a Configured, stop: &'a CancellationToken) -> Ctx<'a> {
        Ctx {
            clients: &c.clients,
            clusters: &c.clusters,
            stop,
            deadline: None,
        }
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!(
            "The eks provider has no {kind} named {name:?}; it has {TYPE_NAME}{}.",
            if kind == "data source" {
                format!(" and {}", encryption_configs::TYPE_NAME)
            } else {
                String::new()
            }
        ),
    )
    .into()
}

#[tonic::async_trait]
impl ProviderServer for EksProvider {
    fn schema(&self) -> GetProviderSchemaResponse {
        GetProviderSchemaResponse {
            provider: Some(config::provider_schema()),
            resources: BTreeMap::from([(TYPE_NAME.to_owned(), ec_schema::resource_schema())]),
            data_sources: BTreeMap::from([
                (TYPE_NAME.to_owned(), ec_schema::data_source_schema()),
                (
                    encryption_configs::TYPE_NAME.to_owned(),
                    encryption_configs::schema::data_source_schema(),
                ),
            ]),
            diagnostics: Diagnostics::new(),
        }
    }

    async fn validate_provider_config(&self, req: ValidateProviderConfigRequest) -> Diagnostics {
        let ty = config::provider_schema().block.value_type();
        match req.config.decode(&ty) {
            // Unknown values are fine at validation time.
            Ok(v) => {
                let (_, d) = config::parse_settings(&v);
                Diagnostics(
                    d.0.into_iter()
                        .filter(|d| d.summary != access::NOT_KNOWN_YET)
                        .collect(),
                )
            }
            Err(e) => errors::decode_diagnostic("provider configuration", e).into(),
        }
    }

    async fn configure_provider(&self, req: ConfigureProviderRequest) -> Diagnostics {
        let ty = config::provider_schema().block.value_type();
        let value = match req.config.decode(&ty) {
            Ok(v) => v,
            Err(e) => return errors::decode_diagnostic("provider configuration", e).into(),
        };
        let (settings, mut diags) = config::parse_settings(&value);
        let Some(settings) = settings else {
            return diags;
        };
        tracing::debug!(terraform_version = %req.terraform_version, region = ?settings.region, "configuring provider");
        match AwsClients::from_settings(&settings).await {
            Ok(clients) => self.set_configured(clients),
            Err(e) => {
                let attr = e.attribute();
                let mut d = Diagnostic::error("Invalid provider configuration", e.to_string());
                if let Some(a) = attr {
                    let mut path = AttributePath::root();
                    for part in a.split('.') {
                        path = path.child_attr(part);
                    }
                    d = d.with_attribute(path);
                }
                diags.push(d);
            }
        }
        diags
    }

    async fn validate_resource_config(&self, req: ValidateConfigRequest) -> Diagnostics {
        if req.type_name != TYPE_NAME {
            return unknown_type("resource", &req.type_name);
        }
        resource::validate(&req.config)
    }

    async fn upgrade_resource_state(
        &self,
        req: UpgradeResourceStateRequest,
    ) -> UpgradeResourceStateResponse {
        if req.type_name != TYPE_NAME {
            return UpgradeResourceStateResponse {
                upgraded_state: None,
                diagnostics: unknown_type("resource", &req.type_name),
            };
        }
        // Schema version 0 is the only one so far: re-encode the JSON state.
        // Terraform calls this for every resource in every plan, so the type
        // is the one built once, not the schema rebuilt.
        let ty = resource::state_type();
        let decoded = value::json::decode_json(&req.raw_state_json, ty)
            .map_err(|e| errors::decode_diagnostic("stored state", e))
            .and_then(|v| {
                DynamicValue::encode(&v, ty)
                    .map_err(|e| errors::decode_diagnostic("stored state", e))
            });
        match decoded {
            Ok(v) => UpgradeResourceStateResponse {
                upgraded_state: Some(v),
                diagnostics: Diagnostics::new(),
            },
            Err(d) => UpgradeResourceStateResponse {
                upgraded_state: None,
                diagnostics: d.into(),
            },
        }
    }

    async fn read_resource(&self, req: ReadResourceRequest) -> ReadResourceResponse {
        let c = match self.configured() {
            Ok(c) => c,
            Err(d) => {
                return ReadResourceResponse {
                    new_state: Some(req.current_state),
                    private: req.private,
                    diagnostics: d.into(),
                }
            }
        };
        let stop = self.request_stop();
        resource::read(&self.ctx(&c, &stop), &req).await
    }

    async fn plan_resource_change(
        &self,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        let c = match self.configured() {
            Ok(c) => c,
            Err(d) => {
                return PlanResourceChangeResponse {
                    diagnostics: d.into(),
                    ..Default::default()
                }
            }
        };
        let stop = self.request_stop();
        resource::plan(&self.ctx(&c, &stop), &req).await
    }

    async fn apply_resource_change(
        &self,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        let c = match self.configured() {
            Ok(c) => c,
            Err(d) => {
                return ApplyResourceChangeResponse {
                    new_state: Some(req.prior_state),
                    diagnostics: d.into(),
                    ..Default::default()
                }
            }
        };
        let stop = self.request_stop();
        resource::apply(&self.ctx(&c, &stop), &req).await
    }

    async fn import_resource_state(
        &self,
        req: ImportResourceStateRequest,
    ) -> ImportResourceStateResponse {
        if req.type_name != TYPE_NAME {
            return ImportResourceStateResponse {
                imported: Vec::new(),
                diagnostics: unknown_type("resource", &req.type_name),
            };
        }
        let c = match self.configured() {
            Ok(c) => c,
            Err(d) => {
                return ImportResourceStateResponse {
                    imported: Vec::new(),
                    diagnostics: d.into(),
                }
            }
        };
        let stop = self.request_stop();
        match resource::import(&self.ctx(&c, &stop), &req.id).await {
            Ok(state) => ImportResourceStateResponse {
                imported: vec![ImportedResource {
                    type_name: TYPE_NAME.to_owned(),
                    state,
                    private: Vec::new(),
                }],
                diagnostics: Diagnostics::new(),
            },
            Err(diagnostics) => ImportResourceStateResponse {
                imported: Vec::new(),
                diagnostics,
            },
        }
    }

    async fn validate_data_resource_config(&self, req: ValidateConfigRequest) -> Diagnostics {
        if req.type_name != TYPE_NAME && req.type_name != encryption_configs::TYPE_NAME {
            return unknown_type("data source", &req.type_name);
        }
        Diagnostics::new()
    }

    async fn read_data_source(&self, req: ReadDataSourceRequest) -> ReadDataSourceResponse {
        if req.type_name != TYPE_NAME && req.type_name != encryption_configs::TYPE_NAME {
            return ReadDataSourceResponse {
                state: None,
                diagnostics: unknown_type("data source", &req.type_name),
            };
        }
        let c = match self.configured() {
            Ok(c) => c,
            Err(d) => {
                return ReadDataSourceResponse {
                    state: None,
                    diagnostics: d.into(),
                }
            }
        };
        let stop = self.request_stop();
        let ctx = self.ctx(&c, &stop);
        let (state, diagnostics) = if req.type_name == encryption_configs::TYPE_NAME {
            encryption_configs::data_source::read(&ctx, &req.config).await
        } else {
            data_source::read(&ctx, &req.config).await
        };
        ReadDataSourceResponse { state, diagnostics }
    }

    async fn stop_provider(&self) -> Option<String> {
        let mut current = self.stop.lock().unwrap_or_else(|p| p.into_inner());
        current.cancel();
        *current = CancellationToken::new();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9: StopProvider cancels the work in flight, and later requests
    /// on the same server get a fresh context, as in terraform-plugin-go.
    #[tokio::test]
    async fn stop_provider_is_per_request() {
        let p = EksProvider::new();
        let in_flight = p.request_stop();
        assert!(p.stop_provider().await.is_none());
        assert!(in_flight.is_cancelled(), "work in flight is stopped");
        let later = p.request_stop();
        assert!(!later.is_cancelled(), "a later request starts afresh");
        p.stop_provider().await;
        assert!(later.is_cancelled());
        assert!(!p.request_stop().is_cancelled());
    }
}
