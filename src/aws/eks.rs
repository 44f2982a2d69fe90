//! EKS calls: DescribeCluster, AssociateEncryptionConfig, DescribeUpdate and
//! ListUpdates.

use aws_sdk_eks::types::{EncryptionConfig, Provider, Update};

use super::call::Call;
use super::client::AwsClients;
use super::error::AwsError;
use super::types::{name_of, rfc3339};

/// An EKS cluster, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// Cluster name.
    pub name: String,
    /// Cluster ARN.
    pub arn: String,
    /// Kubernetes version, e.g. `1.31`.
    pub version: String,
    /// Cluster status, e.g. `ACTIVE`, `UPDATING`.
    pub status: String,
    /// The cluster's envelope encryption configuration (empty if none).
    pub encryption: Vec<EncryptionInfo>,
    /// Creation time (RFC 3339).
    pub created_at: Option<String>,
    /// The cluster's IAM role (the grantee of EKS's grant on its CMK).
    pub role_arn: Option<String>,
    /// What EKS itself reports about the cluster's health
    /// (`cluster.health.issues`), e.g. `KmsKeyDisabled`.
    pub health_issues: Vec<ClusterIssue>,
}

/// One issue of a cluster's `health.issues`, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterIssue {
    /// EKS's code, e.g. `KmsGrantRevoked`.
    pub code: String,
    /// EKS's message.
    pub message: String,
    /// The resources concerned (for KMS issues, the key).
    pub resource_ids: Vec<String>,
}

impl ClusterInfo {
    /// The CMK in the cluster's encryption configuration, if any (EKS
    /// allows one).
    pub fn cmk_arn(&self) -> Option<&str> {
        self.encryption.first().map(|e| e.key_arn.as_str())
    }
}

/// One entry of a cluster's encryption configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionInfo {
    /// The KMS key ARN.
    pub key_arn: String,
    /// The Kubernetes resources encrypted with it, e.g. `secrets`.
    pub resources: Vec<String>,
}

/// An EKS cluster update, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateInfo {
    /// Update id.
    pub id: String,
    /// `InProgress`, `Failed`, `Cancelled` or `Successful`.
    pub status: String,
    /// Update type, e.g. `AssociateEncryptionConfig`.
    pub update_type: String,
    /// Update parameters as (type, value) pairs.
    pub params: Vec<(String, String)>,
    /// Errors reported for the update.
    pub errors: Vec<UpdateError>,
    /// Creation time (RFC 3339).
    pub created_at: Option<String>,
}

/// An error reported on an EKS update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateError {
    /// Error code, e.g. `AccessDenied`.
    pub code: String,
    /// Error message.
    pub message: String,
    /// Ids of the resources concerned.
    pub resource_ids: Vec<String>,
}

impl From<&Update> for UpdateInfo {
    fn from(u: &Update) -> Self {
        UpdateInfo {
            id: u.id().unwrap_or_default().to_owned(),
            status: name_of(u.status()),
            update_type: name_of(u.r#type()),
            params: u
                .params()
                .iter()
                .map(|p| {
                    (
                        name_of(p.r#type()),
                        p.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            errors: u
                .errors()
                .iter()
                .map(|e| UpdateError {
                    code: name_of(e.error_code()),
                    message: e.error_message().unwrap_or_default().to_owned(),
                    resource_ids: e.resource_ids().to_vec(),
                })
                .collect(),
            created_at: u.created_at().and_then(rfc3339),
        }
    }
}

/// ClientException "No cluster found for name: X." means not found.
pub(crate) fn is_cluster_not_found_client_exception(e: &AwsError) -> bool {
    e.is_code("ClientException") && e.message.contains("No cluster found for name")
}

impl AwsClients {
    /// DescribeCluster; `Ok(None)` when the cluster does not exist:
    /// ResourceNotFoundException, or ClientException "No cluster found for
    /// name: X." which EKS sometimes sends instead (noted in
    /// terraform-provider-aws's `FindClusterByName`: "Sometimes the EKS API
    /// returns the ResourceNotFound error in this form").
    // `EncryptionConfig.resources` is deprecated in the EKS model (EKS now
    // encrypts all Kubernetes API data by default) but is still returned and
    // accepted.
    #[allow(deprecated)]
    pub async fn describe_cluster(&self, name: &str) -> Result<Option<ClusterInfo>, AwsError> {
        const OP: &str = "DescribeCluster";
        let request = || self.eks().describe_cluster().name(name).send();
        let out = match self.send(Call::eks(OP, name), request).await {
            Ok(out) => out,
            Err(e) if e.is_code("ResourceNotFoundException") => return Ok(None),
            Err(e) if is_cluster_not_found_client_exception(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let c = out
            .cluster()
            .ok_or_else(|| AwsError::other(OP, "the response has no cluster"))?;
        Ok(Some(ClusterInfo {
            name: c.name().unwrap_or(name).to_owned(),
            arn: c.arn().unwrap_or_default().to_owned(),
            version: c.version().unwrap_or_default().to_owned(),
            status: name_of(c.status()),
            encryption: c
                .encryption_config()
                .iter()
                .map(|e| EncryptionInfo {
                    key_arn: e
                        .provider()
                        .and_then(|p| p.key_arn())
                        .unwrap_or_default()
                        .to_owned(),
                    resources: e.resources().to_vec(),
                })
                .collect(),
            created_at: c.created_at().and_then(rfc3339),
            role_arn: c.role_arn().map(str::to_owned),
            health_issues: c
                .health()
                .map(|h| h.issues())
                .unwrap_or_default()
                .iter()
                .map(|i| ClusterIssue {
                    code: name_of(i.code()),
                    message: i.message().unwrap_or_default().to_owned(),
                    resource_ids: i.resource_ids().to_vec(),
                })
                .collect(),
        }))
    }

    /// AssociateEncryptionConfig: starts encrypting `resources` (normally
    /// `["secrets"]`) of `cluster` with `key_arn`. `client_request_token`
    /// makes retries of the same logical request idempotent.
    pub async fn associate_encryption_config(
        &self,
        cluster: &str,
        key_arn: &str,
        resources: &[String],
        client_request_token: &str,
    ) -> Result<UpdateInfo, AwsError> {
        const OP: &str = "AssociateEncryptionConfig";
        // See describe_cluster about the deprecated `resources`.
        #[allow(deprecated)]
        let config = EncryptionConfig::builder()
            .provider(Provider::builder().key_arn(key_arn).build())
            .set_resources(Some(resources.to_vec()))
            .build();
        let request = || {
            self.eks()
                .associate_encryption_config()
                .cluster_name(cluster)
                .encryption_config(config)
                .client_request_token(client_request_token)
                .send()
        };
        let out = self.send(Call::eks(OP, cluster), request).await?;
        out.update()
            .map(UpdateInfo::from)
            .ok_or_else(|| AwsError::other(OP, "the response has no update"))
    }

    /// DescribeUpdate of a cluster update.
    pub async fn describe_update(
        &self,
        cluster: &str,
        update_id: &str,
    ) -> Result<UpdateInfo, AwsError> {
        const OP: &str = "DescribeUpdate";
        let request = || {
            self.eks()
                .describe_update()
                .name(cluster)
                .update_id(update_id)
                .send()
        };
        let out = self.send(Call::eks(OP, cluster), request).await?;
        out.update()
            .map(UpdateInfo::from)
            .ok_or_else(|| AwsError::other(OP, "the response has no update"))
    }

    /// ListUpdates of a cluster: the ids of all its updates, every page.
    pub async fn list_updates(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        let pages = self
            .eks()
            .list_updates()
            .name(cluster)
            .into_paginator()
            .send();
        self.all_pages(Call::eks("ListUpdates", cluster), pages, |page| {
            page.update_ids()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_eks::operation::associate_encryption_config::AssociateEncryptionConfigOutput;
    use aws_sdk_eks::operation::describe_cluster::{DescribeClusterError, DescribeClusterOutput};
    use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
    use aws_sdk_eks::operation::list_updates::ListUpdatesOutput;
    use aws_sdk_eks::types::error::ResourceNotFoundException;
    use aws_sdk_eks::types::{
        Cluster, ClusterStatus, ErrorCode, ErrorDetail, UpdateParam, UpdateParamType, UpdateStatus,
        UpdateType,
    };
    use aws_sdk_eks::Client;
    use aws_smithy_mocks::{mock, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::DateTime;

    use super::*;
    use crate::aws::test_support::{clients, eks_client, json_error, TEST_MAX_ATTEMPTS};
    use crate::aws::AwsErrorKind;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[allow(deprecated)]
    fn cluster() -> Cluster {
        Cluster::builder()
            .name("prod")
            .arn("arn:aws:eks:us-east-1:123456789012:cluster/prod")
            .version("1.31")
            .role_arn("arn:aws:iam::123456789012:role/eks-cluster")
            .status(ClusterStatus::Active)
            .created_at(DateTime::from_secs(1_700_000_000))
            .health(
                aws_sdk_eks::types::ClusterHealth::builder()
                    .issues(
                        aws_sdk_eks::types::ClusterIssue::builder()
                            .code(aws_sdk_eks::types::ClusterIssueCode::KmsGrantRevoked)
                            .message("grant revoked")
                            .resource_ids(KEY)
                            .build(),
                    )
                    .build(),
            )
            .encryption_config(
                EncryptionConfig::builder()
                    .provider(Provider::builder().key_arn(KEY).build())
                    .resources("secrets")
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn describe_cluster_maps_the_cluster() {
        let rule = mock!(Client::describe_cluster)
            .match_requests(|r| r.name() == Some("prod"))
            .then_output(|| DescribeClusterOutput::builder().cluster(cluster()).build());
        let aws = clients(&[&rule], &[]);
        let info = aws.describe_cluster("prod").await.unwrap().unwrap();
        assert_eq!(
            info,
            ClusterInfo {
                name: "prod".into(),
                arn: "arn:aws:eks:us-east-1:123456789012:cluster/prod".into(),
                version: "1.31".into(),
                status: "ACTIVE".into(),
                encryption: vec![EncryptionInfo {
                    key_arn: KEY.into(),
                    resources: vec!["secrets".into()],
                }],
                created_at: Some("2023-11-14T22:13:20Z".into()),
                role_arn: Some("arn:aws:iam::123456789012:role/eks-cluster".into()),
                health_issues: vec![ClusterIssue {
                    code: "KmsGrantRevoked".into(),
                    message: "grant revoked".into(),
                    resource_ids: vec![KEY.into()],
                }],
            }
        );
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn describe_cluster_not_found_is_none() {
        // Both as a modeled error and as a real HTTP 404 from the service.
        let modeled = mock!(Client::describe_cluster).then_error(|| {
            DescribeClusterError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("No cluster found for name: gone.")
                    .meta(
                        ErrorMetadata::builder()
                            .code("ResourceNotFoundException")
                            .build(),
                    )
                    .build(),
            )
        });
        let http = mock!(Client::describe_cluster).then_http_response(|| {
            json_error(
                404,
                "ResourceNotFoundException",
                "No cluster found for name: gone.",
                "rid-404",
            )
        });
        let aws = clients(&[&modeled, &http], &[]);
        assert_eq!(aws.describe_cluster("gone").await.unwrap(), None);
        assert_eq!(aws.describe_cluster("gone").await.unwrap(), None);
        assert_eq!(modeled.num_calls(), 1);
        assert_eq!(http.num_calls(), 1);
    }

    /// Issue 9: EKS also reports a missing cluster as ClientException.
    #[tokio::test]
    async fn describe_cluster_client_exception_not_found_is_none() {
        let gone = mock!(Client::describe_cluster).then_http_response(|| {
            json_error(
                400,
                "ClientException",
                "No cluster found for name: gone.",
                "rid-ce",
            )
        });
        let other = mock!(Client::describe_cluster).then_http_response(|| {
            json_error(
                400,
                "ClientException",
                "Something else went wrong.",
                "rid-ce2",
            )
        });
        let aws = clients(&[&gone, &other], &[]);
        assert_eq!(aws.describe_cluster("gone").await.unwrap(), None);
        let err = aws.describe_cluster("gone").await.unwrap_err();
        assert!(err.is_code("ClientException"));
        assert_eq!(err.request_id.as_deref(), Some("rid-ce2"));
    }

    #[tokio::test]
    async fn throttling_is_retried_then_succeeds() {
        let rule = mock!(Client::describe_cluster)
            .sequence()
            .http_response(|| json_error(400, "ThrottlingException", "Rate exceeded", "rid-t"))
            .times(2)
            .output(|| DescribeClusterOutput::builder().cluster(cluster()).build())
            .build();
        let aws = clients(&[&rule], &[]);
        let info = aws.describe_cluster("prod").await.unwrap().unwrap();
        assert_eq!(info.status, "ACTIVE");
        assert_eq!(rule.num_calls(), 3);
    }

    #[tokio::test]
    async fn server_error_is_retried_then_succeeds() {
        let rule = mock!(Client::describe_cluster)
            .sequence()
            .http_status(500, None)
            .output(|| DescribeClusterOutput::builder().cluster(cluster()).build())
            .build();
        let aws = clients(&[&rule], &[]);
        assert!(aws.describe_cluster("prod").await.unwrap().is_some());
        assert_eq!(rule.num_calls(), 2);
    }

    #[tokio::test]
    async fn exhausted_retries_keep_code_and_request_id() {
        let rule = mock!(Client::describe_cluster)
            .sequence()
            .http_response(|| json_error(400, "ThrottlingException", "Rate exceeded", "rid-last"))
            .times(TEST_MAX_ATTEMPTS as usize)
            .build();
        let aws = clients(&[&rule], &[]);
        let err = aws.describe_cluster("prod").await.unwrap_err();
        assert_eq!(rule.num_calls(), TEST_MAX_ATTEMPTS as usize);
        assert_eq!(err.kind, AwsErrorKind::Service);
        assert!(err.is_code("ThrottlingException"));
        assert_eq!(err.request_id.as_deref(), Some("rid-last"));
        assert_eq!(err.http_status, Some(400));
        assert_eq!(
            err.to_string(),
            "DescribeCluster: ThrottlingException: Rate exceeded (request id: rid-last)"
        );
    }

    #[tokio::test]
    async fn access_denied_is_not_retried() {
        let rule = mock!(Client::describe_cluster).then_http_response(|| {
            json_error(
                403,
                "AccessDeniedException",
                "User is not authorized",
                "rid-ad",
            )
        });
        let aws = clients(&[&rule], &[]);
        let err = aws.describe_cluster("prod").await.unwrap_err();
        assert!(err.is_access_denied());
        assert_eq!(err.http_status, Some(403));
        assert_eq!(rule.num_calls(), 1);
    }

    fn update(status: UpdateStatus) -> Update {
        Update::builder()
            .id("u-1")
            .status(status)
            .r#type(UpdateType::AssociateEncryptionConfig)
            .params(
                UpdateParam::builder()
                    .r#type(UpdateParamType::EncryptionConfig)
                    .value("[{\"resources\":[\"secrets\"]}]")
                    .build(),
            )
            .created_at(DateTime::from_secs(1_700_000_000))
            .build()
    }

    #[tokio::test]
    async fn associate_encryption_config_sends_key_resources_and_token() {
        #[allow(deprecated)]
        let rule = mock!(Client::associate_encryption_config)
            .match_requests(|r| {
                let cfg = r.encryption_config();
                r.cluster_name() == Some("prod")
                    && r.client_request_token() == Some("tok-1")
                    && cfg.len() == 1
                    && cfg[0].provider().and_then(|p| p.key_arn()) == Some(KEY)
                    && cfg[0].resources() == ["secrets".to_owned()]
            })
            .then_output(|| {
                AssociateEncryptionConfigOutput::builder()
                    .update(update(UpdateStatus::InProgress))
                    .build()
            });
        let aws = clients(&[&rule], &[]);
        let info = aws
            .associate_encryption_config("prod", KEY, &["secrets".to_owned()], "tok-1")
            .await
            .unwrap();
        assert_eq!(
            info,
            UpdateInfo {
                id: "u-1".into(),
                status: "InProgress".into(),
                update_type: "AssociateEncryptionConfig".into(),
                params: vec![(
                    "EncryptionConfig".into(),
                    "[{\"resources\":[\"secrets\"]}]".into()
                )],
                errors: vec![],
                created_at: Some("2023-11-14T22:13:20Z".into()),
            }
        );
    }

    #[tokio::test]
    async fn describe_update_maps_errors() {
        let rule = mock!(Client::describe_update)
            .match_requests(|r| r.name() == Some("prod") && r.update_id() == Some("u-1"))
            .then_output(|| {
                let mut u = update(UpdateStatus::Failed);
                u.errors = Some(vec![ErrorDetail::builder()
                    .error_code(ErrorCode::AccessDenied)
                    .error_message("kms:CreateGrant denied")
                    .resource_ids(KEY)
                    .build()]);
                DescribeUpdateOutput::builder().update(u).build()
            });
        let aws = clients(&[&rule], &[]);
        let info = aws.describe_update("prod", "u-1").await.unwrap();
        assert_eq!(info.status, "Failed");
        assert_eq!(
            info.errors,
            vec![UpdateError {
                code: "AccessDenied".into(),
                message: "kms:CreateGrant denied".into(),
                resource_ids: vec![KEY.into()],
            }]
        );
    }

    #[tokio::test]
    async fn list_updates_follows_every_page() {
        let page1 = mock!(Client::list_updates)
            .match_requests(|r| r.name() == Some("prod") && r.next_token().is_none())
            .then_output(|| {
                ListUpdatesOutput::builder()
                    .update_ids("u-1")
                    .update_ids("u-2")
                    .next_token("t1")
                    .build()
            });
        let page2 = mock!(Client::list_updates)
            .match_requests(|r| r.next_token() == Some("t1"))
            .then_output(|| {
                ListUpdatesOutput::builder()
                    .update_ids("u-3")
                    .next_token("t2")
                    .build()
            });
        let page3 = mock!(Client::list_updates)
            .match_requests(|r| r.next_token() == Some("t2"))
            .then_output(|| ListUpdatesOutput::builder().build());
        let aws = AwsClients::from_clients(
            eks_client(RuleMode::Sequential, &[&page1, &page2, &page3]),
            crate::aws::test_support::kms_client(RuleMode::Sequential, &[]),
            "us-east-1".into(),
        );
        assert_eq!(
            aws.list_updates("prod").await.unwrap(),
            ["u-1", "u-2", "u-3"]
        );
        assert_eq!(
            (page1.num_calls(), page2.num_calls(), page3.num_calls()),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn list_updates_error_on_a_later_page() {
        let page1 = mock!(Client::list_updates).then_output(|| {
            ListUpdatesOutput::builder()
                .update_ids("u-1")
                .next_token("t1")
                .build()
        });
        let page2 = mock!(Client::list_updates).then_http_response(|| {
            json_error(
                404,
                "ResourceNotFoundException",
                "No cluster found",
                "rid-p2",
            )
        });
        let aws = clients(&[&page1, &page2], &[]);
        let err = aws.list_updates("prod").await.unwrap_err();
        assert_eq!(err.operation, "ListUpdates");
        assert!(err.is_code("ResourceNotFoundException"));
        assert_eq!(err.request_id.as_deref(), Some("rid-p2"));
    }
}
