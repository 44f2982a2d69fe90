//! Credential providers of the provider block, on top of aws-config's chain:
//!
//! - [`AssumeRoleCredentials`]: STS AssumeRole with every field of the
//!   `assume_role` block. aws-config's `AssumeRoleProvider` has no
//!   `transitive_tag_keys` and no `source_identity`, so this calls the SDK's
//!   STS client itself (no signing or HTTP code of ours).
//! - [`WebIdentityCredentials`]: STS AssumeRoleWithWebIdentity for the
//!   `assume_role_with_web_identity` block. aws-config's
//!   `WebIdentityTokenCredentialsProvider` takes neither a token value nor a
//!   `duration`.
//! - [`GuardedCredentials`]: wraps the final provider. It explains a failure
//!   with the source tried and the region ([`CredentialContext`]), and, with
//!   `allowed_account_ids` / `forbidden_account_ids`, checks the account with
//!   STS GetCallerIdentity the first time credentials are needed. No EKS or
//!   KMS request can be signed, so none is sent, until the check passed.
//!
//! Credentials are cached and refreshed by the SDK's identity cache around
//! [`GuardedCredentials`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, future, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use aws_types::sdk_config::SharedCredentialsProvider;

use super::call::Call;
use super::error::{AccountNotAllowed, CredentialContext, ExplainedCredentialsError};
use super::resolve::{ResolvedWebIdentity, TokenSource};
use super::settings::AssumeRole;

/// STS credentials as SDK credentials.
fn into_credentials(
    creds: Option<aws_sdk_sts::types::Credentials>,
    provider_name: &'static str,
) -> provider::Result {
    let creds = creds.ok_or_else(|| CredentialsError::unhandled("STS returned no credentials"))?;
    let expiry = SystemTime::try_from(*creds.expiration())
        .map_err(|_| CredentialsError::unhandled("STS returned an invalid expiration time"))?;
    Ok(Credentials::new(
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token().to_owned()),
        Some(expiry),
        provider_name,
    ))
}

fn policy_descriptors(arns: &[String]) -> Option<Vec<PolicyDescriptorType>> {
    (!arns.is_empty()).then(|| {
        arns.iter()
            .map(|arn| PolicyDescriptorType::builder().arn(arn).build())
            .collect()
    })
}

fn duration_seconds(d: Option<Duration>) -> Option<i32> {
    d.map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX))
}

/// `assume_role`: STS AssumeRole signed with the base credentials.
#[derive(Debug)]
pub(crate) struct AssumeRoleCredentials {
    /// An STS client whose credentials are the base credentials.
    pub(crate) sts: aws_sdk_sts::Client,
    /// The block.
    pub(crate) role: AssumeRole,
    /// The session name in effect.
    pub(crate) session_name: String,
}

impl AssumeRoleCredentials {
    async fn load(&self) -> provider::Result {
        let r = &self.role;
        let mut tags = Vec::with_capacity(r.tags.len());
        for (k, v) in &r.tags {
            tags.push(
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(CredentialsError::invalid_configuration)?,
            );
        }
        let request = self
            .sts
            .assume_role()
            .role_arn(&r.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(r.external_id.clone())
            .set_duration_seconds(duration_seconds(r.duration))
            .set_policy(r.policy.clone())
            .set_policy_arns(policy_descriptors(&r.policy_arns))
            .set_tags((!tags.is_empty()).then_some(tags))
            .set_transitive_tag_keys(
                (!r.transitive_tag_keys.is_empty()).then(|| r.transitive_tag_keys.clone()),
            )
            .set_source_identity(r.source_identity.clone())
            .send();
        let out = Call::sts("AssumeRole", &r.role_arn)
            .send_raw(request)
            .await
            .map_err(CredentialsError::provider_error)?;
        into_credentials(out.credentials, "AssumeRole")
    }
}

impl ProvideCredentials for AssumeRoleCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

/// `assume_role_with_web_identity`: STS AssumeRoleWithWebIdentity (an
/// unsigned call), reading a token file on every refresh, as tokens rotate.
#[derive(Debug)]
pub(crate) struct WebIdentityCredentials {
    /// An STS client without credentials.
    pub(crate) sts: aws_sdk_sts::Client,
    /// Role, session name and token source.
    pub(crate) resolved: ResolvedWebIdentity,
    /// `duration`.
    pub(crate) duration: Option<Duration>,
    /// `policy`.
    pub(crate) policy: Option<String>,
    /// `policy_arns`.
    pub(crate) policy_arns: Vec<String>,
}

impl WebIdentityCredentials {
    async fn token(&self) -> Result<String, CredentialsError> {
        let token = match &self.resolved.token {
            TokenSource::Value(t) => t.clone(),
            TokenSource::File(path) => tokio::fs::read_to_string(path)
                .await
                .map_err(|e| {
                    CredentialsError::invalid_configuration(format!(
                        "could not read the web identity token file {}: {e}",
                        path.display()
                    ))
                })?
                .trim()
                .to_owned(),
        };
        if token.is_empty() {
            return Err(CredentialsError::invalid_configuration(
                "the web identity token is empty",
            ));
        }
        Ok(token)
    }

    async fn load(&self) -> provider::Result {
        let token = self.token().await?;
        let request = self
            .sts
            .assume_role_with_web_identity()
            .role_arn(&self.resolved.role_arn)
            .role_session_name(&self.resolved.session_name)
            .web_identity_token(token)
            .set_duration_seconds(duration_seconds(self.duration))
            .set_policy(self.policy.clone())
            .set_policy_arns(policy_descriptors(&self.policy_arns))
            .send();
        let out = Call::sts("AssumeRoleWithWebIdentity", &self.resolved.role_arn)
            .send_raw(request)
            .await
            .map_err(CredentialsError::provider_error)?;
        into_credentials(out.credentials, "AssumeRoleWithWebIdentity")
    }
}

impl ProvideCredentials for WebIdentityCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

/// Stands in when aws-config built no default chain (it always does): every
/// call fails as "no credentials".
#[derive(Debug)]
pub(crate) struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no credential provider",
        )))
    }
}

/// GetCallerIdentity failed, so the account could not be checked.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not check the account of the credentials for `allowed_account_ids` / \
     `forbidden_account_ids` with STS GetCallerIdentity: {0}"
)]
pub(crate) struct AccountCheckFailed(String);

/// The block's account lists and the verdict, checked once.
#[derive(Debug)]
pub(crate) struct AccountGuard {
    /// STS configuration (endpoint, region, HTTP client) without credentials.
    pub(crate) sts: aws_sdk_sts::config::Builder,
    /// `allowed_account_ids`.
    pub(crate) allowed: Vec<String>,
    /// `forbidden_account_ids`.
    pub(crate) forbidden: Vec<String>,
    /// Ok(account) once verified, Err once refused; a failed lookup is not
    /// remembered.
    pub(crate) verdict: tokio::sync::Mutex<Option<Result<String, AccountNotAllowed>>>,
}

impl AccountGuard {
    /// The guard for these lists.
    pub(crate) fn new(
        sts: aws_sdk_sts::config::Builder,
        allowed: Vec<String>,
        forbidden: Vec<String>,
    ) -> Self {
        AccountGuard {
            sts,
            allowed,
            forbidden,
            verdict: tokio::sync::Mutex::new(None),
        }
    }

    /// The verdict for an account (forbidden first, as aws-sdk-go-base).
    pub(crate) fn judge(&self, account: &str) -> Result<(), AccountNotAllowed> {
        if self.forbidden.iter().any(|a| a == account) {
            return Err(AccountNotAllowed {
                account: account.to_owned(),
                attribute: "forbidden_account_ids",
                listed: self.forbidden.clone(),
            });
        }
        if !self.allowed.is_empty() && !self.allowed.iter().any(|a| a == account) {
            return Err(AccountNotAllowed {
                account: account.to_owned(),
                attribute: "allowed_account_ids",
                listed: self.allowed.clone(),
            });
        }
        Ok(())
    }

    /// A refusal already established.
    async fn refused(&self) -> Option<AccountNotAllowed> {
        match &*self.verdict.lock().await {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }

    /// Checks the account of `creds` with GetCallerIdentity, once.
    async fn check(&self, creds: &Credentials) -> Result<(), CredentialsError> {
        let mut verdict = self.verdict.lock().await;
        match &*verdict {
            Some(Ok(_)) => return Ok(()),
            Some(Err(e)) => return Err(CredentialsError::provider_error(e.clone())),
            None => {}
        }
        let client = aws_sdk_sts::Client::from_conf(
            self.sts
                .clone()
                .credentials_provider(SharedCredentialsProvider::new(creds.clone()))
                .build(),
        );
        let out = Call::sts("GetCallerIdentity", "the account guard")
            .send_raw(client.get_caller_identity().send())
            .await
            .map_err(|e| {
                CredentialsError::provider_error(AccountCheckFailed(format!(
                    "{}",
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                )))
            })?;
        let account = out.account().unwrap_or_default().to_owned();
        let result = self.judge(&account);
        tracing::debug!(
            account = %account,
            allowed = result.is_ok(),
            "checked the AWS account of the credentials"
        );
        *verdict = Some(result.clone().map(|()| account));
        result.map_err(CredentialsError::provider_error)
    }
}

/// The final credentials provider of a provider instance.
#[derive(Debug)]
pub(crate) struct GuardedCredentials {
    /// Base credentials, possibly behind web identity and assume_role.
    pub(crate) inner: SharedCredentialsProvider,
    /// For failure messages.
    pub(crate) context: Arc<CredentialContext>,
    /// `allowed_account_ids` / `forbidden_account_ids`, when set.
    pub(crate) guard: Option<Arc<AccountGuard>>,
}

impl GuardedCredentials {
    async fn load(&self) -> provider::Result {
        if let Some(guard) = &self.guard {
            if let Some(refused) = guard.refused().await {
                return Err(CredentialsError::provider_error(refused));
            }
        }
        let creds = self.inner.provide_credentials().await.map_err(|cause| {
            CredentialsError::provider_error(ExplainedCredentialsError {
                context: self.context.clone(),
                cause,
            })
        })?;
        if let Some(guard) = &self.guard {
            guard.check(&creds).await?;
        }
        Ok(creds)
    }
}

impl ProvideCredentials for GuardedCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(allowed: &[&str], forbidden: &[&str]) -> AccountGuard {
        AccountGuard::new(
            aws_sdk_sts::config::Builder::new(),
            allowed.iter().map(|s| s.to_string()).collect(),
            forbidden.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn account_verdicts() {
        let g = guard(&["111111111111", "222222222222"], &[]);
        assert_eq!(g.judge("222222222222"), Ok(()));
        let err = g.judge("333333333333").unwrap_err();
        assert_eq!(err.attribute, "allowed_account_ids");
        assert_eq!(
            err.to_string(),
            "the credentials belong to AWS account 333333333333, which `allowed_account_ids` \
             does not list (it allows 111111111111, 222222222222). Nothing was sent to EKS or \
             KMS. Use credentials for the right account (check `profile`, `assume_role` and the \
             AWS_* environment variables), or correct `allowed_account_ids`"
        );
        let g = guard(&[], &["333333333333"]);
        assert_eq!(g.judge("111111111111"), Ok(()));
        let err = g.judge("333333333333").unwrap_err();
        assert!(
            err.to_string().starts_with(
                "the credentials belong to AWS account 333333333333, which \
                 `forbidden_account_ids` lists (333333333333)"
            ),
            "{err}"
        );
        assert!(err
            .to_string()
            .ends_with("or correct `forbidden_account_ids`"));
        // Forbidden is checked first.
        let g = guard(&["333333333333"], &["333333333333"]);
        assert_eq!(
            g.judge("333333333333").unwrap_err().attribute,
            "forbidden_account_ids"
        );
    }
}
