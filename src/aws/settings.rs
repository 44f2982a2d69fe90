//! Every AWS setting of the provider block, as plain data: [`ProviderSettings`]
//! and its parts. The provider layer parses the block into them
//! (`provider::auth`, `provider::endpoints`, `provider::timeouts`,
//! `provider::network`); nothing here reads the environment or a file.
//! The authentication, account-guard and transport settings (issue 11)
//! mirror terraform-provider-aws's provider arguments of the same names (its
//! `website/docs/index.html.markdown`), so an existing AWS provider block can
//! be copied.
//!
//! Every field is what the block says; `None` means "not set in the block",
//! and [`resolve`](super::resolve) applies the environment and the shared
//! files after it.

use std::collections::BTreeMap;
use std::time::Duration;

use super::timeouts::CallTimeouts;

/// Total attempts per AWS call (first try plus retries) when `max_retries` is
/// not set: 5, i.e. 4 retries with the SDK's standard jittered exponential
/// backoff (at most 20 s between attempts).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Role session name used for `assume_role` and
/// `assume_role_with_web_identity` when none is configured.
pub const DEFAULT_SESSION_NAME: &str = "terraform-provider-eks";

/// The AWS part of the provider block, as plain data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderSettings {
    /// The region; falls back to AWS_REGION / AWS_DEFAULT_REGION, then to the
    /// profile's `region`.
    pub region: Option<String>,
    /// The shared config/credentials profile; falls back to AWS_PROFILE, then
    /// `default`.
    pub profile: Option<String>,
    /// A role to assume with the base credentials.
    pub assume_role: Option<AssumeRole>,
    /// Per-service endpoint overrides.
    pub endpoints: Endpoints,
    /// Retries per AWS call after the first attempt; `None` means
    /// [`DEFAULT_MAX_ATTEMPTS`] attempts in total.
    pub max_retries: Option<u32>,
    /// Web identity, account guards, shared files, STS region.
    pub auth: AuthSettings,
    /// Retry mode, CA bundle, proxies, FIPS and dual-stack endpoints.
    pub transport: TransportSettings,
    /// `attempt_timeout` and `operation_timeout` of every AWS call.
    pub timeouts: CallTimeouts,
}

/// The `assume_role` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRole {
    /// ARN of the role to assume.
    pub role_arn: String,
    /// Role session name; defaults to [`DEFAULT_SESSION_NAME`].
    pub session_name: Option<String>,
    /// External id required by the role's trust policy, if any.
    pub external_id: Option<String>,
    /// Session duration; STS's default is one hour.
    pub duration: Option<Duration>,
    /// Inline session policy (JSON).
    pub policy: Option<String>,
    /// Managed session policy ARNs.
    pub policy_arns: Vec<String>,
    /// Session tags.
    pub tags: BTreeMap<String, String>,
    /// Keys of the session tags that pass on to chained role sessions.
    pub transitive_tag_keys: Vec<String>,
    /// Source identity recorded in CloudTrail for the session.
    pub source_identity: Option<String>,
}

/// The `endpoints` block: explicit endpoint URLs, which take precedence over
/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` and the profile's
/// `endpoint_url`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// EKS endpoint URL.
    pub eks: Option<String>,
    /// KMS endpoint URL.
    pub kms: Option<String>,
    /// STS endpoint URL (used by `assume_role`).
    pub sts: Option<String>,
}

/// Credential and account settings beyond `profile` and `assume_role`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthSettings {
    /// The `assume_role_with_web_identity` block.
    pub web_identity: Option<WebIdentity>,
    /// `allowed_account_ids`: the only accounts the credentials may belong to.
    pub allowed_account_ids: Vec<String>,
    /// `forbidden_account_ids`: accounts the credentials must not belong to.
    pub forbidden_account_ids: Vec<String>,
    /// `shared_config_files`: replaces `AWS_CONFIG_FILE` / `~/.aws/config`.
    pub shared_config_files: Option<Vec<String>>,
    /// `shared_credentials_files`: replaces `AWS_SHARED_CREDENTIALS_FILE` /
    /// `~/.aws/credentials`.
    pub shared_credentials_files: Option<Vec<String>>,
    /// `sts_region`: the region of the STS calls (AssumeRole,
    /// AssumeRoleWithWebIdentity, GetCallerIdentity); default the provider's.
    pub sts_region: Option<String>,
}

impl AuthSettings {
    /// Whether an account guard is configured.
    pub fn guards_account(&self) -> bool {
        !self.allowed_account_ids.is_empty() || !self.forbidden_account_ids.is_empty()
    }
}

/// The `assume_role_with_web_identity` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebIdentity {
    /// Role to assume; default `AWS_ROLE_ARN`.
    pub role_arn: Option<String>,
    /// Session name; default `AWS_ROLE_SESSION_NAME`, else
    /// [`DEFAULT_SESSION_NAME`].
    pub session_name: Option<String>,
    /// The token itself (conflicts with `web_identity_token_file`).
    pub web_identity_token: Option<String>,
    /// A file holding the token, read on every credential refresh; default
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`.
    pub web_identity_token_file: Option<String>,
    /// Session duration (`duration`, e.g. `1h`); default STS's one hour.
    pub duration: Option<Duration>,
    /// Inline session policy (JSON).
    pub policy: Option<String>,
    /// Managed session policy ARNs.
    pub policy_arns: Vec<String>,
}

/// `retry_mode`: how the SDK retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryModeSetting {
    /// Exponential backoff with jitter and a retry quota.
    Standard,
    /// Standard plus client-side rate limiting when AWS throttles.
    Adaptive,
}

impl RetryModeSetting {
    /// Parses `standard` / `adaptive` (any case, surrounding blanks ignored).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "standard" => Some(Self::Standard),
            "adaptive" => Some(Self::Adaptive),
            _ => None,
        }
    }
}

/// How requests travel: retries, TLS trust, proxies, endpoint variants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransportSettings {
    /// `retry_mode`; default `AWS_RETRY_MODE`, the profile's `retry_mode`,
    /// else standard.
    pub retry_mode: Option<RetryModeSetting>,
    /// `custom_ca_bundle`: a PEM file of the CA certificates to trust instead
    /// of the system's; default `AWS_CA_BUNDLE`.
    pub custom_ca_bundle: Option<String>,
    /// `http_proxy`; default `HTTP_PROXY` / `http_proxy`.
    pub http_proxy: Option<String>,
    /// `https_proxy`; default `HTTPS_PROXY` / `https_proxy`. An empty string
    /// keeps `http_proxy` away from HTTPS requests.
    pub https_proxy: Option<String>,
    /// `no_proxy`; default `NO_PROXY` / `no_proxy`.
    pub no_proxy: Option<String>,
    /// `use_fips_endpoint`; default `AWS_USE_FIPS_ENDPOINT`, the profile's
    /// `use_fips_endpoint`, else false.
    pub use_fips_endpoint: Option<bool>,
    /// `use_dualstack_endpoint`; default `AWS_USE_DUALSTACK_ENDPOINT`, the
    /// profile's `use_dualstack_endpoint`, else false.
    pub use_dualstack_endpoint: Option<bool>,
}
