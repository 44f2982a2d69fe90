//! The `eks` provider: its configuration, and dispatch to the
//! `eks_encryption_config` resource (with its identity), list resource and
//! data source, the `eks_encryption_configs` data source and the
//! `eks_encryption_config_check` action. It implements
//! [`ProviderServer`] and calls
//! [`crate::aws`].
//!
//! # The provider block
//!
//! One module per concern holds the schema and the reading of its settings:
//! [`auth`] (region, profile, role blocks, account guards, shared files,
//! `sts_region`), [`endpoints`] (the `endpoints` block, FIPS and dual-stack),
//! [`network`] (retries, CA bundle, proxies) and [`timeouts`]
//! (`attempt_timeout`, `operation_timeout`). [`settings`] assembles the
//! schema from them and reads the block with one [`reader::Reader`].
//!
//! The path of a setting, e.g. `https_proxy`:
//!
//! | step | where | what |
//! | --- | --- | --- |
//! | schema | `provider/<concern>.rs` (`network::attributes`) | the attribute, its type and description (the docs are generated from it) |
//! | reader | `provider/<concern>.rs` (`network::parse`) | reads it with [`reader::Reader`]; a bad value is a diagnostic on its path |
//! | settings | `aws/settings.rs` ([`TransportSettings`](crate::aws::TransportSettings)) | the field, plain data |
//! | resolve | `aws/resolve.rs` (`resolve::proxies`) | block, else environment, else shared config profile |
//! | use | `aws/builder/mod.rs` (`http_options`), `aws/http.rs` | builds the clients with it |
//!
//! Adding a setting to an existing concern touches three files: the
//! concern's module in `provider/` (schema and reading), `aws/settings.rs`
//! (the field) and `aws/builder/mod.rs`, which resolves it with `resolve`'s
//! generic helpers (`resolve::flag`, `Ambient::env`, `Ambient::profile_value`) and
//! uses it. `aws/resolve.rs` changes only for a new kind of precedence.
//! Then `scripts/docs` regenerates `docs/` and CHANGELOG.md gets its line.

pub mod auth;
pub mod encryption_config;
pub mod encryption_configs;
pub mod endpoints;
pub mod errors;
pub mod network;
pub mod reader;
pub mod settings;
pub mod timeouts;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio_util::sync::CancellationToken;

use crate::aws::AwsClients;
use crate::tfprotov6::*;
use encryption_config::ops::{ClusterCache, Ctx};
use encryption_config::{
    check, data_source, identity, list, resource, schema as ec_schema, TYPE_NAME,
};

/// One configured provider: SDK clients and caches shared by every resource
/// that uses this provider block (each alias gets its own).
pub struct Configured {
    /// The AWS clients.
    pub clients: AwsClients,
    /// DescribeCluster results for this run.
    pub clusters: ClusterCache,
}

impl Configured {
    /// What a resource operation gets: the clients, the caches and the
    /// call's stop token.
    pub(crate) fn ctx<'a>(&'a self, stop: &'a CancellationToken) -> Ctx<'a> {
        Ctx {
            clients: &self.clients,
            clusters: &self.clusters,
            stop,
            deadline: None,
        }
    }
}

/// The provider server. The gRPC adapter gives every call its stop token,
/// so the provider itself holds only its configuration.
#[derive(Default)]
pub struct EksProvider {
    configured: RwLock<Option<Arc<Configured>>>,
}

/// The kinds of type this provider serves, for the type-name check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Resource,
    DataSource,
    ListResource,
    Action,
}

impl Kind {
    /// The type names of this kind.
    fn type_names(self) -> &'static [&'static str] {
        match self {
            Kind::Resource => &[TYPE_NAME],
            Kind::DataSource => &[TYPE_NAME, encryption_configs::TYPE_NAME],
            Kind::ListResource => &[TYPE_NAME],
            Kind::Action => &[check::TYPE_NAME],
        }
    }

    /// An unknown type name: which one, what there is, and what to check.
    fn check(self, type_name: &str) -> Result<(), Diagnostics> {
        if self.type_names().contains(&type_name) {
            return Ok(());
        }
        let kind = match self {
            Kind::Resource => "resource",
            Kind::DataSource => "data source",
            Kind::ListResource => "list resource",
            Kind::Action => "action",
        };
        Err(Diagnostic::error(
            format!("Unknown {kind} type"),
            format!(
                "The eks provider has no {kind} type named {type_name:?}; it has {}. Check \
                 the type name in the configuration (or in state, if it was written by another \
                 provider).",
                self.type_names().join(" and ")
            ),
        )
        .into())
    }
}

impl EksProvider {
    /// An unconfigured provider.
    pub fn new() -> Self {
        Self::default()
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

    /// The check every operation on a resource or data source runs first:
    /// the type is one this provider serves, and the provider is
    /// configured. Either failure is a diagnostic saying which and why.
    fn ready(&self, kind: Kind, type_name: &str) -> Result<Arc<Configured>, Diagnostics> {
        kind.check(type_name)?;
        let configured = self.configured.read().unwrap_or_else(|p| p.into_inner());
        configured.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                format!(
                    "Terraform called the eks provider for {type_name:?} before \
                     ConfigureProvider, so it has no AWS clients yet. Terraform configures a \
                     provider before using it; please report this as a bug, with the \
                     Terraform version and TF_LOG=trace output."
                ),
            )
            .into()
        })
    }

    /// The provider block's value type, built once.
    fn config_type() -> &'static Type {
        static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
        TYPE.get_or_init(|| settings::provider_schema().block.value_type())
    }
}

/// Why `client_capabilities` is read and then left alone everywhere below:
/// this provider never defers a change (every plan and apply is answered in
/// full) and has no write-only attributes, so no capability changes an
/// answer. The trace keeps them for support.
fn note_capabilities(rpc: &str, c: ClientCapabilities) {
    tracing::trace!(
        rpc,
        deferral_allowed = c.deferral_allowed,
        write_only_attributes_allowed = c.write_only_attributes_allowed,
        "client capabilities (unused: this provider never defers)"
    );
}

/// A configuration problem found while building the AWS clients, pointed at
/// the provider attribute it is about.
fn client_error(e: &crate::aws::ConfigError) -> Diagnostic {
    let mut d = Diagnostic::error("Invalid provider configuration", e.to_string());
    if let Some(a) = e.attribute() {
        let mut path = AttributePath::root();
        for part in a.split('.') {
            path = path.child_attr(part);
        }
        d = d.with_attribute(path);
    }
    d
}

#[tonic::async_trait]
impl ProviderServer for EksProvider {
    async fn get_provider_schema(
        &self,
        _stop: CancellationToken,
        _req: EmptyRequest,
    ) -> GetProviderSchemaResponse {
        GetProviderSchemaResponse {
            server_capabilities: ServerCapabilities {
                // The deletion guard needs destroy plans.
                plan_destroy: true,
                // The schema is static, so a cached copy is as good.
                get_provider_schema_optional: true,
                move_resource_state: false,
                // `terraform query -generate-config-out` asks us for the
                // configuration of each listed cluster.
                generate_resource_config: true,
            },
            provider: Some(settings::provider_schema()),
            resources: BTreeMap::from([(TYPE_NAME.to_owned(), ec_schema::resource_schema())]),
            data_sources: BTreeMap::from([
                (TYPE_NAME.to_owned(), ec_schema::data_source_schema()),
                (
                    encryption_configs::TYPE_NAME.to_owned(),
                    encryption_configs::schema::data_source_schema(),
                ),
            ]),
            list_resources: BTreeMap::from([(TYPE_NAME.to_owned(), list::schema())]),
            actions: BTreeMap::from([(check::TYPE_NAME.to_owned(), check::schema())]),
            diagnostics: Diagnostics::new(),
        }
    }

    async fn get_resource_identity_schemas(
        &self,
        _stop: CancellationToken,
        _req: EmptyRequest,
    ) -> GetResourceIdentitySchemasResponse {
        GetResourceIdentitySchemasResponse {
            identity_schemas: BTreeMap::from([(TYPE_NAME.to_owned(), identity::identity_schema())]),
            diagnostics: Diagnostics::new(),
        }
    }

    async fn upgrade_resource_identity(
        &self,
        _stop: CancellationToken,
        req: UpgradeResourceIdentityRequest,
    ) -> UpgradeResourceIdentityResponse {
        if let Err(d) = Kind::Resource.check(&req.type_name) {
            return d.into();
        }
        // Only version 0 exists: re-encode the stored JSON.
        if req.version > identity::IDENTITY_VERSION {
            return Diagnostics::from(Diagnostic::error(
                "Identity written by a newer provider",
                format!(
                    "The stored identity has version {}, but this provider knows version {} \
                     at most. Use the provider version that wrote the state.",
                    req.version,
                    identity::IDENTITY_VERSION
                ),
            ))
            .into();
        }
        let ty = identity::identity_type();
        match value::json::decode_json(&req.raw_identity_json, ty)
            .map_err(|e| errors::decode_diagnostic("stored identity", e))
            .and_then(|v| {
                DynamicValue::encode(&v, ty)
                    .map_err(|e| errors::decode_diagnostic("stored identity", e))
            }) {
            Ok(v) => UpgradeResourceIdentityResponse {
                upgraded_identity: Some(v),
                diagnostics: Diagnostics::new(),
            },
            Err(d) => Diagnostics::from(d).into(),
        }
    }

    async fn validate_provider_config(
        &self,
        _stop: CancellationToken,
        req: ValidateProviderConfigRequest,
    ) -> Diagnostics {
        match req.config.decode(Self::config_type()) {
            // Unknown values are fine at validation time.
            Ok(v) => {
                let (_, d) = settings::parse_settings(&v);
                Diagnostics(
                    d.0.into_iter()
                        .filter(|d| d.summary != reader::NOT_KNOWN_YET)
                        .collect(),
                )
            }
            Err(e) => errors::decode_diagnostic("provider configuration", e).into(),
        }
    }

    async fn configure_provider(
        &self,
        _stop: CancellationToken,
        req: ConfigureProviderRequest,
    ) -> Diagnostics {
        note_capabilities("ConfigureProvider", req.client_capabilities);
        let value = match req.config.decode(Self::config_type()) {
            Ok(v) => v,
            Err(e) => return errors::decode_diagnostic("provider configuration", e).into(),
        };
        let (settings, mut diags) = settings::parse_settings(&value);
        let Some(settings) = settings else {
            return diags;
        };
        tracing::debug!(terraform_version = %req.terraform_version, region = ?settings.region, "configuring provider");
        match AwsClients::from_settings(&settings).await {
            Ok(clients) => self.set_configured(clients),
            Err(e) => diags.push(client_error(&e)),
        }
        diags
    }

    async fn validate_resource_config(
        &self,
        _stop: CancellationToken,
        req: ValidateConfigRequest,
    ) -> Diagnostics {
        if let Err(d) = Kind::Resource.check(&req.type_name) {
            return d;
        }
        resource::validate(&req.config)
    }

    async fn upgrade_resource_state(
        &self,
        _stop: CancellationToken,
        req: UpgradeResourceStateRequest,
    ) -> UpgradeResourceStateResponse {
        if let Err(diagnostics) = Kind::Resource.check(&req.type_name) {
            return UpgradeResourceStateResponse {
                upgraded_state: None,
                diagnostics,
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

    async fn read_resource(
        &self,
        stop: CancellationToken,
        req: ReadResourceRequest,
    ) -> ReadResourceResponse {
        note_capabilities("ReadResource", req.client_capabilities);
        match self.ready(Kind::Resource, &req.type_name) {
            Ok(c) => {
                let mut resp = resource::read(&c.ctx(&stop), &req).await;
                // Cores store the identity Read returns: a refreshed state
                // gets its own; a state kept as it was keeps the stored one;
                // a removed resource has none.
                let state = resp.new_state.as_ref();
                resp.new_identity =
                    match state.and_then(|s| identity::of_state(s, c.clients.region())) {
                        Some(id) => Some(id),
                        None if state.is_none_or(is_null_state) => None,
                        None => req.current_identity,
                    };
                resp
            }
            // The state stays as it was: a failed refresh must not drop it.
            Err(diagnostics) => ReadResourceResponse {
                new_state: Some(req.current_state),
                diagnostics,
                private: req.private,
                new_identity: req.current_identity,
            },
        }
    }

    async fn plan_resource_change(
        &self,
        stop: CancellationToken,
        req: PlanResourceChangeRequest,
    ) -> PlanResourceChangeResponse {
        note_capabilities("PlanResourceChange", req.client_capabilities);
        let c = match self.ready(Kind::Resource, &req.type_name) {
            Ok(c) => c,
            // No planned state: the plan fails with the diagnostic.
            Err(diagnostics) => return PlanResourceChangeResponse::from(diagnostics),
        };
        let mut resp = resource::plan(&c.ctx(&stop), &req).await;
        resp.planned_identity = resp
            .planned_state
            .as_ref()
            .and_then(|s| identity::of_state(s, c.clients.region()));
        resp
    }

    async fn apply_resource_change(
        &self,
        stop: CancellationToken,
        req: ApplyResourceChangeRequest,
    ) -> ApplyResourceChangeResponse {
        // The resource keeps no private data: `planned_private` is the
        // empty bytes that plan handed on, and the answer carries none.
        match self.ready(Kind::Resource, &req.type_name) {
            Ok(c) => {
                let mut resp = resource::apply(&c.ctx(&stop), &req).await;
                resp.new_identity = resp
                    .new_state
                    .as_ref()
                    .and_then(|s| identity::of_state(s, c.clients.region()));
                resp
            }
            // Nothing was applied: the prior state stays.
            Err(diagnostics) => ApplyResourceChangeResponse {
                new_state: Some(req.prior_state),
                private: Vec::new(),
                diagnostics,
                new_identity: None,
            },
        }
    }

    async fn import_resource_state(
        &self,
        stop: CancellationToken,
        req: ImportResourceStateRequest,
    ) -> ImportResourceStateResponse {
        note_capabilities("ImportResourceState", req.client_capabilities);
        let imported = match self.ready(Kind::Resource, &req.type_name) {
            Ok(c) => import(&c, &stop, &req).await,
            Err(diagnostics) => Err(diagnostics),
        };
        match imported {
            Ok((state, identity)) => ImportResourceStateResponse {
                imported: vec![ImportedResource {
                    type_name: TYPE_NAME.to_owned(),
                    state,
                    private: Vec::new(),
                    identity,
                }],
                diagnostics: Diagnostics::new(),
            },
            Err(diagnostics) => ImportResourceStateResponse {
                imported: Vec::new(),
                diagnostics,
            },
        }
    }

    async fn validate_data_resource_config(
        &self,
        _stop: CancellationToken,
        req: ValidateConfigRequest,
    ) -> Diagnostics {
        Kind::DataSource
            .check(&req.type_name)
            .err()
            .unwrap_or_default()
    }

    async fn read_data_source(
        &self,
        stop: CancellationToken,
        req: ReadDataSourceRequest,
    ) -> ReadDataSourceResponse {
        note_capabilities("ReadDataSource", req.client_capabilities);
        let (state, diagnostics) = match self.ready(Kind::DataSource, &req.type_name) {
            Ok(c) if req.type_name == encryption_configs::TYPE_NAME => {
                encryption_configs::data_source::read(&c.ctx(&stop), &req.config).await
            }
            Ok(c) => data_source::read(&c.ctx(&stop), &req.config).await,
            Err(diagnostics) => (None, diagnostics),
        };
        ReadDataSourceResponse { state, diagnostics }
    }

    async fn validate_list_resource_config(
        &self,
        _stop: CancellationToken,
        req: ValidateListResourceConfigRequest,
    ) -> Diagnostics {
        match Kind::ListResource.check(&req.type_name) {
            Ok(()) => list::validate(&req.config),
            Err(d) => d,
        }
    }

    async fn list_resource(
        &self,
        stop: CancellationToken,
        req: ListResourceRequest,
    ) -> EventStream<ListResourceEvent> {
        match self.ready(Kind::ListResource, &req.type_name) {
            Ok(c) => list::list(c, stop, &req),
            Err(d) => one_event(d.into()),
        }
    }

    async fn generate_resource_config(
        &self,
        _stop: CancellationToken,
        req: GenerateResourceConfigRequest,
    ) -> GenerateResourceConfigResponse {
        match Kind::Resource.check(&req.type_name) {
            Ok(()) => list::generate_config(&req.state),
            Err(d) => d.into(),
        }
    }

    async fn validate_action_config(
        &self,
        _stop: CancellationToken,
        req: ValidateActionConfigRequest,
    ) -> Diagnostics {
        match Kind::Action.check(&req.type_name) {
            Ok(()) => check::plan(&req.config),
            Err(d) => d,
        }
    }

    async fn plan_action(&self, _stop: CancellationToken, req: ActionRequest) -> Diagnostics {
        note_capabilities("PlanAction", req.client_capabilities);
        match self.ready(Kind::Action, &req.action_type) {
            Ok(_) => check::plan(&req.config),
            Err(d) => d,
        }
    }

    async fn invoke_action(
        &self,
        stop: CancellationToken,
        req: ActionRequest,
    ) -> EventStream<InvokeActionEvent> {
        note_capabilities("InvokeAction", req.client_capabilities);
        match self.ready(Kind::Action, &req.action_type) {
            Ok(c) => check::invoke(c, stop, req.config),
            Err(d) => one_event(d.into()),
        }
    }
}

/// Whether a state value is null (the resource is gone).
fn is_null_state(v: &DynamicValue) -> bool {
    *v == DynamicValue::null() || v.decode(resource::state_type()).is_ok_and(|v| v.is_null())
}

/// ImportResourceState: by id, or by identity (`import { identity = ... }`),
/// whose region and account are checked against the provider's before
/// anything is read. Returns the state and its identity.
async fn import(
    c: &Configured,
    stop: &CancellationToken,
    req: &ImportResourceStateRequest,
) -> Result<(DynamicValue, Option<DynamicValue>), Diagnostics> {
    let region = c.clients.region();
    let cluster = match (&req.identity, req.id.is_empty()) {
        (Some(given), true) => {
            let given = identity::decode_import(given)?;
            identity::check_import(&given, region, None)?;
            if given.account_id.is_some() {
                let mine = c.clients.caller_account().await.map_err(|e| {
                    errors::op_diagnostic(
                        "looking up the account of the provider's credentials",
                        errors::OpError::from(e),
                    )
                })?;
                identity::check_import(&given, region, Some(&mine))?;
            }
            given.cluster_name
        }
        _ => req.id.clone(),
    };
    let state = resource::import(&c.ctx(stop), &cluster).await?;
    let identity = identity::of_state(&state, region);
    Ok((state, identity))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop() -> CancellationToken {
        CancellationToken::new()
    }

    fn read(type_name: &str) -> ReadResourceRequest {
        ReadResourceRequest {
            current_identity: None,
            type_name: type_name.to_owned(),
            current_state: DynamicValue::null(),
            private: b"kept".to_vec(),
            client_capabilities: ClientCapabilities::default(),
        }
    }

    fn plan(type_name: &str) -> PlanResourceChangeRequest {
        PlanResourceChangeRequest {
            prior_identity: None,
            type_name: type_name.to_owned(),
            prior_state: DynamicValue::null(),
            proposed_new_state: DynamicValue::null(),
            config: DynamicValue::null(),
            prior_private: Vec::new(),
            client_capabilities: ClientCapabilities {
                deferral_allowed: true,
                write_only_attributes_allowed: false,
            },
        }
    }

    fn apply(type_name: &str) -> ApplyResourceChangeRequest {
        ApplyResourceChangeRequest {
            planned_identity: None,
            type_name: type_name.to_owned(),
            prior_state: DynamicValue::Msgpack(vec![0x80]),
            planned_state: DynamicValue::null(),
            config: DynamicValue::null(),
            planned_private: Vec::new(),
        }
    }

    /// The one error diagnostic of a response, as (summary, detail).
    fn only_error(d: &Diagnostics) -> (&str, &str) {
        assert_eq!(d.0.len(), 1, "{d:?}");
        assert!(d.has_errors());
        (&d.0[0].summary, &d.0[0].detail)
    }

    /// Issue 13: read, plan and apply check that the provider is configured,
    /// as import and the data sources do, and say so clearly.
    #[tokio::test]
    async fn read_plan_apply_on_an_unconfigured_provider() {
        let p = EksProvider::new();
        let r = p.read_resource(stop(), read(TYPE_NAME)).await;
        let (summary, detail) = only_error(&r.diagnostics);
        assert_eq!(summary, "Provider not configured");
        assert!(detail.contains(TYPE_NAME) && detail.contains("ConfigureProvider"));
        // A failed refresh keeps the state and its private data.
        assert_eq!(r.new_state, Some(DynamicValue::null()));
        assert_eq!(r.private, b"kept");

        let planned = p.plan_resource_change(stop(), plan(TYPE_NAME)).await;
        assert_eq!(
            only_error(&planned.diagnostics).0,
            "Provider not configured"
        );
        assert_eq!(planned.planned_state, None);

        let applied = p.apply_resource_change(stop(), apply(TYPE_NAME)).await;
        assert_eq!(
            only_error(&applied.diagnostics).0,
            "Provider not configured"
        );
        // Nothing was applied: the prior state stays.
        assert_eq!(applied.new_state, Some(DynamicValue::Msgpack(vec![0x80])));
    }

    /// Issue 13: read, plan and apply reject a type this provider does not
    /// serve, as validate, upgrade and import do, naming the type and the
    /// ones it has. The type check comes first.
    #[tokio::test]
    async fn read_plan_apply_with_an_unknown_type_name() {
        let p = EksProvider::new();
        let r = p.read_resource(stop(), read("eks_cluster")).await;
        let (summary, detail) = only_error(&r.diagnostics);
        assert_eq!(summary, "Unknown resource type");
        assert!(detail.contains("\"eks_cluster\""), "{detail}");
        assert!(detail.contains(TYPE_NAME), "{detail}");

        let planned = p.plan_resource_change(stop(), plan("eks_cluster")).await;
        assert_eq!(only_error(&planned.diagnostics).0, "Unknown resource type");
        let applied = p.apply_resource_change(stop(), apply("eks_cluster")).await;
        assert_eq!(only_error(&applied.diagnostics).0, "Unknown resource type");
    }

    fn identity(account: Option<&str>, region: Option<&str>, name: &str) -> DynamicValue {
        let s = |v: Option<&str>| v.map(Value::string).unwrap_or(Value::Null);
        let v = Value::object([
            ("account_id", s(account)),
            ("region", s(region)),
            ("cluster_name", Value::string(name)),
        ]);
        DynamicValue::encode(&v, identity::identity_type()).unwrap()
    }

    fn import_by_identity(id: DynamicValue) -> ImportResourceStateRequest {
        ImportResourceStateRequest {
            type_name: TYPE_NAME.to_owned(),
            id: String::new(),
            client_capabilities: ClientCapabilities::default(),
            identity: Some(id),
        }
    }

    /// Issue 19: an identity of another region or account is refused
    /// before anything is read: the mocked clients have no EKS rule, so
    /// any DescribeCluster would fail differently.
    #[tokio::test]
    async fn issue19_import_identity_of_another_region_or_account_reads_nothing() {
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
        use aws_smithy_mocks::mock;
        let who = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            GetCallerIdentityOutput::builder()
                .account("111122223333")
                .build()
        });
        let p = EksProvider::with_clients(crate::aws::test_support::clients_with_sts(
            &[],
            &[],
            &[&who],
        ));
        let r = p
            .import_resource_state(
                stop(),
                import_by_identity(identity(None, Some("eu-west-1"), "prod")),
            )
            .await;
        assert!(r.imported.is_empty());
        let (summary, detail) = only_error(&r.diagnostics);
        assert_eq!(summary, "Import identity is in another region");
        assert!(
            detail.contains("us-east-1") && detail.contains("eu-west-1"),
            "{detail}"
        );
        assert_eq!(who.num_calls(), 0, "the region needs no account lookup");

        let r = p
            .import_resource_state(
                stop(),
                import_by_identity(identity(Some("999999999999"), Some("us-east-1"), "prod")),
            )
            .await;
        let (summary, detail) = only_error(&r.diagnostics);
        assert_eq!(summary, "Import identity is in another account");
        assert!(
            detail.contains("999999999999") && detail.contains("111122223333"),
            "{detail}"
        );
        assert_eq!(who.num_calls(), 1);
    }

    /// Issue 19: a refresh that cannot run keeps the stored identity with
    /// the state (cores store whatever identity Read returns).
    #[tokio::test]
    async fn failed_refresh_keeps_the_identity() {
        let p = EksProvider::new();
        let mut req = read(TYPE_NAME);
        req.current_identity = Some(identity(Some("111122223333"), Some("us-east-1"), "prod"));
        let r = p.read_resource(stop(), req.clone()).await;
        assert!(r.diagnostics.has_errors());
        assert_eq!(r.new_identity, req.current_identity);
    }

    #[tokio::test]
    async fn identity_schema_and_upgrade() {
        let p = EksProvider::new();
        let schemas = p.get_resource_identity_schemas(stop(), EmptyRequest).await;
        assert_eq!(
            schemas.identity_schemas.keys().collect::<Vec<_>>(),
            [TYPE_NAME]
        );
        let up = p
            .upgrade_resource_identity(
                stop(),
                UpgradeResourceIdentityRequest {
                    type_name: TYPE_NAME.to_owned(),
                    version: 0,
                    raw_identity_json: br#"{"account_id":"1","region":"us-east-1","cluster_name":"prod"}"#.to_vec(),
                },
            )
            .await;
        assert!(up.diagnostics.is_empty(), "{:?}", up.diagnostics);
        let v = up
            .upgraded_identity
            .unwrap()
            .decode(identity::identity_type())
            .unwrap();
        assert_eq!(
            v.get_attr("cluster_name").and_then(Value::as_str),
            Some("prod")
        );
        let newer = p
            .upgrade_resource_identity(
                stop(),
                UpgradeResourceIdentityRequest {
                    type_name: TYPE_NAME.to_owned(),
                    version: 1,
                    raw_identity_json: b"{}".to_vec(),
                },
            )
            .await;
        assert_eq!(
            only_error(&newer.diagnostics).0,
            "Identity written by a newer provider"
        );
    }

    #[tokio::test]
    async fn list_and_action_type_names_are_checked() {
        let p = EksProvider::new();
        let d = p
            .validate_list_resource_config(
                stop(),
                ValidateListResourceConfigRequest {
                    type_name: "eks_cluster".into(),
                    config: DynamicValue::null(),
                    include_resource_object: DynamicValue::null(),
                    limit: DynamicValue::null(),
                },
            )
            .await;
        assert_eq!(only_error(&d).0, "Unknown list resource type");
        let d = p
            .plan_action(
                stop(),
                ActionRequest {
                    action_type: "eks_reboot".into(),
                    config: DynamicValue::null(),
                    client_capabilities: ClientCapabilities::default(),
                },
            )
            .await;
        assert_eq!(only_error(&d).0, "Unknown action type");
        let schema = p.get_provider_schema(stop(), EmptyRequest).await;
        assert!(schema.server_capabilities.generate_resource_config);
        assert_eq!(
            schema.list_resources.keys().collect::<Vec<_>>(),
            [TYPE_NAME]
        );
        assert_eq!(
            schema.actions.keys().collect::<Vec<_>>(),
            [check::TYPE_NAME]
        );
    }

    #[test]
    fn data_sources_have_both_type_names() {
        assert!(Kind::DataSource.check(TYPE_NAME).is_ok());
        assert!(Kind::DataSource
            .check(encryption_configs::TYPE_NAME)
            .is_ok());
        assert!(Kind::Resource.check(encryption_configs::TYPE_NAME).is_err());
        let d = Kind::DataSource.check("eks_x").err().unwrap_or_default();
        let (summary, detail) = only_error(&d);
        assert_eq!(summary, "Unknown data source type");
        assert!(detail.contains(encryption_configs::TYPE_NAME), "{detail}");
    }
}
