//! The summaries of the resource's diagnostics, guard and preflight alike.
//! Tests and docs rely on these exact words.

// ---- the guard (plan) ---------------------------------------------------------

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
/// The cluster is being deleted or has failed.
pub const CLUSTER_NOT_READY: &str = "EKS cluster is not ready";
/// Warning at plan: the cluster is still being created; the apply waits.
pub const CLUSTER_CREATING: &str = "EKS cluster is being created";
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
/// `key_arn` names another key than the one the plan showed.
pub const KEY_MOVED: &str = "key_arn resolves to another key than planned";
/// The caller may not create the grant EKS needs on the key.
pub const CREATE_GRANT_DENIED: &str = "Not allowed to create a grant on the KMS key";
/// Warning: DescribeKey was denied on a key that is unchanged since the
/// last apply.
pub const KEY_NOT_CHECKED: &str = "KMS key could not be checked";

// ---- the association preflight and "not there yet" ---------------------------

/// Warning at plan: the cluster does not exist yet.
pub const CLUSTER_NOT_FOUND_YET: &str = "EKS cluster not found yet";
/// Warning at plan: the key (or alias) does not exist yet.
pub const KEY_NOT_FOUND_YET: &str = "KMS key not found yet";
/// Error: the caller cannot create the grant EKS needs.
pub const GRANT_DENIED: &str = "EKS could not create its grant on the key";
/// Warning: the dry run could not be evaluated.
pub const NOT_EVALUATED: &str = "Association preflight not evaluated";
/// Warning: imported key material expires.
pub const MATERIAL_EXPIRES: &str = "Imported key material expires";
/// Warning: the key lives in a custom key store.
pub const CUSTOM_KEY_STORE: &str = "Key in a custom key store";
/// Warning on refresh: the key is Unavailable.
pub const KEY_UNAVAILABLE: &str = "Customer managed key is unavailable";
/// Error with `require_key_rotation = true`.
pub const ROTATION_REQUIRED: &str = "Automatic key rotation is required";
