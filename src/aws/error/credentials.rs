//! What a credentials failure names: the source tried, the region, the
//! profile and role ([`CredentialContext`]), and the refused account
//! ([`AccountNotAllowed`]). Plain error types: the credential providers
//! (`aws::credentials`) make them, [`AwsError`](super::AwsError) reads them
//! from the `CredentialsError` chain.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use aws_credential_types::provider::error::CredentialsError;

/// Where the base credentials come from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    /// aws-config's default chain, with this profile for its profile step.
    Chain {
        /// The profile name in effect.
        profile: String,
    },
    /// The block's `profile`: only that profile's credentials.
    Profile {
        /// The profile name.
        name: String,
        /// The shared files read (empty: the default files).
        files: Vec<PathBuf>,
    },
    /// `assume_role_with_web_identity`.
    WebIdentity {
        /// The role.
        role_arn: String,
        /// Where the token comes from (a file, or "`web_identity_token`").
        token: String,
    },
}

/// What a credentials failure message names besides the error itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CredentialContext {
    /// The provider's region.
    pub(crate) region: String,
    /// The base source.
    pub(crate) source: CredentialSource,
    /// The selected profile signs in with IAM Identity Center (SSO).
    pub(crate) sso_profile: Option<String>,
    /// `assume_role.role_arn`, when set.
    pub(crate) assume_role: Option<String>,
}

impl CredentialContext {
    /// "Tried: ..." for messages.
    pub(crate) fn tried(&self) -> String {
        let base = match &self.source {
            CredentialSource::Chain { profile } => format!(
                "the default chain: the environment (AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY), profile {profile:?} of the shared config and \
                 credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws), web \
                 identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN), the container role \
                 (ECS, EKS Pod Identity) and the EC2 instance role"
            ),
            CredentialSource::Profile { name, files } if files.is_empty() => {
                format!("profile {name:?} of the shared config and credentials files")
            }
            CredentialSource::Profile { name, files } => format!(
                "profile {name:?} of {}",
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            CredentialSource::WebIdentity { role_arn, token } => {
                format!("web identity: role {role_arn} with the token from {token}")
            }
        };
        match &self.assume_role {
            Some(role) => format!("{base}, then assume_role {role}"),
            None => base,
        }
    }
}

/// A credentials failure with the context to explain it.
#[derive(Debug)]
pub(crate) struct ExplainedCredentialsError {
    /// Source, region, profile.
    pub(crate) context: Arc<CredentialContext>,
    /// What the provider returned.
    pub(crate) cause: CredentialsError,
}

impl fmt::Display for ExplainedCredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "loading credentials from {} failed",
            self.context.tried()
        )
    }
}

impl std::error::Error for ExplainedCredentialsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// The credentials belong to an account the block does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AccountNotAllowed {
    /// The account of the credentials.
    pub account: String,
    /// `allowed_account_ids` or `forbidden_account_ids`.
    pub attribute: &'static str,
    /// The attribute's accounts.
    pub listed: Vec<String>,
}

impl fmt::Display for AccountNotAllowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = self.listed.join(", ");
        if self.attribute == "forbidden_account_ids" {
            write!(
                f,
                "the credentials belong to AWS account {}, which `forbidden_account_ids` lists \
                 ({list})",
                self.account
            )?;
        } else {
            write!(
                f,
                "the credentials belong to AWS account {}, which `allowed_account_ids` does not \
                 list (it allows {list})",
                self.account
            )?;
        }
        write!(
            f,
            ". Nothing was sent to EKS or KMS. Use credentials for the right account (check \
             `profile`, `assume_role` and the AWS_* environment variables), or correct `{}`",
            self.attribute
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_names_what_was_tried() {
        let mut ctx = CredentialContext {
            region: "eu-west-1".into(),
            source: CredentialSource::Chain {
                profile: "default".into(),
            },
            sso_profile: None,
            assume_role: None,
        };
        let t = ctx.tried();
        for part in [
            "AWS_ACCESS_KEY_ID",
            "profile \"default\"",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "container role",
            "instance role",
        ] {
            assert!(t.contains(part), "{part}: {t}");
        }
        ctx.source = CredentialSource::Profile {
            name: "ops".into(),
            files: vec!["/etc/aws/config".into(), "/etc/aws/creds".into()],
        };
        ctx.assume_role = Some("arn:aws:iam::1:role/x".into());
        assert_eq!(
            ctx.tried(),
            "profile \"ops\" of /etc/aws/config, /etc/aws/creds, then assume_role \
             arn:aws:iam::1:role/x"
        );
    }
}
