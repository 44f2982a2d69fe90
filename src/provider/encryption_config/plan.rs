//! The guard: pure decisions over plain data.
//!
//! Everything here is a function of facts the resource gathered (prior
//! state, configuration, what EKS and KMS report) and returns what to plan
//! and which diagnostics to raise. No I/O, so the whole table is unit-tested
//! without a network. The same functions run again at apply time, so an
//! apply refuses exactly what a plan refuses, with the same messages.

use crate::tfprotov6::{AttributePath, Diagnostic, Diagnostics};

/// Diagnostic summaries. Tests and docs rely on these exact words.
pub mod summary {
    /// Removing a CMK, or replacing it with an AWS owned or managed key.
    pub const DOWNGRADE: &str = "Cannot remove the customer managed key";
    /// Swapping one CMK for another.
    pub const KEY_CHANGE: &str = "Cannot change the customer managed key";
    /// Destroying or replacing a protected CMK association.
    pub const PROTECTED: &str = "Customer managed key is protected from deletion";
    /// The key exists but cannot protect a cluster.
    pub const KEY_NOT_USABLE: &str = "KMS key not usable";
    /// The cluster does not exist in the region.
    pub const CLUSTER_NOT_FOUND: &str = "EKS cluster not found";
    /// The cluster is being created, deleted or has failed.
    pub const CLUSTER_NOT_READY: &str = "EKS cluster is not ready";
    /// Warning: another update runs; the apply will wait.
    pub const UPDATE_IN_PROGRESS: &str = "Another cluster update is in progress";
    /// Warning: Kubernetes below 1.28 without a CMK has no envelope encryption.
    pub const NO_ENVELOPE: &str = "No envelope encryption";
    /// Warning: automatic rotation is off.
    pub const ROTATION_OFF: &str = "Automatic key rotation is off";
    /// Warning on refresh: the CMK is disabled.
    pub const KEY_DISABLED: &str = "Customer managed key is disabled";
    /// Warning on refresh: the CMK is scheduled for deletion.
    pub const KEY_PENDING_DELETION: &str = "Customer managed key is pending deletion";
    /// Warning on destroy: the association outlives the resource.
    pub const STAYS_ON_CLUSTER: &str = "Customer managed key stays on the cluster";
}

/// Which kind of key protects the cluster's secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// A customer managed KMS key is associated.
    CustomerManaged,
    /// No CMK, Kubernetes 1.28+: EKS's default envelope encryption with an
    /// AWS owned key.
    AwsOwned,
    /// No CMK, Kubernetes below 1.28: no envelope encryption.
    None,
}

impl KeyType {
    /// The value stored in `key_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::CustomerManaged => "CUSTOMER_MANAGED",
            KeyType::AwsOwned => "AWS_OWNED",
            KeyType::None => "NONE",
        }
    }

    /// Parses a stored `key_type`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "CUSTOMER_MANAGED" => Some(KeyType::CustomerManaged),
            "AWS_OWNED" => Some(KeyType::AwsOwned),
            "NONE" => Some(KeyType::None),
            _ => None,
        }
    }

    /// The key type of a cluster without a CMK at this Kubernetes version.
    pub fn without_cmk(version: &str) -> Self {
        if has_default_envelope_encryption(version) {
            KeyType::AwsOwned
        } else {
            KeyType::None
        }
    }
}

/// Whether EKS envelope-encrypts by default at this version (1.28+). An
/// unparsable version is assumed recent.
pub fn has_default_envelope_encryption(version: &str) -> bool {
    let mut parts = version.split('.');
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts.next().and_then(|p| p.parse::<u32>().ok());
    match (major, minor) {
        (Some(major), Some(minor)) => (major, minor) >= (1, 28),
        _ => true,
    }
}

/// A configuration value that may be null or not yet known.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Cfg<T> {
    /// Not set.
    #[default]
    Null,
    /// Set, but only known at apply time.
    Unknown,
    /// Set and known.
    Known(T),
}

/// What EKS reports about the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveCluster {
    /// ACTIVE, UPDATING, CREATING, DELETING, FAILED or PENDING.
    pub status: String,
    /// Kubernetes version, e.g. `1.31`.
    pub version: String,
    /// The CMK ARN in the cluster's encryption config, if any.
    pub cmk_arn: Option<String>,
    /// An AssociateEncryptionConfig update still in progress, with its key.
    pub association_in_progress: Option<PendingAssociation>,
    /// Another kind of update is in progress.
    pub other_update_in_progress: bool,
}

/// An association EKS is still working on (for example after an
/// interrupted apply).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingAssociation {
    /// The update id.
    pub update_id: String,
    /// The key ARN being associated.
    pub key_arn: String,
}

impl LiveCluster {
    /// The CMK the cluster has or is getting.
    fn effective_cmk(&self) -> Option<&str> {
        self.cmk_arn.as_deref().or(self
            .association_in_progress
            .as_ref()
            .map(|p| p.key_arn.as_str()))
    }
}

/// What KMS said about the configured key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyLookup {
    /// DescribeKey answered.
    Found(KeyFacts),
    /// The key does not exist (or is in another region or account and not
    /// shared).
    NotFound {
        /// KMS's message.
        message: String,
    },
    /// DescribeKey was denied.
    AccessDenied {
        /// KMS's message.
        message: String,
    },
}

/// The facts about a KMS key that decide whether it can protect a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFacts {
    /// The key's ARN (what an alias resolves to).
    pub arn: String,
    /// Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, ...
    pub state: String,
    /// SYMMETRIC_DEFAULT, RSA_2048, ...
    pub spec: String,
    /// ENCRYPT_DECRYPT, SIGN_VERIFY, ...
    pub usage: String,
    /// CUSTOMER or AWS.
    pub manager: String,
    /// For PendingDeletion: when the key will be deleted.
    pub deletion_date: Option<String>,
    /// Automatic rotation; `None` when the check was denied or skipped.
    pub rotation_enabled: Option<bool>,
}

/// What the prior state says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prior {
    /// The CMK ARN the state recorded (`resolved_key_arn`), if a CMK.
    pub cmk_arn: Option<String>,
    /// `deletion_protection`.
    pub deletion_protection: bool,
}

/// What the plan (or apply) should do to the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing: no key, or the key is already there.
    Nothing,
    /// The cluster already has (or is getting) exactly this CMK: record it
    /// without calling AssociateEncryptionConfig.
    Adopt {
        /// The CMK's ARN.
        key_arn: String,
    },
    /// Associate this CMK.
    Associate {
        /// The CMK's ARN.
        key_arn: String,
    },
    /// The key is not known yet: decide again at apply time.
    DecideAtApply,
}

/// The outcome of a decision: an action, or errors; warnings either way.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// What to do (meaningless when `diagnostics` has errors).
    pub action: Action,
    /// Errors and warnings for the user.
    pub diagnostics: Diagnostics,
}

fn key_path() -> AttributePath {
    AttributePath::attr("key_arn")
}

/// Checks the cluster itself: it must exist and be ACTIVE or UPDATING.
pub fn check_cluster(name: &str, region: &str, live: Option<&LiveCluster>) -> Diagnostics {
    let mut d = Diagnostics::new();
    match live {
        None => d.push(
            Diagnostic::error(
                summary::CLUSTER_NOT_FOUND,
                format!(
                    "EKS reports no cluster named {name:?} in region {region}. Check \
                     cluster_name and the provider's region (or alias), and that the cluster \
                     exists before this resource is planned."
                ),
            )
            .with_attribute(AttributePath::attr("cluster_name")),
        ),
        Some(c) if c.status != "ACTIVE" && c.status != "UPDATING" => d.push(
            Diagnostic::error(
                summary::CLUSTER_NOT_READY,
                format!(
                    "Cluster {name:?} is {}; its encryption can only be changed while it is \
                     ACTIVE (or UPDATING, in which case the apply waits). Wait until the \
                     cluster is ACTIVE and run the plan again.",
                    c.status
                ),
            )
            .with_attribute(AttributePath::attr("cluster_name")),
        ),
        Some(c) => {
            if c.other_update_in_progress {
                d.warning(
                    summary::UPDATE_IN_PROGRESS,
                    format!(
                        "Cluster {name:?} has another update in progress. EKS runs one update \
                         at a time, so the apply will wait for it to finish (within the \
                         create/update timeout) before associating the key."
                    ),
                );
            }
        }
    }
    d
}

/// Checks that a key can protect an EKS cluster. `configured` is the
/// `key_arn` as written.
pub fn check_key(configured: &str, lookup: &KeyLookup, region: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    let err = |detail: String| {
        Diagnostic::error(summary::KEY_NOT_USABLE, detail).with_attribute(key_path())
    };
    let facts = match lookup {
        KeyLookup::NotFound { message } => {
            d.push(err(format!(
                "KMS found no key {configured:?} in region {region} ({message}). The key must \
                 exist in the cluster's region and be accessible to these credentials. Check \
                 the ARN or alias, and the provider's region."
            )));
            return d;
        }
        KeyLookup::AccessDenied { message } => {
            d.push(err(format!(
                "KMS denied DescribeKey on {configured:?} ({message}). Grant the \
                 kms:DescribeKey permission on this key to the identity Terraform runs as \
                 (in its IAM policy and in the key policy)."
            )));
            return d;
        }
        KeyLookup::Found(f) => f,
    };
    if facts.manager != "CUSTOMER" {
        d.push(
            Diagnostic::error(
                summary::DOWNGRADE,
                format!(
                    "{configured:?} is an AWS managed key ({}), not a customer managed key. \
                     Using it would give up control of the key, which is what a CMK is for, \
                     and EKS cannot use it for envelope encryption. Create a customer managed \
                     symmetric key (aws_kms_key) and use its ARN.",
                    facts.arn
                ),
            )
            .with_attribute(key_path()),
        );
        return d;
    }
    match facts.state.as_str() {
        "Enabled" => {}
        "PendingDeletion" => d.push(err(format!(
            "Key {} is scheduled for deletion{}. A cluster protected by a deleted key becomes \
             unrecoverable. Cancel the deletion (aws kms cancel-key-deletion --key-id {}, then \
             aws kms enable-key) or choose another key.",
            facts.arn,
            facts
                .deletion_date
                .as_deref()
                .map(|t| format!(" on {t}"))
                .unwrap_or_default(),
            facts.arn
        ))),
        "Disabled" => d.push(err(format!(
            "Key {} is disabled. Enable it (aws kms enable-key --key-id {}) or choose another key.",
            facts.arn, facts.arn
        ))),
        "PendingImport" => d.push(err(format!(
            "Key {} is waiting for imported key material (PendingImport). Import the material \
             first, or choose another key.",
            facts.arn
        ))),
        other => d.push(err(format!(
            "Key {} is in state {other}; only an Enabled key can protect a cluster.",
            facts.arn
        ))),
    }
    if facts.spec != "SYMMETRIC_DEFAULT" {
        d.push(err(format!(
            "Key {} has key spec {}; EKS needs a symmetric encryption key (SYMMETRIC_DEFAULT).",
            facts.arn, facts.spec
        )));
    }
    if facts.usage != "ENCRYPT_DECRYPT" {
        d.push(err(format!(
            "Key {} has key usage {}; EKS needs ENCRYPT_DECRYPT.",
            facts.arn, facts.usage
        )));
    }
    if !d.has_errors() && facts.rotation_enabled == Some(false) {
        d.push(
            Diagnostic::warning(
                summary::ROTATION_OFF,
                format!(
                    "Automatic rotation is off for {}. EKS can never switch to another key, so \
                     KMS key rotation is the way to renew key material: enable it with \
                     aws kms enable-key-rotation or enable_key_rotation = true on aws_kms_key.",
                    facts.arn
                ),
            )
            .with_attribute(key_path()),
        );
    }
    d
}

fn downgrade(cluster: &str, cmk: &str) -> Diagnostic {
    Diagnostic::error(
        summary::DOWNGRADE,
        format!(
            "Cluster {cluster:?} is encrypted with the customer managed key {cmk}. EKS cannot \
             remove a customer managed key or fall back to an AWS owned key: the association \
             is permanent. Keep key_arn = \"{cmk}\" (or an alias of it) in the configuration."
        ),
    )
    .with_attribute(key_path())
}

fn key_change(cluster: &str, current: &str, wanted: &str) -> Diagnostic {
    Diagnostic::error(
        summary::KEY_CHANGE,
        format!(
            "Cluster {cluster:?} is encrypted with the customer managed key {current}, and the \
             configuration asks for {wanted}. EKS cannot change the key once it is associated. \
             Set key_arn back to {current} (or an alias of it). To renew key material, enable \
             automatic rotation on the existing key (KMS key rotation) instead."
        ),
    )
    .with_attribute(key_path())
}

/// Decides a create or update of the association.
///
/// `prior` is `None` on create. `live` is what EKS reports now. `key` is
/// the lookup of the configured key, present when the configured key is
/// known. Callers run [`check_cluster`] first and only call this for a
/// usable cluster.
pub fn decide_change(
    cluster: &str,
    prior: Option<&Prior>,
    config_key: &Cfg<String>,
    live: &LiveCluster,
    key: Option<&KeyLookup>,
    region: &str,
) -> Decision {
    let mut diagnostics = Diagnostics::new();
    // The CMK the cluster is known to have: EKS's word first, then the state.
    let current = live
        .effective_cmk()
        .map(str::to_owned)
        .or_else(|| prior.and_then(|p| p.cmk_arn.clone()));

    let action = match config_key {
        Cfg::Null => match current {
            Some(cmk) => {
                diagnostics.push(downgrade(cluster, &cmk));
                Action::Nothing
            }
            None => {
                if !has_default_envelope_encryption(&live.version) {
                    diagnostics.warning(
                        summary::NO_ENVELOPE,
                        format!(
                            "Cluster {cluster:?} runs Kubernetes {} and has no customer managed \
                             key, so its Kubernetes secrets have no envelope encryption. EKS \
                             encrypts by default only from 1.28; set key_arn to a customer \
                             managed key, or upgrade the cluster.",
                            live.version
                        ),
                    );
                }
                Action::Nothing
            }
        },
        Cfg::Unknown => Action::DecideAtApply,
        Cfg::Known(configured) => {
            let Some(lookup) = key else {
                return Decision {
                    action: Action::DecideAtApply,
                    diagnostics,
                };
            };
            // An AWS managed key in place of a CMK is a downgrade whatever
            // else is true; other key problems are reported as such.
            let key_diags = check_key(configured, lookup, region);
            let facts = match lookup {
                KeyLookup::Found(f) => Some(f),
                _ => None,
            };
            match (&current, facts) {
                (Some(cmk), Some(f)) if f.arn == *cmk => {
                    // Same key (possibly written as an alias): nothing to do,
                    // even if the key is now unhealthy; refresh warns about that.
                    if prior.and_then(|p| p.cmk_arn.as_ref()) == Some(cmk) {
                        Action::Nothing
                    } else {
                        Action::Adopt {
                            key_arn: cmk.clone(),
                        }
                    }
                }
                (Some(cmk), Some(f)) => {
                    if f.manager != "CUSTOMER" {
                        diagnostics.push(downgrade(cluster, cmk));
                    } else {
                        diagnostics.push(key_change(cluster, cmk, &f.arn));
                    }
                    Action::Nothing
                }
                (Some(_), None) | (None, _) => {
                    diagnostics.extend(key_diags.clone());
                    match facts {
                        Some(f) if !key_diags.has_errors() => Action::Associate {
                            key_arn: f.arn.clone(),
                        },
                        _ => Action::Nothing,
                    }
                }
            }
        }
    };
    Decision {
        action,
        diagnostics,
    }
}

/// Decides a destroy (or the destroy half of a replacement).
pub fn decide_destroy(cluster: &str, prior: &Prior) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(cmk) = &prior.cmk_arn {
        if prior.deletion_protection {
            d.push(Diagnostic::error(
                summary::PROTECTED,
                format!(
                    "eks_encryption_config for cluster {cluster:?} holds the customer managed key \
                     {cmk} and has deletion_protection = true. Destroying (or replacing) it would \
                     not remove the key from the cluster, which EKS never allows, so the \
                     provider stops here. To let Terraform forget it, either set \
                     deletion_protection = false and apply first, or remove it from Terraform \
                     without destroying: a removed {{ from = ... lifecycle {{ destroy = false }} }} \
                     block (Terraform 1.7+) or terraform state rm."
                ),
            ));
        }
    }
    d
}

/// The warning a destroy gives when it only forgets a CMK association.
pub fn forget_warning(cluster: &str, cmk: &str) -> Diagnostic {
    Diagnostic::warning(
        summary::STAYS_ON_CLUSTER,
        format!(
            "eks_encryption_config for cluster {cluster:?} was removed from Terraform state, but \
             the customer managed key {cmk} stays associated with the cluster: EKS cannot remove \
             it. Keep the key enabled; disabling or deleting it degrades or destroys the cluster."
        ),
    )
}

/// Warnings about the health of a CMK that protects a cluster, for refresh.
pub fn key_health_warnings(cluster: &str, facts: &KeyFacts) -> Diagnostics {
    let mut d = Diagnostics::new();
    match facts.state.as_str() {
        "Disabled" => d.push(
            Diagnostic::warning(
                summary::KEY_DISABLED,
                format!(
                    "The customer managed key {} that encrypts cluster {cluster:?} is disabled. \
                     The cluster is degraded: the Kubernetes API cannot decrypt secrets. \
                     Re-enable the key now (aws kms enable-key --key-id {}).",
                    facts.arn, facts.arn
                ),
            )
            .with_attribute(key_path()),
        ),
        "PendingDeletion" => d.push(
            Diagnostic::warning(
                summary::KEY_PENDING_DELETION,
                format!(
                    "The customer managed key {} that encrypts cluster {cluster:?} is scheduled \
                     for deletion{}. Once deleted, the cluster is unrecoverable. Cancel the \
                     deletion now: aws kms cancel-key-deletion --key-id {}, then aws kms \
                     enable-key --key-id {}.",
                    facts.arn,
                    facts
                        .deletion_date
                        .as_deref()
                        .map(|t| format!(" on {t}"))
                        .unwrap_or_default(),
                    facts.arn,
                    facts.arn
                ),
            )
            .with_attribute(key_path()),
        ),
        _ => {}
    }
    d
}

/// Whether `key_arn` is syntactically a key ARN, an alias ARN, `alias/name`
/// or a bare key id; `Err` explains what is wrong.
pub fn validate_key_arn(v: &str) -> Result<(), String> {
    let alias_name_ok = |name: &str| {
        !name.is_empty()
            && name.len() <= 250
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
    };
    if let Some(name) = v.strip_prefix("alias/") {
        return if alias_name_ok(name) {
            Ok(())
        } else {
            Err(format!(
                "{v:?} is not a valid alias name: after alias/ use letters, digits, '/', '_' \
                 and '-' only."
            ))
        };
    }
    if v.starts_with("arn:") {
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        if parts.len() != 6 {
            return Err(format!(
                "{v:?} is not a valid ARN: expected arn:PARTITION:kms:REGION:ACCOUNT:key/ID or \
                 ...:alias/NAME."
            ));
        }
        let (partition, service, region, account, resource) =
            (parts[1], parts[2], parts[3], parts[4], parts[5]);
        if !partition.starts_with("aws") {
            return Err(format!(
                "{v:?} has partition {partition:?}; expected aws, aws-cn or aws-us-gov."
            ));
        }
        if service != "kms" {
            return Err(format!(
                "{v:?} is an ARN for service {service:?}; key_arn needs a KMS key (arn:aws:kms:...)."
            ));
        }
        if region.is_empty() {
            return Err(format!(
                "{v:?} has no region; KMS ARNs name the key's region."
            ));
        }
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "{v:?} has account {account:?}; expected 12 digits."
            ));
        }
        if let Some(id) = resource.strip_prefix("key/") {
            return if is_key_id(id) {
                Ok(())
            } else {
                Err(format!("{v:?} has key id {id:?}; expected a key id such as 1234abcd-12ab-34cd-56ef-1234567890ab or mrk-..."))
            };
        }
        if let Some(name) = resource.strip_prefix("alias/") {
            return if alias_name_ok(name) {
                Ok(())
            } else {
                Err(format!("{v:?} has an invalid alias name {name:?}."))
            };
        }
        return Err(format!(
            "{v:?} names {resource:?}; a KMS ARN must end in key/ID or alias/NAME."
        ));
    }
    if is_key_id(v) {
        return Ok(());
    }
    Err(format!(
        "{v:?} is not a KMS key reference. Use a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), \
         an alias ARN (arn:aws:kms:REGION:ACCOUNT:alias/NAME), alias/NAME, or a key id."
    ))
}

fn is_key_id(id: &str) -> bool {
    let body = id.strip_prefix("mrk-").unwrap_or(id);
    if id.starts_with("mrk-") {
        return body.len() == 32 && body.chars().all(|c| c.is_ascii_hexdigit());
    }
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Whether a configured key reference is already in the resolved-ARN form.
pub fn is_key_arn(v: &str) -> bool {
    v.starts_with("arn:") && v.contains(":key/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111";
    const B: &str = "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222";
    const ALIAS_A: &str = "alias/team-a";

    fn key(arn: &str) -> KeyLookup {
        KeyLookup::Found(KeyFacts {
            arn: arn.into(),
            state: "Enabled".into(),
            spec: "SYMMETRIC_DEFAULT".into(),
            usage: "ENCRYPT_DECRYPT".into(),
            manager: "CUSTOMER".into(),
            deletion_date: None,
            rotation_enabled: Some(true),
        })
    }

    fn key_with(arn: &str, f: impl FnOnce(&mut KeyFacts)) -> KeyLookup {
        let KeyLookup::Found(mut facts) = key(arn) else {
            unreachable!()
        };
        f(&mut facts);
        KeyLookup::Found(facts)
    }

    fn live(cmk: Option<&str>) -> LiveCluster {
        LiveCluster {
            status: "ACTIVE".into(),
            version: "1.31".into(),
            cmk_arn: cmk.map(str::to_owned),
            association_in_progress: None,
            other_update_in_progress: false,
        }
    }

    fn prior(cmk: Option<&str>, protection: bool) -> Prior {
        Prior {
            cmk_arn: cmk.map(str::to_owned),
            deletion_protection: protection,
        }
    }

    fn summaries(d: &Diagnostics) -> Vec<(bool, String, Option<String>)> {
        d.iter()
            .map(|d| {
                (
                    d.is_error(),
                    d.summary.clone(),
                    d.attribute.as_ref().map(|p| p.to_string()),
                )
            })
            .collect()
    }

    fn err(s: &str) -> (bool, String, Option<String>) {
        (true, s.into(), Some("key_arn".into()))
    }

    fn known(s: &str) -> Cfg<String> {
        Cfg::Known(s.into())
    }

    /// One row per case of the guard's decision table.
    #[test]
    fn decision_table() {
        struct Row {
            name: &'static str,
            prior: Option<Prior>,
            config: Cfg<String>,
            live: LiveCluster,
            key: Option<KeyLookup>,
            action: Action,
            diags: Vec<(bool, String, Option<String>)>,
        }
        let rows = vec![
            Row {
                name: "create, no key, no CMK, 1.28+",
                prior: None,
                config: Cfg::Null,
                live: live(None),
                key: None,
                action: Action::Nothing,
                diags: vec![],
            },
            Row {
                name: "create, no key, no CMK, below 1.28 warns",
                prior: None,
                config: Cfg::Null,
                live: LiveCluster {
                    version: "1.27".into(),
                    ..live(None)
                },
                key: None,
                action: Action::Nothing,
                diags: vec![(false, summary::NO_ENVELOPE.into(), None)],
            },
            Row {
                name: "create, key equals live CMK (alias) adopts",
                prior: None,
                config: known(ALIAS_A),
                live: live(Some(A)),
                key: Some(key(A)),
                action: Action::Adopt { key_arn: A.into() },
                diags: vec![],
            },
            Row {
                name: "create, key set, no CMK associates",
                prior: None,
                config: known(A),
                live: live(None),
                key: Some(key(A)),
                action: Action::Associate { key_arn: A.into() },
                diags: vec![],
            },
            Row {
                name: "create, no key, live CMK is a downgrade",
                prior: None,
                config: Cfg::Null,
                live: live(Some(A)),
                key: None,
                action: Action::Nothing,
                diags: vec![err(summary::DOWNGRADE)],
            },
            Row {
                name: "create, key differs from live CMK",
                prior: None,
                config: known(B),
                live: live(Some(A)),
                key: Some(key(B)),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_CHANGE)],
            },
            Row {
                name: "create, association of the same key already in progress adopts",
                prior: None,
                config: known(A),
                live: LiveCluster {
                    status: "UPDATING".into(),
                    association_in_progress: Some(PendingAssociation {
                        update_id: "u1".into(),
                        key_arn: A.into(),
                    }),
                    ..live(None)
                },
                key: Some(key(A)),
                action: Action::Adopt { key_arn: A.into() },
                diags: vec![],
            },
            Row {
                name: "create, association of another key in progress is a key change",
                prior: None,
                config: known(B),
                live: LiveCluster {
                    association_in_progress: Some(PendingAssociation {
                        update_id: "u1".into(),
                        key_arn: A.into(),
                    }),
                    ..live(None)
                },
                key: Some(key(B)),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_CHANGE)],
            },
            Row {
                name: "update, no CMK, key set associates (upgrade)",
                prior: Some(prior(None, true)),
                config: known(A),
                live: live(None),
                key: Some(key(A)),
                action: Action::Associate { key_arn: A.into() },
                diags: vec![],
            },
            Row {
                name: "update, CMK, no key is a downgrade",
                prior: Some(prior(Some(A), true)),
                config: Cfg::Null,
                live: live(Some(A)),
                key: None,
                action: Action::Nothing,
                diags: vec![err(summary::DOWNGRADE)],
            },
            Row {
                name: "update, CMK A, config resolves to B",
                prior: Some(prior(Some(A), true)),
                config: known(B),
                live: live(Some(A)),
                key: Some(key(B)),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_CHANGE)],
            },
            Row {
                name: "update, CMK A, AWS managed key is a downgrade",
                prior: Some(prior(Some(A), true)),
                config: known("alias/aws/eks"),
                live: live(Some(A)),
                key: Some(key_with(B, |f| f.manager = "AWS".into())),
                action: Action::Nothing,
                diags: vec![err(summary::DOWNGRADE)],
            },
            Row {
                name: "update, alias to ARN of the same key changes nothing",
                prior: Some(prior(Some(A), true)),
                config: known(A),
                live: live(Some(A)),
                key: Some(key(A)),
                action: Action::Nothing,
                diags: vec![],
            },
            Row {
                name: "update, ARN to alias of the same key changes nothing",
                prior: Some(prior(Some(A), true)),
                config: known(ALIAS_A),
                live: live(Some(A)),
                key: Some(key(A)),
                action: Action::Nothing,
                diags: vec![],
            },
            Row {
                name: "update, state lost the CMK but EKS has it: still a downgrade",
                prior: Some(prior(None, true)),
                config: Cfg::Null,
                live: live(Some(A)),
                key: None,
                action: Action::Nothing,
                diags: vec![err(summary::DOWNGRADE)],
            },
            Row {
                name: "update, no key to no key",
                prior: Some(prior(None, true)),
                config: Cfg::Null,
                live: live(None),
                key: None,
                action: Action::Nothing,
                diags: vec![],
            },
            Row {
                name: "unknown key, no CMK: decide at apply",
                prior: None,
                config: Cfg::Unknown,
                live: live(None),
                key: None,
                action: Action::DecideAtApply,
                diags: vec![],
            },
            Row {
                name: "unknown key, CMK: decide at apply",
                prior: Some(prior(Some(A), true)),
                config: Cfg::Unknown,
                live: live(Some(A)),
                key: None,
                action: Action::DecideAtApply,
                diags: vec![],
            },
            Row {
                name: "known key not looked up yet: decide at apply",
                prior: None,
                config: known(A),
                live: live(None),
                key: None,
                action: Action::DecideAtApply,
                diags: vec![],
            },
            Row {
                name: "disabled key refused",
                prior: None,
                config: known(A),
                live: live(None),
                key: Some(key_with(A, |f| f.state = "Disabled".into())),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_NOT_USABLE)],
            },
            Row {
                name: "AWS managed key on a cluster without CMK is refused",
                prior: None,
                config: known("alias/aws/eks"),
                live: live(None),
                key: Some(key_with(B, |f| f.manager = "AWS".into())),
                action: Action::Nothing,
                diags: vec![err(summary::DOWNGRADE)],
            },
            Row {
                name: "missing key refused",
                prior: None,
                config: known(A),
                live: live(None),
                key: Some(KeyLookup::NotFound {
                    message: "no such key".into(),
                }),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_NOT_USABLE)],
            },
            Row {
                name: "rotation off warns but associates",
                prior: None,
                config: known(A),
                live: live(None),
                key: Some(key_with(A, |f| f.rotation_enabled = Some(false))),
                action: Action::Associate { key_arn: A.into() },
                diags: vec![(false, summary::ROTATION_OFF.into(), Some("key_arn".into()))],
            },
            Row {
                name: "rotation check denied: no warning",
                prior: None,
                config: known(A),
                live: live(None),
                key: Some(key_with(A, |f| f.rotation_enabled = None)),
                action: Action::Associate { key_arn: A.into() },
                diags: vec![],
            },
        ];
        for row in rows {
            let d = decide_change(
                "c",
                row.prior.as_ref(),
                &row.config,
                &row.live,
                row.key.as_ref(),
                "us-east-1",
            );
            assert_eq!(summaries(&d.diagnostics), row.diags, "{}", row.name);
            if !d.diagnostics.has_errors() {
                assert_eq!(d.action, row.action, "{}", row.name);
            }
        }
    }

    #[test]
    fn destroy_table() {
        let cases = [
            (prior(Some(A), true), Some(summary::PROTECTED)),
            (prior(Some(A), false), None),
            (prior(None, true), None),
            (prior(None, false), None),
        ];
        for (p, want) in cases {
            let d = decide_destroy("c", &p);
            let got: Vec<_> = d.iter().map(|d| d.summary.as_str()).collect();
            assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{p:?}");
            if want.is_some() {
                let detail = &d.0[0].detail;
                assert!(detail.contains("deletion_protection = false"));
                assert!(detail.contains("terraform state rm"));
                assert!(detail.contains("removed"));
            }
        }
    }

    #[test]
    fn key_state_table() {
        for (state, refused) in [
            ("Enabled", false),
            ("Disabled", true),
            ("PendingDeletion", true),
            ("PendingImport", true),
            ("Unavailable", true),
        ] {
            let d = check_key(
                A,
                &key_with(A, |f| {
                    f.state = state.into();
                    f.deletion_date = Some("2026-12-05T00:00:00Z".into());
                }),
                "us-east-1",
            );
            assert_eq!(d.has_errors(), refused, "{state}");
            if state == "PendingDeletion" {
                assert!(d.0[0].detail.contains("2026-12-05"));
                assert!(d.0[0].detail.contains("cancel-key-deletion"));
            }
        }
        let d = check_key(A, &key_with(A, |f| f.spec = "RSA_2048".into()), "r");
        assert!(d.0[0].detail.contains("SYMMETRIC_DEFAULT"));
        let d = check_key(A, &key_with(A, |f| f.usage = "SIGN_VERIFY".into()), "r");
        assert!(d.0[0].detail.contains("ENCRYPT_DECRYPT"));
        let d = check_key(
            A,
            &KeyLookup::AccessDenied {
                message: "denied".into(),
            },
            "r",
        );
        assert!(d.0[0].detail.contains("kms:DescribeKey"));
    }

    #[test]
    fn cluster_checks() {
        let d = check_cluster("c", "us-east-1", None);
        assert_eq!(d.0[0].summary, summary::CLUSTER_NOT_FOUND);
        assert_eq!(d.0[0].attribute, Some(AttributePath::attr("cluster_name")));
        let creating = LiveCluster {
            status: "CREATING".into(),
            ..live(None)
        };
        assert_eq!(
            check_cluster("c", "r", Some(&creating)).0[0].summary,
            summary::CLUSTER_NOT_READY
        );
        let busy = LiveCluster {
            status: "UPDATING".into(),
            other_update_in_progress: true,
            ..live(None)
        };
        let d = check_cluster("c", "r", Some(&busy));
        assert!(!d.has_errors());
        assert_eq!(d.0[0].summary, summary::UPDATE_IN_PROGRESS);
        assert!(check_cluster("c", "r", Some(&live(None))).is_empty());
    }

    #[test]
    fn key_arn_syntax() {
        for ok in [
            A,
            "arn:aws:kms:eu-west-1:123456789012:alias/my-key",
            "arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234567890abcdef1234567890abcdef",
            "alias/my_key-1",
            "alias/aws/eks",
            "11111111-1111-1111-1111-111111111111",
        ] {
            assert!(validate_key_arn(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:kms:us-east-1:123:key/x",
            "arn:aws:kms:us-east-1:123456789012:key/not-a-key",
            "arn:aws:kms::123456789012:key/11111111-1111-1111-1111-111111111111",
            "alias/",
            "alias/has space",
            "my-key",
        ] {
            assert!(validate_key_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_types() {
        assert_eq!(KeyType::without_cmk("1.27"), KeyType::None);
        assert_eq!(KeyType::without_cmk("1.28"), KeyType::AwsOwned);
        assert_eq!(KeyType::without_cmk("1.31"), KeyType::AwsOwned);
        assert_eq!(KeyType::without_cmk("2.0"), KeyType::AwsOwned);
        for t in [KeyType::CustomerManaged, KeyType::AwsOwned, KeyType::None] {
            assert_eq!(KeyType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn health_warnings() {
        let KeyLookup::Found(mut f) = key(A) else {
            unreachable!()
        };
        assert!(key_health_warnings("c", &f).is_empty());
        f.state = "Disabled".into();
        assert_eq!(
            key_health_warnings("c", &f).0[0].summary,
            summary::KEY_DISABLED
        );
        f.state = "PendingDeletion".into();
        f.deletion_date = Some("2026-12-24T00:00:00Z".into());
        let d = key_health_warnings("c", &f);
        assert_eq!(d.0[0].summary, summary::KEY_PENDING_DELETION);
        assert!(d.0[0].detail.contains("2026-12-24"));
        assert!(!d.has_errors());
    }
}
