//! The `provider "eks"` block: its schema, and turning it into
//! [`ProviderSettings`] for the AWS layer.

use crate::aws::{AssumeRole, Endpoints, ProviderSettings};

use super::access;
use crate::tfprotov6::{
    Attribute, AttributePath, Block, Diagnostic, Diagnostics, NestedBlock, Schema, Type, Value,
};

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
            attributes: vec![
                Attribute::optional(
                    "region",
                    Type::String,
                    "AWS region of the clusters and keys, e.g. `eu-west-1`. Default: \
                     `AWS_REGION`, `AWS_DEFAULT_REGION`, or the profile's region.",
                ),
                Attribute::optional(
                    "profile",
                    Type::String,
                    "Named profile from the shared AWS config and credentials files. When set \
                     here, credentials come from this profile only (`AWS_ACCESS_KEY_ID` and \
                     the like are ignored, as in the AWS provider). Default: `AWS_PROFILE`, \
                     else `AWS_DEFAULT_PROFILE`, else `default`.",
                ),
                Attribute::optional(
                    "max_retries",
                    Type::Number,
                    "How many times a throttled or failed AWS call is retried, with \
                     exponential backoff. Default: `AWS_MAX_ATTEMPTS` minus one, else the \
                     profile's `max_attempts` minus one, else `4` (5 attempts in total). \
                     Capped so that the retries fit in `operation_timeout` (15 with the \
                     default `5m`).",
                ),
            ]
            .into_iter()
            .chain(access::attributes())
            .chain(super::call_timeouts::attributes())
            .collect(),
            blocks: vec![assume_role_block(), endpoints_block()]
                .into_iter()
                .chain(access::blocks())
                .collect(),
            deprecated: false,
        },
    }
}

/// The `assume_role` block.
fn assume_role_block() -> NestedBlock {
    NestedBlock {
        max_items: 1,
        ..NestedBlock::single(
            "assume_role",
            Block {
                description: "Assume an IAM role with STS before calling EKS and KMS.".into(),
                attributes: vec![
                    Attribute::required("role_arn", Type::String, "ARN of the IAM role to assume."),
                    Attribute::optional(
                        "session_name",
                        Type::String,
                        "Session name for the assumed role. Default: \
                         `terraform-provider-eks`.",
                    ),
                    Attribute::optional(
                        "external_id",
                        Type::String,
                        "External id the role's trust policy requires. Default: \
                         none.",
                    ),
                ]
                .into_iter()
                .chain(access::assume_role_attributes())
                .collect(),
                ..Block::default()
            },
        )
    }
}

/// The `endpoints` block.
fn endpoints_block() -> NestedBlock {
    NestedBlock {
        max_items: 1,
        ..NestedBlock::single(
            "endpoints",
            Block {
                description: "Custom service endpoints, for VPC endpoints or local \
                    testing. `AWS_ENDPOINT_URL_EKS`, `AWS_ENDPOINT_URL_KMS`, \
                    `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL` are honoured \
                    too; these attributes take precedence."
                    .into(),
                attributes: vec![
                    Attribute::optional(
                        "eks",
                        Type::String,
                        "EKS endpoint URL. Default: the regional AWS endpoint.",
                    ),
                    Attribute::optional(
                        "kms",
                        Type::String,
                        "KMS endpoint URL. Default: the regional AWS endpoint.",
                    ),
                    Attribute::optional(
                        "sts",
                        Type::String,
                        "STS endpoint URL, used by `assume_role`, \
                         `assume_role_with_web_identity` and the account check. \
                         Default: the regional AWS endpoint.",
                    ),
                ],
                ..Block::default()
            },
        )
    }
}

/// Reads an optional string attribute of an object. Unknown values are
/// reported, since the provider cannot be configured from them.
fn string_attr(
    obj: &Value,
    name: &str,
    path: &AttributePath,
    diags: &mut Diagnostics,
) -> Option<String> {
    match obj.get_attr(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Unknown) => {
            diags.push(
                Diagnostic::error(
                    "Provider configuration not known yet",
                    format!(
                        "{} depends on a value that is only known after apply. The eks \
                         provider must be configured with known values; use a variable or a \
                         value from a separate configuration.",
                        path.child_attr(name)
                    ),
                )
                .with_attribute(path.child_attr(name)),
            );
            None
        }
        Some(other) => {
            diags.push(
                Diagnostic::error(
                    "Invalid provider attribute",
                    format!("expected a string, got {}", other.kind_name()),
                )
                .with_attribute(path.child_attr(name)),
            );
            None
        }
    }
}

/// Decodes and validates the provider block. Returns settings only when
/// there are no errors.
pub fn parse_settings(config: &Value) -> (Option<ProviderSettings>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let root = AttributePath::root();
    if config.is_null() {
        return (Some(ProviderSettings::default()), diags);
    }
    let region = string_attr(config, "region", &root, &mut diags);
    let profile = string_attr(config, "profile", &root, &mut diags);
    if let Some(r) = &region {
        check_region(r, &mut diags);
    }
    let max_retries = max_retries(config, &mut diags);
    let assume_role = assume_role(config, &mut diags);
    let endpoints = endpoints(config, &mut diags);
    let (auth, transport) = access::parse(config, &mut diags);
    let timeouts = super::call_timeouts::parse(config, &mut diags);
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

/// An AWS region name: lower-case letters, digits and '-'.
fn check_region(r: &str, diags: &mut Diagnostics) {
    let ok = !r.is_empty()
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        diags.push(
            Diagnostic::error(
                "Invalid region",
                format!(
                    "{r:?} is not an AWS region name. Use a region such as \"us-east-1\" or \
                     \"eu-west-1\"."
                ),
            )
            .with_attribute(AttributePath::attr("region")),
        );
    }
}

/// `max_retries`: a whole number from 0 to 100.
fn max_retries(config: &Value, diags: &mut Diagnostics) -> Option<u32> {
    match config.get_attr("max_retries") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.to_i64() {
            Some(v) if (0..=100).contains(&v) => Some(v as u32),
            _ => {
                diags.push(
                    Diagnostic::error(
                        "Invalid max_retries",
                        format!("{n} is not a whole number between 0 and 100."),
                    )
                    .with_attribute(AttributePath::attr("max_retries")),
                );
                None
            }
        },
        Some(Value::Unknown) => {
            diags.push(
                Diagnostic::error(
                    "Provider configuration not known yet",
                    "max_retries depends on a value that is only known after apply.",
                )
                .with_attribute(AttributePath::attr("max_retries")),
            );
            None
        }
        Some(other) => {
            diags.push(
                Diagnostic::error(
                    "Invalid max_retries",
                    format!("expected a number, got {}", other.kind_name()),
                )
                .with_attribute(AttributePath::attr("max_retries")),
            );
            None
        }
    }
}

/// The `assume_role` block, when set with a role ARN.
fn assume_role(config: &Value, diags: &mut Diagnostics) -> Option<AssumeRole> {
    match config.get_attr("assume_role") {
        Some(ar @ Value::Object(_)) => {
            let p = AttributePath::attr("assume_role");
            let role_arn = string_attr(ar, "role_arn", &p, diags);
            let session_name = string_attr(ar, "session_name", &p, diags);
            let external_id = string_attr(ar, "external_id", &p, diags);
            match role_arn {
                Some(arn) if arn.starts_with("arn:") && arn.contains(":role/") => {
                    let mut role = AssumeRole {
                        role_arn: arn,
                        session_name,
                        external_id,
                        ..AssumeRole::default()
                    };
                    access::parse_assume_role(ar, &p, &mut role, diags);
                    Some(role)
                }
                Some(arn) => {
                    diags.push(
                        Diagnostic::error(
                            "Invalid role_arn",
                            format!(
                                "{arn:?} is not an IAM role ARN. Use \
                                 arn:aws:iam::ACCOUNT:role/NAME."
                            ),
                        )
                        .with_attribute(p.child_attr("role_arn")),
                    );
                    None
                }
                None => None,
            }
        }
        _ => None,
    }
}

/// The `endpoints` block: http:// or https:// URLs.
fn endpoints(config: &Value, diags: &mut Diagnostics) -> Endpoints {
    let mut endpoints = Endpoints::default();
    if let Some(ep @ Value::Object(_)) = config.get_attr("endpoints") {
        let p = AttributePath::attr("endpoints");
        for (name, slot) in [
            ("eks", &mut endpoints.eks),
            ("kms", &mut endpoints.kms),
            ("sts", &mut endpoints.sts),
        ] {
            let v = string_attr(ep, name, &p, diags);
            if let Some(url) = &v {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    diags.push(
                        Diagnostic::error(
                            "Invalid endpoint URL",
                            format!(
                                "{url:?} is not an http:// or https:// URL. Use a URL such as \
                                 \"https://{name}.us-east-1.amazonaws.com\"."
                            ),
                        )
                        .with_attribute(p.child_attr(name)),
                    );
                }
            }
            *slot = v;
        }
    }
    endpoints
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
