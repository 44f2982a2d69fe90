//! The provider block's authentication, account-guard and transport
//! settings (issue 11): their schema and their parsing into
//! [`AuthSettings`], [`TransportSettings`] and the extra `assume_role`
//! fields. Names, types and meanings follow terraform-provider-aws's
//! provider arguments, so an `aws` provider block can be copied.
//!
//! Kept apart from [`config`](super::config) so that the rest of the block
//! (region, endpoints, retries, timeouts) evolves independently.

use std::time::Duration;

use crate::aws::{AssumeRole, AuthSettings, RetryModeSetting, TransportSettings, WebIdentity};
use crate::tfprotov6::{Attribute, Block, NestedBlock, Type};

use super::encryption_config::model::parse_duration;
use super::reader::Reader;

fn opt(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::optional(name, ty, description)
}

fn strings() -> Type {
    Type::set(Type::String)
}

/// Top-level attributes added to the provider block.
pub fn attributes() -> Vec<Attribute> {
    [
        account_guards(),
        shared_files(),
        transport(),
        endpoint_variants(),
    ]
    .concat()
}

/// The account guards, checked with STS before any EKS or KMS call.
fn account_guards() -> Vec<Attribute> {
    vec![
        opt(
            "allowed_account_ids",
            strings(),
            "AWS account ids the credentials may belong to. The account is checked with STS \
             `GetCallerIdentity` before the first EKS or KMS call, which is refused if the \
             account is not listed. Conflicts with `forbidden_account_ids`. Default: any account.",
        ),
        opt(
            "forbidden_account_ids",
            strings(),
            "AWS account ids the credentials must not belong to, checked like \
             `allowed_account_ids`. Conflicts with `allowed_account_ids`. Default: none.",
        ),
    ]
}

/// Which shared config and credentials files are read.
fn shared_files() -> Vec<Attribute> {
    vec![
        opt(
            "shared_config_files",
            Type::list(Type::String),
            "Paths of the shared config files to read (a leading `~` is your home directory). \
             Default: `AWS_CONFIG_FILE`, else `~/.aws/config`.",
        ),
        opt(
            "shared_credentials_files",
            Type::list(Type::String),
            "Paths of the shared credentials files to read. Default: \
             `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.",
        ),
    ]
}

/// How calls travel: retries, TLS trust and proxies.
fn transport() -> Vec<Attribute> {
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

/// Which AWS endpoints are called: FIPS, dual-stack, the STS region.
fn endpoint_variants() -> Vec<Attribute> {
    vec![
        opt(
            "use_fips_endpoint",
            Type::Bool,
            "Use the FIPS endpoints of EKS, KMS and STS. Ignored for a service whose endpoint \
             is set in `endpoints`. Default: `AWS_USE_FIPS_ENDPOINT`, else the profile's \
             `use_fips_endpoint`, else `false`.",
        ),
        opt(
            "use_dualstack_endpoint",
            Type::Bool,
            "Use the dual-stack (IPv4 and IPv6) endpoints. Default: \
             `AWS_USE_DUALSTACK_ENDPOINT`, else the profile's `use_dualstack_endpoint`, else \
             `false`.",
        ),
        opt(
            "sts_region",
            Type::String,
            "Region of the STS calls (`assume_role`, `assume_role_with_web_identity`, the \
             account check). Default: the provider's region.",
        ),
    ]
}

/// Attributes added to the `assume_role` block.
pub fn assume_role_attributes() -> Vec<Attribute> {
    vec![
        opt(
            "duration",
            Type::String,
            "Duration of the role session, such as `1h`, `2h45m` or `30m15s`, from `15m` up \
             to the role's maximum session duration (at most `12h`). Default: `1h`.",
        ),
        opt(
            "policy",
            Type::String,
            "IAM policy JSON that further restricts the session's permissions. Default: none.",
        ),
        opt(
            "policy_arns",
            strings(),
            "ARNs of managed IAM policies that further restrict the session's permissions. \
             Default: none.",
        ),
        opt(
            "tags",
            Type::map(Type::String),
            "Session tags, for attribute-based access control and audit. Default: none.",
        ),
        opt(
            "transitive_tag_keys",
            strings(),
            "Keys of session tags that pass on to sessions chained from this one. Default: none.",
        ),
        opt(
            "source_identity",
            Type::String,
            "Source identity of the session, recorded in CloudTrail and kept across chained \
             sessions. Default: none.",
        ),
    ]
}

/// Nested blocks added to the provider block.
pub fn blocks() -> Vec<NestedBlock> {
    vec![NestedBlock {
        max_items: 1,
        ..NestedBlock::single(
            "assume_role_with_web_identity",
            Block {
                description: "Assume an IAM role with a web identity (OIDC) token, as CI systems \
                    and HCP Terraform dynamic credentials provide. Its credentials replace the \
                    default chain; an `assume_role` block, if any, is assumed with them."
                    .into(),
                attributes: vec![
                    opt(
                        "role_arn",
                        Type::String,
                        "ARN of the IAM role to assume. Default: `AWS_ROLE_ARN`.",
                    ),
                    opt(
                        "session_name",
                        Type::String,
                        "Session name. Default: `AWS_ROLE_SESSION_NAME`, else \
                         `terraform-provider-eks`.",
                    ),
                    Attribute {
                        sensitive: true,
                        ..opt(
                            "web_identity_token",
                            Type::String,
                            "The OIDC token itself. Conflicts with `web_identity_token_file`.",
                        )
                    },
                    opt(
                        "web_identity_token_file",
                        Type::String,
                        "File holding the OIDC token, read again whenever the credentials are \
                         refreshed. Default: `AWS_WEB_IDENTITY_TOKEN_FILE`.",
                    ),
                    opt(
                        "duration",
                        Type::String,
                        "Duration of the role session, such as `1h`, from `15m` to `12h`. \
                         Default: `1h`.",
                    ),
                    opt(
                        "policy",
                        Type::String,
                        "IAM policy JSON that further restricts the session's permissions.",
                    ),
                    opt(
                        "policy_arns",
                        strings(),
                        "ARNs of managed IAM policies that further restrict the session's \
                         permissions.",
                    ),
                ],
                ..Block::default()
            },
        )
    }]
}

/// Validated readings of the settings in this module's attributes.
impl Reader<'_> {
    /// A Go-style duration from 15 minutes to 12 hours (STS's range).
    fn session_duration(&mut self, name: &str) -> Option<Duration> {
        let s = self.string(name)?;
        // Long strings are refused before parsing: they can only be nonsense.
        let parsed = if s.len() > 32 {
            Err(format!(
                "{s:?} is not a duration such as \"1h\" or \"2h45m\"."
            ))
        } else {
            parse_duration(&s)
        };
        match parsed {
            Ok(d) if (900..=43_200).contains(&d.as_secs()) => Some(d),
            Ok(_) => {
                self.error(
                    name,
                    "Invalid session duration",
                    format!(
                        "{s:?} is outside the range STS accepts. Use a duration from \"15m\" to \
                         \"12h\" (and at most the role's maximum session duration)."
                    ),
                );
                None
            }
            Err(e) => {
                self.error(name, "Invalid session duration", e);
                None
            }
        }
    }

    /// Policy JSON: it must parse as a JSON object.
    fn policy(&mut self, name: &str) -> Option<String> {
        let s = self.string(name)?;
        match serde_json::from_str::<serde_json::Value>(&s) {
            Ok(serde_json::Value::Object(_)) => Some(s),
            _ => {
                self.error(
                    name,
                    "Invalid policy",
                    "the policy must be an IAM policy document in JSON, such as \
                     jsonencode({ Version = \"2012-10-17\", Statement = [...] }).",
                );
                None
            }
        }
    }

    fn policy_arns(&mut self, name: &str) -> Vec<String> {
        let arns = self.strings(name).unwrap_or_default();
        for arn in &arns {
            if !(arn.starts_with("arn:") && arn.contains(":policy/")) {
                self.error(
                    name,
                    "Invalid policy ARN",
                    format!(
                        "{arn:?} is not an IAM policy ARN. Use \
                         arn:aws:iam::ACCOUNT:policy/NAME or arn:aws:iam::aws:policy/NAME."
                    ),
                );
            }
        }
        arns
    }
}

/// Checks account ids: twelve digits each.
fn account_ids(r: &mut Reader<'_>, name: &str) -> Vec<String> {
    let ids = r.strings(name).unwrap_or_default();
    for id in &ids {
        if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
            r.error(
                name,
                "Invalid account id",
                format!(
                    "{id:?} is not an AWS account id. Use the 12-digit id, e.g. \"123456789012\"."
                ),
            );
        }
    }
    ids
}

/// Parses the extra `assume_role` attributes of the block `r` reads into
/// `role`.
pub fn parse_assume_role(r: &mut Reader<'_>, role: &mut AssumeRole) {
    role.duration = r.session_duration("duration");
    role.policy = r.policy("policy");
    role.policy_arns = r.policy_arns("policy_arns");
    role.tags = r.string_map("tags").unwrap_or_default();
    role.transitive_tag_keys = r.strings("transitive_tag_keys").unwrap_or_default();
    role.source_identity = r.non_empty_string("source_identity");
}

/// Parses the top-level settings and the `assume_role_with_web_identity`
/// block of the provider block `r` reads.
pub fn parse(r: &mut Reader<'_>) -> (AuthSettings, TransportSettings) {
    let mut auth = r.auth();
    let transport = r.transport();
    if let Some(mut w) = r.block("assume_role_with_web_identity") {
        auth.web_identity = Some(w.web_identity());
    }
    (auth, transport)
}

impl Reader<'_> {
    /// The account guards, shared files and `sts_region` (not yet the web
    /// identity block).
    fn auth(&mut self) -> AuthSettings {
        let auth = AuthSettings {
            allowed_account_ids: account_ids(self, "allowed_account_ids"),
            forbidden_account_ids: account_ids(self, "forbidden_account_ids"),
            shared_config_files: self.strings("shared_config_files"),
            shared_credentials_files: self.strings("shared_credentials_files"),
            sts_region: self.non_empty_string("sts_region"),
            web_identity: None,
        };
        if !auth.allowed_account_ids.is_empty() && !auth.forbidden_account_ids.is_empty() {
            self.error(
                "forbidden_account_ids",
                "Conflicting account guards",
                "Set either allowed_account_ids or forbidden_account_ids, not both.",
            );
        }
        for (name, files) in [
            ("shared_config_files", &auth.shared_config_files),
            ("shared_credentials_files", &auth.shared_credentials_files),
        ] {
            if files
                .as_ref()
                .is_some_and(|f| f.iter().any(|p| p.trim().is_empty()))
            {
                self.invalid(name, format!("{name} must not hold an empty path."));
            }
        }
        auth
    }

    /// Retries, TLS trust, proxies and endpoint variants.
    fn transport(&mut self) -> TransportSettings {
        let retry_mode = self.string("retry_mode").and_then(|s| {
            let mode = RetryModeSetting::parse(&s);
            if mode.is_none() {
                self.error(
                    "retry_mode",
                    "Invalid retry_mode",
                    format!("{s:?} is not a retry mode. Use \"standard\" or \"adaptive\"."),
                );
            }
            mode
        });
        TransportSettings {
            retry_mode,
            custom_ca_bundle: self.non_empty_string("custom_ca_bundle"),
            http_proxy: self.string("http_proxy"),
            https_proxy: self.string("https_proxy"),
            no_proxy: self.string("no_proxy"),
            use_fips_endpoint: self.bool("use_fips_endpoint"),
            use_dualstack_endpoint: self.bool("use_dualstack_endpoint"),
        }
    }

    /// The `assume_role_with_web_identity` block (this reader's object).
    fn web_identity(&mut self) -> WebIdentity {
        let web = WebIdentity {
            role_arn: self.non_empty_string("role_arn"),
            session_name: self.non_empty_string("session_name"),
            web_identity_token: self.non_empty_string("web_identity_token"),
            web_identity_token_file: self.non_empty_string("web_identity_token_file"),
            duration: self.session_duration("duration"),
            policy: self.policy("policy"),
            policy_arns: self.policy_arns("policy_arns"),
        };
        if let Some(arn) = &web.role_arn {
            if !(arn.starts_with("arn:") && arn.contains(":role/")) {
                self.error(
                    "role_arn",
                    "Invalid role_arn",
                    format!("{arn:?} is not an IAM role ARN. Use arn:aws:iam::ACCOUNT:role/NAME."),
                );
            }
        }
        if web.web_identity_token.is_some() && web.web_identity_token_file.is_some() {
            self.error(
                "web_identity_token_file",
                "Conflicting web identity token",
                "Set either web_identity_token or web_identity_token_file, not both.",
            );
        }
        web
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::reader::NOT_KNOWN_YET;
    use crate::tfprotov6::{AttributePath, Diagnostics, Value};

    /// [`parse`] over a provider block value.
    fn parse_config(config: &Value, diags: &mut Diagnostics) -> (AuthSettings, TransportSettings) {
        parse(&mut Reader::new(config, &AttributePath::root(), diags).unwrap())
    }

    fn strs(items: &[&str]) -> Value {
        Value::set(items.iter().map(|s| Value::string(*s)))
    }

    #[test]
    fn parses_every_setting() {
        let config = Value::object([
            ("allowed_account_ids", strs(&["123456789012"])),
            ("shared_config_files", Value::list([Value::string("~/c")])),
            (
                "shared_credentials_files",
                Value::list([Value::string("/k")]),
            ),
            ("retry_mode", Value::string("Adaptive")),
            ("custom_ca_bundle", Value::string("/etc/corp.pem")),
            ("http_proxy", Value::string("http://p:1")),
            ("https_proxy", Value::string("")),
            ("no_proxy", Value::string(".internal")),
            ("use_fips_endpoint", Value::bool(true)),
            ("use_dualstack_endpoint", Value::bool(false)),
            ("sts_region", Value::string("us-east-1")),
            (
                "assume_role_with_web_identity",
                Value::object([
                    (
                        "role_arn",
                        Value::string("arn:aws:iam::123456789012:role/ci"),
                    ),
                    ("session_name", Value::Null),
                    ("web_identity_token", Value::Null),
                    ("web_identity_token_file", Value::string("/tok")),
                    ("duration", Value::string("2h45m")),
                    ("policy", Value::string("{\"Version\":\"2012-10-17\"}")),
                    (
                        "policy_arns",
                        strs(&["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
                    ),
                ]),
            ),
        ]);
        let mut diags = Diagnostics::new();
        let (auth, transport) = parse_config(&config, &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(auth.allowed_account_ids, ["123456789012"]);
        assert!(auth.guards_account());
        assert_eq!(
            auth.shared_config_files.as_deref(),
            Some(&["~/c".to_owned()][..])
        );
        assert_eq!(auth.sts_region.as_deref(), Some("us-east-1"));
        let web = auth.web_identity.unwrap();
        assert_eq!(web.duration, Some(Duration::from_secs(9900)));
        assert_eq!(web.web_identity_token_file.as_deref(), Some("/tok"));
        assert_eq!(web.policy_arns.len(), 1);
        assert_eq!(transport.retry_mode, Some(RetryModeSetting::Adaptive));
        assert_eq!(transport.https_proxy.as_deref(), Some(""));
        assert_eq!(transport.use_fips_endpoint, Some(true));
        assert_eq!(transport.use_dualstack_endpoint, Some(false));
    }

    #[test]
    fn assume_role_extras() {
        let block = Value::object([
            ("duration", Value::string("1h")),
            ("policy", Value::Null),
            ("policy_arns", Value::Null),
            (
                "tags",
                Value::map([
                    ("team", Value::string("platform")),
                    ("env", Value::string("prod")),
                ]),
            ),
            ("transitive_tag_keys", strs(&["team"])),
            ("source_identity", Value::string("alice")),
        ]);
        let mut role = AssumeRole::default();
        let mut diags = Diagnostics::new();
        let path = AttributePath::attr("assume_role");
        parse_assume_role(
            &mut Reader::new(&block, &path, &mut diags).unwrap(),
            &mut role,
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(role.duration, Some(Duration::from_secs(3600)));
        assert_eq!(role.tags.get("team").map(String::as_str), Some("platform"));
        assert_eq!(role.transitive_tag_keys, ["team"]);
        assert_eq!(role.source_identity.as_deref(), Some("alice"));
    }

    #[test]
    fn bad_values_name_their_attribute() {
        let config = Value::object([
            ("allowed_account_ids", strs(&["12345"])),
            ("forbidden_account_ids", strs(&["123456789012"])),
            ("retry_mode", Value::string("legacy")),
            ("custom_ca_bundle", Value::string(" ")),
            (
                "assume_role_with_web_identity",
                Value::object([
                    ("role_arn", Value::string("ci")),
                    ("web_identity_token", Value::string("t")),
                    ("web_identity_token_file", Value::string("/f")),
                    ("duration", Value::string("5m")),
                    ("policy", Value::string("not json")),
                    ("policy_arns", strs(&["ReadOnly"])),
                ]),
            ),
        ]);
        let mut diags = Diagnostics::new();
        parse_config(&config, &mut diags);
        let got: Vec<(String, String)> = diags
            .iter()
            .map(|d| (d.attribute.as_ref().unwrap().to_string(), d.summary.clone()))
            .collect();
        let want = [
            ("allowed_account_ids", "Invalid account id"),
            ("forbidden_account_ids", "Conflicting account guards"),
            ("retry_mode", "Invalid retry_mode"),
            ("custom_ca_bundle", "Invalid provider attribute"),
            (
                "assume_role_with_web_identity.duration",
                "Invalid session duration",
            ),
            ("assume_role_with_web_identity.policy", "Invalid policy"),
            (
                "assume_role_with_web_identity.policy_arns",
                "Invalid policy ARN",
            ),
            ("assume_role_with_web_identity.role_arn", "Invalid role_arn"),
            (
                "assume_role_with_web_identity.web_identity_token_file",
                "Conflicting web identity token",
            ),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(a, s)| (a.to_string(), s.to_string()))
                .collect::<Vec<_>>()
        );
        let dur = diags
            .iter()
            .find(|d| d.summary == "Invalid session duration")
            .unwrap();
        assert!(dur.detail.contains("\"15m\" to \"12h\""), "{}", dur.detail);
    }

    #[test]
    fn unknown_values_are_reported() {
        let config = Value::object([
            ("allowed_account_ids", Value::set([Value::Unknown])),
            ("sts_region", Value::Unknown),
        ]);
        let mut diags = Diagnostics::new();
        parse_config(&config, &mut diags);
        assert_eq!(
            diags.iter().filter(|d| d.summary == NOT_KNOWN_YET).count(),
            2
        );
    }
}
