//! The `provider "eks"` block as a whole: its schema, assembled from the
//! modules of each concern ([`auth`], [`endpoints`], [`network`],
//! [`timeouts`]), and [`parse_settings`], which reads it with one
//! [`Reader`] into [`ProviderSettings`] for the AWS layer.

use crate::aws::ProviderSettings;
use crate::tfprotov6::{AttributePath, Block, Diagnostics, Schema, Value};

use super::reader::Reader;
use super::{auth, endpoints, network, timeouts};

/// The provider block's schema.
pub fn provider_schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Configures AWS access for the EKS encryption guard. The arguments \
                follow the `hashicorp/aws` provider's: each setting comes from the provider \
                block, else its environment variable, else the shared config file's profile, \
                else its default. Credentials come from `assume_role_with_web_identity` if set, \
                else from the block's `profile` if set, else from the standard AWS chain \
                (environment variables, shared config and credentials files, SSO, web \
                identity, container or instance roles); `assume_role` is then assumed with them."
                .into(),
            attributes: [
                auth::region_and_profile_attributes(),
                network::max_retries_attribute(),
                auth::account_attributes(),
                network::attributes(),
                endpoints::variant_attributes(),
                auth::sts_region_attribute(),
                timeouts::attributes(),
            ]
            .concat(),
            blocks: vec![
                auth::assume_role_block(),
                endpoints::block(),
                auth::web_identity_block(),
            ],
            deprecated: false,
        },
    }
}

/// Decodes and validates the provider block. Returns settings only when
/// there are no errors.
pub fn parse_settings(config: &Value) -> (Option<ProviderSettings>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let Some(mut r) = Reader::new(config, &AttributePath::root(), &mut diags) else {
        return (Some(ProviderSettings::default()), diags);
    };
    let (region, profile) = auth::region_and_profile(&mut r);
    let max_retries = network::max_retries(&mut r);
    let assume_role = auth::assume_role(&mut r);
    let endpoints = endpoints::parse(&mut r);
    let mut auth = auth::parse(&mut r);
    let transport = network::parse(&mut r);
    auth.web_identity = auth::web_identity(&mut r);
    let timeouts = timeouts::parse(&mut r);
    if diags.has_errors() {
        return (None, diags);
    }
    (
        Some(ProviderSettings {
            region,
            profile,
            assume_role,
            endpoints,
            max_retries,
            auth,
            transport,
            timeouts,
        }),
        diags,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_block() {
        let v = Value::object([
            ("region", Value::string("eu-west-1")),
            ("profile", Value::Null),
            ("max_retries", Value::number(3i64)),
            (
                "assume_role",
                Value::object([
                    (
                        "role_arn",
                        Value::string("arn:aws:iam::123456789012:role/x"),
                    ),
                    ("session_name", Value::string("s")),
                    ("external_id", Value::Null),
                ]),
            ),
            (
                "endpoints",
                Value::object([
                    ("eks", Value::string("http://127.0.0.1:1")),
                    ("kms", Value::Null),
                    ("sts", Value::Null),
                ]),
            ),
        ]);
        let (s, d) = parse_settings(&v);
        assert!(d.is_empty(), "{d:?}");
        let s = s.unwrap();
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.max_retries, Some(3));
        assert_eq!(s.assume_role.unwrap().session_name.as_deref(), Some("s"));
        assert_eq!(s.endpoints.eks.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn null_block_is_the_defaults() {
        let (s, d) = parse_settings(&Value::Null);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(s, Some(ProviderSettings::default()));
    }

    #[test]
    fn unknown_and_wrongly_typed_settings() {
        let v = Value::object([
            ("region", Value::Unknown),
            ("max_retries", Value::Unknown),
            ("assume_role", Value::object([("role_arn", Value::from(1))])),
            ("attempt_timeout", Value::Bool(true)),
        ]);
        let (s, d) = parse_settings(&v);
        assert!(s.is_none());
        let got: Vec<[String; 3]> = d
            .iter()
            .map(|d| {
                [
                    d.attribute.as_ref().unwrap().to_string(),
                    d.summary.clone(),
                    d.detail.clone(),
                ]
            })
            .collect();
        let want = [
            [
                "region",
                "Provider configuration not known yet",
                "region depends on a value that is only known after apply. The eks provider \
                 must be configured with known values; use a variable or a value from a \
                 separate configuration.",
            ],
            [
                "max_retries",
                "Provider configuration not known yet",
                "max_retries depends on a value that is only known after apply.",
            ],
            [
                "assume_role.role_arn",
                "Invalid provider attribute",
                "expected a string, got number",
            ],
            [
                "attempt_timeout",
                "Invalid attempt_timeout",
                "expected a duration string, got bool",
            ],
        ];
        assert_eq!(got, want.map(|row| row.map(str::to_owned)));
    }

    #[test]
    fn bad_values_name_their_attribute() {
        let v = Value::object([
            ("region", Value::string("US East")),
            (
                "endpoints",
                Value::object([("eks", Value::string("ftp://x"))]),
            ),
            (
                "assume_role",
                Value::object([("role_arn", Value::string("nope"))]),
            ),
            ("max_retries", Value::number(-1i64)),
        ]);
        let (s, d) = parse_settings(&v);
        assert!(s.is_none());
        let paths: Vec<String> = d
            .iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "region",
                "max_retries",
                "assume_role.role_arn",
                "endpoints.eks"
            ]
        );
    }
}

#[cfg(test)]
mod auth_and_network_tests {
    use std::time::Duration;

    use super::*;
    use crate::aws::{AuthSettings, RetryModeSetting, TransportSettings};
    use crate::provider::reader::NOT_KNOWN_YET;
    use crate::tfprotov6::{AttributePath, Diagnostics, Value};

    /// The auth and network settings of a provider block value, read in
    /// [`parse_settings`]'s order.
    fn parse_config(config: &Value, diags: &mut Diagnostics) -> (AuthSettings, TransportSettings) {
        let mut r = Reader::new(config, &AttributePath::root(), diags).unwrap();
        let mut auth = auth::parse(&mut r);
        let transport = network::parse(&mut r);
        auth.web_identity = auth::web_identity(&mut r);
        (auth, transport)
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
