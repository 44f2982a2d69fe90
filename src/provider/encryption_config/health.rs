//! What EKS itself reports about a cluster's key: the KMS codes of
//! DescribeCluster's `health.issues`, read from the DescribeCluster call a
//! refresh already makes (no extra call), as pure decisions.
//!
//! The codes are EKS's: the `ClusterIssue` API reference
//! (<https://docs.aws.amazon.com/eks/latest/APIReference/API_ClusterIssue.html>)
//! lists `KmsKeyDisabled`, `KmsKeyMarkedForDeletion`, `KmsKeyNotFound` and
//! `KmsGrantRevoked`, and the troubleshooting guide's cluster health section
//! (<https://docs.aws.amazon.com/eks/latest/userguide/troubleshooting.html#cluster-health-status>)
//! explains them. The EKS guide to encrypting secrets on existing clusters
//! (<https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html>) says a
//! cluster whose KMS key is deleted cannot be recovered; the same is said of
//! a revoked grant (EKS cannot make a new grant on a cluster's key), while
//! a disabled key or a scheduled deletion can still be undone.

use crate::aws::{ClusterInfo, ClusterIssue};
use crate::tfprotov6::{Diagnostic, Diagnostics};

use super::summary;

/// `KmsKeyDisabled`: the key is disabled.
pub const KEY_DISABLED: &str = "KmsKeyDisabled";
/// `KmsKeyMarkedForDeletion`: the key is scheduled for deletion.
pub const KEY_MARKED_FOR_DELETION: &str = "KmsKeyMarkedForDeletion";
/// `KmsKeyNotFound`: the key is gone.
pub const KEY_NOT_FOUND: &str = "KmsKeyNotFound";
/// `KmsGrantRevoked`: the grant EKS holds on the key was revoked.
pub const GRANT_REVOKED: &str = "KmsGrantRevoked";

/// Whether an issue is about the cluster's KMS key (EKS's KMS codes all
/// start with `Kms`).
pub fn is_key_issue(issue: &ClusterIssue) -> bool {
    issue.code.starts_with("Kms")
}

/// Whether EKS documents the cluster as lost for good.
pub fn is_unrecoverable(code: &str) -> bool {
    code == KEY_NOT_FOUND || code == GRANT_REVOKED
}

/// The issue codes of a cluster, in EKS's order, without repeats.
pub fn codes(info: &ClusterInfo) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in &info.health_issues {
        if !out.contains(&i.code) {
            out.push(i.code.clone());
        }
    }
    out
}

/// What the user can still do, by code.
fn advice(code: &str, key: &str) -> String {
    match code {
        KEY_DISABLED => format!(
            "The Kubernetes API cannot decrypt its data while the key is disabled. Enable it: \
             aws kms enable-key --key-id {key}."
        ),
        KEY_MARKED_FOR_DELETION => format!(
            "Once the key is deleted the cluster cannot be recovered. Cancel the deletion now: \
             aws kms cancel-key-deletion --key-id {key}, then aws kms enable-key --key-id {key}."
        ),
        KEY_NOT_FOUND | GRANT_REVOKED => {
            let what = if code == KEY_NOT_FOUND {
                "whose KMS key was deleted"
            } else {
                "whose grant on its KMS key was revoked"
            };
            format!(
                "AWS documents a cluster {what} as unrecoverable: EKS cannot decrypt its \
                 Kubernetes API data again, and neither the key nor the grant can be put back. \
                 What you can still do: export what the cluster still serves (workloads whose \
                 definitions are not in source control, data on volumes outside the control \
                 plane), create a replacement cluster with a new customer managed key, move the \
                 workloads, then delete this cluster. Keep this resource and its \
                 deletion_protection until then."
            )
        }
        _ => "Check the key in KMS and the cluster's health in the EKS console.".to_owned(),
    }
}

/// One warning per KMS issue EKS reports, with EKS's code and message.
pub fn warnings(info: &ClusterInfo) -> Diagnostics {
    let mut d = Diagnostics::new();
    for issue in info.health_issues.iter().filter(|i| is_key_issue(i)) {
        let key = issue
            .resource_ids
            .first()
            .map(String::as_str)
            .or(info.cmk_arn())
            .unwrap_or("(the cluster's key)");
        let summary = eks_summary(&issue.code);
        let message = if issue.message.is_empty() {
            String::new()
        } else {
            format!(" EKS says: {:?}.", issue.message)
        };
        d.push(Diagnostic::warning(
            summary,
            format!(
                "DescribeCluster reports health issue {} for cluster {:?} (key {key}).{message} \
                 {}",
                issue.code,
                info.name,
                advice(&issue.code, key)
            ),
        ));
    }
    d
}

/// The summary of EKS's warning for an issue code.
fn eks_summary(code: &str) -> String {
    if is_unrecoverable(code) {
        format!("EKS reports {code}: the cluster is unrecoverable")
    } else {
        format!("EKS reports {code} on the cluster's key")
    }
}

/// One warning per problem: drops EKS's `KmsKeyDisabled` and
/// `KmsKeyMarkedForDeletion` warnings when KMS's own (from DescribeKey,
/// with the key's details and the command that helps) says the same. EKS
/// reports on its own schedule, so each can come without the other.
pub fn dedupe(d: Diagnostics) -> Diagnostics {
    let has = |summary: &str| d.iter().any(|x| x.summary == summary);
    let covered: Vec<String> = [
        (summary::KEY_DISABLED, KEY_DISABLED),
        (summary::KEY_PENDING_DELETION, KEY_MARKED_FOR_DELETION),
    ]
    .into_iter()
    .filter(|(kms, _)| has(kms))
    .map(|(_, code)| eks_summary(code))
    .collect();
    Diagnostics(
        d.0.into_iter()
            .filter(|x| !covered.contains(&x.summary))
            .collect(),
    )
}

/// The key's state as EKS's health issues imply it, for list results,
/// which make no DescribeKey call: `None` without a CMK or when the key is
/// gone; `Disabled` or `PendingDeletion` when EKS reports so; otherwise
/// `Enabled` (EKS reports no problem with it). A refresh reads the real
/// state from KMS.
pub fn implied_key_state(info: &ClusterInfo) -> Option<String> {
    info.cmk_arn()?;
    let has = |code: &str| info.health_issues.iter().any(|i| i.code == code);
    if has(KEY_NOT_FOUND) {
        None
    } else if has(KEY_MARKED_FOR_DELETION) {
        Some("PendingDeletion".into())
    } else if has(KEY_DISABLED) {
        Some("Disabled".into())
    } else {
        Some("Enabled".into())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::aws::EncryptionInfo;

    pub(crate) const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/k1";

    pub(crate) fn cluster(key: Option<&str>, codes: &[&str]) -> ClusterInfo {
        ClusterInfo {
            name: "prod".into(),
            arn: "arn:aws:eks:eu-west-1:111122223333:cluster/prod".into(),
            version: "1.31".into(),
            status: "ACTIVE".into(),
            encryption: key
                .map(|k| {
                    vec![EncryptionInfo {
                        key_arn: k.into(),
                        resources: vec!["secrets".into()],
                    }]
                })
                .unwrap_or_default(),
            created_at: None,
            role_arn: None,
            health_issues: codes
                .iter()
                .map(|c| ClusterIssue {
                    code: (*c).into(),
                    message: format!("{c} message from EKS"),
                    resource_ids: key.map(|k| vec![k.to_owned()]).unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// Decision table: code -> (summary, words the detail must have).
    #[test]
    fn one_warning_per_key_issue_with_the_code_and_message() {
        let rows = [
            (
                KEY_DISABLED,
                "EKS reports KmsKeyDisabled on the cluster's key",
                "enable-key",
            ),
            (
                KEY_MARKED_FOR_DELETION,
                "EKS reports KmsKeyMarkedForDeletion on the cluster's key",
                "cancel-key-deletion",
            ),
            (
                KEY_NOT_FOUND,
                "EKS reports KmsKeyNotFound: the cluster is unrecoverable",
                "unrecoverable",
            ),
            (
                GRANT_REVOKED,
                "EKS reports KmsGrantRevoked: the cluster is unrecoverable",
                "What you can still do",
            ),
        ];
        for (code, summary, words) in rows {
            let d = warnings(&cluster(Some(KEY), &[code]));
            assert_eq!(d.0.len(), 1, "{code}");
            assert!(!d.has_errors());
            assert_eq!(d.0[0].summary, summary);
            let detail = &d.0[0].detail;
            for w in [
                code,
                "\"prod\"",
                KEY,
                words,
                &format!("{code} message from EKS"),
            ] {
                assert!(detail.contains(w), "{code}: {w:?} not in {detail}");
            }
        }
    }

    #[test]
    fn other_issues_and_healthy_clusters_do_not_warn() {
        assert!(warnings(&cluster(Some(KEY), &[])).is_empty());
        assert!(warnings(&cluster(Some(KEY), &["Ec2SubnetNotFound"])).is_empty());
        let both = cluster(
            Some(KEY),
            &["Ec2SubnetNotFound", GRANT_REVOKED, GRANT_REVOKED],
        );
        assert_eq!(warnings(&both).0.len(), 2, "one warning per reported issue");
        assert_eq!(codes(&both), ["Ec2SubnetNotFound", GRANT_REVOKED]);
    }

    #[test]
    fn eks_warnings_yield_to_the_ones_kms_gives() {
        let with = |codes: &[&str], kms: &[&str]| {
            let mut d = warnings(&cluster(Some(KEY), codes));
            for s in kms {
                d.push(Diagnostic::warning(*s, "from DescribeKey"));
            }
            let kept = dedupe(d);
            kept.iter().map(|d| d.summary.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            with(&[KEY_DISABLED], &[summary::KEY_DISABLED]),
            [summary::KEY_DISABLED]
        );
        assert_eq!(
            with(&[KEY_MARKED_FOR_DELETION], &[summary::KEY_PENDING_DELETION]),
            [summary::KEY_PENDING_DELETION]
        );
        // Each alone is kept: EKS may report before or after KMS shows it.
        assert_eq!(with(&[KEY_DISABLED], &[]), [eks_summary(KEY_DISABLED)]);
        assert_eq!(with(&[], &[summary::KEY_DISABLED]), [summary::KEY_DISABLED]);
        // Unrecoverable issues are never dropped.
        assert_eq!(
            with(&[GRANT_REVOKED], &[summary::KEY_DISABLED]),
            [eks_summary(GRANT_REVOKED), summary::KEY_DISABLED.to_owned()]
        );
    }

    #[test]
    fn implied_key_state_decision_table() {
        let rows: [(Option<&str>, &[&str], Option<&str>); 6] = [
            (None, &[], None),
            (Some(KEY), &[], Some("Enabled")),
            (Some(KEY), &[KEY_DISABLED], Some("Disabled")),
            (
                Some(KEY),
                &[KEY_MARKED_FOR_DELETION, KEY_DISABLED],
                Some("PendingDeletion"),
            ),
            (Some(KEY), &[KEY_NOT_FOUND], None),
            (Some(KEY), &[GRANT_REVOKED], Some("Enabled")),
        ];
        for (key, codes, state) in rows {
            assert_eq!(
                implied_key_state(&cluster(key, codes)).as_deref(),
                state,
                "{key:?} {codes:?}"
            );
        }
    }
}
