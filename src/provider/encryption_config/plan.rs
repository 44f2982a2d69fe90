//! The guard: pure decisions over plain data.
//!
//! Everything here is a function of facts the resource gathered (prior
//! state, configuration, what EKS and KMS report) and returns what to plan
//! and which diagnostics to raise. No I/O, so the whole table is unit-tested
//! without a network. The same functions run again at apply time, so an
//! apply refuses exactly what a plan refuses, with the same messages.

use crate::aws::{ClusterInfo, KeyInfo};
use crate::provider::encryption_config::preflight;
use crate::tfprotov6::value::Maybe;
use crate::tfprotov6::{AttributePath, Diagnostic, Diagnostics};

/// Diagnostic summaries (one list for the resource, with the
/// preflight's).
pub use super::summary;

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

    /// The key type of a cluster as EKS reports it.
    pub fn of(info: &ClusterInfo) -> Self {
        match info.cmk_arn() {
            Some(_) => KeyType::CustomerManaged,
            None => KeyType::without_cmk(&info.version),
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

/// What EKS reports about the cluster: DescribeCluster's answer, and the
/// updates in progress (read only while the cluster is UPDATING).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveCluster {
    /// DescribeCluster's answer: status (ACTIVE, UPDATING, CREATING,
    /// DELETING, FAILED or PENDING), Kubernetes version, the CMK in its
    /// encryption config, and `createdAt`, which tells a cluster recreated
    /// under the same name (and ARN) from the old one.
    pub info: ClusterInfo,
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
    /// The key ARN being associated; `None` when the update's parameters
    /// could not be read. Such an update still counts as the association
    /// in progress, never as "another update": treating it as another
    /// update would lead to a second AssociateEncryptionConfig.
    pub key_arn: Option<String>,
}

impl LiveCluster {
    /// The CMK the cluster has or is getting, when EKS says which.
    fn effective_cmk(&self) -> Option<&str> {
        self.info.cmk_arn().or(self
            .association_in_progress
            .as_ref()
            .and_then(|p| p.key_arn.as_deref()))
    }
}

/// What KMS said about the configured key.
// A lookup lives for one decision; boxing the common variant would only add
// an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyLookup {
    /// DescribeKey answered.
    Found(KeyInfo),
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

/// What the prior state says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prior {
    /// `key_arn` as written when the state was recorded.
    pub key_arn: Option<String>,
    /// The CMK ARN the state recorded (`resolved_key_arn`), if a CMK.
    pub cmk_arn: Option<String>,
    /// `deletion_protection`.
    pub deletion_protection: bool,
    /// The `cluster_created_at` the state recorded, if any.
    pub cluster_created_at: Option<String>,
}

impl Prior {
    /// Whether the state describes the cluster EKS reports now, rather than
    /// an earlier cluster of the same name (same ARN) that was deleted and
    /// recreated. Unknown creation times count as the same cluster.
    pub fn same_cluster(&self, live: &LiveCluster) -> bool {
        match (&self.cluster_created_at, &live.info.created_at) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        }
    }
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
        Some(c) if is_creating(&c.info.status) => d.push(
            Diagnostic::warning(
                summary::CLUSTER_CREATING,
                format!(
                    "Cluster {name:?} is {}. The apply waits (within the create/update \
                     timeout) for it to become ACTIVE, then runs every check again before \
                     associating the key.",
                    c.info.status
                ),
            )
            .with_attribute(AttributePath::attr("cluster_name")),
        ),
        Some(c) if c.info.status != "ACTIVE" && c.info.status != "UPDATING" => d.push(
            Diagnostic::error(
                summary::CLUSTER_NOT_READY,
                format!(
                    "Cluster {name:?} is {}; its encryption can only be changed while it is \
                     ACTIVE (or UPDATING, in which case the apply waits). Wait until the \
                     cluster is ACTIVE and run the plan again.",
                    c.info.status
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

/// Whether a cluster status means "still being created" (the apply waits).
pub fn is_creating(status: &str) -> bool {
    matches!(status, "CREATING" | "PENDING")
}

/// Checks that a key can protect an EKS cluster. `configured` is the
/// `key_arn` as written.
pub fn check_key(configured: &str, lookup: &KeyLookup, region: &str) -> Diagnostics {
    let problems = match lookup {
        KeyLookup::NotFound { message } => vec![match preflight::region_of(configured) {
            // An ARN of another region: say so, it is the likely cause.
            Some(key_region) if key_region != region => format!(
                "KMS found no key {configured:?} in region {region} ({message}): the key is in \
                 {key_region}, the provider's region is {region}: EKS needs a key in the \
                 cluster's region. Use a key in {region} (a multi-Region replica of this key \
                 works), or set the provider's region to {key_region} if the cluster is there."
            ),
            _ => format!(
                "KMS found no key {configured:?} in region {region} ({message}). The key must \
                 exist in the cluster's region and be accessible to these credentials. Check \
                 the ARN or alias, and the provider's region."
            ),
        }],
        KeyLookup::AccessDenied { message } => {
            let account = preflight::account_of(configured)
                .map(|a| {
                    format!(
                        " The key belongs to account {a}: when that is not the cluster's \
                         account, the key policy in account {a} must allow the cluster's \
                         account (or this principal) kms:DescribeKey and kms:CreateGrant."
                    )
                })
                .unwrap_or_default();
            vec![format!(
                "KMS denied DescribeKey on {configured:?} ({message}). Grant the \
                 kms:DescribeKey permission on this key to the identity Terraform runs as \
                 (in its IAM policy and in the key policy).{account}"
            )]
        }
        KeyLookup::Found(facts) if facts.manager != "CUSTOMER" => {
            return aws_managed(configured, &facts.arn).into();
        }
        KeyLookup::Found(facts) => key_problems(facts),
    };
    let on_key =
        |detail| Diagnostic::error(summary::KEY_NOT_USABLE, detail).with_attribute(key_path());
    Diagnostics(problems.into_iter().map(on_key).collect())
}

/// An AWS managed key where a CMK belongs: a downgrade.
fn aws_managed(configured: &str, arn: &str) -> Diagnostic {
    Diagnostic::error(
        summary::DOWNGRADE,
        format!(
            "{configured:?} is an AWS managed key ({arn}), not a customer managed key. Using \
             it would give up control of the key, which is what a CMK is for, and EKS cannot \
             use it for envelope encryption. Create a customer managed symmetric key \
             (aws_kms_key) and use its ARN."
        ),
    )
    .with_attribute(key_path())
}

/// Why a customer managed key cannot protect a cluster: its state, spec
/// and usage.
fn key_problems(facts: &KeyInfo) -> Vec<String> {
    let mut p = Vec::new();
    match facts.state.as_str() {
        "Enabled" => {}
        "PendingDeletion" => p.push(format!(
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
        )),
        "Disabled" => p.push(format!(
            "Key {} is disabled. Enable it (aws kms enable-key --key-id {}) or choose another key.",
            facts.arn, facts.arn
        )),
        "PendingImport" => p.push(format!(
            "Key {} is waiting for imported key material (PendingImport). Import the material \
             first, or choose another key.",
            facts.arn
        )),
        other => p.push(format!(
            "Key {} is in state {other}; only an Enabled key can protect a cluster.",
            facts.arn
        )),
    }
    if facts.spec != "SYMMETRIC_DEFAULT" {
        p.push(format!(
            "Key {} has key spec {}; EKS needs a symmetric encryption key (SYMMETRIC_DEFAULT).",
            facts.arn, facts.spec
        ));
    }
    if facts.usage != "ENCRYPT_DECRYPT" {
        p.push(format!(
            "Key {} has key usage {}; EKS needs ENCRYPT_DECRYPT.",
            facts.arn, facts.usage
        ));
    }
    p
}

/// The warning for a key without automatic rotation.
fn rotation_off(key_arn: &str) -> Diagnostic {
    Diagnostic::warning(
        summary::ROTATION_OFF,
        format!(
            "Automatic rotation is off for {key_arn}. EKS can never switch to another key, so \
             KMS key rotation is the way to renew key material: enable it with \
             aws kms enable-key-rotation or enable_key_rotation = true on aws_kms_key."
        ),
    )
    .with_attribute(key_path())
}

/// The warning for a key that could not be checked, on a plan that changes
/// nothing.
fn key_not_checked(configured: &str, cmk: &str, lookup: &KeyLookup) -> Diagnostic {
    let message = match lookup {
        KeyLookup::NotFound { message } | KeyLookup::AccessDenied { message } => message.as_str(),
        KeyLookup::Found(_) => "",
    };
    Diagnostic::warning(
        summary::KEY_NOT_CHECKED,
        format!(
            "KMS denied DescribeKey on {configured:?} ({message}), so the provider could not \
             check the key. key_arn is unchanged since the last apply and the cluster is \
             encrypted with {cmk}, the key recorded in state, so nothing is planned. Grant \
             kms:DescribeKey on the key to the identity Terraform runs as to let the provider \
             check it again."
        ),
    )
    .with_attribute(key_path())
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

/// The facts a create or update of the association is decided on.
#[derive(Clone, Debug)]
pub struct ChangeFacts<'a> {
    /// The cluster name.
    pub cluster: &'a str,
    /// The provider's region, for messages.
    pub region: &'a str,
    /// The prior state; `None` on create.
    pub prior: Option<&'a Prior>,
    /// `key_arn` as configured.
    pub config_key: &'a Maybe<String>,
    /// What EKS reports now.
    pub live: &'a LiveCluster,
    /// The lookup of the configured key, present when it is known.
    pub key: Option<&'a KeyLookup>,
    /// Whether the looked-up key rotates automatically; `None` when KMS
    /// would not say or when it was not asked (see [`rotation_matters`]).
    pub rotation: Option<bool>,
    /// `require_key_rotation`.
    pub require_rotation: bool,
    /// Whether this decides a plan. A key KMS does not find that may still
    /// be created in this run is then decided at apply, with a warning; the
    /// apply (`false`) refuses it.
    pub at_plan: bool,
}

/// Whether the decision on `f` depends on the key's rotation status, so
/// that the status is asked of KMS (GetKeyRotationStatus) only then: before
/// associating the key (a warning, or an error with `require_key_rotation`)
/// and before adopting it with `require_key_rotation`.
pub fn rotation_matters(f: &ChangeFacts<'_>) -> bool {
    let unchecked = decide_change(&ChangeFacts {
        rotation: None,
        ..f.clone()
    });
    !unchecked.diagnostics.has_errors()
        && match unchecked.action {
            Action::Associate { .. } => true,
            Action::Adopt { .. } => f.require_rotation,
            Action::Nothing | Action::DecideAtApply => false,
        }
}

/// Decides a create or update of the association. Callers run
/// [`check_cluster`] first and only call this for a usable cluster.
pub fn decide_change(f: &ChangeFacts<'_>) -> Decision {
    let mut decision = decide_key(f);
    let (Action::Associate { key_arn } | Action::Adopt { key_arn }) = &decision.action else {
        return decision;
    };
    match (f.rotation, f.require_rotation) {
        (Some(false), true) => {
            decision
                .diagnostics
                .push(preflight::rotation_required(key_arn));
            decision.action = Action::Nothing;
        }
        (Some(false), false) if matches!(decision.action, Action::Associate { .. }) => {
            decision.diagnostics.push(rotation_off(key_arn));
        }
        _ => {}
    }
    decision
}

/// The key half of [`decide_change`]: which CMK the cluster has, and what
/// the configured key asks for.
fn decide_key(f: &ChangeFacts<'_>) -> Decision {
    // The CMK the cluster has: EKS's word only. A CMK the state recorded
    // but EKS does not report means the cluster was recreated (or the
    // state is wrong): the key must go on again, as an in-place update.
    let current = f.live.effective_cmk();
    let mut diagnostics = Diagnostics::new();
    let action = match f.config_key {
        Maybe::Null => {
            diagnostics.extend(without_key(f.cluster, f.live, current));
            Action::Nothing
        }
        Maybe::Unknown => Action::DecideAtApply,
        Maybe::Known(configured) => match f.key {
            Some(lookup) => with_key(f, configured, lookup, current, &mut diagnostics),
            None => Action::DecideAtApply,
        },
    };
    Decision {
        action,
        diagnostics,
    }
}

/// No `key_arn`: a downgrade when the cluster has a CMK; below 1.28, a
/// warning that secrets have no envelope encryption.
fn without_key(cluster: &str, live: &LiveCluster, current: Option<&str>) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(cmk) = current {
        d.push(downgrade(cluster, cmk));
    } else if !has_default_envelope_encryption(&live.info.version) {
        d.warning(
            summary::NO_ENVELOPE,
            format!(
                "Cluster {cluster:?} runs Kubernetes {} and has no customer managed key, so its \
                 Kubernetes secrets have no envelope encryption. EKS encrypts by default only \
                 from 1.28; set key_arn to a customer managed key, or upgrade the cluster.",
                live.info.version
            ),
        );
    }
    d
}

/// A known `key_arn`, looked up: what the cluster's CMK (if any) and the
/// key make of the change.
fn with_key(
    f: &ChangeFacts<'_>,
    configured: &str,
    lookup: &KeyLookup,
    current: Option<&str>,
    diagnostics: &mut Diagnostics,
) -> Action {
    // The state's record counts only for the cluster EKS reports now.
    let recorded = f
        .prior
        .filter(|p| p.same_cluster(f.live))
        .and_then(|p| p.cmk_arn.as_deref());
    // An AWS managed key in place of a CMK is a downgrade whatever else is
    // true; other key problems are reported as such.
    let key_diags = check_key(configured, lookup, f.region);
    let found = match lookup {
        KeyLookup::Found(k) => Some(k),
        _ => None,
    };
    let unreadable_association = f
        .live
        .association_in_progress
        .as_ref()
        .is_some_and(|p| p.key_arn.is_none());
    // A key or alias that may be created in this run: decided at apply,
    // where a key still missing (or another key than the cluster's CMK) is
    // refused before anything is sent.
    if let KeyLookup::NotFound { message } = lookup {
        if f.at_plan && preflight::may_appear_later(configured, f.region) {
            diagnostics.push(match current {
                Some(cmk) => key_not_found_yet_over_cmk(f, configured, cmk, message),
                None => preflight::key_not_found_yet(configured, f.region, message),
            });
            return Action::DecideAtApply;
        }
    }
    match (current, found) {
        // Same key (possibly written as an alias): nothing to do, even if
        // the key is now unhealthy; refresh warns about that.
        (Some(cmk), Some(k)) if k.arn == cmk && recorded == Some(cmk) => Action::Nothing,
        (Some(cmk), Some(k)) if k.arn == cmk => Action::Adopt {
            key_arn: cmk.to_owned(),
        },
        (Some(cmk), Some(k)) => {
            diagnostics.push(if k.manager != "CUSTOMER" {
                downgrade(f.cluster, cmk)
            } else {
                key_change(f.cluster, cmk, &k.arn)
            });
            Action::Nothing
        }
        // An association whose key EKS did not say is running: the apply
        // waits for it and compares the key after.
        (None, Some(k)) if unreadable_association && !key_diags.has_errors() => {
            diagnostics.extend(key_diags);
            Action::Adopt {
                key_arn: k.arn.clone(),
            }
        }
        // key_arn is as last applied and the state records the CMK EKS
        // reports: nothing changes, whatever KMS would say about the key
        // now (issue 13: an alias of the same key with DescribeKey denied
        // failed a no-op plan).
        (Some(cmk), None)
            if matches!(lookup, KeyLookup::AccessDenied { .. })
                && recorded == Some(cmk)
                && f.prior.and_then(|p| p.key_arn.as_deref()) == Some(configured) =>
        {
            diagnostics.push(key_not_checked(configured, cmk, lookup));
            Action::Nothing
        }
        (Some(_), None) | (None, _) => {
            let usable = !key_diags.has_errors();
            diagnostics.extend(key_diags);
            match found {
                Some(k) if usable => Action::Associate {
                    key_arn: k.arn.clone(),
                },
                _ => Action::Nothing,
            }
        }
    }
}

/// The plan-time warning for a `key_arn` KMS does not find yet on a cluster
/// that already has (or is getting) a CMK (issue 22): only that key can
/// ever be associated, so the apply is refused unless `key_arn` then
/// resolves to exactly it.
fn key_not_found_yet_over_cmk(
    f: &ChangeFacts<'_>,
    configured: &str,
    cmk: &str,
    message: &str,
) -> Diagnostic {
    Diagnostic::warning(
        summary::KEY_NOT_FOUND_YET,
        format!(
            "KMS finds no key {configured:?} in region {} yet ({message}), so the plan cannot \
             tell which key it names. Cluster {:?} is already encrypted with the customer \
             managed key {cmk}, and EKS can never change it. The check waits for the apply: \
             there key_arn must resolve to exactly {cmk} (for example an alias created in this \
             run that points at it), or nothing is sent to EKS and the apply fails.",
            f.region, f.cluster
        ),
    )
    .with_attribute(key_path())
}

/// The diagnostic for a `key_arn` that resolves to another key than the
/// one the plan showed (an alias moved between plan and apply).
pub fn key_moved(configured: &str, planned: &str, now: &str) -> Diagnostic {
    Diagnostic::error(
        summary::KEY_MOVED,
        format!(
            "The plan showed key_arn = {configured:?} as the key {planned}, but it now resolves \
             to {now}: the alias was moved to another key since the plan. Associating a key \
             cannot be undone, so nothing was sent to EKS. Run terraform plan again to review \
             the new key, then apply that plan."
        ),
    )
    .with_attribute(key_path())
}

/// What the apply does next, decided from fresh facts right before any
/// call that changes the cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum ApplyStep {
    /// The cluster already has exactly this CMK: nothing to send.
    Done {
        /// The CMK's ARN.
        key_arn: String,
    },
    /// An association EKS is running (ours, or one whose key EKS did not
    /// say): wait for it, then decide again.
    AwaitAssociation {
        /// The update id.
        update_id: String,
        /// The key it associates, when EKS said (it is then the configured
        /// key); `None` means the key must be compared after the wait.
        key_arn: Option<String>,
    },
    /// Another update is running: wait for it, then decide again.
    AwaitOther,
    /// Call AssociateEncryptionConfig with this key.
    Associate {
        /// The key ARN.
        key_arn: String,
    },
    /// Refuse, with these errors. Nothing is sent.
    Refuse(Diagnostics),
}

/// The facts one apply step is decided on.
#[derive(Clone, Debug)]
pub struct ApplyFacts<'a> {
    /// The cluster name.
    pub cluster: &'a str,
    /// The provider's region, for messages.
    pub region: &'a str,
    /// `key_arn` as written.
    pub configured: &'a str,
    /// The key ARN the plan showed (`resolved_key_arn`), when it was known.
    pub planned: Option<&'a str>,
    /// What EKS reports now (a cluster that is gone is refused before:
    /// see [`cluster_gone`]).
    pub live: &'a LiveCluster,
    /// What KMS reports now about `configured`.
    pub key: &'a KeyLookup,
}

/// Decides the next step of an apply that is to make the configured key
/// the cluster's CMK. Called with fresh reads of the cluster and the key
/// before every AssociateEncryptionConfig, so that a wait inside the apply
/// (another update, a retry) can never lead to associating a key that is
/// no longer usable, another key than planned, or a second key.
pub fn decide_apply(f: &ApplyFacts<'_>) -> ApplyStep {
    let live = f.live;
    let cluster_diags = check_cluster(f.cluster, f.region, Some(live));
    if cluster_diags.has_errors() {
        return ApplyStep::Refuse(only_errors(cluster_diags));
    }
    let found = match f.key {
        KeyLookup::Found(k) => Some(k),
        _ => None,
    };
    if let (Some(planned), Some(k)) = (f.planned, found) {
        if k.arn != planned {
            return ApplyStep::Refuse(key_moved(f.configured, planned, &k.arn).into());
        }
    }
    if let Some(cmk) = live.info.cmk_arn() {
        return match found {
            Some(k) if k.arn == cmk => ApplyStep::Done {
                key_arn: cmk.to_owned(),
            },
            Some(k) if k.manager != "CUSTOMER" => {
                ApplyStep::Refuse(downgrade(f.cluster, cmk).into())
            }
            Some(k) => ApplyStep::Refuse(key_change(f.cluster, cmk, &k.arn).into()),
            None => ApplyStep::Refuse(only_errors(check_key(f.configured, f.key, f.region))),
        };
    }
    if let Some(p) = &live.association_in_progress {
        if let (Some(running), Some(k)) = (&p.key_arn, found) {
            if *running != k.arn {
                return ApplyStep::Refuse(key_change(f.cluster, running, &k.arn).into());
            }
        }
        return ApplyStep::AwaitAssociation {
            update_id: p.update_id.clone(),
            key_arn: p.key_arn.clone(),
        };
    }
    let key_diags = only_errors(check_key(f.configured, f.key, f.region));
    let Some(k) = found.filter(|_| key_diags.is_empty()) else {
        return ApplyStep::Refuse(key_diags);
    };
    if live.other_update_in_progress || live.info.status != "ACTIVE" {
        return ApplyStep::AwaitOther;
    }
    ApplyStep::Associate {
        key_arn: k.arn.clone(),
    }
}

/// The refusal of an apply whose cluster is gone.
pub fn cluster_gone(cluster: &str, region: &str) -> Diagnostics {
    only_errors(check_cluster(cluster, region, None))
}

fn only_errors(d: Diagnostics) -> Diagnostics {
    Diagnostics(d.0.into_iter().filter(Diagnostic::is_error).collect())
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
pub fn key_health_warnings(cluster: &str, facts: &KeyInfo) -> Diagnostics {
    let mut d = Diagnostics::new();
    match facts.state.as_str() {
        "Unavailable" => d.push(preflight::unavailable_warning(cluster, &facts.arn)),
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
        KeyLookup::Found(KeyInfo {
            key_id: arn.rsplit('/').next().unwrap_or_default().into(),
            arn: arn.into(),
            state: "Enabled".into(),
            spec: "SYMMETRIC_DEFAULT".into(),
            usage: "ENCRYPT_DECRYPT".into(),
            manager: "CUSTOMER".into(),
            deletion_date: None,
            enabled: true,
            custody: Default::default(),
        })
    }

    fn key_with(arn: &str, f: impl FnOnce(&mut KeyInfo)) -> KeyLookup {
        let KeyLookup::Found(mut facts) = key(arn) else {
            unreachable!()
        };
        f(&mut facts);
        KeyLookup::Found(facts)
    }

    fn live(cmk: Option<&str>) -> LiveCluster {
        LiveCluster {
            info: ClusterInfo {
                name: "c".into(),
                arn: "arn:aws:eks:us-east-1:123456789012:cluster/c".into(),
                version: "1.31".into(),
                status: "ACTIVE".into(),
                encryption: cmk
                    .map(|k| crate::aws::EncryptionInfo {
                        key_arn: k.into(),
                        resources: vec!["secrets".into()],
                    })
                    .into_iter()
                    .collect(),
                created_at: None,
                role_arn: None,
                health_issues: Vec::new(),
            },
            association_in_progress: None,
            other_update_in_progress: false,
        }
    }

    /// `live(cmk)`, changed by `f`.
    fn live_with(cmk: Option<&str>, f: impl FnOnce(&mut LiveCluster)) -> LiveCluster {
        let mut l = live(cmk);
        f(&mut l);
        l
    }

    fn prior(cmk: Option<&str>, protection: bool) -> Prior {
        Prior {
            key_arn: cmk.map(str::to_owned),
            cmk_arn: cmk.map(str::to_owned),
            deletion_protection: protection,
            cluster_created_at: None,
        }
    }

    fn pending(key: Option<&str>) -> LiveCluster {
        live_with(None, |l| {
            l.info.status = "UPDATING".into();
            l.association_in_progress = Some(PendingAssociation {
                update_id: "u1".into(),
                key_arn: key.map(str::to_owned),
            });
        })
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

    fn denied() -> KeyLookup {
        KeyLookup::AccessDenied {
            message: "not authorized to perform kms:DescribeKey".into(),
        }
    }

    fn known(s: &str) -> Maybe<String> {
        Maybe::Known(s.into())
    }

    /// One row of the guard's decision table: the facts, then the action and
    /// the diagnostics (error flag, summary, attribute) expected.
    struct Row {
        name: &'static str,
        prior: Option<Prior>,
        config: Maybe<String>,
        live: LiveCluster,
        key: Option<KeyLookup>,
        action: Action,
        diags: Vec<(bool, String, Option<String>)>,
    }

    /// Decides every row and checks its diagnostics and its action.
    fn check_rows(rows: Vec<Row>) {
        for row in rows {
            let d = decide_change(&ChangeFacts {
                cluster: "c",
                region: "us-east-1",
                prior: row.prior.as_ref(),
                config_key: &row.config,
                live: &row.live,
                key: row.key.as_ref(),
                rotation: None,
                require_rotation: false,
                // Decided as the apply does: a key not found is refused.
                // key_not_found_yet_table has the plan's deferral.
                at_plan: false,
            });
            assert_eq!(summaries(&d.diagnostics), row.diags, "{}", row.name);
            // Error rows too: a refusal must never carry an AWS change.
            assert_eq!(d.action, row.action, "{}", row.name);
        }
    }

    /// Creating the resource: what EKS already has decides between nothing, adopting, associating and refusing.
    #[test]
    fn create_table() {
        check_rows(vec![
            Row {
                name: "create, no key, no CMK, 1.28+",
                prior: None,
                config: Maybe::Null,
                live: live(None),
                key: None,
                action: Action::Nothing,
                diags: vec![],
            },
            Row {
                name: "create, no key, no CMK, below 1.28 warns",
                prior: None,
                config: Maybe::Null,
                live: live_with(None, |l| l.info.version = "1.27".into()),
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
                config: Maybe::Null,
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
                live: pending(Some(A)),
                key: Some(key(A)),
                action: Action::Adopt { key_arn: A.into() },
                diags: vec![],
            },
            Row {
                name: "create, association of another key in progress is a key change",
                prior: None,
                config: known(B),
                live: pending(Some(A)),
                key: Some(key(B)),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_CHANGE)],
            },
        ]);
    }

    /// Updating the resource: upgrades associate, downgrades and key changes are refused, another spelling of the same key changes nothing.
    #[test]
    fn update_table() {
        check_rows(vec![
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
                config: Maybe::Null,
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
                config: Maybe::Null,
                live: live(Some(A)),
                key: None,
                action: Action::Nothing,
                diags: vec![err(summary::DOWNGRADE)],
            },
            Row {
                name: "update, no key to no key",
                prior: Some(prior(None, true)),
                config: Maybe::Null,
                live: live(None),
                key: None,
                action: Action::Nothing,
                diags: vec![],
            },
        ]);
    }

    /// A key that cannot be decided at plan (unknown, or not looked up yet) waits for apply; an unusable key is refused.
    #[test]
    fn undecided_and_unusable_keys_table() {
        check_rows(vec![
            Row {
                name: "unknown key, no CMK: decide at apply",
                prior: None,
                config: Maybe::Unknown,
                live: live(None),
                key: None,
                action: Action::DecideAtApply,
                diags: vec![],
            },
            Row {
                name: "unknown key, CMK: decide at apply",
                prior: Some(prior(Some(A), true)),
                config: Maybe::Unknown,
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
        ]);
    }

    /// The state and EKS disagree: a recreated cluster, or an association already under way.
    #[test]
    fn recreated_cluster_table() {
        check_rows(vec![
            Row {
                name: "update, state records CMK A, EKS reports none (cluster recreated): \
                   associates again",
                prior: Some(prior(Some(A), true)),
                config: known(A),
                live: live(None),
                key: Some(key(A)),
                action: Action::Associate { key_arn: A.into() },
                diags: vec![],
            },
            Row {
                name: "update, state records CMK A, EKS reports none, alias of A: associates",
                prior: Some(prior(Some(A), true)),
                config: known(ALIAS_A),
                live: live(None),
                key: Some(key(A)),
                action: Action::Associate { key_arn: A.into() },
                diags: vec![],
            },
            Row {
                name: "update, state records CMK A, EKS reports none, no key: nothing to refuse",
                prior: Some(prior(Some(A), true)),
                config: Maybe::Null,
                live: live(None),
                key: None,
                action: Action::Nothing,
                diags: vec![],
            },
            Row {
                name: "update, cluster recreated (createdAt changed) already with CMK A: adopts",
                prior: Some(Prior {
                    cluster_created_at: Some("2026-01-01T00:00:00Z".into()),
                    ..prior(Some(A), true)
                }),
                config: known(A),
                live: live_with(Some(A), |l| {
                    l.info.created_at = Some("2026-06-01T00:00:00Z".into())
                }),
                key: Some(key(A)),
                action: Action::Adopt { key_arn: A.into() },
                diags: vec![],
            },
            Row {
                name: "update, same createdAt with CMK A: nothing",
                prior: Some(Prior {
                    cluster_created_at: Some("2026-01-01T00:00:00Z".into()),
                    ..prior(Some(A), true)
                }),
                config: known(A),
                live: live_with(Some(A), |l| {
                    l.info.created_at = Some("2026-01-01T00:00:00Z".into())
                }),
                key: Some(key(A)),
                action: Action::Nothing,
                diags: vec![],
            },
            Row {
                name: "association with unreadable params in progress adopts, never associates",
                prior: None,
                config: known(A),
                live: pending(None),
                key: Some(key(A)),
                action: Action::Adopt { key_arn: A.into() },
                diags: vec![],
            },
        ]);
    }

    /// The configured key cannot be read (not found, DescribeKey denied) or changed state while a CMK is associated (issue 13's rows).
    #[test]
    fn unreadable_configured_key_table() {
        check_rows(vec![
            Row {
                name: "update, CMK A, configured key not found: refused, nothing sent",
                prior: Some(prior(Some(A), true)),
                config: known("alias/gone"),
                live: live(Some(A)),
                key: Some(KeyLookup::NotFound {
                    message: "Alias alias/gone is not found.".into(),
                }),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_NOT_USABLE)],
            },
            Row {
                name: "update, CMK A, DescribeKey denied on the configured key: refused",
                prior: Some(prior(Some(A), true)),
                config: known(B),
                live: live(Some(A)),
                key: Some(KeyLookup::AccessDenied {
                    message: "not authorized to perform kms:DescribeKey".into(),
                }),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_NOT_USABLE)],
            },
            Row {
                name: "update, alias unchanged since the apply, state records the CMK EKS \
                   reports, DescribeKey denied: nothing, with a warning (issue 13)",
                prior: Some(Prior {
                    key_arn: Some(ALIAS_A.into()),
                    ..prior(Some(A), true)
                }),
                config: known(ALIAS_A),
                live: live(Some(A)),
                key: Some(denied()),
                action: Action::Nothing,
                diags: vec![(
                    false,
                    summary::KEY_NOT_CHECKED.into(),
                    Some("key_arn".into()),
                )],
            },
            Row {
                name: "update, key_arn changed to an alias, DescribeKey denied: refused",
                prior: Some(prior(Some(A), true)),
                config: known(ALIAS_A),
                live: live(Some(A)),
                key: Some(denied()),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_NOT_USABLE)],
            },
            Row {
                name: "update, alias unchanged, DescribeKey denied, EKS reports another CMK \
                   than the state: refused",
                prior: Some(Prior {
                    key_arn: Some(ALIAS_A.into()),
                    ..prior(Some(A), true)
                }),
                config: known(ALIAS_A),
                live: live(Some(B)),
                key: Some(denied()),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_NOT_USABLE)],
            },
            Row {
                name: "update, alias unchanged, key not found: refused (only a denial is \
                   passed over)",
                prior: Some(Prior {
                    key_arn: Some(ALIAS_A.into()),
                    ..prior(Some(A), true)
                }),
                config: known(ALIAS_A),
                live: live(Some(A)),
                key: Some(KeyLookup::NotFound {
                    message: "Alias alias/team-a is not found.".into(),
                }),
                action: Action::Nothing,
                diags: vec![err(summary::KEY_NOT_USABLE)],
            },
        ]);
    }

    /// The CMK in state is unchanged but its key or its association moved
    /// on: nothing is planned, and never a second association.
    #[test]
    fn cmk_in_state_moved_on_table() {
        check_rows(vec![
            Row {
                name: "update, the same CMK is now Disabled: nothing planned (refresh warns)",
                prior: Some(prior(Some(A), true)),
                config: known(ALIAS_A),
                live: live(Some(A)),
                key: Some(key_with(A, |f| f.state = "Disabled".into())),
                action: Action::Nothing,
                diags: vec![],
            },
            Row {
                name: "update, association of the key in state still in progress: nothing \
                   (EKS finishes it; never a second association)",
                prior: Some(prior(Some(A), true)),
                config: known(A),
                live: pending(Some(A)),
                key: Some(key(A)),
                action: Action::Nothing,
                diags: vec![],
            },
        ]);
    }

    /// The rotation rows: the status is gathered before the decision (only
    /// when it matters) and decides like any other fact.
    #[test]
    fn rotation_table() {
        let rotation_off = (
            false,
            summary::ROTATION_OFF.to_owned(),
            Some("key_arn".into()),
        );
        let required = err(preflight::summary::ROTATION_REQUIRED);
        let recorded = prior(Some(A), true);
        type Diags = Vec<(bool, String, Option<String>)>;
        type RotationRow<'a> = (
            &'a str,
            Option<&'a Prior>,
            LiveCluster,
            Option<bool>,
            bool,
            Action,
            Diags,
        );
        #[rustfmt::skip]
        let rows: Vec<RotationRow<'_>> = vec![
            ("associate, rotation on", None, live(None), Some(true), false,
             Action::Associate { key_arn: A.into() }, vec![]),
            ("associate, rotation off: warns but associates", None, live(None), Some(false), false,
             Action::Associate { key_arn: A.into() }, vec![rotation_off]),
            ("associate, rotation check denied: no warning", None, live(None), None, false,
             Action::Associate { key_arn: A.into() }, vec![]),
            ("associate, rotation required and off: refused", None, live(None), Some(false), true,
             Action::Nothing, vec![required.clone()]),
            ("associate, rotation required and on", None, live(None), Some(true), true,
             Action::Associate { key_arn: A.into() }, vec![]),
            ("associate, rotation required but not known: associates", None, live(None), None, true,
             Action::Associate { key_arn: A.into() }, vec![]),
            ("adopt, rotation off: no warning", None, live(Some(A)), Some(false), false,
             Action::Adopt { key_arn: A.into() }, vec![]),
            ("adopt, rotation required and off: refused", None, live(Some(A)), Some(false), true,
             Action::Nothing, vec![required]),
            ("nothing to do, rotation required and off: nothing", Some(&recorded), live(Some(A)),
             Some(false), true, Action::Nothing, vec![]),
        ];
        for (name, prior, live, rotation, require_rotation, action, diags) in rows {
            let f = ChangeFacts {
                cluster: "c",
                region: "us-east-1",
                prior,
                config_key: &known(A),
                live: &live,
                key: Some(&key(A)),
                rotation,
                require_rotation,
                at_plan: true,
            };
            let d = decide_change(&f);
            assert_eq!(summaries(&d.diagnostics), diags, "{name}");
            assert_eq!(d.action, action, "{name}");
        }
        // The status is asked for only where it can change the outcome.
        let asks = |prior: Option<&Prior>, live: &LiveCluster, key: &KeyLookup, require| {
            rotation_matters(&ChangeFacts {
                cluster: "c",
                region: "us-east-1",
                prior,
                config_key: &known(A),
                live,
                key: Some(key),
                rotation: None,
                require_rotation: require,
                at_plan: true,
            })
        };
        assert!(
            asks(None, &live(None), &key(A), false),
            "before associating"
        );
        assert!(!asks(None, &live(Some(A)), &key(A), false), "adopting");
        assert!(
            asks(None, &live(Some(A)), &key(A), true),
            "adopting, required"
        );
        assert!(
            !asks(Some(&recorded), &live(Some(A)), &key(A), true),
            "no change"
        );
        let disabled = key_with(A, |f| f.state = "Disabled".into());
        assert!(!asks(None, &live(None), &disabled, true), "a refused key");
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
        // Missing vs unusable: a cluster still being created is a warning
        // (the apply waits); one that failed or is being deleted is an error.
        for (status, want, error) in [
            ("CREATING", summary::CLUSTER_CREATING, false),
            ("PENDING", summary::CLUSTER_CREATING, false),
            ("FAILED", summary::CLUSTER_NOT_READY, true),
            ("DELETING", summary::CLUSTER_NOT_READY, true),
        ] {
            let c = live_with(None, |l| l.info.status = status.into());
            let d = check_cluster("c", "r", Some(&c));
            assert_eq!(
                (d.0[0].summary.as_str(), d.has_errors()),
                (want, error),
                "{status}"
            );
            assert_eq!(d.0[0].attribute, Some(AttributePath::attr("cluster_name")));
        }
        let busy = live_with(None, |l| {
            l.info.status = "UPDATING".into();
            l.other_update_in_progress = true;
        });
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
        // Issue 10: a disconnected custom key store makes the key Unavailable.
        f.state = "Unavailable".into();
        let d = key_health_warnings("c", &f);
        assert_eq!(d.0[0].summary, preflight::summary::KEY_UNAVAILABLE);
        assert!(!d.has_errors());
    }

    /// Missing vs unusable keys: a key KMS does not find is refused here
    /// (this runs at apply); the plan turns "not found" into a warning before
    /// calling it (see `preflight::key_not_found_yet`). A key that exists but
    /// is denied to the caller names the other account when the ARN has one.
    #[test]
    fn missing_and_denied_keys() {
        let d = check_key(
            "alias/new",
            &KeyLookup::NotFound {
                message: "Alias alias/new is not found.".into(),
            },
            "us-east-1",
        );
        assert_eq!(
            (d.0[0].summary.as_str(), d.has_errors()),
            (summary::KEY_NOT_USABLE, true)
        );
        let foreign = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111";
        let d = check_key(
            foreign,
            &KeyLookup::AccessDenied {
                message: "denied".into(),
            },
            "us-east-1",
        );
        assert!(d.has_errors());
        assert!(
            d.0[0].detail.contains("account 111122223333"),
            "{}",
            d.0[0].detail
        );
    }

    /// A key ARN of another region than the provider's names both regions
    /// (issue 22); a key of the provider's region gets the general advice.
    #[test]
    fn key_in_another_region_says_so() {
        let other = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111";
        let d = check_key(
            other,
            &KeyLookup::NotFound {
                message: "Invalid arn".into(),
            },
            "us-east-1",
        );
        assert_eq!(
            (d.0.len(), d.0[0].summary.as_str(), d.has_errors()),
            (1, summary::KEY_NOT_USABLE, true)
        );
        assert!(
            d.0[0].detail.contains(
                "the key is in eu-west-1, the provider's region is us-east-1: EKS needs a key \
                 in the cluster's region"
            ),
            "{}",
            d.0[0].detail
        );
        let same = check_key(
            A,
            &KeyLookup::NotFound {
                message: "no such key".into(),
            },
            "us-east-1",
        );
        assert!(
            !same.0[0].detail.contains("the key is in"),
            "{}",
            same.0[0].detail
        );
        assert!(same.0[0].detail.contains("Check the ARN or alias"));
    }

    /// At plan, a `key_arn` KMS does not find (yet): deferred to the apply
    /// with a warning when it may still be created in this run, refused when
    /// it never can be; a key that exists and differs from the cluster's CMK
    /// stays refused at plan. On a cluster that already has a CMK the warning
    /// names that CMK and says the apply fails unless key_arn resolves to it
    /// (issue 22).
    #[test]
    fn key_not_found_yet_table() {
        let not_found = |alias: &str| KeyLookup::NotFound {
            message: format!("Alias arn:aws:kms:us-east-1:123456789012:{alias} is not found."),
        };
        let other_region =
            "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333";
        let warn = (
            false,
            summary::KEY_NOT_FOUND_YET.to_owned(),
            Some("key_arn".to_owned()),
        );
        // (name, at plan, prior, key_arn, live, lookup, action, diagnostics, words in the detail)
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            &str,
            bool,
            Option<Prior>,
            &str,
            LiveCluster,
            KeyLookup,
            Action,
            Vec<(bool, String, Option<String>)>,
            Vec<String>,
        )> = vec![
            (
                "create, no CMK, alias not there yet: decided at apply",
                true,
                None,
                "alias/new",
                live(None),
                not_found("alias/new"),
                Action::DecideAtApply,
                vec![warn.clone()],
                vec!["created in this run".into(), "KMS key not usable".into()],
            ),
            (
                "update, CMK A, key_arn swapped to an alias not there yet: decided at apply, \
                 the warning names CMK A and says the apply fails unless key_arn resolves to it",
                true,
                Some(prior(Some(A), true)),
                "alias/other",
                live(Some(A)),
                not_found("alias/other"),
                Action::DecideAtApply,
                vec![warn.clone()],
                vec![
                    format!("already encrypted with the customer managed key {A}"),
                    format!("key_arn must resolve to exactly {A}"),
                    "or nothing is sent to EKS and the apply fails".into(),
                ],
            ),
            (
                "create, association of A running, alias not there yet: names A",
                true,
                None,
                "alias/other",
                pending(Some(A)),
                not_found("alias/other"),
                Action::DecideAtApply,
                vec![warn.clone()],
                vec![format!("key_arn must resolve to exactly {A}")],
            ),
            (
                "update, CMK A, the alias exists and is key B: refused at plan",
                true,
                Some(prior(Some(A), true)),
                "alias/other",
                live(Some(A)),
                key(B),
                Action::Nothing,
                vec![err(summary::KEY_CHANGE)],
                vec![format!("encrypted with the customer managed key {A}")],
            ),
            (
                "update, CMK A, a key ARN of another region: refused at plan, naming both regions",
                true,
                Some(prior(Some(A), true)),
                other_region,
                live(Some(A)),
                KeyLookup::NotFound {
                    message: "Invalid arn".into(),
                },
                Action::Nothing,
                vec![err(summary::KEY_NOT_USABLE)],
                vec!["the key is in eu-west-1, the provider's region is us-east-1".into()],
            ),
            (
                "the same swap at apply, alias still missing: refused, nothing sent",
                false,
                Some(prior(Some(A), true)),
                "alias/other",
                live(Some(A)),
                not_found("alias/other"),
                Action::Nothing,
                vec![err(summary::KEY_NOT_USABLE)],
                vec![],
            ),
        ];
        for (name, at_plan, prior, configured, live, lookup, action, diags, words) in rows {
            let config = known(configured);
            let d = decide_change(&ChangeFacts {
                cluster: "c",
                region: "us-east-1",
                prior: prior.as_ref(),
                config_key: &config,
                live: &live,
                key: Some(&lookup),
                rotation: None,
                require_rotation: false,
                at_plan,
            });
            assert_eq!(summaries(&d.diagnostics), diags, "{name}");
            assert_eq!(d.action, action, "{name}");
            for w in words {
                assert!(
                    d.diagnostics.iter().any(|x| x.detail.contains(&w)),
                    "{name}: no diagnostic says {w:?}: {:?}",
                    d.diagnostics
                );
            }
        }
    }

    fn apply_step(
        planned: Option<&str>,
        live_c: Option<LiveCluster>,
        lookup: KeyLookup,
        configured: &str,
    ) -> ApplyStep {
        // As the apply does: a cluster that is gone is refused first.
        let Some(live) = live_c else {
            return ApplyStep::Refuse(cluster_gone("c", "us-east-1"));
        };
        decide_apply(&ApplyFacts {
            cluster: "c",
            region: "us-east-1",
            configured,
            planned,
            live: &live,
            key: &lookup,
        })
    }

    fn refused(step: &ApplyStep) -> Vec<String> {
        match step {
            ApplyStep::Refuse(d) => d.iter().map(|d| d.summary.clone()).collect(),
            _ => vec![],
        }
    }

    /// The apply-time guard refuses a key_arn that now resolves to another
    /// key than the plan showed, on `key_arn`, naming both keys.
    #[test]
    fn apply_refuses_a_key_that_moved() {
        let moved = apply_step(Some(A), Some(live(None)), key(B), ALIAS_A);
        assert_eq!(refused(&moved), [summary::KEY_MOVED]);
        let ApplyStep::Refuse(d) = &moved else {
            unreachable!()
        };
        assert_eq!(d.0[0].attribute, Some(AttributePath::attr("key_arn")));
        assert!(d.0[0].detail.contains(A) && d.0[0].detail.contains(B));
        assert!(d.0[0].detail.contains("plan again"));
    }

    /// The apply-time guard's steps when nothing is refused.
    #[test]
    fn apply_steps_table() {
        type Case = (
            &'static str,
            Option<&'static str>,
            Option<LiveCluster>,
            KeyLookup,
            ApplyStep,
        );
        let cases: Vec<Case> = vec![
            (
                "planned key, no CMK: associate",
                Some(A),
                Some(live(None)),
                key(A),
                ApplyStep::Associate { key_arn: A.into() },
            ),
            (
                "unknown at plan: resolve at apply",
                None,
                Some(live(None)),
                key(B),
                ApplyStep::Associate { key_arn: B.into() },
            ),
            (
                "already has the key: done",
                Some(A),
                Some(live(Some(A))),
                key(A),
                ApplyStep::Done { key_arn: A.into() },
            ),
            (
                "our association running: await",
                Some(A),
                Some(pending(Some(A))),
                key(A),
                ApplyStep::AwaitAssociation {
                    update_id: "u1".into(),
                    key_arn: Some(A.into()),
                },
            ),
            (
                "unreadable association running: await, never associate",
                Some(A),
                Some(pending(None)),
                key(A),
                ApplyStep::AwaitAssociation {
                    update_id: "u1".into(),
                    key_arn: None,
                },
            ),
            (
                "another update running: await it",
                Some(A),
                Some(live_with(None, |l| {
                    l.info.status = "UPDATING".into();
                    l.other_update_in_progress = true;
                })),
                key(A),
                ApplyStep::AwaitOther,
            ),
        ];
        for (name, planned, l, k, want) in cases {
            assert_eq!(apply_step(planned, l, k, A), want, "{name}");
        }
    }

    /// What the apply-time guard refuses: whatever changed since the plan
    /// that makes the association unsafe.
    #[test]
    fn apply_refusals_table() {
        let refusals: Vec<(&str, Option<LiveCluster>, KeyLookup, &str)> = vec![
            ("cluster gone", None, key(A), summary::CLUSTER_NOT_FOUND),
            (
                "cluster deleting",
                Some(live_with(None, |l| l.info.status = "DELETING".into())),
                key(A),
                summary::CLUSTER_NOT_READY,
            ),
            (
                "key disabled since the plan",
                Some(live(None)),
                key_with(A, |f| f.state = "Disabled".into()),
                summary::KEY_NOT_USABLE,
            ),
            (
                "key pending deletion since the plan",
                Some(live(None)),
                key_with(A, |f| f.state = "PendingDeletion".into()),
                summary::KEY_NOT_USABLE,
            ),
            (
                "key gone since the plan",
                Some(live(None)),
                KeyLookup::NotFound {
                    message: "gone".into(),
                },
                summary::KEY_NOT_USABLE,
            ),
            (
                "another CMK appeared",
                Some(live(Some(B))),
                key(A),
                summary::KEY_CHANGE,
            ),
            (
                "another key's association started",
                Some(pending(Some(B))),
                key(A),
                summary::KEY_CHANGE,
            ),
        ];
        for (name, l, k, want) in refusals {
            assert_eq!(refused(&apply_step(Some(A), l, k, A)), [want], "{name}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        const KEYS: [&str; 3] = [
            A,
            B,
            "arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333",
        ];

        fn arn() -> impl Strategy<Value = String> {
            (0..KEYS.len()).prop_map(|i| KEYS[i].to_owned())
        }

        fn lookup() -> impl Strategy<Value = KeyLookup> {
            prop_oneof![
                (
                    arn(),
                    prop::sample::select(vec![
                        "Enabled",
                        "Disabled",
                        "PendingDeletion",
                        "PendingImport"
                    ]),
                    prop::sample::select(vec!["SYMMETRIC_DEFAULT", "RSA_2048"]),
                    prop::sample::select(vec!["CUSTOMER", "AWS"]),
                )
                    .prop_map(|(arn, state, spec, manager)| key_with(&arn, |f| {
                        f.state = state.into();
                        f.spec = spec.into();
                        f.manager = manager.into();
                    })),
                Just(KeyLookup::NotFound {
                    message: "no".into()
                }),
                Just(KeyLookup::AccessDenied {
                    message: "no".into()
                }),
            ]
        }

        fn live_cluster() -> impl Strategy<Value = Option<LiveCluster>> {
            let pending =
                prop::option::of(
                    prop::option::of(arn()).prop_map(|key_arn| PendingAssociation {
                        update_id: "u1".into(),
                        key_arn,
                    }),
                );
            prop::option::of(
                (
                    prop::sample::select(vec!["ACTIVE", "UPDATING", "CREATING", "DELETING"]),
                    prop::option::of(arn()),
                    pending,
                    any::<bool>(),
                )
                    .prop_map(
                        |(status, cmk_arn, association_in_progress, other)| {
                            live_with(cmk_arn.as_deref(), |l| {
                                l.info.status = status.into();
                                l.association_in_progress = association_in_progress;
                                l.other_update_in_progress = other;
                            })
                        },
                    ),
            )
        }

        proptest! {
            /// No path calls AssociateEncryptionConfig while EKS reports a
            /// CMK (or an association), with an unusable key, or with a key
            /// other than the planned one when that one was known.
            #[test]
            fn never_associates_unplanned(
                planned in prop::option::of(arn()),
                l in live_cluster(),
                k in lookup(),
                alias in any::<bool>(),
            ) {
                let configured = if alias { ALIAS_A } else { A };
                let step = apply_step(planned.as_deref(), l.clone(), k.clone(), configured);
                if let ApplyStep::Associate { key_arn } = &step {
                    let l = l.expect("a cluster");
                    prop_assert!(l.info.cmk_arn().is_none());
                    prop_assert!(l.association_in_progress.is_none());
                    prop_assert!(!l.other_update_in_progress);
                    prop_assert_eq!(l.info.status.as_str(), "ACTIVE");
                    if let Some(p) = &planned {
                        prop_assert_eq!(key_arn, p);
                    }
                    let KeyLookup::Found(f) = &k else {
                        return Err(TestCaseError::fail("associated without a key"));
                    };
                    prop_assert_eq!(&f.arn, key_arn);
                    prop_assert_eq!(f.state.as_str(), "Enabled");
                    prop_assert_eq!(f.manager.as_str(), "CUSTOMER");
                    prop_assert_eq!(f.spec.as_str(), "SYMMETRIC_DEFAULT");
                }
                if let ApplyStep::Refuse(d) = &step {
                    prop_assert!(d.has_errors());
                }
            }

            /// The plan-time guard never plans an association for a cluster
            /// EKS reports a CMK on.
            #[test]
            fn plan_never_associates_over_a_cmk(
                recorded in prop::option::of(arn()),
                written in prop::option::of(prop::sample::select(vec![A, ALIAS_A])),
                l in live_cluster(),
                k in lookup(),
                rotation in prop::option::of(any::<bool>()),
                require_rotation in any::<bool>(),
                at_plan in any::<bool>(),
            ) {
                let Some(l) = l else { return Ok(()) };
                let p = Prior {
                    key_arn: written.map(str::to_owned),
                    ..prior(recorded.as_deref(), true)
                };
                let d = decide_change(&ChangeFacts {
                    cluster: "c",
                    region: "r",
                    prior: Some(&p),
                    config_key: &known(A),
                    live: &l,
                    key: Some(&k),
                    rotation,
                    require_rotation,
                    at_plan,
                });
                if let Action::Associate { key_arn } = &d.action {
                    prop_assert!(d.diagnostics.has_errors() || l.effective_cmk().is_none());
                    prop_assert!(l.association_in_progress.is_none());
                    let KeyLookup::Found(f) = &k else {
                        return Err(TestCaseError::fail("associated without a key"));
                    };
                    prop_assert_eq!(&f.arn, key_arn);
                }
            }
        }
    }
}
