//! Network settings of the provider block: `max_retries`, `retry_mode`,
//! `custom_ca_bundle` and the proxies (`http_proxy`, `https_proxy`,
//! `no_proxy`). Their schema and their reading into `max_retries` and
//! [`TransportSettings`] (whose endpoint variants [`endpoints`](super::endpoints)
//! reads).

use crate::aws::{RetryModeSetting, TransportSettings};
use crate::tfprotov6::{Attribute, Type};

use super::reader::Reader;

fn opt(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::optional(name, ty, description)
}

/// `max_retries`.
pub fn max_retries_attribute() -> Vec<Attribute> {
    vec![Attribute::optional(
        "max_retries",
        Type::Number,
        "How many times a throttled or failed AWS call is retried, with \
             exponential backoff. Default: `AWS_MAX_ATTEMPTS` minus one, else the \
             profile's `max_attempts` minus one, else `4` (5 attempts in total). \
             Capped so that the retries fit in `operation_timeout` (15 with the \
             default `5m`).",
    )]
}

/// How calls travel: retries, TLS trust and proxies.
pub fn attributes() -> Vec<Attribute> {
    vec![
        opt(
            "retry_mode",
            Type::String,
            "How failed calls are retried: `standard` (exponential backoff with jitter) or \
             `adaptive` (standard plus client-side rate limiting when throttled). Default: \
             `AWS_RETRY_MODE`, else the profile's `retry_mode`, else `standard`.",
        ),
        opt(
            "custom_ca_bundle",
            Type::String,
            "PEM file of the CA certificates to trust for HTTPS instead of the system's, e.g. \
             for a TLS-inspecting corporate proxy. Default: `AWS_CA_BUNDLE`, else the system \
             trust store. (The shared config file's `ca_bundle` is not read, as in the AWS \
             provider.)",
        ),
        opt(
            "http_proxy",
            Type::String,
            "URL of the proxy for `http://` endpoints; while `https_proxy` is unset and no \
             HTTPS proxy comes from the environment, also for `https://` endpoints. Default: \
             `HTTP_PROXY` or `http_proxy`.",
        ),
        opt(
            "https_proxy",
            Type::String,
            "URL of the proxy for `https://` endpoints (the AWS endpoints). Set `\"\"` to use \
             `http_proxy` for HTTP only. Default: `HTTPS_PROXY` or `https_proxy`.",
        ),
        opt(
            "no_proxy",
            Type::String,
            "Comma-separated hosts, domains (`.example.com`), IP addresses or CIDR ranges that \
             bypass the proxies; `*` bypasses them for every host. Default: `NO_PROXY` or \
             `no_proxy`.",
        ),
    ]
}

/// `max_retries`: a whole number from 0 to 100.
pub fn max_retries(r: &mut Reader<'_>) -> Option<u32> {
    let n = r.number_setting("max_retries")?;
    match n.to_i64().and_then(|v| u32::try_from(v).ok()) {
        Some(v) if v <= 100 => Some(v),
        _ => {
            r.error(
                "max_retries",
                "Invalid max_retries",
                format!("{n} is not a whole number between 0 and 100."),
            );
            None
        }
    }
}

/// Retries, TLS trust, proxies, and the endpoint variants of the provider
/// block `r` reads.
pub fn parse(r: &mut Reader<'_>) -> TransportSettings {
    let retry_mode = r.string("retry_mode").and_then(|s| {
        let mode = RetryModeSetting::parse(&s);
        if mode.is_none() {
            r.error(
                "retry_mode",
                "Invalid retry_mode",
                format!("{s:?} is not a retry mode. Use \"standard\" or \"adaptive\"."),
            );
        }
        mode
    });
    let custom_ca_bundle = r.non_empty_string("custom_ca_bundle");
    let http_proxy = r.string("http_proxy");
    let https_proxy = r.string("https_proxy");
    let no_proxy = r.string("no_proxy");
    let (use_fips_endpoint, use_dualstack_endpoint) = super::endpoints::variants(r);
    TransportSettings {
        retry_mode,
        custom_ca_bundle,
        http_proxy,
        https_proxy,
        no_proxy,
        use_fips_endpoint,
        use_dualstack_endpoint,
    }
}
