//! The association preflight and the "not there yet" rules of
//! `eks_encryption_config`.
//!
//! This module calls AWS: [`gather`] makes the CreateGrant dry run (and
//! reads the key's custody) through [`AwsClients`]; everything else is a pure
//! decision over plain data ([`decide`] and the diagnostics, tested as a
//! decision table below).
//!
//! - A cluster or key named in the configuration that does not exist yet at
//!   plan (typically: created in the same run) is a warning, and every check
//!   runs again at apply, where it is an error if it is still missing.
//! - Before an association is planned, a CreateGrant dry run as the caller
//!   tells whether EKS will be able to create its grant on the key; the
//!   key's custody (imported material with an expiry, custom key store) is
//!   reported too.

use tokio_util::sync::CancellationToken;

use crate::aws::{AwsClients, AwsError, DryRunGrant, KeyCustody, EKS_GRANT_OPERATIONS};
use crate::provider::errors::OpError;
use crate::tfprotov6::{AttributePath, Diagnostic, Diagnostics};

/// Diagnostic summaries (one list for the resource: see
/// [`crate::provider::encryption_config::summary`]).
pub use super::summary;

fn key_path() -> AttributePath {
    AttributePath::attr("key_arn")
}

fn cluster_path() -> AttributePath {
    AttributePath::attr("cluster_name")
}

/// The account id of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`).
pub fn account_of(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    parts.nth(3).filter(|a| !a.is_empty())
}

/// The region of an ARN.
pub fn region_of(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    parts.nth(2).filter(|r| !r.is_empty())
}

/// Whether a key KMS does not find may still appear in this run: anything
/// but an ARN of another region than the provider's (EKS needs a key in the
/// cluster's region, so such a key can never be used; refused at plan).
pub fn may_appear_later(configured: &str, region: &str) -> bool {
    region_of(configured).is_none_or(|r| r == region)
}

/// Plan-time warning for a known `cluster_name` EKS does not know (yet).
pub fn cluster_not_found_yet(name: &str, region: &str) -> Diagnostic {
    Diagnostic::warning(
        summary::CLUSTER_NOT_FOUND_YET,
        format!(
            "EKS reports no cluster named {name:?} in region {region} yet. If it is created in \
             this run (for example by aws_eks_cluster), that is expected: every check runs at \
             apply, once the cluster exists, and the apply waits for a cluster that is still \
             CREATING to become ACTIVE. If the cluster does not exist at apply, the apply fails \
             with \"EKS cluster not found\" and sends nothing. Otherwise check cluster_name and \
             the provider's region (or alias)."
        ),
    )
    .with_attribute(cluster_path())
}

/// Plan-time warning for a known `key_arn` KMS does not find (yet).
pub fn key_not_found_yet(configured: &str, region: &str, message: &str) -> Diagnostic {
    Diagnostic::warning(
        summary::KEY_NOT_FOUND_YET,
        format!(
            "KMS finds no key {configured:?} in region {region} yet ({message}). If the key or \
             alias is created in this run (aws_kms_key, aws_kms_alias), that is expected: the key \
             is looked up and checked at apply, before anything is sent to EKS. If it still does \
             not exist then, the apply fails with \"KMS key not usable\" and sends nothing."
        ),
    )
    .with_attribute(key_path())
}

/// What the CreateGrant dry run said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantCheck {
    /// The preflight is turned off (`preflight = false`).
    Off,
    /// The cluster's IAM role is not known (the grant needs a grantee).
    NoGrantee,
    /// KMS answered the dry run.
    Answered(Result<DryRunGrant, AwsError>),
}

/// Everything the preflight decides on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightFacts {
    /// The cluster's name.
    pub cluster: String,
    /// The cluster's ARN (for its account).
    pub cluster_arn: String,
    /// The cluster's IAM role (EKS's grantee).
    pub cluster_role_arn: Option<String>,
    /// The resolved key ARN.
    pub key_arn: String,
    /// How the key's material is held, when known.
    pub custody: Option<KeyCustody>,
    /// The dry run's outcome.
    pub grant: GrantCheck,
}

/// Gathers the preflight's facts: the key's custody (from the provider's
/// DescribeKey cache, which the plan has filled already, so usually no
/// call) and, when `enabled` and the cluster role is known, a CreateGrant
/// dry run for it. KMS errors become facts; only a stop from Terraform is
/// an error.
pub async fn gather(
    clients: &AwsClients,
    stop: &CancellationToken,
    cluster: &str,
    cluster_arn: &str,
    cluster_role_arn: Option<&str>,
    key_arn: &str,
    enabled: bool,
) -> Result<PreflightFacts, OpError> {
    let custody = tokio::select! {
        biased;
        () = stop.cancelled() => return Err(OpError::Interrupted),
        r = clients.describe_key_cached(key_arn) => r,
    };
    let custody = match custody {
        Ok(k) => Some(k.custody),
        Err(e) => {
            tracing::debug!(key_arn, error = %e, "skipping the key custody check");
            None
        }
    };
    let grant = match (enabled, cluster_role_arn) {
        (false, _) => GrantCheck::Off,
        (true, None) => GrantCheck::NoGrantee,
        (true, Some(role)) => {
            let r = tokio::select! {
                biased;
                () = stop.cancelled() => return Err(OpError::Interrupted),
                r = clients.create_grant_dry_run(key_arn, role) => r,
            };
            GrantCheck::Answered(r)
        }
    };
    Ok(PreflightFacts {
        cluster: cluster.to_owned(),
        cluster_arn: cluster_arn.to_owned(),
        cluster_role_arn: cluster_role_arn.map(str::to_owned),
        key_arn: key_arn.to_owned(),
        custody,
        grant,
    })
}

/// The principal an AccessDenied message names ("User: ARN is not
/// authorized ...").
pub fn denied_principal(message: &str) -> Option<&str> {
    let rest = message.split("User: ").nth(1)?;
    rest.split_whitespace()
        .next()
        .filter(|p| p.starts_with("arn:"))
}

fn grant_denied(f: &PreflightFacts, e: &AwsError) -> Diagnostic {
    let principal = denied_principal(&e.message)
        .map(|p| format!("the principal {p}"))
        .unwrap_or_else(|| {
            "the identity Terraform runs as (aws sts get-caller-identity)".to_owned()
        });
    let key_account = account_of(&f.key_arn);
    let cluster_account = account_of(&f.cluster_arn);
    let mut detail = format!(
        "A CreateGrant dry run on {} as {principal} was refused: {}{}{}. \
         AssociateEncryptionConfig on cluster {:?} would fail the same way, because EKS creates \
         a grant on the key as the caller (for the cluster role, operations {}).",
        f.key_arn,
        e.code
            .as_deref()
            .map(|c| format!("{c}: "))
            .unwrap_or_default(),
        e.message,
        e.request_id
            .as_deref()
            .map(|r| format!(" (request id: {r})"))
            .unwrap_or_default(),
        f.cluster,
        EKS_GRANT_OPERATIONS.join(", "),
    );
    match (key_account, cluster_account) {
        (Some(k), Some(c)) if k != c => detail.push_str(&format!(
            "\nThe key belongs to account {k} and the cluster to account {c}. Two policies must \
             allow it: the key policy in account {k} must allow kms:CreateGrant and \
             kms:DescribeKey to account {c} (Principal {{\"AWS\": \"arn:aws:iam::{c}:root\"}}) or \
             to the principal itself, and an IAM policy in account {c} must allow the principal \
             kms:CreateGrant and kms:DescribeKey on Resource \"{}\".",
            f.key_arn
        )),
        _ => detail.push_str(&format!(
            "\nAllow kms:CreateGrant and kms:DescribeKey on this key for that principal: in the \
             key policy (a statement with Effect \"Allow\", Principal {{\"AWS\": \"<the principal's \
             role or user ARN>\"}}, Action [\"kms:CreateGrant\", \"kms:DescribeKey\"], Resource \
             \"*\"), or, when the key policy delegates to IAM (it allows the account root), in an \
             IAM policy of the principal with Resource \"{}\". Remove any explicit Deny on \
             kms:CreateGrant that matches.",
            f.key_arn
        )),
    }
    detail.push_str(
        "\nSet preflight = false on this resource only if the caller may not call CreateGrant \
         with DryRun; the association would still be refused by EKS.",
    );
    Diagnostic::error(summary::GRANT_DENIED, detail).with_attribute(key_path())
}

/// The preflight's diagnostics for a planned association.
pub fn decide(f: &PreflightFacts) -> Diagnostics {
    let mut d = Diagnostics::new();
    match &f.grant {
        GrantCheck::Off => {}
        GrantCheck::NoGrantee => d.push(
            Diagnostic::warning(
                summary::NOT_EVALUATED,
                format!(
                    "EKS did not report the IAM role of cluster {:?}, so the CreateGrant dry run \
                     was skipped; the association itself will tell whether the grant can be \
                     created.",
                    f.cluster
                ),
            )
            .with_attribute(key_path()),
        ),
        GrantCheck::Answered(Ok(DryRunGrant::WouldSucceed)) => {}
        GrantCheck::Answered(Ok(DryRunGrant::NotHonoured { grant_id, revoked })) => d.push(
            Diagnostic::warning(
                summary::NOT_EVALUATED,
                format!(
                    "The KMS endpoint ignored DryRun and created grant {grant_id} on {}{}. The \
                     caller can create grants, so the association should succeed. If this \
                     endpoint does not support DryRun, set preflight = false.",
                    f.key_arn,
                    if *revoked {
                        "; it was revoked again".to_owned()
                    } else {
                        format!(
                            "; revoking it failed, revoke it yourself: aws kms revoke-grant \
                             --key-id {} --grant-id {grant_id}",
                            f.key_arn
                        )
                    }
                ),
            )
            .with_attribute(key_path()),
        ),
        GrantCheck::Answered(Err(e)) if e.is_access_denied() => d.push(grant_denied(f, e)),
        GrantCheck::Answered(Err(e)) => d.push(
            Diagnostic::warning(
                summary::NOT_EVALUATED,
                format!(
                    "The CreateGrant dry run on {} could not be evaluated ({e}). The plan goes \
                     on; the association itself will tell whether EKS can create its grant. If \
                     the caller may not use DryRun at all, set preflight = false to skip this \
                     check.",
                    f.key_arn
                ),
            )
            .with_attribute(key_path()),
        ),
    }
    if let Some(c) = &f.custody {
        d.extend(custody_warnings(&f.cluster, c));
    }
    d
}

/// Warnings about a key whose material can stop being usable by itself.
pub fn custody_warnings(cluster: &str, c: &KeyCustody) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(valid_to) = &c.valid_to {
        d.push(
            Diagnostic::warning(
                summary::MATERIAL_EXPIRES,
                format!(
                    "Key {} uses imported key material that expires on {valid_to}. When it \
                     expires, KMS deletes the material and the key becomes unusable: cluster \
                     {cluster:?} then degrades as with a disabled key (the API server can no \
                     longer decrypt Kubernetes data once it restarts) until the same material is \
                     imported again. Reimport it before that date, or import it with \
                     ExpirationModel KEY_MATERIAL_DOES_NOT_EXPIRE.",
                    c.arn
                ),
            )
            .with_attribute(key_path()),
        );
    }
    if matches!(c.origin.as_str(), "AWS_CLOUDHSM" | "EXTERNAL_KEY_STORE") {
        let store = c
            .custom_key_store_id
            .as_deref()
            .map(|s| format!(" {s}"))
            .unwrap_or_default();
        let what = if c.origin == "AWS_CLOUDHSM" {
            "its AWS CloudHSM cluster"
        } else {
            "its external key manager"
        };
        d.push(
            Diagnostic::warning(
                summary::CUSTOM_KEY_STORE,
                format!(
                    "Key {} is in custom key store{store} ({}). While the store is disconnected \
                     from {what}, the key is Unavailable and cluster {cluster:?} degrades as \
                     with a disabled key, until the store reconnects. Monitor the store's \
                     connection state, or use a key in the AWS KMS key store.",
                    c.arn, c.origin
                ),
            )
            .with_attribute(key_path()),
        );
    }
    d
}

/// The refresh warning for a CMK in state `Unavailable`.
pub fn unavailable_warning(cluster: &str, key_arn: &str) -> Diagnostic {
    Diagnostic::warning(
        summary::KEY_UNAVAILABLE,
        format!(
            "The customer managed key {key_arn} that encrypts cluster {cluster:?} is \
             Unavailable: its custom key store is disconnected. The cluster is degraded until \
             the key is usable again: reconnect the custom key store (aws kms \
             connect-custom-key-store) and check its CloudHSM cluster or external key manager."
        ),
    )
    .with_attribute(key_path())
}

/// With `require_key_rotation = true`, a key without automatic rotation.
pub fn rotation_required(key_arn: &str) -> Diagnostic {
    Diagnostic::error(
        summary::ROTATION_REQUIRED,
        format!(
            "require_key_rotation = true, and automatic rotation is off for {key_arn}. EKS can \
             never switch to another key, so rotation is the only way to renew its material. \
             Enable it (aws kms enable-key-rotation --key-id {key_arn}, or \
             enable_key_rotation = true on aws_kms_key) and plan again, or set \
             require_key_rotation = false."
        ),
    )
    .with_attribute(key_path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::AwsErrorKind;

    const CLUSTER_ARN: &str = "arn:aws:eks:us-east-1:123456789012:cluster/prod";
    const ROLE: &str = "arn:aws:iam::123456789012:role/eks";
    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k";
    const FOREIGN_KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/k";

    fn err(code: &str, message: &str) -> AwsError {
        AwsError {
            operation: "CreateGrant",
            kind: AwsErrorKind::Service,
            code: Some(code.into()),
            message: message.into(),
            request_id: Some("rid-1".into()),
            http_status: Some(400),
        }
    }

    fn facts(key: &str, grant: GrantCheck) -> PreflightFacts {
        PreflightFacts {
            cluster: "prod".into(),
            cluster_arn: CLUSTER_ARN.into(),
            cluster_role_arn: Some(ROLE.into()),
            key_arn: key.into(),
            custody: Some(KeyCustody {
                arn: key.into(),
                origin: "AWS_KMS".into(),
                valid_to: None,
                custom_key_store_id: None,
            }),
            grant,
        }
    }

    fn summaries(d: &Diagnostics) -> Vec<(&str, bool)> {
        d.0.iter()
            .map(|d| (d.summary.as_str(), d.is_error()))
            .collect()
    }

    const DENIED: &str = "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: \
                          kms:CreateGrant on resource: K because no identity-based policy allows \
                          the kms:CreateGrant action";

    type Row = (&'static str, PreflightFacts, Vec<(&'static str, bool)>);

    /// Runs the preflight's decision on every row: its diagnostics (summary,
    /// is error), each on `key_arn`.
    fn check_rows(rows: Vec<Row>) {
        for (name, f, want) in rows {
            let d = decide(&f);
            assert_eq!(summaries(&d), want, "row: {name}");
            for diag in &d.0 {
                assert_eq!(diag.attribute, Some(key_path()), "row: {name}");
            }
        }
    }

    fn ok() -> GrantCheck {
        GrantCheck::Answered(Ok(DryRunGrant::WouldSucceed))
    }

    /// Imported key material that expires.
    fn expiring() -> KeyCustody {
        KeyCustody {
            arn: KEY.into(),
            origin: "EXTERNAL".into(),
            valid_to: Some("2030-01-01T00:00:00Z".into()),
            custom_key_store_id: None,
        }
    }

    /// A key in a custom key store of the given origin.
    fn key_store(origin: &str) -> KeyCustody {
        KeyCustody {
            arn: KEY.into(),
            origin: origin.into(),
            valid_to: None,
            custom_key_store_id: Some("cks-1".into()),
        }
    }

    /// The dry run's outcomes x the key's account -> diagnostics.
    #[test]
    fn dry_run_table() {
        check_rows(vec![
            ("dry run would succeed", facts(KEY, ok()), vec![]),
            ("preflight off", facts(KEY, GrantCheck::Off), vec![]),
            (
                "access denied: error on key_arn",
                facts(
                    KEY,
                    GrantCheck::Answered(Err(err("AccessDeniedException", DENIED))),
                ),
                vec![(summary::GRANT_DENIED, true)],
            ),
            (
                "access denied, key in another account",
                facts(
                    FOREIGN_KEY,
                    GrantCheck::Answered(Err(err("AccessDeniedException", DENIED))),
                ),
                vec![(summary::GRANT_DENIED, true)],
            ),
            (
                "dry run not evaluable: warning",
                facts(
                    KEY,
                    GrantCheck::Answered(Err(err("ValidationException", "DryRun unsupported"))),
                ),
                vec![(summary::NOT_EVALUATED, false)],
            ),
            (
                "no grantee: warning",
                facts(KEY, GrantCheck::NoGrantee),
                vec![(summary::NOT_EVALUATED, false)],
            ),
            (
                "DryRun ignored by the endpoint: warning",
                facts(
                    KEY,
                    GrantCheck::Answered(Ok(DryRunGrant::NotHonoured {
                        grant_id: "g".into(),
                        revoked: true,
                    })),
                ),
                vec![(summary::NOT_EVALUATED, false)],
            ),
        ]);
    }

    /// The key's custody (imported material, custom key stores), alone and
    /// with a refused dry run -> diagnostics.
    #[test]
    fn custody_table() {
        check_rows(vec![
            (
                "imported material with ValidTo",
                PreflightFacts {
                    custody: Some(expiring()),
                    ..facts(KEY, ok())
                },
                vec![(summary::MATERIAL_EXPIRES, false)],
            ),
            (
                "CloudHSM key store",
                PreflightFacts {
                    custody: Some(key_store("AWS_CLOUDHSM")),
                    ..facts(KEY, ok())
                },
                vec![(summary::CUSTOM_KEY_STORE, false)],
            ),
            (
                "external key store",
                PreflightFacts {
                    custody: Some(key_store("EXTERNAL_KEY_STORE")),
                    ..facts(KEY, ok())
                },
                vec![(summary::CUSTOM_KEY_STORE, false)],
            ),
            (
                "denied and expiring: both",
                PreflightFacts {
                    custody: Some(expiring()),
                    ..facts(
                        KEY,
                        GrantCheck::Answered(Err(err("AccessDeniedException", DENIED))),
                    )
                },
                vec![
                    (summary::GRANT_DENIED, true),
                    (summary::MATERIAL_EXPIRES, false),
                ],
            ),
        ]);
    }

    #[test]
    fn denied_detail_names_principal_permission_and_fix() {
        let d = decide(&facts(
            KEY,
            GrantCheck::Answered(Err(err("AccessDeniedException", DENIED))),
        ));
        let detail = &d.0[0].detail;
        assert!(
            detail.contains("arn:aws:iam::123456789012:user/ci"),
            "{detail}"
        );
        assert!(detail.contains("kms:CreateGrant") && detail.contains("kms:DescribeKey"));
        assert!(detail.contains("key policy") && detail.contains("IAM policy"));
        assert!(detail.contains("rid-1"), "keeps the request id: {detail}");
        let d = decide(&facts(
            FOREIGN_KEY,
            GrantCheck::Answered(Err(err("AccessDeniedException", DENIED))),
        ));
        let detail = &d.0[0].detail;
        assert!(
            detail.contains("account 111122223333")
                && detail.contains("arn:aws:iam::123456789012:root"),
            "says what the other account's key policy must allow: {detail}"
        );
    }

    #[test]
    fn expiry_warning_has_the_date_and_the_consequence() {
        let d = custody_warnings(
            "prod",
            &KeyCustody {
                arn: KEY.into(),
                origin: "EXTERNAL".into(),
                valid_to: Some("2030-01-01T00:00:00Z".into()),
                custom_key_store_id: None,
            },
        );
        assert!(d.0[0].detail.contains("2030-01-01T00:00:00Z"));
        assert!(d.0[0].detail.contains("degrades"));
    }

    #[tokio::test]
    async fn gather_makes_the_dry_run_only_when_enabled_and_with_a_grantee() {
        use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
        use aws_sdk_kms::types::{KeyMetadata, OriginType};
        use aws_smithy_mocks::{mock, RuleMode};

        let describe = mock!(aws_sdk_kms::Client::describe_key).then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(
                    KeyMetadata::builder()
                        .key_id("k")
                        .arn(KEY)
                        .origin(OriginType::AwsKms)
                        .build()
                        .unwrap(),
                )
                .build()
        });
        let dry = mock!(aws_sdk_kms::Client::create_grant)
            .match_requests(|r| r.grantee_principal() == Some(ROLE) && r.dry_run() == Some(true))
            .then_http_response(|| {
                crate::aws::test_support::json_error(400, "DryRunOperationException", "ok", "r")
            });
        let aws = AwsClients::from_clients(
            crate::aws::test_support::eks_client(RuleMode::MatchAny, &[]),
            crate::aws::test_support::kms_client(RuleMode::MatchAny, &[&describe, &dry]),
            "us-east-1".into(),
        );
        let stop = CancellationToken::new();
        let f = gather(&aws, &stop, "prod", CLUSTER_ARN, Some(ROLE), KEY, true)
            .await
            .unwrap();
        assert_eq!(f.grant, GrantCheck::Answered(Ok(DryRunGrant::WouldSucceed)));
        assert_eq!(
            f.custody.as_ref().map(|c| c.origin.as_str()),
            Some("AWS_KMS")
        );
        let off = gather(&aws, &stop, "prod", CLUSTER_ARN, Some(ROLE), KEY, false)
            .await
            .unwrap();
        assert_eq!(off.grant, GrantCheck::Off);
        let none = gather(&aws, &stop, "prod", CLUSTER_ARN, None, KEY, true)
            .await
            .unwrap();
        assert_eq!(none.grant, GrantCheck::NoGrantee);
        assert_eq!(dry.num_calls(), 1);
        stop.cancel();
        assert!(matches!(
            gather(&aws, &stop, "prod", CLUSTER_ARN, Some(ROLE), KEY, true).await,
            Err(OpError::Interrupted)
        ));
    }

    #[test]
    fn helpers() {
        assert_eq!(account_of(CLUSTER_ARN), Some("123456789012"));
        assert_eq!(account_of(FOREIGN_KEY), Some("111122223333"));
        assert_eq!(account_of("alias/x"), None);
        assert_eq!(region_of(FOREIGN_KEY), Some("us-east-1"));
        // Missing vs unusable keys at plan: only a key of another region can
        // never appear in this run.
        assert!(may_appear_later("alias/new", "us-east-1"));
        assert!(may_appear_later(KEY, "us-east-1"));
        assert!(may_appear_later(
            "arn:aws:kms:us-east-1:123456789012:alias/new",
            "us-east-1"
        ));
        assert!(!may_appear_later(
            "arn:aws:kms:us-west-2:123456789012:key/k",
            "us-east-1"
        ));
        assert_eq!(
            denied_principal(DENIED),
            Some("arn:aws:iam::123456789012:user/ci")
        );
        assert_eq!(denied_principal("nope"), None);
        let w = cluster_not_found_yet("c", "us-east-1");
        assert!(!w.is_error());
        assert_eq!(w.attribute, Some(cluster_path()));
        let w = key_not_found_yet("alias/x", "us-east-1", "not found");
        assert!(!w.is_error());
        assert_eq!(w.attribute, Some(key_path()));
        assert!(rotation_required(KEY).is_error());
        assert!(!unavailable_warning("c", KEY).is_error());
    }
}
