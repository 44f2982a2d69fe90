//! EKS ListClusters: every cluster of the provider's region.

use super::call::Call;
use super::client::AwsClients;
use super::error::AwsError;

impl AwsClients {
    /// ListClusters, every page: the names of all clusters in the region.
    pub async fn list_clusters(&self) -> Result<Vec<String>, AwsError> {
        let pages = self.eks().list_clusters().into_paginator().send();
        self.all_pages(Call::eks("ListClusters", self.region()), pages, |page| {
            page.clusters()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_eks::operation::list_clusters::ListClustersOutput;
    use aws_sdk_eks::Client;
    use aws_smithy_mocks::mock;

    use crate::aws::test_support::{clients, json_error};

    #[tokio::test]
    async fn list_clusters_follows_every_page() {
        let page1 = mock!(Client::list_clusters)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                ListClustersOutput::builder()
                    .clusters("a")
                    .clusters("b")
                    .next_token("t1")
                    .build()
            });
        let page2 = mock!(Client::list_clusters)
            .match_requests(|r| r.next_token() == Some("t1"))
            .then_output(|| ListClustersOutput::builder().clusters("c").build());
        let aws = clients(&[&page1, &page2], &[]);
        assert_eq!(aws.list_clusters().await.unwrap(), ["a", "b", "c"]);
        assert_eq!((page1.num_calls(), page2.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn list_clusters_error_keeps_code_and_request_id() {
        let rule = mock!(Client::list_clusters).then_http_response(|| {
            json_error(403, "AccessDeniedException", "not allowed", "rid-lc")
        });
        let aws = clients(&[&rule], &[]);
        let err = aws.list_clusters().await.unwrap_err();
        assert_eq!(err.operation, "ListClusters");
        assert!(err.is_access_denied());
        assert_eq!(err.request_id.as_deref(), Some("rid-lc"));
    }
}
