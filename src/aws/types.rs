//! Plain data the KMS calls return and [`AwsClients`](super::AwsClients)
//! caches ([`KeyInfo`], [`KeyCustody`]), and the two conversions of SDK
//! answers every service module shares. Depends on nothing else in `aws`.

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

/// A KMS key's metadata, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key id (a UUID or an `mrk-` id).
    pub key_id: String,
    /// The key ARN.
    pub arn: String,
    /// Key state, e.g. `Enabled`, `Disabled`, `PendingDeletion`.
    pub state: String,
    /// Key spec, e.g. `SYMMETRIC_DEFAULT`.
    pub spec: String,
    /// Key usage, e.g. `ENCRYPT_DECRYPT`.
    pub usage: String,
    /// `CUSTOMER` or `AWS`.
    pub manager: String,
    /// When a key pending deletion will be deleted (RFC 3339).
    pub deletion_date: Option<String>,
    /// Whether the key is enabled.
    pub enabled: bool,
    /// How the key's material is held (origin, expiry, custom key store).
    pub custody: KeyCustody,
}

/// The name of an SDK enum value (`ACTIVE`, `Enabled`, ...), or `""` when
/// the response left it out.
pub(crate) fn name_of<T: AsRef<str>>(value: Option<&T>) -> String {
    value.map(|v| v.as_ref().to_owned()).unwrap_or_default()
}

/// Formats a timestamp as RFC 3339.
pub(crate) fn rfc3339(t: &DateTime) -> Option<String> {
    t.fmt(Format::DateTime).ok()
}

/// How a KMS key's material is held.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyCustody {
    /// The key ARN.
    pub arn: String,
    /// `AWS_KMS`, `EXTERNAL` (imported material), `AWS_CLOUDHSM` or
    /// `EXTERNAL_KEY_STORE`.
    pub origin: String,
    /// When imported key material expires (RFC 3339), for
    /// `ExpirationModel = KEY_MATERIAL_EXPIRES`.
    pub valid_to: Option<String>,
    /// The custom key store of an `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE` key.
    pub custom_key_store_id: Option<String>,
}
