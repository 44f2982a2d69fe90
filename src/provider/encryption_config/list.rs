//! The `eks_encryption_config` list resource (Terraform 1.14+ `terraform
//! query`): every cluster of the provider's region, as identities to
//! import, and the configuration that adopts them.
//!
//! ```hcl
//! # fleet.tfquery.hcl
//! list "eks_encryption_config" "all" {
//!   provider = eks
//!   config {
//!     name_prefix = "prod-"
//!   }
//! }
//! ```
//!
//! `terraform query -generate-config-out=fleet.tf` then writes one resource
//! block per cluster (`cluster_name`, and `key_arn` when the cluster has a
//! CMK) with an `import` block by identity; the next plan adopts each
//! cluster without an association call.
//!
//! Calls: ListClusters page by page, stopping at `limit`; one
//! DescribeCluster per cluster only when the core asks for the resource
//! objects (`include_resource`, and always with `-generate-config-out`);
//! without them, one STS GetCallerIdentity per provider configuration for
//! the identities' account. A cluster deleted between ListClusters and
//! DescribeCluster is left out. Throttling is retried by the SDK's retry
//! policy, as for every call. `key_state` in a listed object is the state
//! EKS's `health.issues` imply ([`health::implied_key_state`]): a list
//! makes no DescribeKey call; a refresh reads it from KMS.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::health;
use super::identity::Identity;
use super::model::Model;
use super::plan::KeyType;
use super::resource::{is_cluster_name, state_type};
use crate::aws::ClusterInfo;
use crate::provider::encryption_config::data_source::configured_string;
use crate::provider::errors::{decode_diagnostic, op_diagnostic, OpError};
use crate::provider::Configured;
use crate::tfprotov6::value::{AttributePath, IntoValue, Maybe};
use crate::tfprotov6::{
    Attribute, Block, Diagnostic, Diagnostics, DynamicValue, EventStream,
    GenerateResourceConfigResponse, ListResourceEvent, ListResourceRequest, Schema, Type,
};

/// DescribeCluster calls in flight at once.
const CONCURRENCY: usize = 8;

/// The list resource's `config` block.
pub fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Lists the EKS clusters of the provider's region for `terraform \
                query`, each with its identity (`account_id`, `region`, `cluster_name`). With \
                `include_resource = true` (always with `-generate-config-out`) each result also \
                carries the cluster's `key_type`, `resolved_key_arn` and `key_state` (the \
                state EKS's `health.issues` imply; a refresh reads it from KMS)."
                .into(),
            attributes: vec![Attribute::optional(
                "name_prefix",
                Type::String,
                "Only clusters whose names start with this prefix. Unset lists every cluster.",
            )],
            ..Block::default()
        },
    }
}

fn config_type() -> &'static Type {
    static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| schema().block.value_type())
}

/// Whether `prefix` can start a cluster name: at most 100 letters, digits,
/// '-' and '_', the first a letter or digit.
fn is_name_prefix(prefix: &str) -> bool {
    // A prefix is a valid name as far as it goes.
    is_cluster_name(prefix)
}

/// The `name_prefix` of a `config` block: `Ok(None)` when unset. Unknown
/// values are allowed only when `allow_unknown` (at validation).
fn name_prefix(config: &DynamicValue, allow_unknown: bool) -> Result<Option<String>, Diagnostic> {
    let at = || AttributePath::attr("name_prefix");
    // No config block at all: list everything.
    if config.decode(config_type()).is_ok_and(|v| v.is_null()) {
        return Ok(None);
    }
    match configured_string(config, config_type(), "name_prefix")? {
        Maybe::Null => Ok(None),
        Maybe::Unknown if allow_unknown => Ok(None),
        Maybe::Unknown => Err(Diagnostic::error(
            "Invalid name_prefix",
            "name_prefix must be known when the list runs.",
        )
        .with_attribute(at())),
        Maybe::Known(p) if is_name_prefix(&p) => Ok(Some(p)),
        Maybe::Known(p) => Err(Diagnostic::error(
            "Invalid name_prefix",
            format!(
                "{p:?} cannot start an EKS cluster name: cluster names are 1 to 100 letters, \
                 digits, '-' and '_', starting with a letter or digit. Fix the prefix, or \
                 remove name_prefix to list every cluster."
            ),
        )
        .with_attribute(at())),
    }
}

/// ValidateListResourceConfig: the `config` block, without AWS calls.
pub fn validate(config: &DynamicValue) -> Diagnostics {
    name_prefix(config, true)
        .err()
        .map(Into::into)
        .unwrap_or_default()
}

/// The resource object of a listed cluster, in the resource's state
/// schema: what an import would store, with the key state EKS implies.
pub fn resource_object(info: &ClusterInfo) -> Model {
    let key_type = KeyType::of(info);
    Model {
        id: Maybe::Known(info.name.clone()),
        cluster_name: Maybe::Known(info.name.clone()),
        key_arn: Maybe::from(info.cmk_arn().map(str::to_owned)),
        resources: Maybe::Known(
            info.encryption
                .first()
                .map(|e| e.resources.clone())
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| vec![super::model::SECRETS.to_owned()]),
        ),
        deletion_protection: Maybe::Known(true),
        cluster_arn: Maybe::Known(info.arn.clone()),
        cluster_version: Maybe::Known(info.version.clone()),
        resolved_key_arn: Maybe::from(info.cmk_arn().map(str::to_owned)),
        key_type: Maybe::Known(key_type.as_str().to_owned()),
        key_state: Maybe::from(health::implied_key_state(info)),
        cluster_created_at: Maybe::from(info.created_at.clone()),
        ..Model::default()
    }
}

/// The label a result shows: the name, and the key type when known.
pub fn display_name(name: &str, info: Option<&ClusterInfo>) -> String {
    match info {
        Some(i) => format!("{name} ({})", KeyType::of(i).as_str()),
        None => name.to_owned(),
    }
}

/// GenerateResourceConfig: the configuration a user would write for a
/// listed object: `cluster_name`, and `key_arn` when the cluster has a
/// CMK. Everything else is left to its default.
pub fn generate_config(state: &DynamicValue) -> GenerateResourceConfigResponse {
    let ty = state_type();
    let m = match super::resource::decode(state, "listed state") {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Diagnostics::from(Diagnostic::error(
                "No cluster to generate configuration for",
                "GenerateResourceConfig needs a listed cluster's state; run terraform query \
                 with -generate-config-out, which asks for it.",
            ))
            .into()
        }
        Err(d) => return Diagnostics::from(d).into(),
    };
    let cmk = match m.key_type.known().map(String::as_str) {
        Some("CUSTOMER_MANAGED") => m.resolved_key_arn.known().or(m.key_arn.known()).cloned(),
        _ => None,
    };
    let config = Model {
        cluster_name: m.cluster_name,
        key_arn: Maybe::from(cmk),
        ..Model::default()
    };
    match DynamicValue::encode(&config.into_value(), ty) {
        Ok(v) => GenerateResourceConfigResponse {
            config: Some(v),
            diagnostics: Diagnostics::new(),
        },
        Err(e) => Diagnostics::from(decode_diagnostic("generated configuration", e)).into(),
    }
}

/// ListResource: the stream of results. It reads one ListClusters page at
/// a time, as the core consumes the results; dropping the stream (the core
/// has `limit` results, or was interrupted) stops it.
pub fn list(
    configured: Arc<Configured>,
    stop: CancellationToken,
    req: &ListResourceRequest,
) -> EventStream<ListResourceEvent> {
    let prefix = match name_prefix(&req.config, false) {
        Ok(p) => p.unwrap_or_default(),
        Err(d) => return crate::tfprotov6::one_event(Diagnostics::from(d).into()),
    };
    let lister = Lister {
        configured,
        stop,
        prefix,
        include: req.include_resource_object,
        remaining: usize::try_from(req.limit).unwrap_or(0),
        next_token: None,
        last_page: false,
        ready: VecDeque::new(),
        account: None,
    };
    // The core reads the stream after the RPC's span has closed: each page
    // is read inside that span again, so its calls are traced under it.
    let span = tracing::Span::current();
    Box::pin(futures::stream::unfold(lister, move |mut l| {
        let span = span.clone();
        async move {
            loop {
                if let Some(event) = l.ready.pop_front() {
                    return Some((event, l));
                }
                if l.last_page || l.remaining == 0 {
                    return None;
                }
                l.next_page().await;
            }
        }
        .instrument(span)
    }))
}

/// The state of a listing between pages.
struct Lister {
    configured: Arc<Configured>,
    stop: CancellationToken,
    prefix: String,
    include: bool,
    /// Results still wanted (`limit` minus those produced).
    remaining: usize,
    next_token: Option<String>,
    /// The last page was read, or the listing failed.
    last_page: bool,
    /// Results of the page read, not yet consumed.
    ready: VecDeque<ListResourceEvent>,
    /// The caller's account, once looked up.
    account: Option<String>,
}

impl Lister {
    /// Reads the next page into `ready`; an error ends the listing with
    /// one error event (the core then discards the list's results).
    async fn next_page(&mut self) {
        match self.read_page().await {
            Ok(events) => self.ready.extend(events),
            Err(d) => {
                self.last_page = true;
                self.ready.push_back(Diagnostics::from(d).into());
            }
        }
    }

    async fn read_page(&mut self) -> Result<Vec<ListResourceEvent>, Diagnostic> {
        let clients = &self.configured.clients;
        let page = tokio::select! {
            biased;
            () = self.stop.cancelled() => Err(OpError::Interrupted),
            r = clients.list_clusters_page(self.next_token.as_deref()) => r.map_err(OpError::from),
        };
        let (names, next) =
            page.map_err(|e| op_diagnostic("listing the region's EKS clusters", e))?;
        self.last_page = next.is_none();
        self.next_token = next;
        let names: Vec<String> = names
            .into_iter()
            .filter(|n| n.starts_with(&self.prefix))
            .take(self.remaining)
            .collect();
        let region = clients.region().to_owned();
        let events = if self.include {
            self.described(names, &region).await?
        } else if names.is_empty() {
            Vec::new()
        } else {
            let account = self.account().await?;
            names
                .iter()
                .map(|n| event(&account, &region, n, None))
                .collect()
        };
        self.remaining -= events.len();
        Ok(events)
    }

    /// One result per cluster that still exists, DescribeCluster for each
    /// (a few at a time, in ListClusters' order).
    async fn described(
        &self,
        names: Vec<String>,
        region: &str,
    ) -> Result<Vec<ListResourceEvent>, Diagnostic> {
        let ctx = self.configured.ctx(&self.stop);
        let ctx = &ctx;
        let found: Vec<Result<Option<ClusterInfo>, (String, OpError)>> =
            futures::stream::iter(names)
                .map(|name| async move { ctx.cluster(&name, false).await.map_err(|e| (name, e)) })
                .buffered(CONCURRENCY)
                .collect()
                .await;
        let mut events = Vec::with_capacity(found.len());
        for r in found {
            match r {
                Ok(Some(info)) => {
                    let account = Identity::of_cluster(&info.arn, region, &info.name)
                        .map(|i| i.account_id)
                        .unwrap_or_default();
                    events.push(event(&account, region, &info.name, Some(&info)));
                }
                // Deleted between ListClusters and DescribeCluster.
                Ok(None) => tracing::debug!("a listed cluster is gone; leaving it out"),
                Err((name, e)) => {
                    return Err(op_diagnostic(&format!("reading cluster {name:?}"), e))
                }
            }
        }
        Ok(events)
    }

    async fn account(&mut self) -> Result<String, Diagnostic> {
        if let Some(a) = &self.account {
            return Ok(a.clone());
        }
        let a = tokio::select! {
            biased;
            () = self.stop.cancelled() => Err(OpError::Interrupted),
            r = self.configured.clients.caller_account() => r.map_err(OpError::from),
        }
        .map_err(|e| op_diagnostic("looking up the account of the provider's credentials", e))?;
        self.account = Some(a.clone());
        Ok(a)
    }
}

/// One result: the identity, the label and, when described, the object.
fn event(account: &str, region: &str, name: &str, info: Option<&ClusterInfo>) -> ListResourceEvent {
    let identity = Identity {
        account_id: account.to_owned(),
        region: region.to_owned(),
        cluster_name: name.to_owned(),
    };
    let mut diagnostics = Diagnostics::new();
    let resource_object = info.and_then(|i| {
        DynamicValue::encode(&resource_object(i).into_value(), state_type())
            .map_err(|e| diagnostics.push(decode_diagnostic("listed state", e)))
            .ok()
    });
    ListResourceEvent {
        identity: identity.encode(),
        display_name: display_name(name, info),
        resource_object,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::encryption_config::health::tests::{cluster, KEY};
    use crate::tfprotov6::Value;

    fn config(prefix: Value) -> DynamicValue {
        DynamicValue::encode(&Value::object([("name_prefix", prefix)]), config_type()).unwrap()
    }

    #[test]
    fn name_prefix_decision_table() {
        type Row<'a> = (Value, bool, Result<Option<&'a str>, ()>);
        let rows: [Row; 6] = [
            (Value::Null, false, Ok(None)),
            (Value::string("prod-"), false, Ok(Some("prod-"))),
            (Value::Unknown, true, Ok(None)),
            (Value::Unknown, false, Err(())),
            (Value::string("-x"), false, Err(())),
            (Value::string("a b"), true, Err(())),
        ];
        for (v, allow_unknown, want) in rows {
            let got = name_prefix(&config(v.clone()), allow_unknown);
            match (&got, want) {
                (Ok(p), Ok(w)) => assert_eq!(p.as_deref(), w, "{v:?}"),
                (Err(d), Err(())) => {
                    assert_eq!(d.summary, "Invalid name_prefix");
                    assert_eq!(d.attribute, Some(AttributePath::attr("name_prefix")));
                }
                _ => panic!("{v:?} {allow_unknown}: {got:?}"),
            }
        }
        assert!(validate(&config(Value::string(""))).has_errors());
        assert!(validate(&DynamicValue::null()).is_empty());
    }

    #[test]
    fn listed_objects_and_their_generated_configuration() {
        let cmk = resource_object(&cluster(Some(KEY), &[health::KEY_DISABLED]));
        assert_eq!(cmk.key_type, Maybe::Known("CUSTOMER_MANAGED".into()));
        assert_eq!(cmk.resolved_key_arn, Maybe::Known(KEY.into()));
        assert_eq!(cmk.key_state, Maybe::Known("Disabled".into()));
        let state = DynamicValue::encode(&cmk.into_value(), state_type()).unwrap();
        let generated = generate_config(&state);
        assert!(generated.diagnostics.is_empty());
        let v = generated.config.unwrap().decode(state_type()).unwrap();
        let set: Vec<_> = ["cluster_name", "key_arn"]
            .iter()
            .map(|a| v.get_attr(a).and_then(Value::as_str).map(str::to_owned))
            .collect();
        assert_eq!(set, [Some("prod".to_owned()), Some(KEY.to_owned())]);
        for other in [
            "id",
            "key_type",
            "deletion_protection",
            "resolved_key_arn",
            "timeouts",
        ] {
            assert_eq!(v.get_attr(other), Some(&Value::Null), "{other}");
        }

        let owned = resource_object(&cluster(None, &[]));
        assert_eq!(owned.key_type, Maybe::Known("AWS_OWNED".into()));
        assert_eq!(owned.key_state, Maybe::Null);
        let state = DynamicValue::encode(&owned.into_value(), state_type()).unwrap();
        let v = generate_config(&state)
            .config
            .unwrap()
            .decode(state_type())
            .unwrap();
        assert_eq!(v.get_attr("key_arn"), Some(&Value::Null));
        assert_eq!(
            v.get_attr("cluster_name").and_then(Value::as_str),
            Some("prod")
        );

        let none = generate_config(&DynamicValue::encode(&Value::Null, state_type()).unwrap());
        assert!(none.diagnostics.has_errors());
    }

    /// The list resource's page is a guide (the docs generator cannot see
    /// list resources yet): it must state every schema attribute with the
    /// schema's own description.
    #[test]
    fn guide_page_follows_the_schema() {
        let page = include_str!("../../../templates/guides/list-resource.md.tmpl");
        let flat = page.split_whitespace().collect::<Vec<_>>().join(" ");
        for a in schema().block.attributes {
            let want = format!("`{}` (String) {}", a.name, a.description);
            assert!(flat.contains(&want), "the guide lacks {want:?}");
        }
        for a in super::super::identity::identity_schema().attributes {
            assert!(
                flat.contains(&format!("`{}` (String)", a.name)),
                "{}",
                a.name
            );
        }
    }

    #[test]
    fn results_carry_identity_and_label() {
        let info = cluster(Some(KEY), &[]);
        let e = event("111122223333", "eu-west-1", "prod", Some(&info));
        assert_eq!(e.display_name, "prod (CUSTOMER_MANAGED)");
        assert!(e.resource_object.is_some() && e.diagnostics.is_empty());
        let id = e
            .identity
            .unwrap()
            .decode(super::super::identity::identity_type())
            .unwrap();
        assert_eq!(
            id.get_attr("account_id").and_then(Value::as_str),
            Some("111122223333")
        );
        let bare = event("111122223333", "eu-west-1", "dev", None);
        assert_eq!(
            (bare.display_name.as_str(), bare.resource_object),
            ("dev", None)
        );
    }
}
