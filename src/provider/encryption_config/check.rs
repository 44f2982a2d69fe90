//! The `eks_encryption_config_check` action (Terraform 1.14+): re-checks,
//! as the caller, that a cluster's customer managed key can still protect
//! it, without changing anything in AWS or in state.
//!
//! ```hcl
//! action "eks_encryption_config_check" "prod" {
//!   config {
//!     cluster_name = "prod"
//!   }
//! }
//! ```
//!
//! Run it with `terraform apply -invoke=action.eks_encryption_config_check.prod`,
//! or after a create or update from a resource's
//! `lifecycle { action_trigger { ... } }`. It checks, in this order, each
//! step a progress event:
//!
//! 1. the cluster (DescribeCluster): its CMK and the KMS issues EKS reports
//!    in `health.issues`;
//! 2. the key (DescribeKey, and GetKeyRotationStatus): it exists, is
//!    Enabled, symmetric, `ENCRYPT_DECRYPT`, not pending deletion, and
//!    rotates when `require_key_rotation` is set;
//! 3. a CreateGrant dry run for the cluster's role, as EKS makes its grant
//!    (unless `preflight = false`).
//!
//! Every problem is its own error diagnostic naming the cluster and the
//! key ([`decide`], pure, tested as a decision table).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::health;
use super::ops::Ctx;
use super::plan::{self, KeyLookup};
use super::preflight::{self, PreflightFacts};
use crate::aws::ClusterInfo;
use crate::provider::errors::op_diagnostic;
use crate::provider::Configured;
use crate::tfprotov6::value::{AttributePath, Maybe, ObjectReader};
use crate::tfprotov6::{
    Attribute, Block, Diagnostic, Diagnostics, DynamicValue, EventStream, InvokeActionEvent,
    Schema, Type, Value,
};

/// The action type name.
pub const TYPE_NAME: &str = "eks_encryption_config_check";

/// Summary of every problem the check finds.
pub const PROBLEM: &str = "Encryption check failed";

/// The action's `config` block.
pub fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Re-checks, as the caller, that an EKS cluster's customer managed key \
                can still protect it: the key exists, is Enabled, symmetric and \
                `ENCRYPT_DECRYPT`, is not pending deletion, rotates when required; EKS could \
                create its grant (a CreateGrant dry run); and EKS reports no KMS issue in the \
                cluster's `health.issues`. Changes nothing in AWS or in state; fails with one \
                error per problem."
                .into(),
            attributes: vec![
                Attribute::required(
                    "cluster_name",
                    Type::String,
                    "Name of the EKS cluster to check, in the provider's region.",
                ),
                Attribute::optional(
                    "require_key_rotation",
                    Type::Bool,
                    "When `true`, a key without automatic rotation is a problem. Default \
                     `false` (a warning).",
                ),
                Attribute::optional(
                    "preflight",
                    Type::Bool,
                    "When `true` (the default), make the CreateGrant dry run for the cluster's \
                     IAM role. Set `false` for callers that may not call CreateGrant with \
                     DryRun.",
                ),
            ],
            ..Block::default()
        },
    }
}

fn config_type() -> &'static Type {
    static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| schema().block.value_type())
}

/// The action's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckConfig {
    /// `cluster_name` (unknown at plan when it comes from a resource being
    /// created).
    pub cluster_name: Maybe<String>,
    /// `require_key_rotation`, default false.
    pub require_key_rotation: bool,
    /// `preflight`, default true.
    pub preflight: bool,
}

/// Reads and validates the configuration; unknown values are allowed
/// (they are known by the time the action runs).
pub fn read_config(config: &DynamicValue) -> Result<CheckConfig, Diagnostics> {
    let bad =
        |e: String| -> Diagnostics { Diagnostic::error("Invalid action configuration", e).into() };
    let v = config
        .decode(config_type())
        .map_err(|e| bad(format!("The configuration does not decode: {e}")))?;
    if v.is_null() {
        return Err(bad(
            "The action has no config block. Add config { cluster_name = \"NAME\" }.".into(),
        ));
    }
    let root = AttributePath::root();
    let r = ObjectReader::new(&v, &root).map_err(|e| bad(e.to_string()))?;
    let cluster_name: Maybe<String> = r.get("cluster_name").map_err(|e| bad(e.to_string()))?;
    let flag = |name: &str, default: bool| -> Result<bool, Diagnostics> {
        let m: Maybe<bool> = r.get(name).map_err(|e| bad(e.to_string()))?;
        Ok(m.known().copied().unwrap_or(default))
    };
    if let Some(name) = cluster_name
        .known()
        .filter(|n| !super::resource::is_cluster_name(n))
    {
        return Err(Diagnostic::error(
            "Invalid cluster_name",
            format!(
                "{name:?} is not an EKS cluster name: 1 to 100 letters, digits, '-' and '_', \
                 starting with a letter or digit."
            ),
        )
        .with_attribute(AttributePath::attr("cluster_name"))
        .into());
    }
    Ok(CheckConfig {
        cluster_name,
        require_key_rotation: flag("require_key_rotation", false)?,
        preflight: flag("preflight", true)?,
    })
}

/// Everything the check decides on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFacts {
    /// The cluster as DescribeCluster reported it.
    pub cluster: ClusterInfo,
    /// The CMK lookup (`None` when the cluster has no CMK).
    pub key: Option<KeyLookup>,
    /// Automatic rotation, when KMS said.
    pub rotation: Option<bool>,
    /// Whether rotation is required.
    pub require_key_rotation: bool,
    /// The CreateGrant dry run, when made.
    pub grant: Option<PreflightFacts>,
}

/// A problem: an error naming the cluster and the key.
fn problem(cluster: &str, key: &str, detail: &str) -> Diagnostic {
    Diagnostic::error(PROBLEM, format!("Cluster {cluster:?}, key {key}: {detail}"))
}

/// The check's verdict: one error per problem, warnings for what only
/// deserves attention. No attribute paths: the action's diagnostics are
/// about AWS, not its configuration.
pub fn decide(f: &CheckFacts) -> Diagnostics {
    let cluster = f.cluster.name.as_str();
    let mut d = Diagnostics::new();
    let Some(cmk) = f.cluster.cmk_arn() else {
        d.push(Diagnostic::warning(
            "No customer managed key to check",
            format!(
                "Cluster {cluster:?} has no customer managed key (key type {}), so there is no \
                 key to check.",
                plan::KeyType::of(&f.cluster).as_str()
            ),
        ));
        return d;
    };
    // What EKS reports, as errors.
    for w in health::warnings(&f.cluster).0 {
        d.push(problem(
            cluster,
            cmk,
            &format!("{} {}", w.summary, w.detail),
        ));
    }
    let reported = health::codes(&f.cluster);
    let eks_says_gone = reported.iter().any(|c| c == health::KEY_NOT_FOUND);
    match &f.key {
        Some(KeyLookup::NotFound { .. }) if eks_says_gone => {}
        Some(lookup) => {
            for e in plan::check_key(cmk, lookup, region_of(&f.cluster)).0 {
                // EKS's issue for the same state already says it.
                let covered = match lookup {
                    KeyLookup::Found(k) => {
                        (k.state == "Disabled"
                            && reported.iter().any(|c| c == health::KEY_DISABLED))
                            || (k.state == "PendingDeletion"
                                && reported
                                    .iter()
                                    .any(|c| c == health::KEY_MARKED_FOR_DELETION))
                    }
                    _ => false,
                };
                if !covered {
                    d.push(problem(cluster, cmk, &e.detail));
                }
            }
        }
        None => {}
    }
    match f.rotation {
        Some(false) if f.require_key_rotation => d.push(problem(
            cluster,
            cmk,
            &preflight::rotation_required(cmk).detail,
        )),
        Some(false) => d.push(Diagnostic::warning(
            super::summary::ROTATION_OFF,
            format!(
                "Cluster {cluster:?}, key {cmk}: automatic key rotation is off. Turn it on with \
                 aws kms enable-key-rotation --key-id {cmk}, or set require_key_rotation = true \
                 to make this an error."
            ),
        )),
        _ => {}
    }
    if let Some(g) = &f.grant {
        for e in preflight::decide(g).0 {
            if e.is_error() {
                d.push(problem(cluster, cmk, &e.detail));
            } else {
                d.push(Diagnostic::warning(
                    e.summary,
                    format!("Cluster {cluster:?}: {}", e.detail),
                ));
            }
        }
    }
    d
}

/// The cluster's region, from its ARN.
fn region_of(c: &ClusterInfo) -> &str {
    c.arn.split(':').nth(3).unwrap_or_default()
}

/// PlanAction: the configuration only; the checks run when the action is
/// invoked.
pub fn plan(config: &DynamicValue) -> Diagnostics {
    read_config(config).err().unwrap_or_default()
}

/// InvokeAction: progress events, then the completion with the verdict.
pub fn invoke(
    configured: Arc<Configured>,
    stop: CancellationToken,
    config: DynamicValue,
) -> EventStream<InvokeActionEvent> {
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let work = async move {
        let progress = |m: String| {
            // A closed channel means the core stopped listening.
            let _ = tx.unbounded_send(InvokeActionEvent::Progress(m));
        };
        let verdict = run(&configured.ctx(&stop), &config, progress).await;
        let _ = tx.unbounded_send(InvokeActionEvent::Completed(verdict));
    };
    tokio::spawn(work.instrument(tracing::Span::current()));
    Box::pin(rx)
}

/// The checks, reporting progress.
async fn run(ctx: &Ctx<'_>, config: &DynamicValue, progress: impl Fn(String)) -> Diagnostics {
    let config = match read_config(config) {
        Ok(c) => c,
        Err(d) => return d,
    };
    let Some(cluster) = config.cluster_name.known().cloned() else {
        return Diagnostic::error(
            "Invalid action configuration",
            "cluster_name must be known when the action runs.",
        )
        .into();
    };
    progress(format!("Reading cluster {cluster:?} (DescribeCluster)"));
    let info = match ctx.cluster(&cluster, false).await {
        Ok(Some(i)) => i,
        Ok(None) => {
            return Diagnostic::error(
                PROBLEM,
                format!(
                    "EKS reports no cluster named {cluster:?} in region {}. Check the cluster \
                     name and the provider's region.",
                    ctx.clients.region()
                ),
            )
            .into()
        }
        Err(e) => return op_diagnostic(&format!("reading cluster {cluster:?}"), e).into(),
    };
    let mut facts = CheckFacts {
        key: None,
        rotation: None,
        require_key_rotation: config.require_key_rotation,
        grant: None,
        cluster: info.clone(),
    };
    if let Some(cmk) = info.cmk_arn() {
        progress(format!(
            "Checking key {cmk} (DescribeKey, GetKeyRotationStatus)"
        ));
        match ctx.key(cmk, false).await {
            Ok(lookup) => {
                if matches!(lookup, KeyLookup::Found(_)) {
                    match ctx.rotation(cmk).await {
                        Ok(r) => facts.rotation = r,
                        Err(e) => return op_diagnostic("reading the key's rotation", e).into(),
                    }
                }
                facts.key = Some(lookup);
            }
            Err(e) => return op_diagnostic(&format!("reading KMS key {cmk}"), e).into(),
        }
        if config.preflight && matches!(facts.key, Some(KeyLookup::Found(_))) {
            progress(format!(
                "CreateGrant dry run on {cmk} for the cluster's role"
            ));
            match preflight::gather(
                ctx.clients,
                ctx.stop,
                &cluster,
                &info.arn,
                info.role_arn.as_deref(),
                cmk,
                true,
            )
            .await
            {
                Ok(g) => facts.grant = Some(g),
                Err(e) => return op_diagnostic("the CreateGrant dry run", e).into(),
            }
        }
    }
    let verdict = decide(&facts);
    let errors = verdict.iter().filter(|d| d.is_error()).count();
    progress(if errors == 0 {
        format!("Cluster {cluster:?}: no problem found")
    } else {
        format!("Cluster {cluster:?}: {errors} problem(s) found")
    });
    verdict
}

/// The configuration as a value, for tests and docs.
pub fn config_value(cluster_name: &str) -> Value {
    Value::object([
        ("cluster_name", Value::string(cluster_name)),
        ("require_key_rotation", Value::Null),
        ("preflight", Value::Null),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{AwsError, DryRunGrant, KeyInfo};
    use crate::provider::encryption_config::health::tests::{cluster, KEY};
    use crate::provider::encryption_config::preflight::GrantCheck;

    fn key(state: &str, spec: &str, usage: &str) -> KeyLookup {
        KeyLookup::Found(KeyInfo {
            key_id: "k1".into(),
            arn: KEY.into(),
            state: state.into(),
            spec: spec.into(),
            usage: usage.into(),
            manager: "CUSTOMER".into(),
            deletion_date: None,
            enabled: state == "Enabled",
            custody: Default::default(),
        })
    }

    fn grant(answer: Result<DryRunGrant, AwsError>) -> PreflightFacts {
        let c = cluster(Some(KEY), &[]);
        PreflightFacts {
            cluster: c.name,
            cluster_arn: c.arn,
            cluster_role_arn: Some("arn:aws:iam::111122223333:role/eks".into()),
            key_arn: KEY.into(),
            custody: None,
            grant: GrantCheck::Answered(answer),
        }
    }

    fn facts(codes: &[&str], key: KeyLookup) -> CheckFacts {
        CheckFacts {
            cluster: cluster(Some(KEY), codes),
            key: Some(key),
            rotation: Some(true),
            require_key_rotation: false,
            grant: Some(grant(Ok(DryRunGrant::WouldSucceed))),
        }
    }

    fn errors(d: &Diagnostics) -> usize {
        d.iter().filter(|d| d.is_error()).count()
    }

    /// Decision table: facts -> number of errors, and every error names
    /// the cluster and the key.
    #[test]
    fn one_error_per_problem() {
        let enabled = || key("Enabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        let denied = AwsError {
            operation: "CreateGrant",
            kind: crate::aws::AwsErrorKind::Service,
            code: Some("AccessDeniedException".into()),
            message: "User: arn:aws:iam::1:role/ci is not authorized".into(),
            request_id: Some("rid".into()),
            http_status: Some(400),
        };
        let mut rotation_off = facts(&[], enabled());
        rotation_off.rotation = Some(false);
        let mut rotation_required = rotation_off.clone();
        rotation_required.require_key_rotation = true;
        let mut grant_denied = facts(&[], enabled());
        grant_denied.grant = Some(grant(Err(denied)));
        let rows: Vec<(&str, CheckFacts, usize)> = vec![
            ("healthy", facts(&[], enabled()), 0),
            (
                "grant revoked",
                facts(&[health::GRANT_REVOKED], enabled()),
                1,
            ),
            (
                "disabled, reported once",
                facts(
                    &[health::KEY_DISABLED],
                    key("Disabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
                ),
                1,
            ),
            (
                "disabled, not yet reported",
                facts(&[], key("Disabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")),
                1,
            ),
            (
                "pending deletion",
                facts(
                    &[health::KEY_MARKED_FOR_DELETION],
                    key("PendingDeletion", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
                ),
                1,
            ),
            (
                "key gone",
                facts(
                    &[health::KEY_NOT_FOUND],
                    KeyLookup::NotFound {
                        message: "gone".into(),
                    },
                ),
                1,
            ),
            (
                "asymmetric",
                facts(&[], key("Enabled", "RSA_2048", "ENCRYPT_DECRYPT")),
                1,
            ),
            (
                "sign/verify",
                facts(&[], key("Enabled", "SYMMETRIC_DEFAULT", "SIGN_VERIFY")),
                1,
            ),
            ("rotation off", rotation_off, 0),
            ("rotation required", rotation_required, 1),
            ("grant refused", grant_denied, 1),
            (
                "revoked and disabled",
                facts(
                    &[health::GRANT_REVOKED, health::KEY_DISABLED],
                    key("Disabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
                ),
                2,
            ),
        ];
        for (name, f, want) in rows {
            let d = decide(&f);
            assert_eq!(errors(&d), want, "{name}: {d:?}");
            for e in d.iter().filter(|d| d.is_error()) {
                assert_eq!(e.summary, PROBLEM, "{name}");
                assert!(
                    e.detail.contains("\"prod\"") && e.detail.contains(KEY),
                    "{name}: {}",
                    e.detail
                );
                assert!(e.attribute.is_none(), "{name}");
            }
        }
    }

    #[test]
    fn revoked_grant_is_called_unrecoverable() {
        let d = decide(&facts(
            &[health::GRANT_REVOKED],
            key("Enabled", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
        ));
        assert!(
            d.0[0].detail.contains("KmsGrantRevoked"),
            "{}",
            d.0[0].detail
        );
        assert!(d.0[0].detail.contains("unrecoverable"), "{}", d.0[0].detail);
    }

    #[test]
    fn no_cmk_is_a_warning() {
        let f = CheckFacts {
            cluster: cluster(None, &[]),
            key: None,
            rotation: None,
            require_key_rotation: true,
            grant: None,
        };
        let d = decide(&f);
        assert_eq!(errors(&d), 0);
        assert_eq!(d.0[0].summary, "No customer managed key to check");
    }

    #[test]
    fn config_is_read_and_validated() {
        let ok = DynamicValue::encode(&config_value("prod"), config_type()).unwrap();
        assert_eq!(
            read_config(&ok).unwrap(),
            CheckConfig {
                cluster_name: Maybe::Known("prod".into()),
                require_key_rotation: false,
                preflight: true,
            }
        );
        let bad = DynamicValue::encode(&config_value("not a name"), config_type()).unwrap();
        let d = read_config(&bad).unwrap_err();
        assert_eq!(d.0[0].summary, "Invalid cluster_name");
        assert!(plan(&bad).has_errors());
        let unknown = Value::object([
            ("cluster_name", Value::Unknown),
            ("require_key_rotation", Value::Null),
            ("preflight", Value::Bool(false)),
        ]);
        let unknown = DynamicValue::encode(&unknown, config_type()).unwrap();
        assert!(
            plan(&unknown).is_empty(),
            "unknown values wait for the apply"
        );
        assert!(read_config(&DynamicValue::null()).is_err());
    }

    /// The action's page is a guide (the docs generator cannot see actions
    /// yet): it must state every attribute with the schema's description.
    #[test]
    fn guide_page_follows_the_schema() {
        let page = include_str!("../../../templates/guides/encryption-config-check-action.md.tmpl");
        let flat = page.split_whitespace().collect::<Vec<_>>().join(" ");
        for a in schema().block.attributes {
            let ty = if a.ty == Type::Bool {
                "Boolean"
            } else {
                "String"
            };
            let want = format!("`{}` ({ty}) {}", a.name, a.description);
            assert!(flat.contains(&want), "the guide lacks {want:?}");
        }
    }

    #[test]
    fn every_attribute_is_described() {
        assert!(schema()
            .block
            .attributes
            .iter()
            .all(|a| !a.description.is_empty()));
    }
}
