//! The AWS side of the resource: gathering facts for the guard, and the
//! association itself with its waits. Every call can be cancelled by
//! StopProvider and is bounded by the create/update timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use super::plan::{self, KeyFacts, KeyLookup, LiveCluster, PendingAssociation};
use crate::aws::{AwsClients, AwsError, ClusterInfo, UpdateInfo};
use crate::provider::errors::OpError;
use crate::tfprotov6::Diagnostic;

/// Summary of a failed or cancelled association update.
pub const UPDATE_FAILED: &str = "Encryption update failed";

/// The first poll delay while waiting for an EKS update.
const POLL_START: Duration = Duration::from_millis(500);
/// The longest poll delay.
const POLL_CAP: Duration = Duration::from_secs(20);
/// How many recent updates are inspected to find in-progress ones.
const RECENT_UPDATES: usize = 10;

/// DescribeCluster results shared by every resource of one provider
/// configuration during one Terraform run, so a refresh and the plan that
/// follows cost one call per cluster. Concurrent callers coalesce.
#[derive(Default)]
pub struct ClusterCache {
    cells: Mutex<HashMap<String, Arc<OnceCell<Option<ClusterInfo>>>>>,
}

impl ClusterCache {
    fn cell(&self, name: &str) -> Arc<OnceCell<Option<ClusterInfo>>> {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        cells.entry(name.to_owned()).or_default().clone()
    }

    /// Records a fresh answer, so later cached reads (for example a data
    /// source read after this apply) never see an older one.
    fn store(&self, name: &str, info: Option<ClusterInfo>) {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        cells.insert(name.to_owned(), Arc::new(OnceCell::new_with(Some(info))));
    }
}

/// What one operation needs: the clients, the cache and the stop signal.
pub struct Ctx<'a> {
    /// The provider configuration's AWS clients.
    pub clients: &'a AwsClients,
    /// The shared DescribeCluster cache.
    pub clusters: &'a ClusterCache,
    /// Cancelled by StopProvider.
    pub stop: &'a CancellationToken,
}

impl Ctx<'_> {
    /// Runs one AWS call, giving up if Terraform stops the provider.
    async fn call<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, AwsError>>,
    ) -> Result<T, OpError> {
        tokio::select! {
            () = self.stop.cancelled() => Err(OpError::Interrupted),
            r = fut => r.map_err(OpError::from),
        }
    }

    /// Sleeps, giving up if Terraform stops the provider.
    async fn sleep(&self, d: Duration) -> Result<(), OpError> {
        tokio::select! {
            () = self.stop.cancelled() => Err(OpError::Interrupted),
            () = tokio::time::sleep(d) => Ok(()),
        }
    }

    /// DescribeCluster, through the cache when `cached`.
    pub async fn cluster(&self, name: &str, cached: bool) -> Result<Option<ClusterInfo>, OpError> {
        if !cached {
            let info = self.call(self.clients.describe_cluster(name)).await?;
            self.clusters.store(name, info.clone());
            return Ok(info);
        }
        let cell = self.clusters.cell(name);
        let info = cell
            .get_or_try_init(|| self.call(self.clients.describe_cluster(name)))
            .await?;
        Ok(info.clone())
    }

    /// The cluster as the guard sees it: status, version, CMK and any
    /// update in progress. `None` when the cluster does not exist.
    pub async fn live(
        &self,
        name: &str,
        cached: bool,
    ) -> Result<Option<(ClusterInfo, LiveCluster)>, OpError> {
        let Some(info) = self.cluster(name, cached).await? else {
            return Ok(None);
        };
        let mut live = LiveCluster {
            status: info.status.clone(),
            version: info.version.clone(),
            cmk_arn: info.encryption.first().map(|e| e.key_arn.clone()),
            association_in_progress: None,
            other_update_in_progress: false,
        };
        if info.status == "UPDATING" {
            self.fill_in_progress(name, &mut live).await?;
        }
        Ok(Some((info, live)))
    }

    async fn fill_in_progress(&self, name: &str, live: &mut LiveCluster) -> Result<(), OpError> {
        let ids = self.call(self.clients.list_updates(name)).await?;
        for id in ids.iter().take(RECENT_UPDATES) {
            let u = self.call(self.clients.describe_update(name, id)).await?;
            if u.status != "InProgress" {
                continue;
            }
            if u.update_type == "AssociateEncryptionConfig" {
                if let Some(key) = association_key(&u) {
                    let key_arn = if plan::is_key_arn(&key) {
                        key
                    } else {
                        match self.call(self.clients.describe_key_cached(&key)).await {
                            Ok(k) => k.arn,
                            Err(_) => key,
                        }
                    };
                    live.association_in_progress = Some(PendingAssociation {
                        update_id: u.id.clone(),
                        key_arn,
                    });
                    continue;
                }
            }
            live.other_update_in_progress = true;
        }
        Ok(())
    }

    /// Looks up a key for the guard. Not found and access denied are facts
    /// for the guard, not failures.
    pub async fn key(&self, key_id: &str, cached: bool) -> Result<KeyLookup, OpError> {
        let r = if cached {
            self.call(self.clients.describe_key_cached(key_id)).await
        } else {
            self.call(self.clients.describe_key(key_id)).await
        };
        match r {
            Ok(k) => Ok(KeyLookup::Found(KeyFacts {
                arn: k.arn,
                state: k.state,
                spec: k.spec,
                usage: k.usage,
                manager: k.manager,
                deletion_date: k.deletion_date,
                rotation_enabled: None,
            })),
            Err(OpError::Aws(e)) if e.is_code("NotFoundException") => Ok(KeyLookup::NotFound {
                message: e.to_string(),
            }),
            Err(OpError::Aws(e)) if e.is_access_denied() => Ok(KeyLookup::AccessDenied {
                message: e.to_string(),
            }),
            Err(e) => Err(e),
        }
    }

    /// Whether automatic rotation is on; `None` if KMS would not say.
    pub async fn rotation(&self, key_arn: &str) -> Result<Option<bool>, OpError> {
        match self.call(self.clients.key_rotation_enabled(key_arn)).await {
            Ok(b) => Ok(Some(b)),
            Err(OpError::Aws(e)) => {
                tracing::debug!(key_arn, error = %e, "skipping the rotation check");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The id of the newest successful or running association update.
    pub async fn association_update_id(&self, cluster: &str) -> Result<Option<String>, OpError> {
        let ids = self.call(self.clients.list_updates(cluster)).await?;
        for id in ids.iter().take(RECENT_UPDATES * 5) {
            let u = self.call(self.clients.describe_update(cluster, id)).await?;
            if u.update_type == "AssociateEncryptionConfig"
                && (u.status == "Successful" || u.status == "InProgress")
            {
                return Ok(Some(u.id));
            }
        }
        Ok(None)
    }

    /// Polls DescribeUpdate with capped, jittered backoff until the update
    /// ends, and returns it whatever its final status.
    pub async fn wait_update(
        &self,
        cluster: &str,
        update_id: &str,
        deadline: Instant,
    ) -> Result<UpdateInfo, OpError> {
        let mut delay = POLL_START;
        loop {
            let u = self
                .call(self.clients.describe_update(cluster, update_id))
                .await?;
            if u.status != "InProgress" {
                return Ok(u);
            }
            tracing::debug!(cluster, update_id, "waiting for EKS update");
            let pause = jitter(delay);
            let now = Instant::now();
            if now + pause > deadline {
                return Err(OpError::Timeout(deadline.saturating_duration_since(now)));
            }
            self.sleep(pause).await?;
            delay = (delay.mul_f64(1.5)).min(POLL_CAP);
        }
    }

    /// Makes `key_arn` the cluster's CMK, calling AssociateEncryptionConfig
    /// at most once: an association already done or running for this key is
    /// awaited instead. Returns the association's update id.
    pub async fn ensure_associated(
        &self,
        cluster: &str,
        key_arn: &str,
        resources: &[String],
        deadline: Instant,
    ) -> Result<Option<String>, OpError> {
        let mut backoff = POLL_START;
        loop {
            if Instant::now() >= deadline {
                return Err(OpError::Timeout(Duration::ZERO));
            }
            let Some((info, live)) = self.live(cluster, false).await? else {
                return Err(Diagnostic::error(
                    plan::summary::CLUSTER_NOT_FOUND,
                    format!("Cluster {cluster:?} disappeared during the apply."),
                )
                .into());
            };
            if let Some(cmk) = &live.cmk_arn {
                if cmk == key_arn {
                    return self.association_update_id(cluster).await;
                }
                return Err(key_changed(cluster, cmk, key_arn).into());
            }
            if let Some(p) = &live.association_in_progress {
                if p.key_arn != key_arn {
                    return Err(key_changed(cluster, &p.key_arn, key_arn).into());
                }
                tracing::info!(cluster, update_id = %p.update_id, "association already running; waiting for it");
                let u = self.wait_update(cluster, &p.update_id, deadline).await?;
                check_update(cluster, &u)?;
                return Ok(Some(u.id));
            }
            if live.other_update_in_progress {
                self.wait_other_updates(cluster, deadline).await?;
                continue;
            }
            let token = self.request_token(&info, key_arn).await?;
            let result = self
                .call(
                    self.clients
                        .associate_encryption_config(cluster, key_arn, resources, &token),
                )
                .await;
            match result {
                Ok(u) => {
                    tracing::info!(cluster, key_arn, update_id = %u.id, "association started");
                    let u = self.wait_update(cluster, &u.id, deadline).await?;
                    check_update(cluster, &u)?;
                    return Ok(Some(u.id));
                }
                Err(OpError::Aws(e)) if e.is_code("ResourceInUseException") => {
                    tracing::info!(cluster, "another update is in progress; waiting");
                    self.sleep(jitter(backoff)).await?;
                    backoff = backoff.mul_f64(1.5).min(POLL_CAP);
                }
                Err(OpError::Aws(e))
                    if e.is_code("InvalidParameterException")
                        && e.message.to_ascii_lowercase().contains("already enabled") =>
                {
                    // Someone else associated a key meanwhile: re-read and
                    // compare at the top of the loop.
                    tracing::info!(
                        cluster,
                        "encryption already enabled; re-reading the cluster"
                    );
                    self.sleep(jitter(backoff)).await?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn wait_other_updates(&self, cluster: &str, deadline: Instant) -> Result<(), OpError> {
        let ids = self.call(self.clients.list_updates(cluster)).await?;
        for id in ids.iter().take(RECENT_UPDATES) {
            let u = self.call(self.clients.describe_update(cluster, id)).await?;
            if u.status == "InProgress" && u.update_type != "AssociateEncryptionConfig" {
                tracing::info!(cluster, update_id = %u.id, update_type = %u.update_type, "waiting for another update");
                self.wait_update(cluster, &u.id, deadline).await?;
            }
        }
        Ok(())
    }

    /// A deterministic idempotency token: the same cluster, key and update
    /// history give the same token, so a retried request cannot start a
    /// second association, while a retry after a failed update gets a new one.
    async fn request_token(&self, info: &ClusterInfo, key_arn: &str) -> Result<String, OpError> {
        let history = self.call(self.clients.list_updates(&info.name)).await?;
        let mut h = Sha256::new();
        h.update(info.arn.as_bytes());
        h.update(b"|");
        h.update(key_arn.as_bytes());
        h.update(b"|");
        h.update(history.len().to_string().as_bytes());
        Ok(format!("tf-eks-{}", &hex::encode(h.finalize())[..32]))
    }
}

fn key_changed(cluster: &str, current: &str, wanted: &str) -> Diagnostic {
    let mut d = plan::decide_change(
        cluster,
        None,
        &plan::Cfg::Known(wanted.to_owned()),
        &LiveCluster {
            status: "ACTIVE".into(),
            version: String::new(),
            cmk_arn: Some(current.to_owned()),
            association_in_progress: None,
            other_update_in_progress: false,
        },
        Some(&KeyLookup::Found(KeyFacts {
            arn: wanted.to_owned(),
            state: "Enabled".into(),
            spec: "SYMMETRIC_DEFAULT".into(),
            usage: "ENCRYPT_DECRYPT".into(),
            manager: "CUSTOMER".into(),
            deletion_date: None,
            rotation_enabled: None,
        })),
        "",
    )
    .diagnostics;
    d.0.remove(0)
}

/// Turns a Failed or Cancelled association update into an error carrying
/// EKS's `errors[]`.
fn check_update(cluster: &str, u: &UpdateInfo) -> Result<(), OpError> {
    if u.status == "Successful" {
        return Ok(());
    }
    let mut detail = format!(
        "EKS update {} (AssociateEncryptionConfig) on cluster {cluster:?} ended {}.",
        u.id, u.status
    );
    for e in &u.errors {
        detail.push_str(&format!("\n- {}: {}", e.code, e.message));
        if !e.resource_ids.is_empty() {
            detail.push_str(&format!(" (resources: {})", e.resource_ids.join(", ")));
        }
    }
    detail.push_str(
        "\nNo key was associated and nothing was recorded in state. Fix the cause (for example \
         the key's policy or state) and apply again.",
    );
    Err(Diagnostic::error(UPDATE_FAILED, detail).into())
}

/// The key an association update names, from its EncryptionConfig param.
fn association_key(u: &UpdateInfo) -> Option<String> {
    let (_, value) = u.params.iter().find(|(t, _)| t == "EncryptionConfig")?;
    let parsed: serde_json::Value = serde_json::from_str(value).ok()?;
    let first = match &parsed {
        serde_json::Value::Array(a) => a.first()?,
        other => other,
    };
    first
        .get("provider")?
        .get("keyArn")?
        .as_str()
        .map(str::to_owned)
}

/// ±20% jitter, so many resources do not poll in lockstep.
fn jitter(d: Duration) -> Duration {
    let factor = 0.8 + rand::random::<f64>() * 0.4;
    d.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::UpdateError;

    fn update(status: &str) -> UpdateInfo {
        UpdateInfo {
            id: "u1".into(),
            status: status.into(),
            update_type: "AssociateEncryptionConfig".into(),
            params: vec![(
                "EncryptionConfig".into(),
                r#"[{"resources":["secrets"],"provider":{"keyArn":"arn:aws:kms:us-east-1:123456789012:key/k"}}]"#.into(),
            )],
            errors: vec![UpdateError {
                code: "AccessDenied".into(),
                message: "kms:CreateGrant denied".into(),
                resource_ids: vec![],
            }],
            created_at: None,
        }
    }

    #[test]
    fn association_key_reads_the_param() {
        assert_eq!(
            association_key(&update("InProgress")).as_deref(),
            Some("arn:aws:kms:us-east-1:123456789012:key/k")
        );
    }

    #[test]
    fn failed_update_carries_eks_errors() {
        assert!(check_update("c", &update("Successful")).is_ok());
        let Err(OpError::Diagnostic(d)) = check_update("c", &update("Failed")) else {
            panic!("expected a diagnostic")
        };
        assert_eq!(d.summary, UPDATE_FAILED);
        assert!(d.detail.contains("AccessDenied: kms:CreateGrant denied"));
    }

    #[test]
    fn jitter_stays_in_bounds() {
        for _ in 0..100 {
            let j = jitter(Duration::from_secs(10));
            assert!(j >= Duration::from_secs(8) && j <= Duration::from_secs(12));
        }
    }
}
