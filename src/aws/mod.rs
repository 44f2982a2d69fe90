//! The AWS client layer: EKS, KMS and STS through aws-sdk-rust. It knows
//! nothing of the plugin protocol; `provider` calls it.
//!
//! [`AwsClients`] holds one EKS and one KMS SDK client per configured provider
//! and exposes the few calls the resources need, returning plain data
//! ([`ClusterInfo`], [`KeyInfo`], [`UpdateInfo`]) and typed errors
//! ([`AwsError`], [`ConfigError`]). Nothing above this module sees SDK types.
//!
//! Building the clients ([`AwsClients::from_settings`], in `builder`) takes
//! the provider block's [`ProviderSettings`] (plain data, in `settings`),
//! resolves every setting in the AWS provider's order (`resolve`), checks
//! the block (`validate`), builds one HTTPS client (`http`) and assembles
//! the credential providers and the account guard (`credentials`): web
//! identity, assume role, and the account check that runs before the first
//! EKS or KMS call.
//!
//! Every call goes through one template (`call`): it flattens a failure into
//! an [`AwsError`] that keeps the error code and request id, and emits a
//! `tracing` debug event with the service, the operation, the cluster or key
//! id, the request id and the duration; credentials and bodies are never
//! logged.
//!
//! # Dependency order
//!
//! No import circle: each module uses only the modules above it in this
//! list (read the `use super::...` lines to check). Test modules may also
//! use `test_support` and the re-exports of this module.
//!
//! | module | what | uses |
//! | --- | --- | --- |
//! | `timeouts` | [`CallTimeouts`]: per-attempt and per-operation bounds | - |
//! | `settings` | [`ProviderSettings`] and its parts, plain data parsed by `provider` | `timeouts` |
//! | `error` | [`AwsError`], [`ConfigError`], the credential failures ([`AccountNotAllowed`]) | - |
//! | `types` | [`KeyInfo`], [`KeyCustody`]: plain data the client caches | - |
//! | `validate` | checks of the block's own values | `settings`, `error` |
//! | `resolve` | block > environment > shared files, per setting | `settings`, `error` |
//! | `http` | the one HTTPS client: CA bundle, proxies | `error`, `resolve` |
//! | `client` | [`AwsClients`]: the SDK clients, caches, timeout messages | `error`, `timeouts`, `types` |
//! | `call` | the call template: time, send, typed error, trace | `client`, `error` |
//! | `credentials` | credential providers (assume role, web identity) and the account guard | `call`, `error`, `settings`, `resolve` |
//! | `eks`, `kms`, `fleet`, `preflight` | the calls the resources make | `call`, `client`, `error`, `types` |
//! | `builder` | [`AwsClients::from_settings`]: settings to clients | all of the above but the calls |

// The dependency order is in the module doc (rustfmt sorts these).
mod builder;
mod call;
mod client;
mod credentials;
mod eks;
mod error;
mod fleet;
mod http;
mod kms;
mod preflight;
mod resolve;
mod settings;
mod timeouts;
mod types;
mod validate;

pub use client::AwsClients;
pub use eks::{ClusterInfo, ClusterIssue, EncryptionInfo, UpdateError, UpdateInfo};
pub use error::{AccountNotAllowed, AwsError, AwsErrorKind, ConfigError};
pub use preflight::{DryRunGrant, EKS_GRANT_OPERATIONS};
pub use settings::{
    AssumeRole, AuthSettings, Endpoints, ProviderSettings, RetryModeSetting, TransportSettings,
    WebIdentity, DEFAULT_MAX_ATTEMPTS, DEFAULT_SESSION_NAME,
};
pub use timeouts::{
    human_duration, CallTimeouts, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT, MAX_BACKOFF,
};
pub use types::{KeyCustody, KeyInfo};

/// Helpers shared by the tests of this module: mocked SDK clients that retry
/// without sleeping, canned HTTP responses, and a fake HTTP client that
/// records every request so tests can prove nothing reaches the network.
#[cfg(test)]
pub(crate) mod test_support {
    use std::fmt;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use aws_sdk_eks::config::{AsyncSleep, SharedAsyncSleep, Sleep};
    use aws_smithy_mocks::{mock_client, Rule, RuleMode};
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
        SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::retry::RetryConfig;

    use super::AwsClients;

    /// Attempts per call in mocked clients.
    pub(crate) const TEST_MAX_ATTEMPTS: u32 = 3;

    /// A sleep that returns at once, so retry backoff costs nothing.
    #[derive(Debug)]
    pub(crate) struct InstantSleep;

    impl AsyncSleep for InstantSleep {
        fn sleep(&self, _duration: Duration) -> Sleep {
            Sleep::new(std::future::ready(()))
        }
    }

    fn retry() -> RetryConfig {
        RetryConfig::standard().with_max_attempts(TEST_MAX_ATTEMPTS)
    }

    /// An EKS client answering from `rules`, retrying without sleeping.
    pub(crate) fn eks_client(mode: RuleMode, rules: &[&Rule]) -> aws_sdk_eks::Client {
        mock_client!(aws_sdk_eks, mode, rules, |c| c
            .retry_config(retry())
            .sleep_impl(SharedAsyncSleep::new(InstantSleep)))
    }

    /// A KMS client answering from `rules`, retrying without sleeping.
    pub(crate) fn kms_client(mode: RuleMode, rules: &[&Rule]) -> aws_sdk_kms::Client {
        mock_client!(aws_sdk_kms, mode, rules, |c| c
            .retry_config(retry())
            .sleep_impl(SharedAsyncSleep::new(InstantSleep)))
    }

    /// A KMS client answering from `rules` whose every HTTP exchange takes
    /// `delay`, so that concurrent callers really overlap.
    pub(crate) fn slow_kms_client(rules: &[&Rule], delay: Duration) -> aws_sdk_kms::Client {
        mock_client!(aws_sdk_kms, RuleMode::MatchAny, rules, move |c| {
            // The mock HTTP client is stateless (the rules travel in request
            // extensions), so a fresh one can be wrapped.
            let inner = aws_smithy_mocks::create_mock_http_client();
            c.http_client(Delayed { inner, delay })
                .retry_config(retry())
                .sleep_impl(SharedAsyncSleep::new(InstantSleep))
        })
    }

    /// An STS client answering from `rules`.
    pub(crate) fn sts_client(rules: &[&Rule]) -> aws_sdk_sts::Client {
        mock_client!(aws_sdk_sts, RuleMode::Sequential, rules, |c| c
            .retry_config(retry())
            .sleep_impl(SharedAsyncSleep::new(InstantSleep)))
    }

    /// Clients over mocked EKS, KMS and STS rules (each in sequential mode).
    pub(crate) fn clients_with_sts(
        eks_rules: &[&Rule],
        kms_rules: &[&Rule],
        sts_rules: &[&Rule],
    ) -> AwsClients {
        AwsClients::from_clients_with_sts(
            eks_client(RuleMode::Sequential, eks_rules),
            kms_client(RuleMode::Sequential, kms_rules),
            sts_client(sts_rules),
            "us-east-1".to_owned(),
        )
    }

    /// Clients over mocked EKS and KMS rules (each in sequential mode).
    pub(crate) fn clients(eks_rules: &[&Rule], kms_rules: &[&Rule]) -> AwsClients {
        AwsClients::from_clients(
            eks_client(RuleMode::Sequential, eks_rules),
            kms_client(RuleMode::Sequential, kms_rules),
            "us-east-1".to_owned(),
        )
    }

    /// A JSON error response as EKS and KMS send it.
    pub(crate) fn json_error(
        status: u16,
        code: &str,
        message: &str,
        request_id: &str,
    ) -> HttpResponse {
        let body = format!(r#"{{"__type":"{code}","message":"{message}"}}"#);
        let mut resp = HttpResponse::new(
            StatusCode::try_from(status).expect("valid status"),
            SdkBody::from(body),
        );
        resp.headers_mut()
            .insert("content-type", "application/x-amz-json-1.1");
        resp.headers_mut()
            .insert("x-amzn-RequestId", request_id.to_owned());
        resp
    }

    /// Wraps an HTTP client so every exchange first waits `delay`.
    #[derive(Debug)]
    struct Delayed {
        inner: SharedHttpClient,
        delay: Duration,
    }

    impl HttpClient for Delayed {
        fn http_connector(
            &self,
            settings: &HttpConnectorSettings,
            components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(DelayedConnector {
                inner: self.inner.http_connector(settings, components),
                delay: self.delay,
            })
        }
    }

    #[derive(Debug)]
    struct DelayedConnector {
        inner: SharedHttpConnector,
        delay: Duration,
    }

    impl HttpConnector for DelayedConnector {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let inner = self.inner.clone();
            let delay = self.delay;
            HttpConnectorFuture::new(async move {
                tokio::time::sleep(delay).await;
                inner.call(request).await
            })
        }
    }

    /// One request seen by [`FakeHttp`].
    #[derive(Debug, Clone)]
    pub(crate) struct Seen {
        /// The full URI.
        pub(crate) uri: String,
        /// The Authorization header, if any.
        pub(crate) authorization: Option<String>,
        /// The body, as text.
        pub(crate) body: String,
    }

    type Responder = dyn Fn(&HttpRequest) -> HttpResponse + Send + Sync;

    /// An in-process HTTP client: records each request and answers with
    /// `responder`. Nothing leaves the process.
    #[derive(Clone)]
    pub(crate) struct FakeHttp {
        seen: Arc<Mutex<Vec<Seen>>>,
        responder: Arc<Responder>,
    }

    impl fmt::Debug for FakeHttp {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("FakeHttp").finish_non_exhaustive()
        }
    }

    impl FakeHttp {
        /// A fake client answering with `responder`.
        pub(crate) fn new(
            responder: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static,
        ) -> Self {
            FakeHttp {
                seen: Arc::default(),
                responder: Arc::new(responder),
            }
        }

        /// The requests seen so far.
        pub(crate) fn seen(&self) -> Vec<Seen> {
            self.seen.lock().expect("lock").clone()
        }

        /// As a shared client for SDK configuration.
        pub(crate) fn shared(&self) -> SharedHttpClient {
            SharedHttpClient::new(self.clone())
        }
    }

    impl HttpClient for FakeHttp {
        fn http_connector(
            &self,
            _settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    impl HttpConnector for FakeHttp {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            self.seen.lock().expect("lock").push(Seen {
                uri: request.uri().to_owned(),
                authorization: request.headers().get("authorization").map(str::to_owned),
                body: request
                    .body()
                    .bytes()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default(),
            });
            HttpConnectorFuture::ready(Ok((self.responder)(&request)))
        }
    }
}
