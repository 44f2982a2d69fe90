//! The one HTTPS client every SDK client and credential provider of a
//! provider instance uses: aws-smithy-http-client's hyper 1 connector with
//! rustls (ring), the trust store of `custom_ca_bundle` / AWS_CA_BUNDLE, and
//! the proxies of `http_proxy`, `https_proxy` and `no_proxy`.
//!
//! aws-smithy-http-client's `ProxyConfig` holds one proxy for one scheme (or
//! one for both), while Go's and so terraform-provider-aws's proxy settings
//! allow a different proxy per scheme; [`SchemeRouter`] sends `http://`
//! requests through one connector and `https://` ones through another.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::error::ConfigError;
use super::resolve::{Origin, Proxies};

/// What the HTTP client is built from.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpOptions {
    /// A validated PEM bundle that replaces the system's trust store.
    pub(crate) ca_bundle: Option<Vec<u8>>,
    /// The proxies in effect (already validated).
    pub(crate) proxies: Proxies,
}

/// Reads and checks a CA bundle: a PEM file with at least one certificate,
/// each usable as a trust anchor. (The SDK's client would panic on a bad
/// one.) The bundle replaces the system's roots, as AWS_CA_BUNDLE does in
/// the AWS CLI and the Go SDK.
pub(crate) fn load_ca_bundle(path: &Path, origin: &Origin) -> Result<Vec<u8>, ConfigError> {
    let fail = |reason: String| ConfigError::InvalidCaBundle {
        origin: origin.to_string(),
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| fail(format!("is not a PEM file: {e}")))?;
    if certs.is_empty() {
        return Err(fail(
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots
            .add(cert)
            .map_err(|e| fail(format!("certificate {} is not usable: {e}", i + 1)))?;
    }
    Ok(pem)
}

/// Checks a proxy URL (`http://` or `https://`, with a host; a bare
/// `host:port` means `http://host:port`, as in Go) and returns it with its
/// scheme.
pub(crate) fn normalize_proxy(value: &str, origin: &Origin) -> Result<String, ConfigError> {
    let url = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let fail = |reason: &str| ConfigError::InvalidProxy {
        origin: origin.to_string(),
        value: redact_userinfo(value),
        reason: reason.to_owned(),
    };
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("http://") {
        r
    } else if let Some(r) = lower.strip_prefix("https://") {
        r
    } else {
        return Err(fail("the scheme must be http or https"));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err(fail("the host is missing"));
    }
    ProxyConfig::http(url.as_str()).map_err(|e| fail(&e.to_string()))?;
    Ok(url)
}

/// `scheme://user:password@host` as `scheme://***@host`, for messages.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Builds the client.
pub(crate) fn build_client(opts: &HttpOptions) -> SharedHttpClient {
    let trust = match &opts.ca_bundle {
        Some(pem) => TrustStore::empty().with_pem_certificate(pem.clone()),
        None => TrustStore::default(),
    };
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default();
    let proxy = |url: &Option<String>, make: fn(&str) -> Option<ProxyConfig>| {
        let config = url.as_deref().and_then(make);
        match (config, &opts.proxies.no_proxy) {
            (Some(c), Some(no)) => c.no_proxy(no),
            (Some(c), None) => c,
            (None, _) => ProxyConfig::disabled(),
        }
    };
    SharedHttpClient::new(Client {
        tls,
        http_proxy: proxy(&opts.proxies.http, |u| ProxyConfig::http(u).ok()),
        https_proxy: proxy(&opts.proxies.https, |u| ProxyConfig::https(u).ok()),
        connectors: Mutex::new(HashMap::new()),
    })
}

/// Connectors are cached per timeout settings, so connections are pooled.
type CacheKey = (Option<Duration>, Option<Duration>);

#[derive(Debug)]
struct Client {
    tls: TlsContext,
    http_proxy: ProxyConfig,
    https_proxy: ProxyConfig,
    connectors: Mutex<HashMap<CacheKey, SharedHttpConnector>>,
}

impl Client {
    fn connector(
        &self,
        proxy: &ProxyConfig,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> Connector {
        let mut builder = Connector::builder().connector_settings(settings.clone());
        builder.set_sleep_impl(components.sleep_impl());
        builder
            .proxy_config(proxy.clone())
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .tls_context(self.tls.clone())
            .build()
    }
}

impl HttpClient for Client {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        // A poisoned lock only means a panic elsewhere; the map is intact.
        let mut cache = self
            .connectors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache
            .entry(key)
            .or_insert_with(|| {
                SharedHttpConnector::new(SchemeRouter {
                    http: self.connector(&self.http_proxy, settings, components),
                    https: self.connector(&self.https_proxy, settings, components),
                })
            })
            .clone()
    }
}

/// Sends each request through the connector of its scheme's proxy.
#[derive(Debug)]
struct SchemeRouter {
    http: Connector,
    https: Connector,
}

impl HttpConnector for SchemeRouter {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        if request.uri().to_ascii_lowercase().starts_with("http://") {
            self.http.call(request)
        } else {
            self.https.call(request)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::Block("custom_ca_bundle")
    }

    #[test]
    fn ca_bundle_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = load_ca_bundle(&missing, &origin()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid `custom_ca_bundle`: the CA bundle file"),
            "{err}"
        );
        assert!(err.to_string().contains("cannot be read"), "{err}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = load_ca_bundle(&empty, &Origin::Env("AWS_CA_BUNDLE".into())).unwrap_err();
        assert!(err.to_string().contains("AWS_CA_BUNDLE"), "{err}");
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );

        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = load_ca_bundle(&garbage, &origin()).unwrap_err();
        assert!(
            err.to_string().contains("certificate 1 is not usable"),
            "{err}"
        );

        let ca = rcgen::generate_simple_self_signed(vec!["test-ca".into()]).unwrap();
        let good = dir.path().join("good.pem");
        std::fs::write(&good, ca.cert.pem()).unwrap();
        assert_eq!(
            load_ca_bundle(&good, &origin()).unwrap(),
            ca.cert.pem().into_bytes()
        );
    }

    #[test]
    fn proxy_urls() {
        let o = Origin::Block("https_proxy");
        assert_eq!(
            normalize_proxy("proxy.corp:3128", &o).unwrap(),
            "http://proxy.corp:3128"
        );
        assert_eq!(
            normalize_proxy("https://proxy.corp", &o).unwrap(),
            "https://proxy.corp"
        );
        let err = normalize_proxy("socks5://user:secret@proxy:1080", &o).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("the scheme must be http or https"), "{msg}");
        assert!(!msg.contains("secret"), "{msg}");
        assert!(normalize_proxy("http://", &o).is_err());
        assert_eq!(
            redact_userinfo("http://u:p@proxy:1/x@y"),
            "http://***@proxy:1/x@y"
        );
        assert_eq!(redact_userinfo("http://proxy:1"), "http://proxy:1");
    }
}
