//! KMS calls of the association preflight: a CreateGrant dry run, and the
//! key's custody (origin, imported material expiry, custom key store).

use aws_sdk_kms::types::GrantOperation;

use super::call::Call;
use super::client::AwsClients;
use super::error::AwsError;

/// The operations of the grant EKS creates on a cluster's CMK, for the
/// cluster's IAM role.
///
/// AWS does not publish the grant itself. The evidence: the EKS user guide
/// asks for `kms:CreateGrant` and `kms:DescribeKey` for the principal that
/// creates or associates ("Encrypt Kubernetes secrets with KMS on existing
/// clusters"); aws-cdk pull request #9438 read the calls from CloudTrail as
/// `kms:Encrypt`, `kms:Decrypt`, `kms:DescribeKey` and `kms:CreateGrant`, and
/// found no GenerateDataKey (the encryption provider makes its own data
/// keys); terraform-aws-modules/terraform-aws-eks #1913 shows the cluster
/// role's `health-check-session` calling KMS, invoked by
/// `eks.amazonaws.com`. So the grantee is the cluster role and the grant
/// allows what the control plane uses.
pub const EKS_GRANT_OPERATIONS: [&str; 3] = ["Encrypt", "Decrypt", "DescribeKey"];

/// What a CreateGrant dry run says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DryRunGrant {
    /// `DryRunOperationException`: the real call would succeed.
    WouldSucceed,
    /// The endpoint ignored `DryRun` and created the grant; it was revoked
    /// again (`revoked` says whether that worked).
    NotHonoured {
        /// The grant that was created.
        grant_id: String,
        /// Whether RevokeGrant succeeded.
        revoked: bool,
    },
}

impl AwsClients {
    /// CreateGrant with `DryRun = true` on `key_arn` for `grantee`, with
    /// [`EKS_GRANT_OPERATIONS`]. A refusal (AccessDenied, DisabledException,
    /// ...) is the `Err`, with its code and request id.
    ///
    /// "DryRunOperationException - The request would have succeeded if DryRun
    /// were not specified" (AWS KMS Developer Guide, "Testing your
    /// permissions").
    pub async fn create_grant_dry_run(
        &self,
        key_arn: &str,
        grantee: &str,
    ) -> Result<DryRunGrant, AwsError> {
        let request = || {
            self.kms()
                .create_grant()
                .key_id(key_arn)
                .grantee_principal(grantee)
                .set_operations(Some(
                    EKS_GRANT_OPERATIONS
                        .iter()
                        .map(|o| GrantOperation::from(*o))
                        .collect(),
                ))
                .dry_run(true)
                .send()
        };
        match self.send(Call::kms("CreateGrant", key_arn), request).await {
            Err(e) if e.is_code("DryRunOperationException") => Ok(DryRunGrant::WouldSucceed),
            Err(e) => Err(e),
            Ok(out) => {
                let grant_id = out.grant_id().unwrap_or_default().to_owned();
                tracing::warn!(key_arn, grant_id, "KMS ignored DryRun; revoking the grant");
                let revoke = || {
                    self.kms()
                        .revoke_grant()
                        .key_id(key_arn)
                        .grant_id(&grant_id)
                        .send()
                };
                let revoked = self
                    .send(Call::kms("RevokeGrant", key_arn), revoke)
                    .await
                    .is_ok();
                Ok(DryRunGrant::NotHonoured { grant_id, revoked })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_kms::operation::create_grant::CreateGrantOutput;
    use aws_sdk_kms::operation::revoke_grant::RevokeGrantOutput;
    use aws_sdk_kms::Client;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::test_support::{clients, json_error};

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ROLE: &str = "arn:aws:iam::123456789012:role/eks-cluster";

    #[tokio::test]
    async fn dry_run_sends_dry_run_with_the_eks_grant_and_reads_the_exception_as_success() {
        let rule = mock!(Client::create_grant)
            .match_requests(|r| {
                r.dry_run() == Some(true)
                    && r.key_id() == Some(KEY)
                    && r.grantee_principal() == Some(ROLE)
                    && r.operations()
                        == [
                            GrantOperation::Encrypt,
                            GrantOperation::Decrypt,
                            GrantOperation::DescribeKey,
                        ]
            })
            .then_http_response(|| {
                json_error(
                    400,
                    "DryRunOperationException",
                    "The request would have succeeded, but the DryRun option is set.",
                    "rid-dry",
                )
            });
        let aws = clients(&[], &[&rule]);
        assert_eq!(
            aws.create_grant_dry_run(KEY, ROLE).await.unwrap(),
            DryRunGrant::WouldSucceed
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn dry_run_refusal_keeps_code_message_and_request_id() {
        let rule = mock!(Client::create_grant).then_http_response(|| {
            json_error(
                400,
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:CreateGrant",
                "rid-ad",
            )
        });
        let aws = clients(&[], &[&rule]);
        let err = aws.create_grant_dry_run(KEY, ROLE).await.unwrap_err();
        assert!(err.is_access_denied());
        assert_eq!(err.request_id.as_deref(), Some("rid-ad"));
        assert!(err.message.contains("user/ci"));
        assert_eq!(rule.num_calls(), 1, "access denied is not retried");
    }

    #[tokio::test]
    async fn a_grant_created_despite_dry_run_is_revoked() {
        let create = mock!(Client::create_grant)
            .then_output(|| CreateGrantOutput::builder().grant_id("g-1").build());
        let revoke = mock!(Client::revoke_grant)
            .match_requests(|r| r.grant_id() == Some("g-1") && r.key_id() == Some(KEY))
            .then_output(|| RevokeGrantOutput::builder().build());
        let aws = clients(&[], &[&create, &revoke]);
        assert_eq!(
            aws.create_grant_dry_run(KEY, ROLE).await.unwrap(),
            DryRunGrant::NotHonoured {
                grant_id: "g-1".into(),
                revoked: true
            }
        );
        assert_eq!(revoke.num_calls(), 1);
    }
}
