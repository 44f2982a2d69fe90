//! The `provider "eks"` block: its schema, and turning it into
//! [`ProviderSettings`] for the AWS layer.

use crate::aws::{AssumeRole, Endpoints, ProviderSettings};

use super::access;
use super::reader::Reader;
use crate::tfprotov6::{
    Attribute, AttributePath, Block, Diagnostics, NestedBlock, Schema, Type, Value,
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

/// Decodes and validates the provider block. Returns settings only when
/// there are no errors.
pub fn parse_settings(config: &Value) -> (Option<ProviderSettings>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let Some(mut r) = Reader::new(config, &AttributePath::root(), &mut diags) else {
        return (Some(ProviderSettings::default()), diags);
    };
    let region = r.string("region");
    let profile = r.string("profile");
    if let Some(region) = &region {
        check_region(region, &mut r);
    }
    let max_retries = max_retries(&mut r);
    let assume_role = assume_role(&mut r);
    let endpoints = endpoints(&mut r);
    let (auth, transport) = access::parse(&mut r);
    let timeouts = super::call_timeouts::parse(&mut r);
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
fn check_region(region: &str, r: &mut Reader<'_>) {
    let ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        r.error(
            "region",
            "Invalid region",
            format!(
                "{region:?} is not an AWS region name. Use a region such as \"us-east-1\" or \
                 \"eu-west-1\"."
            ),
        );
    }
}

/// `max_retries`: a whole number from 0 to 100.
fn max_retries(r: &mut Reader<'_>) -> Option<u32> {
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

/// The `assume_role` block, when set with a role ARN.
fn assume_role(r: &mut Reader<'_>) -> Option<AssumeRole> {
    let mut block = r.block("assume_role")?;
    let role_arn = block.string("role_arn");
    let session_name = block.string("session_name");
    let external_id = block.string("external_id");
    match role_arn {
        Some(arn) if arn.starts_with("arn:") && arn.contains(":role/") => {
            let mut role = AssumeRole {
                role_arn: arn,
                session_name,
                external_id,
                ..AssumeRole::default()
            };
            access::parse_assume_role(&mut block, &mut role);
            Some(role)
        }
        Some(arn) => {
            block.error(
                "role_arn",
                "Invalid role_arn",
                format!("{arn:?} is not an IAM role ARN. Use arn:aws:iam::ACCOUNT:role/NAME."),
            );
            None
        }
        None => None,
    }
}

/// The `endpoints` block: http:// or https:// URLs.
fn endpoints(r: &mut Reader<'_>) -> Endpoints {
    let mut endpoints = Endpoints::default();
    if let Some(mut block) = r.block("endpoints") {
        for (name, slot) in [
            ("eks", &mut endpoints.eks),
            ("kms", &mut endpoints.kms),
            ("sts", &mut endpoints.sts),
        ] {
            let url = block.string(name);
            if let Some(url) = &url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    block.error(
                        name,
                        "Invalid endpoint URL",
                        format!(
                            "{url:?} is not an http:// or https:// URL. Use a URL such as \
                             \"https://{name}.us-east-1.amazonaws.com\"."
                        ),
                    );
                }
            }
            *slot = url;
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
