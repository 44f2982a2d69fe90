//! Authentication settings of the provider block: `region`, `profile`, the
//! `assume_role` and `assume_role_with_web_identity` blocks, the account
//! guards (`allowed_account_ids`, `forbidden_account_ids`), the shared files
//! and `sts_region`. Their schema and their reading into
//! [`AuthSettings`], [`AssumeRole`] and the region and profile of
//! [`ProviderSettings`](crate::aws::ProviderSettings). Names, types and
//! meanings follow terraform-provider-aws's provider arguments, so an `aws`
//! provider block can be copied.

use std::time::Duration;

use crate::aws::{AssumeRole, AuthSettings, WebIdentity};
use crate::tfprotov6::{Attribute, Block, NestedBlock, Type};

use super::encryption_config::model::parse_duration;
use super::reader::Reader;

fn opt(name: &str, ty: Type, description: &str) -> Attribute {
    Attribute::optional(name, ty, description)
}

fn strings() -> Type {
    Type::set(Type::String)
}

/// `region` and `profile`.
pub fn region_and_profile_attributes() -> Vec<Attribute> {
    vec![
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
    ]
}

/// The account guards and the shared files.
pub fn account_attributes() -> Vec<Attribute> {
    [account_guards(), shared_files()].concat()
}

/// `sts_region`.
pub fn sts_region_attribute() -> Vec<Attribute> {
    vec![opt(
        "sts_region",
        Type::String,
        "Region of the STS calls (`assume_role`, `assume_role_with_web_identity`, the \
         account check). Default: the provider's region.",
    )]
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

/// The `assume_role` block.
pub fn assume_role_block() -> NestedBlock {
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
                .chain(assume_role_attributes())
                .collect(),
                ..Block::default()
            },
        )
    }
}

/// Attributes added to the `assume_role` block.
fn assume_role_attributes() -> Vec<Attribute> {
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

/// The `assume_role_with_web_identity` block.
pub fn web_identity_block() -> NestedBlock {
    NestedBlock {
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
    }
}

/// `region` and `profile`; a region must look like an AWS region name.
pub fn region_and_profile(r: &mut Reader<'_>) -> (Option<String>, Option<String>) {
    let region = r.string("region");
    let profile = r.string("profile");
    if let Some(region) = &region {
        check_region(region, r);
    }
    (region, profile)
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

/// The `assume_role` block, when set with a role ARN.
pub fn assume_role(r: &mut Reader<'_>) -> Option<AssumeRole> {
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
            parse_assume_role(&mut block, &mut role);
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

/// Parses the extra `assume_role` attributes of the block `r` reads into
/// `role`.
fn parse_assume_role(r: &mut Reader<'_>, role: &mut AssumeRole) {
    role.duration = r.session_duration("duration");
    role.policy = r.policy("policy");
    role.policy_arns = r.policy_arns("policy_arns");
    role.tags = r.string_map("tags").unwrap_or_default();
    role.transitive_tag_keys = r.strings("transitive_tag_keys").unwrap_or_default();
    role.source_identity = r.non_empty_string("source_identity");
}

/// The account guards, shared files and `sts_region` of the provider block
/// `r` reads (the web identity block comes later: [`web_identity`]).
pub fn parse(r: &mut Reader<'_>) -> AuthSettings {
    r.auth()
}

/// The `assume_role_with_web_identity` block, when set.
pub fn web_identity(r: &mut Reader<'_>) -> Option<WebIdentity> {
    r.block("assume_role_with_web_identity")
        .map(|mut w| w.web_identity())
}

/// Validated readings of this module's attributes.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfprotov6::{AttributePath, Diagnostics, Value};

    fn strs(items: &[&str]) -> Value {
        Value::set(items.iter().map(|s| Value::string(*s)))
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
}
