//! The `eks_encryption_config` data source: how a cluster's secrets are
//! encrypted, read-only.

use super::health;
use super::ops::Ctx;
use super::plan::{self, KeyLookup, KeyType};
use super::schema::data_source_schema;
use crate::provider::errors::{decode_diagnostic, op_diagnostic};
use crate::tfprotov6::value::{IntoValue, Maybe, ObjectReader};
use crate::tfprotov6::{AttributePath, Diagnostic, Diagnostics, DynamicValue, Type, Value};

fn ty() -> &'static Type {
    static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| data_source_schema().block.value_type())
}

/// The string attribute `name` of a data source's configuration.
pub(crate) fn configured_string(
    config: &DynamicValue,
    ty: &Type,
    name: &str,
) -> Result<Maybe<String>, Diagnostic> {
    let cfg = config
        .decode(ty)
        .map_err(|e| decode_diagnostic("configuration", e))?;
    ObjectReader::new(&cfg, &AttributePath::root())
        .and_then(|r| r.get(name))
        .map_err(|e| decode_diagnostic("configuration", e))
}

/// The error for a data source attribute that is not known when the data
/// source is read; `detail` says what it must be.
pub(crate) fn not_known(name: &str, detail: &str) -> Diagnostic {
    Diagnostic::error(format!("{name} not known"), detail).with_attribute(AttributePath::attr(name))
}

/// ReadDataSource.
pub async fn read(ctx: &Ctx<'_>, config: &DynamicValue) -> (Option<DynamicValue>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let cluster = match configured_string(config, ty(), "cluster_name") {
        Ok(Maybe::Known(c)) => c,
        Ok(_) => {
            let d = not_known("cluster_name", "cluster_name must be a known string.");
            return (None, d.into());
        }
        Err(d) => return (None, d.into()),
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
    // What EKS reports, from the same DescribeCluster.
    diags.extend(health::warnings(&info));
    let mut key_state = None;
    if let Some(e) = cmk {
        match ctx.key(&e.key_arn, true).await {
            Ok(KeyLookup::Found(f)) => {
                // Point at the data source's own key attribute: it has no key_arn.
                for mut d in plan::key_health_warnings(&cluster, &f).0 {
                    d.attribute = Some(AttributePath::attr("resolved_key_arn"));
                    diags.push(d);
                }
                key_state = Some(f.state);
            }
            Ok(_) => {}
            Err(e) => {
                diags.push(op_diagnostic("reading the cluster's KMS key", e));
                return (None, diags);
            }
        }
    }
    let mut diags = health::dedupe(diags);
    let resources = cmk.map(|e| e.resources.clone()).unwrap_or_default();
    let value = Value::object([
        ("id", Value::string(&cluster)),
        ("cluster_name", cluster.into_value()),
        ("cluster_arn", Value::string(&info.arn)),
        ("cluster_version", Value::string(&info.version)),
        ("key_type", Value::string(KeyType::of(&info).as_str())),
        (
            "resolved_key_arn",
            cmk.map(|e| e.key_arn.clone()).into_value(),
        ),
        ("key_state", key_state.into_value()),
        ("resources", resources.into_value()),
        ("health_issues", health::codes(&info).into_value()),
    ]);
    match DynamicValue::encode(&value, ty()) {
        Ok(v) => (Some(v), diags),
        Err(e) => {
            diags.push(decode_diagnostic("data source state", e));
            (None, diags)
        }
    }
}
