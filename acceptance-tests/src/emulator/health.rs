//! Control-API helpers for issue 19: a cluster's KMS health issues and the
//! grant EKS holds on its key, ListClusters paging knobs, clusters deleted
//! while listing, bulk cluster creation (`eks_emulator/eks_health.py`,
//! `eks_emulator/eks_ext.py`, `eks_emulator/control.py`).

use serde::Deserialize;
use serde_json::{json, Value};

use super::{Cluster, Emulator, EmulatorError};

/// One entry of DescribeCluster's `cluster.health.issues` (an EKS ClusterIssue).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ClusterIssue {
    /// `KmsKeyDisabled`, `KmsKeyMarkedForDeletion`, `KmsKeyNotFound` or
    /// `KmsGrantRevoked` (the codes the emulator reports).
    pub code: String,
    /// A description of the issue.
    pub message: String,
    /// The key ARN the issue is about.
    #[serde(rename = "resourceIds")]
    pub resource_ids: Vec<String>,
}

/// The grant EKS held on a cluster's key, as revoked by
/// [`Emulator::revoke_eks_grant`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct EksGrant {
    /// The key's ARN.
    pub key_arn: String,
    /// The KMS grant id (as KMS ListGrants showed it).
    pub grant_id: String,
}

#[derive(Deserialize)]
struct Clusters {
    clusters: Vec<Cluster>,
}

impl Emulator {
    /// DescribeCluster's `cluster.health.issues` for cluster `name`: empty
    /// for a cluster whose key (if any) is usable.
    pub fn cluster_health_issues(
        &self,
        name: &str,
        region: &str,
    ) -> Result<Vec<ClusterIssue>, EmulatorError> {
        let cluster = self.describe_cluster(name, region)?;
        let issues = cluster
            .pointer("/health/issues")
            .cloned()
            .unwrap_or(Value::Array(vec![]));
        self.decode(&format!("/clusters/{name}"), issues)
    }

    /// `POST /_emulator/clusters/{name}/revoke-grant`: revokes the grant EKS
    /// holds on the cluster's key (as KMS RevokeGrant would); DescribeCluster
    /// then reports `KmsGrantRevoked`.
    pub fn revoke_eks_grant(&self, cluster: &str, region: &str) -> Result<EksGrant, EmulatorError> {
        let path = format!("/_emulator/clusters/{cluster}/revoke-grant");
        let v = self.request("POST", &path, Some(&json!({"region": region})))?;
        self.decode(&path, v)
    }

    /// `DELETE /_emulator/keys/{key_id}`: the key is gone, as after its
    /// deletion waiting period (key id or key ARN).
    pub fn delete_key(&self, key_id: &str, region: &str) -> Result<(), EmulatorError> {
        self.request(
            "DELETE",
            &format!("/_emulator/keys/{key_id}?region={region}"),
            None,
        )?;
        Ok(())
    }

    /// `POST /_emulator/clusters/bulk` with `count`: creates `count` ACTIVE
    /// clusters named `{prefix}0000`, `{prefix}0001`, ..., each with
    /// `key_arn` associated when given. One request; 500 take well under a
    /// second.
    pub fn create_clusters(
        &self,
        prefix: &str,
        count: usize,
        key_arn: Option<&str>,
        region: &str,
    ) -> Result<Vec<Cluster>, EmulatorError> {
        let mut body = json!({"count": count, "name_prefix": prefix, "region": region});
        if let Some(key) = key_arn {
            body["key_arn"] = json!(key);
        }
        self.create_clusters_body(&body)
    }

    /// `POST /_emulator/clusters/bulk` with `clusters`: one ACTIVE cluster per
    /// `(name, key ARN or None)`, all in `region`. All or nothing: an
    /// existing name fails the whole request (409).
    pub fn create_clusters_named(
        &self,
        clusters: &[(&str, Option<&str>)],
        region: &str,
    ) -> Result<Vec<Cluster>, EmulatorError> {
        let specs: Vec<Value> = clusters
            .iter()
            .map(|(name, key)| match key {
                Some(key) => json!({"name": name, "key_arn": key}),
                None => json!({"name": name}),
            })
            .collect();
        self.create_clusters_body(&json!({"clusters": specs, "region": region}))
    }

    fn create_clusters_body(&self, body: &Value) -> Result<Vec<Cluster>, EmulatorError> {
        let v = self.request("POST", "/_emulator/clusters/bulk", Some(body))?;
        let created: Clusters = self.decode("/_emulator/clusters/bulk", v)?;
        Ok(created.clusters)
    }

    /// Sets the ListClusters page size used when a request has no
    /// `maxResults` (1-100; EKS's default is 100).
    pub fn set_list_clusters_page_size(&self, size: u32) -> Result<(), EmulatorError> {
        self.set_config(&json!({"list_clusters_page_size": size}))
    }

    /// Makes clusters `names` disappear right after a ListClusters page
    /// naming them is served, so the DescribeCluster that follows gets
    /// ResourceNotFoundException. Replaces any earlier list.
    pub fn delete_after_list(&self, names: &[&str]) -> Result<(), EmulatorError> {
        self.set_config(&json!({"delete_after_list": names}))
    }
}
