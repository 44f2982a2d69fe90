//! The provider's fleet: EKS ListClusters (every cluster of the provider's
//! region), and STS GetCallerIdentity (the account they belong to).

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

    /// The account of the provider's credentials (STS GetCallerIdentity,
    /// asked once per provider configuration).
    pub async fn caller_account(&self) -> Result<String, AwsError> {
        const OP: &str = "GetCallerIdentity";
        let account = self.account_cell().get_or_try_init(|| async {
            let sts = self
                .sts()
                .ok_or_else(|| AwsError::other(OP, "this client has no STS client"))?;
            let out = self
                .send(Call::sts(OP, "the provider's account"), || {
                    sts.get_caller_identity().send()
                })
                .await?;
            out.account()
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| AwsError::other(OP, "the response has no account"))
        });
        account.await.cloned()
    }

    /// One page of ListClusters (at most EKS's default of 100 names): the
    /// names and the token of the next page, `None` after the last.
    pub async fn list_clusters_page(
        &self,
        next_token: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), AwsError> {
        let request = || {
            self.eks()
                .list_clusters()
                .set_next_token(next_token.map(str::to_owned))
                .send()
        };
        let out = self
            .send(Call::eks("ListClusters", self.region()), request)
            .await?;
        let next = out
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Ok((out.clusters().to_vec(), next))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_eks::operation::list_clusters::ListClustersOutput;
    use aws_sdk_eks::Client;
    use aws_smithy_mocks::mock;

    use crate::aws::test_support::{clients, clients_with_sts, json_error};

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
    async fn one_page_at_a_time() {
        let page1 = mock!(Client::list_clusters)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                ListClustersOutput::builder()
                    .clusters("a")
                    .next_token("t1")
                    .build()
            });
        let page2 = mock!(Client::list_clusters)
            .match_requests(|r| r.next_token() == Some("t1"))
            .then_output(|| ListClustersOutput::builder().clusters("b").build());
        let aws = clients(&[&page1, &page2], &[]);
        let (names, next) = aws.list_clusters_page(None).await.unwrap();
        assert_eq!((names, next.as_deref()), (vec!["a".to_owned()], Some("t1")));
        let (names, next) = aws.list_clusters_page(Some("t1")).await.unwrap();
        assert_eq!((names, next), (vec!["b".to_owned()], None));
    }

    #[tokio::test]
    async fn caller_account_is_asked_once() {
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
        let who = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            GetCallerIdentityOutput::builder()
                .account("111122223333")
                .build()
        });
        let aws = clients_with_sts(&[], &[], &[&who]);
        assert_eq!(aws.caller_account().await.unwrap(), "111122223333");
        assert_eq!(aws.caller_account().await.unwrap(), "111122223333");
        assert_eq!(who.num_calls(), 1);
        // Clients built without STS say so instead of guessing.
        let e = clients(&[], &[]).caller_account().await.unwrap_err();
        assert_eq!(e.operation, "GetCallerIdentity");
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
