//! The `eks_encryption_config` data source: how a cluster's secrets are
//! encrypted, read-only.

use super::ops::Ctx;
use super::plan::{self, KeyLookup, KeyType};
use super::schema::data_source_schema;
use crate::provider::errors::{decode_diagnostic, op_diagnostic};
use crate::tfprotov6::{AttributePath, Diagnostic, Diagnostics, DynamicValue, Value};

/// ReadDataSource.
pub async fn read(ctx: &Ctx<'_>, config: &DynamicValue) -> (Option<DynamicValue>, Diagnostics) {
    static TYPE: std::sync::OnceLock<crate::tfprotov6::Type> = std::sync::OnceLock::new();
    let ty = TYPE.get_or_init(|| data_source_schema().block.value_type());
    let mut diags = Diagnostics::new();
    let cfg = match config.decode(ty) {
        Ok(v) => v,
        Err(e) => return (None, decode_diagnostic("configuration", e).into()),
    };
    let Some(Value::String(cluster)) = cfg.get_attr("cluster_name").cloned() else {
        diags.push(
            Diagnostic::error(
                "cluster_name not known",
                "cluster_name must be a known string.",
            )
            .with_attribute(AttributePath::attr("cluster_name")),
        );
        return (None, diags);
    };
    let info = match ctx.cluster(&cluster, true).await {
        Ok(Some(i)) => i,
        Ok(None) => {
            diags.extend(plan::check_cluster(&cluster, ctx.clients.region(), None));
            return (None, diags);
        }
        Err(e) => {
            diags.push(op_diagnostic(&format!("reading cluster {cluster:?}"), e));
            return (None, diags);
        }
    };
    let cmk = info.encryption.first();
    let mut key_state = Value::Null;
    if let Some(e) = cmk {
        match ctx.key(&e.key_arn, true).await {
            Ok(KeyLookup::Found(f)) => {
                // Point at the data source's own key attribute: it has no key_arn.
                for mut d in plan::key_health_warnings(&cluster, &f).0 {
                    d.attribute = Some(AttributePath::attr("resolved_key_arn"));
                    diags.push(d);
                }
                key_state = Value::String(f.state);
            }
            Ok(_) => {}
            Err(e) => {
                diags.push(op_diagnostic("reading the cluster's KMS key", e));
                return (None, diags);
            }
        }
    }
    let opt = |v: Option<&String>| v.map_or(Value::Null, |s| Value::String(s.clone()));
    let value = Value::object([
        ("id", Value::String(cluster.clone())),
        ("cluster_name", Value::String(cluster.clone())),
        ("cluster_arn", Value::String(info.arn.clone())),
        ("cluster_version", Value::String(info.version.clone())),
        ("key_type", Value::string(KeyType::of(&info).as_str())),
        ("resolved_key_arn", opt(cmk.map(|e| &e.key_arn))),
        ("key_state", key_state),
        (
            "resources",
            Value::list(
                cmk.map(|e| e.resources.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .map(Value::String),
            ),
        ),
    ]);
    match DynamicValue::encode(&value, ty) {
        Ok(v) => (Some(v), diags),
        Err(e) => {
            diags.push(decode_diagnostic("data source state", e));
            (None, diags)
        }
    }
}
