//! Typed errors of the AWS client layer.
//!
//! [`AwsError`] is what every AWS call returns on failure: the SDK's
//! `SdkError` flattened into plain data (operation, error code, message,
//! request id, HTTP status) plus a coarse [`AwsErrorKind`] that tells the
//! caller whether the service answered, the credentials could not be loaded,
//! or the request never got an answer. [`ConfigError`] is what building the
//! clients from the provider block can fail with.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;

mod credentials;

pub use credentials::AccountNotAllowed;
pub(crate) use credentials::{CredentialContext, CredentialSource, ExplainedCredentialsError};

/// The message shown when no credential source in the chain had credentials.
pub(crate) const NO_CREDENTIALS_MESSAGE: &str = "no AWS credentials found: set AWS_PROFILE, or \
     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use SSO, web identity or an instance/container \
     role; or configure `profile`/`assume_role` in the provider block";

/// The broad class of an [`AwsError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The service answered with an error (after the SDK's retries, if the
    /// error was retryable). `code`, `request_id` and `http_status` are set
    /// when the response carried them.
    Service,
    /// The credentials could not be loaded (none configured, an expired SSO
    /// session, a failing `assume_role`, ...). No request was sent.
    Credentials,
    /// The credentials belong to an account that `allowed_account_ids` /
    /// `forbidden_account_ids` refuse. No EKS or KMS request was sent.
    AccountNotAllowed,
    /// The request or an attempt timed out.
    Timeout,
    /// The request could not be sent or no response was read (DNS, TCP, TLS).
    Connection,
    /// Anything else: a request that could not be built, a response that
    /// could not be read, an SDK invariant.
    Other,
}

impl fmt::Display for AwsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AwsErrorKind::Service => "service",
            AwsErrorKind::Credentials => "credentials",
            AwsErrorKind::AccountNotAllowed => "account not allowed",
            AwsErrorKind::Timeout => "timeout",
            AwsErrorKind::Connection => "connection",
            AwsErrorKind::Other => "other",
        })
    }
}

/// A failed AWS call, as plain data.
///
/// Displays as `<operation>: <code>: <message> (request id: <id>)`; the code
/// and request id parts are left out when unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AwsError {
    /// The API operation, e.g. `DescribeCluster`.
    pub operation: &'static str,
    /// The broad class of the failure.
    pub kind: AwsErrorKind,
    /// The service's error code, e.g. `ResourceNotFoundException`.
    pub code: Option<String>,
    /// A human readable message: the service's message, or the cause chain of
    /// a client-side failure.
    pub message: String,
    /// The AWS request id (`x-amzn-RequestId`), when a response was received.
    pub request_id: Option<String>,
    /// The HTTP status of the response, when one was received.
    pub http_status: Option<u16>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.operation)?;
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id: {id})")?;
        }
        Ok(())
    }
}

/// Error codes that mean "the caller is not allowed to do this".
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedOperation",
    "UnauthorizedException",
];

impl AwsError {
    /// Whether the service returned exactly this error code.
    pub fn is_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// Whether the caller lacks permission: an access-denied error code, or a
    /// bare HTTP 403 without a code.
    pub fn is_access_denied(&self) -> bool {
        match &self.code {
            Some(code) => ACCESS_DENIED_CODES.contains(&code.as_str()),
            None => self.kind == AwsErrorKind::Service && self.http_status == Some(403),
        }
    }

    /// An error without code, request id or HTTP status.
    fn new(operation: &'static str, kind: AwsErrorKind, message: String) -> Self {
        AwsError {
            operation,
            kind,
            code: None,
            message,
            request_id: None,
            http_status: None,
        }
    }

    /// Builds an error of kind [`AwsErrorKind::Other`] for an operation.
    pub(crate) fn other(operation: &'static str, message: impl Into<String>) -> Self {
        AwsError::new(operation, AwsErrorKind::Other, message.into())
    }

    /// Flattens an SDK error of any operation into an [`AwsError`].
    pub(crate) fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        // A refused account shows up like a credentials failure (the check
        // runs when credentials are first loaded), so it is looked for first.
        if let Some(refused) = find_in_chain::<AccountNotAllowed>(&err) {
            let message = refused.to_string();
            return AwsError::new(operation, AwsErrorKind::AccountNotAllowed, message);
        }
        // A credentials failure shows up as a construction or dispatch failure
        // whose cause chain holds the provider's CredentialsError.
        if let Some(explained) = find_in_chain::<ExplainedCredentialsError>(&err) {
            let message = explained_message(explained);
            return AwsError::new(operation, AwsErrorKind::Credentials, message);
        }
        if let Some(cred) = find_in_chain::<CredentialsError>(&err) {
            let message = credentials_message(cred);
            return AwsError::new(operation, AwsErrorKind::Credentials, message);
        }

        let request_id = err.request_id().map(str::to_owned);
        let http_status = err.raw_response().map(|r| r.status().as_u16());
        let (kind, message) = match &err {
            SdkError::ServiceError(ctx) => {
                return service_error(operation, ctx.err(), request_id, http_status)
            }
            SdkError::TimeoutError(_) => (
                AwsErrorKind::Timeout,
                format!("request timed out: {}", error_chain(&err)),
            ),
            SdkError::DispatchFailure(dispatch) if dispatch.is_timeout() => {
                (AwsErrorKind::Timeout, error_chain(&err))
            }
            SdkError::DispatchFailure(dispatch) if dispatch.is_io() => {
                (AwsErrorKind::Connection, error_chain(&err))
            }
            SdkError::ResponseError(_) => (
                AwsErrorKind::Service,
                format!("unreadable response: {}", error_chain(&err)),
            ),
            // Other dispatch failures, ConstructionFailure and future variants.
            _ => (AwsErrorKind::Other, error_chain(&err)),
        };
        AwsError {
            request_id,
            http_status,
            ..AwsError::new(operation, kind, message)
        }
    }
}

/// The [`AwsError`] of an error the service answered with.
fn service_error<E: ProvideErrorMetadata + StdError + 'static>(
    operation: &'static str,
    service_err: &E,
    request_id: Option<String>,
    http_status: Option<u16>,
) -> AwsError {
    let code = service_err.code().map(str::to_owned);
    let message = service_err
        .message()
        .map(str::to_owned)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| match (&code, http_status) {
            (Some(_), _) => "no message".to_owned(),
            (None, Some(status)) => format!("HTTP {status} with no error code"),
            (None, None) => error_chain(service_err),
        });
    AwsError {
        operation,
        kind: AwsErrorKind::Service,
        code,
        message,
        request_id: request_id.or_else(|| service_err.meta().request_id().map(str::to_owned)),
        http_status,
    }
}

/// The messages of an error and its causes, joined with `: `, skipping a
/// cause whose message its parent already includes.
fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    for e in chain(err).skip(1) {
        let msg = e.to_string();
        if !msg.is_empty() && !out.contains(&msg) {
            out.truncate(without_final_period(&out).len());
            out.push_str(": ");
            out.push_str(&msg);
        }
    }
    out
}

/// `s` without its sentence's final period(s), so that wrapping an SDK
/// message ("... insufficient permissions.") in a sentence of ours never
/// gives "..". An ellipsis is trimmed too: it ends a sentence just the same.
fn without_final_period(s: &str) -> &str {
    s.trim_end().trim_end_matches('.')
}

/// An error and its causes, outermost first.
fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |e: &&'a (dyn StdError + 'static)| (*e).source())
}

/// The outermost error of type `T` in the cause chain of `err`.
fn find_in_chain<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    chain(err).find_map(|e| e.downcast_ref::<T>())
}

/// The innermost error of type `T` in the cause chain of `err`.
fn innermost_in_chain<'a, T: StdError + 'static>(
    err: &'a (dyn StdError + 'static),
) -> Option<&'a T> {
    chain(err).filter_map(|e| e.downcast_ref::<T>()).last()
}

/// A credentials failure with the source tried, the region and the fix.
/// Never includes secret values: only names, paths and the SDK's messages.
fn explained_message(e: &ExplainedCredentialsError) -> String {
    let ctx = &e.context;
    let not_loaded = innermost_in_chain::<CredentialsError>(&e.cause)
        .is_some_and(|c| matches!(c, CredentialsError::CredentialsNotLoaded(_)));
    let mut msg = if not_loaded {
        format!(
            "no AWS credentials found for region {}. Tried {}",
            ctx.region,
            ctx.tried()
        )
    } else {
        format!(
            "{}. Credentials from {}; region {}",
            without_final_period(&credentials_message(&e.cause)),
            ctx.tried(),
            ctx.region
        )
    };
    if let Some(profile) = &ctx.sso_profile {
        msg.push_str(&format!(
            ". Profile {profile:?} signs in with IAM Identity Center (SSO); if its session \
             has expired or was never started, run `aws sso login --profile {profile}`, then \
             retry"
        ));
    } else if not_loaded {
        match &ctx.source {
            CredentialSource::Profile { name, .. } => msg.push_str(&format!(
                ". Fix: give profile {name:?} credentials in those files (keys, IAM Identity \
                 Center, credential_process or role_arn with source_profile), or set \
                 `profile` to a profile that has them"
            )),
            _ => msg.push_str(
                ". Fix: set `profile` or AWS_PROFILE to a profile with credentials, or \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure \
                 `assume_role_with_web_identity`, or run where a container or instance role is \
                 available",
            ),
        }
    }
    msg
}

/// A user-facing message for a credentials failure.
fn credentials_message(err: &CredentialsError) -> String {
    // The innermost credentials error says what went wrong first: with
    // `assume_role`, a failing AssumeRole may itself be caused by missing
    // base credentials.
    let innermost = innermost_in_chain::<CredentialsError>(err).unwrap_or(err);
    let assume_role = find_in_chain::<AssumeRoleSdkError>(err);
    let web_identity = find_in_chain::<WebIdentitySdkError>(err);
    match innermost {
        CredentialsError::CredentialsNotLoaded(_) => NO_CREDENTIALS_MESSAGE.to_owned(),
        CredentialsError::ProviderTimedOut(t) => format!(
            "loading AWS credentials timed out after {:?}; check the credential source \
             (profile, SSO, web identity, instance/container role) or configure \
             `profile`/`assume_role` in the provider block",
            t.timeout_duration()
        ),
        _ => match (assume_role, web_identity) {
            (Some(sts @ SdkError::ServiceError(_)), _) => {
                sts_refusal("`assume_role.role_arn`", sts)
            }
            (_, Some(sts @ SdkError::ServiceError(_))) => {
                sts_refusal("`assume_role_with_web_identity.role_arn`", sts)
            }
            _ => format!("failed to load AWS credentials: {}", error_chain(err)),
        },
    }
}

/// "could not assume the role of X: Code: message (STS request id: id)",
/// for STS's refusal `sts`.
fn sts_refusal<E: ProvideErrorMetadata>(
    attribute: &str,
    sts: &SdkError<E, HttpResponse>,
) -> String {
    let request_id = sts
        .request_id()
        .or_else(|| sts.as_service_error().and_then(|e| e.meta().request_id()));
    let mut msg = format!(
        "could not assume the role of {attribute}: {}: {}",
        sts.code().unwrap_or("error"),
        sts.message().unwrap_or("no message")
    );
    if let Some(id) = request_id {
        msg.push_str(&format!(" (STS request id: {id})"));
    }
    msg
}

/// The SDK error of the AssumeRole call made by `assume_role`.
type AssumeRoleSdkError =
    SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError, HttpResponse>;

/// The SDK error of the AssumeRoleWithWebIdentity call.
type WebIdentitySdkError = SdkError<
    aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError,
    HttpResponse,
>;

/// Building the AWS clients from the provider block failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No region was configured anywhere.
    #[error(
        "no AWS region configured: set `region` in the provider block, or the AWS_REGION \
         environment variable, or `region` in the selected AWS config profile"
    )]
    NoRegion,
    /// The `region` attribute is not a usable region name.
    #[error("invalid `region` {value:?}: {reason}")]
    InvalidRegion {
        /// The configured value.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The `sts_region` attribute is not a usable region name.
    #[error("invalid `sts_region` {value:?}: {reason}")]
    InvalidStsRegion {
        /// The configured value.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An endpoint override is not an http(s) URL.
    #[error("invalid `{attribute}` {value:?}: {reason}; expected an http:// or https:// URL such as \"https://eks.us-east-1.amazonaws.com\"")]
    InvalidEndpoint {
        /// The attribute path, e.g. `endpoints.eks`.
        attribute: &'static str,
        /// The configured value.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An `assume_role` attribute is unusable.
    #[error("invalid `{attribute}`: {reason}")]
    InvalidAssumeRole {
        /// The attribute path, e.g. `assume_role.role_arn`.
        attribute: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// An environment variable or profile key has an unusable value.
    #[error("invalid {origin} {value:?}: expected {expected}")]
    InvalidAmbient {
        /// The variable or key, e.g. `AWS_RETRY_MODE`.
        origin: String,
        /// Its value.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// The CA bundle cannot be used.
    #[error("invalid {origin}: the CA bundle file {path} {reason}; it must be a PEM file of the CA certificates to trust")]
    InvalidCaBundle {
        /// `custom_ca_bundle` or AWS_CA_BUNDLE.
        origin: String,
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A proxy URL cannot be used.
    #[error(
        "invalid {origin} {value:?}: {reason}; use a URL such as \"http://proxy.example.com:3128\""
    )]
    InvalidProxy {
        /// `https_proxy`, HTTPS_PROXY, ...
        origin: String,
        /// The value, without credentials.
        value: String,
        /// Why.
        reason: String,
    },
    /// A configured shared config or credentials file cannot be read.
    #[error("invalid `{attribute}`: {reason}")]
    InvalidSharedFile {
        /// `shared_config_files` or `shared_credentials_files`.
        attribute: &'static str,
        /// Why.
        reason: String,
    },
    /// The `profile` attribute is unusable.
    #[error("invalid `profile` {value:?}: {reason}")]
    InvalidProfile {
        /// The configured value.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl ConfigError {
    /// The provider-block attribute the error is about, as a dotted path
    /// (`assume_role.role_arn`), when it is about one.
    pub fn attribute(&self) -> Option<String> {
        let from_origin = |origin: &str| {
            origin
                .strip_prefix('`')
                .and_then(|o| o.strip_suffix('`'))
                .map(str::to_owned)
        };
        match self {
            ConfigError::NoRegion | ConfigError::InvalidRegion { .. } => Some("region".into()),
            ConfigError::InvalidStsRegion { .. } => Some("sts_region".into()),
            ConfigError::InvalidEndpoint { attribute, .. }
            | ConfigError::InvalidAssumeRole { attribute, .. }
            | ConfigError::InvalidSharedFile { attribute, .. } => Some((*attribute).to_owned()),
            ConfigError::InvalidProfile { .. } => Some("profile".into()),
            ConfigError::InvalidCaBundle { origin, .. }
            | ConfigError::InvalidProxy { origin, .. } => from_origin(origin),
            ConfigError::InvalidAmbient { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_credential_types::provider::{future, ProvideCredentials};
    use aws_smithy_mocks::{mock_client, RuleMode};

    use super::*;
    use crate::aws::test_support::{FakeHttp, InstantSleep};
    use crate::aws::AwsClients;

    #[derive(Debug, Clone, Copy)]
    struct FailingCredentials(fn() -> CredentialsError);

    impl ProvideCredentials for FailingCredentials {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            future::ProvideCredentials::ready(Err((self.0)()))
        }
    }

    /// DescribeCluster with failing credentials; also returns how many
    /// requests reached the HTTP layer.
    async fn describe_with(creds: FailingCredentials) -> (AwsError, usize) {
        let http = FakeHttp::new(|_| {
            HttpResponse::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(200).expect("status"),
                aws_smithy_types::body::SdkBody::from(r#"{"cluster":{"name":"prod"}}"#),
            )
        });
        // Not an aws-smithy-mocks client: a modeled mock output is put in
        // place at the end of the attempt and would hide the credentials
        // failure, a rule counts as called even when nothing is sent, and a
        // client without rules panics.
        let eks = aws_sdk_eks::Client::from_conf(
            aws_sdk_eks::Config::builder()
                .behavior_version(aws_sdk_eks::config::BehaviorVersion::latest())
                .region(aws_sdk_eks::config::Region::new("us-east-1"))
                .credentials_provider(creds)
                .http_client(http.shared())
                .sleep_impl(aws_sdk_eks::config::SharedAsyncSleep::new(InstantSleep))
                .build(),
        );
        let kms = mock_client!(aws_sdk_kms, RuleMode::Sequential, []);
        let aws = AwsClients::from_clients(eks, kms, "us-east-1".into());
        let err = aws.describe_cluster("prod").await.unwrap_err();
        (err, http.seen().len())
    }

    #[tokio::test]
    async fn missing_credentials_get_a_clear_message() {
        let (err, calls) = describe_with(FailingCredentials(|| {
            CredentialsError::not_loaded("no providers in chain provided credentials")
        }))
        .await;
        assert_eq!(err.kind, AwsErrorKind::Credentials);
        assert_eq!(err.message, NO_CREDENTIALS_MESSAGE);
        assert_eq!(
            err.to_string(),
            format!("DescribeCluster: {NO_CREDENTIALS_MESSAGE}")
        );
        assert!(err.to_string().contains("AWS_PROFILE"));
        assert_eq!(calls, 0, "no request may be sent without credentials");
    }

    #[tokio::test]
    async fn failing_credential_source_keeps_its_cause() {
        let (err, _) = describe_with(FailingCredentials(|| {
            CredentialsError::provider_error("the SSO session has expired")
        }))
        .await;
        assert_eq!(err.kind, AwsErrorKind::Credentials);
        assert!(
            err.message.starts_with("failed to load AWS credentials: ")
                && err.message.contains("the SSO session has expired"),
            "{}",
            err.message
        );
    }

    fn service_error(code: Option<&str>, status: u16) -> AwsError {
        AwsError {
            operation: "DescribeKey",
            kind: AwsErrorKind::Service,
            code: code.map(str::to_owned),
            message: "m".into(),
            request_id: None,
            http_status: Some(status),
        }
    }

    #[test]
    fn display_leaves_out_unknown_parts() {
        let mut e = service_error(None, 500);
        assert_eq!(e.to_string(), "DescribeKey: m");
        e.code = Some("KMSInternalException".into());
        e.request_id = Some("r-1".into());
        assert_eq!(
            e.to_string(),
            "DescribeKey: KMSInternalException: m (request id: r-1)"
        );
    }

    #[test]
    fn access_denied_detection() {
        assert!(service_error(Some("AccessDeniedException"), 400).is_access_denied());
        assert!(service_error(Some("AccessDenied"), 403).is_access_denied());
        assert!(service_error(None, 403).is_access_denied());
        assert!(!service_error(Some("NotFoundException"), 400).is_access_denied());
        assert!(!service_error(None, 500).is_access_denied());
        assert!(service_error(Some("NotFoundException"), 400).is_code("NotFoundException"));
    }

    fn explained(
        cause: CredentialsError,
        sso_profile: Option<&str>,
    ) -> super::ExplainedCredentialsError {
        use super::{CredentialContext, CredentialSource};
        super::ExplainedCredentialsError {
            context: std::sync::Arc::new(CredentialContext {
                region: "eu-west-1".into(),
                source: CredentialSource::Chain {
                    profile: sso_profile.unwrap_or("default").into(),
                },
                sso_profile: sso_profile.map(str::to_owned),
                assume_role: None,
            }),
            cause,
        }
    }

    #[test]
    fn explained_credentials_errors_name_source_region_and_fix() {
        let msg = explained_message(&explained(
            CredentialsError::not_loaded("no providers in chain provided credentials"),
            None,
        ));
        assert!(
            msg.starts_with(
                "no AWS credentials found for region eu-west-1. Tried the default chain: the \
                 environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), profile \"default\""
            ),
            "{msg}"
        );
        assert!(msg.contains(". Fix: set `profile` or AWS_PROFILE"), "{msg}");
        let msg = explained_message(&explained(
            CredentialsError::provider_error("the SSO token has expired and cannot be refreshed"),
            Some("dev"),
        ));
        assert!(
            msg.starts_with("failed to load AWS credentials: ")
                && msg.contains("the SSO token has expired and cannot be refreshed"),
            "{msg}"
        );
        assert!(
            msg.ends_with(
                "Profile \"dev\" signs in with IAM Identity Center (SSO); if its session has \
                 expired or was never started, run `aws sso login --profile dev`, then retry"
            ),
            "{msg}"
        );
        assert!(msg.contains("region eu-west-1"), "{msg}");
    }

    /// An SDK message that ends with a period is not followed by a second
    /// one (issue 22: IMDS's "... insufficient permissions.." ).
    #[test]
    fn sdk_messages_ending_with_a_period_get_no_second_one() {
        #[derive(Debug)]
        struct Forbidden;
        impl fmt::Display for Forbidden {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // aws-config's IMDS client's wording.
                f.write_str(
                    "request forbidden: IMDS is disabled or the caller has insufficient \
                     permissions.",
                )
            }
        }
        impl StdError for Forbidden {}
        let msg = explained_message(&explained(
            CredentialsError::provider_error(Forbidden),
            None,
        ));
        assert!(
            msg.contains("the caller has insufficient permissions. Credentials from"),
            "{msg}"
        );
        assert!(!msg.contains(".."), "{msg}");
        assert!(!msg.contains(".:"), "{msg}");
        assert_eq!(without_final_period("done."), "done");
        assert_eq!(without_final_period("done"), "done");
    }

    #[test]
    fn config_error_messages_name_the_fix() {
        let msg = ConfigError::NoRegion.to_string();
        assert!(
            msg.contains("`region`") && msg.contains("AWS_REGION"),
            "{msg}"
        );
        let msg = ConfigError::InvalidEndpoint {
            attribute: "endpoints.eks",
            value: "ftp://x".into(),
            reason: "the scheme must be http or https".into(),
        }
        .to_string();
        assert!(
            msg.starts_with("invalid `endpoints.eks` \"ftp://x\""),
            "{msg}"
        );
    }
}
