//! ReadDataSource of `eks_encryption_configs`.
//!
//! ListClusters (every page), then DescribeCluster for each cluster that
//! matches `name_prefix` (a few at a time), then DescribeKey once per
//! distinct CMK: clusters sharing a key cost one DescribeKey, through the
//! provider's coalescing key cache.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt as _, TryStreamExt as _};

use super::schema::data_source_schema;
use crate::aws::ClusterInfo;
use crate::provider::encryption_config::data_source::{configured_string, not_known};
use crate::provider::encryption_config::health;
use crate::provider::encryption_config::ops::Ctx;
use crate::provider::encryption_config::plan::{self, KeyLookup, KeyType};
use crate::provider::errors::{decode_diagnostic, op_diagnostic, OpError};
use crate::tfprotov6::value::{IntoValue, Maybe};
use crate::tfprotov6::{Diagnostic, Diagnostics, DynamicValue, Type, Value};

/// DescribeCluster calls in flight at once.
const CONCURRENCY: usize = 8;

fn ty() -> &'static Type {
    static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| data_source_schema().block.value_type())
}

/// One element of `clusters`, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `cluster_name`.
    pub cluster_name: String,
    /// `cluster_version`.
    pub cluster_version: String,
    /// `key_type`.
    pub key_type: String,
    /// `resolved_key_arn`.
    pub resolved_key_arn: Option<String>,
    /// `key_state`.
    pub key_state: Option<String>,
    /// `health_issues`: the codes EKS reports.
    pub health_issues: Vec<String>,
}

/// The names to describe: those starting with `prefix`, sorted, without
/// duplicates.
pub fn select(names: Vec<String>, prefix: &str) -> Vec<String> {
    let set: BTreeSet<String> = names
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect();
    set.into_iter().collect()
}

/// A row from DescribeCluster and the lookup of its CMK, with the warnings
/// the key deserves.
pub fn row(info: &ClusterInfo, key: Option<&KeyLookup>) -> (Row, Diagnostics) {
    let mut diags = health::warnings(info);
    let cmk = info.encryption.first().map(|e| e.key_arn.clone());
    let mut key_state = None;
    let mut resolved = cmk.clone();
    match (key, &cmk) {
        (Some(KeyLookup::Found(f)), Some(_)) => {
            for mut d in plan::key_health_warnings(&info.name, f).0 {
                // This data source has no key_arn attribute.
                d.attribute = None;
                diags.push(d);
            }
            key_state = Some(f.state.clone());
            if !f.arn.is_empty() {
                resolved = Some(f.arn.clone());
            }
        }
        // EKS's own KmsKeyNotFound warning says it already.
        (Some(KeyLookup::NotFound { .. }), Some(_))
            if health::codes(info)
                .iter()
                .any(|c| c == health::KEY_NOT_FOUND) => {}
        (Some(KeyLookup::NotFound { message }), Some(arn)) => diags.push(Diagnostic::warning(
            "Customer managed key not found",
            format!(
                "Cluster {:?} is encrypted with {arn}, which KMS does not find ({message}). \
                 A cluster whose key was deleted cannot be recovered; check the key in the \
                 account that owns it.",
                info.name
            ),
        )),
        (Some(KeyLookup::AccessDenied { message }), Some(arn)) => diags.push(Diagnostic::warning(
            "Customer managed key not readable",
            format!(
                "Cluster {:?} is encrypted with {arn}, but KMS denied DescribeKey \
                     ({message}), so its key_state is null. Grant kms:DescribeKey on the key to \
                     see its health.",
                info.name
            ),
        )),
        _ => {}
    }
    (
        Row {
            cluster_name: info.name.clone(),
            cluster_version: info.version.clone(),
            key_type: KeyType::of(info).as_str().to_owned(),
            resolved_key_arn: resolved,
            key_state,
            health_issues: health::codes(info),
        },
        health::dedupe(diags),
    )
}

/// The data source's value.
pub fn value(region: &str, prefix: &Option<String>, rows: &[Row]) -> Value {
    Value::object([
        (
            "id",
            Value::String(format!("{region}/{}", prefix.as_deref().unwrap_or(""))),
        ),
        ("name_prefix", prefix.clone().into_value()),
        (
            "clusters",
            Value::list(rows.iter().map(|r| {
                Value::object([
                    ("cluster_name", Value::String(r.cluster_name.clone())),
                    ("cluster_version", Value::String(r.cluster_version.clone())),
                    ("key_type", Value::String(r.key_type.clone())),
                    ("resolved_key_arn", r.resolved_key_arn.clone().into_value()),
                    ("key_state", r.key_state.clone().into_value()),
                    ("health_issues", r.health_issues.clone().into_value()),
                ])
            })),
        ),
    ])
}

/// ReadDataSource: the clusters, their keys, the rows.
pub async fn read(ctx: &Ctx<'_>, config: &DynamicValue) -> (Option<DynamicValue>, Diagnostics) {
    let prefix = match configured_string(config, ty(), "name_prefix") {
        Ok(Maybe::Null) => None,
        Ok(Maybe::Known(s)) => Some(s),
        Ok(Maybe::Unknown) => {
            let detail = "name_prefix must be a known string (or unset) when the data source \
                          is read.";
            return (None, not_known("name_prefix", detail).into());
        }
        Err(d) => return (None, d.into()),
    };
    let facts = match gather(ctx, prefix.as_deref().unwrap_or("")).await {
        Ok(f) => f,
        Err(d) => return (None, d.into()),
    };
    let mut diags = Diagnostics::new();
    let mut rows = Vec::with_capacity(facts.0.len());
    for info in &facts.0 {
        let key = info.cmk_arn().and_then(|k| facts.1.get(k));
        let (r, d) = row(info, key);
        diags.extend(d);
        rows.push(r);
    }
    match DynamicValue::encode(&value(ctx.clients.region(), &prefix, &rows), ty()) {
        Ok(v) => (Some(v), diags),
        Err(e) => {
            diags.push(decode_diagnostic("data source state", e));
            (None, diags)
        }
    }
}

/// The clusters whose names start with `prefix`, and the lookups of their
/// CMKs by ARN.
type Facts = (Vec<ClusterInfo>, BTreeMap<String, KeyLookup>);

/// ListClusters, DescribeCluster for each match, DescribeKey for each
/// distinct CMK.
async fn gather(ctx: &Ctx<'_>, prefix: &str) -> Result<Facts, Diagnostic> {
    let names = tokio::select! {
        () = ctx.stop.cancelled() => Err(OpError::Interrupted),
        r = ctx.clients.list_clusters() => r.map_err(OpError::from),
    };
    let names = names.map_err(|e| op_diagnostic("listing the region's EKS clusters", e))?;
    let clusters: Vec<ClusterInfo> = futures::stream::iter(select(names, prefix))
        .map(|name| async move { ctx.cluster(&name, true).await.map_err(|e| (name, e)) })
        .buffered(CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await
        .map_err(|(name, e)| op_diagnostic(&format!("reading cluster {name:?}"), e))?
        .into_iter()
        .flatten()
        .collect();
    let keys: BTreeSet<String> = clusters
        .iter()
        .filter_map(|c| c.cmk_arn().map(str::to_owned))
        .collect();
    let lookups = futures::stream::iter(keys)
        .map(|k| async move {
            match ctx.key(&k, true).await {
                Ok(l) => Ok((k, l)),
                Err(e) => Err((k, e)),
            }
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await
        .map_err(|(k, e)| op_diagnostic(&format!("reading KMS key {k}"), e))?;
    Ok((clusters, lookups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::KeyInfo;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k1";

    fn info(name: &str, version: &str, key: Option<&str>) -> ClusterInfo {
        ClusterInfo {
            name: name.into(),
            version: version.into(),
            ..health::tests::cluster(key, &[])
        }
    }

    fn found(state: &str) -> KeyLookup {
        KeyLookup::Found(KeyInfo {
            key_id: "k1".into(),
            arn: KEY.into(),
            state: state.into(),
            spec: "SYMMETRIC_DEFAULT".into(),
            usage: "ENCRYPT_DECRYPT".into(),
            manager: "CUSTOMER".into(),
            deletion_date: None,
            enabled: state == "Enabled",
            custody: Default::default(),
        })
    }

    #[test]
    fn select_filters_by_prefix_sorts_and_dedups() {
        let names = ["prod-b", "dev-a", "prod-a", "prod-a"]
            .map(String::from)
            .to_vec();
        assert_eq!(select(names.clone(), "prod-"), ["prod-a", "prod-b"]);
        assert_eq!(select(names, ""), ["dev-a", "prod-a", "prod-b"]);
    }

    #[test]
    fn rows_by_key_type() {
        let (r, d) = row(&info("a", "1.31", Some(KEY)), Some(&found("Enabled")));
        assert!(d.0.is_empty());
        assert_eq!(
            r,
            Row {
                cluster_name: "a".into(),
                cluster_version: "1.31".into(),
                key_type: "CUSTOMER_MANAGED".into(),
                resolved_key_arn: Some(KEY.into()),
                key_state: Some("Enabled".into()),
                health_issues: Vec::new(),
            }
        );
        let (r, _) = row(&info("b", "1.31", None), None);
        assert_eq!(
            (r.key_type.as_str(), r.resolved_key_arn, r.key_state),
            ("AWS_OWNED", None, None)
        );
        let (r, _) = row(&info("c", "1.27", None), None);
        assert_eq!(r.key_type, "NONE");
    }

    #[test]
    fn unhealthy_or_unreadable_keys_warn_without_an_attribute() {
        let (r, d) = row(&info("a", "1.31", Some(KEY)), Some(&found("Disabled")));
        assert_eq!(r.key_state.as_deref(), Some("Disabled"));
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].summary, plan::summary::KEY_DISABLED);
        assert_eq!(d.0[0].attribute, None);
        let denied = KeyLookup::AccessDenied {
            message: "no".into(),
        };
        let (r, d) = row(&info("a", "1.31", Some(KEY)), Some(&denied));
        assert_eq!(
            (r.key_state, r.resolved_key_arn.as_deref()),
            (None, Some(KEY))
        );
        assert_eq!(d.0[0].summary, "Customer managed key not readable");
        let gone = KeyLookup::NotFound {
            message: "gone".into(),
        };
        let (_, d) = row(&info("a", "1.31", Some(KEY)), Some(&gone));
        assert_eq!(d.0[0].summary, "Customer managed key not found");
    }

    #[test]
    fn value_encodes_with_the_schema_type() {
        let rows = vec![row(&info("a", "1.31", Some(KEY)), Some(&found("Enabled"))).0];
        let v = value("us-east-1", &Some("a".into()), &rows);
        let dv = DynamicValue::encode(&v, ty()).unwrap();
        assert_eq!(dv.decode(ty()).unwrap(), v);
        let empty = value("us-east-1", &None, &[]);
        assert_eq!(
            empty.get_attr("id"),
            Some(&Value::String("us-east-1/".into()))
        );
        DynamicValue::encode(&empty, ty()).unwrap();
    }
}
