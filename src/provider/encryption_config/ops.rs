//! The AWS side of the resource: gathering facts for the guard, and the
//! association itself with its waits. Every call can be cancelled by
//! StopProvider (except AssociateEncryptionConfig once sent, which is
//! allowed to complete, bounded) and, at apply, is bounded by the
//! create/update deadline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::plan::{self, ApplyFacts, ApplyStep, KeyLookup, LiveCluster, PendingAssociation};
use crate::aws::{AwsClients, AwsError, ClusterInfo, UpdateInfo};
use crate::provider::errors::{OpError, INTERRUPTED};
use crate::tfprotov6::{AttributePath, Diagnostic};

/// Summary of a failed or cancelled association update.
pub const UPDATE_FAILED: &str = "Encryption update failed";

/// The first poll delay while waiting for an EKS update.
const POLL_START: Duration = Duration::from_millis(500);
/// The longest poll delay, before jitter (±20%): once an update is a few
/// minutes old, one DescribeUpdate every 20 to 30 seconds. eksctl polls
/// every 20 s for an association that "may take up to 45 minutes".
pub const POLL_CAP: Duration = Duration::from_secs(25);
/// How long AssociateEncryptionConfig, once sent, may take to answer even
/// after StopProvider: the call is not abandoned mid-flight, so its update
/// id is logged and nothing is left half-tracked.
const ASSOCIATE_BOUND: Duration = Duration::from_secs(120);

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

/// What one operation needs: the clients, the cache, the stop signal and,
/// at apply, the deadline.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The provider configuration's AWS clients.
    pub clients: &'a AwsClients,
    /// The shared DescribeCluster cache.
    pub clusters: &'a ClusterCache,
    /// Cancelled by StopProvider (for the request this context serves).
    pub stop: &'a CancellationToken,
    /// At apply: the create/update deadline, which bounds every call and
    /// wait. `None` elsewhere (the AWS layer's own timeouts still apply).
    pub deadline: Option<Instant>,
}

/// The outcome of [`Ctx::ensure_associated`].
#[derive(Debug)]
pub struct Associated {
    /// The association's update id, when known.
    pub update_id: Option<String>,
    /// A DescribeCluster answer read after the association completed, when
    /// one was read; `None` means the caller must read the cluster.
    pub info: Option<ClusterInfo>,
    /// The last fresh lookup of the configured key.
    pub key: KeyLookup,
}

/// What one AssociateEncryptionConfig came to.
enum Sent {
    /// EKS accepted it and the update it started succeeded: its id.
    Done(String),
    /// Another update is in progress (ResourceInUseException): wait, read
    /// again.
    Busy,
    /// Encryption was enabled meanwhile by someone else: read again and
    /// compare.
    AlreadyEnabled,
}

/// The fresh facts an apply starts from: the cluster and the configured
/// key.
pub type Fresh = (LiveCluster, KeyLookup);

impl Ctx<'_> {
    /// This context with an apply deadline.
    pub fn with_deadline(&self, deadline: Instant) -> Self {
        Ctx {
            deadline: Some(deadline),
            ..*self
        }
    }

    /// Runs one AWS call, giving up if Terraform stops the provider or the
    /// deadline passes.
    async fn call<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, AwsError>>,
    ) -> Result<T, OpError> {
        let run = async {
            tokio::select! {
                biased;
                () = self.stop.cancelled() => Err(OpError::Interrupted),
                r = fut => r.map_err(OpError::from),
            }
        };
        match self.deadline {
            Some(d) => tokio::time::timeout_at(d, run)
                .await
                .unwrap_or(Err(OpError::Timeout { update_id: None })),
            None => run.await,
        }
    }

    /// Runs a call that must not be abandoned once sent: StopProvider does
    /// not cancel it; it is bounded by [`ASSOCIATE_BOUND`] and the deadline.
    async fn call_to_completion<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, AwsError>>,
    ) -> Result<T, OpError> {
        let bound = Instant::now() + ASSOCIATE_BOUND;
        let until = self.deadline.map_or(bound, |d| d.min(bound));
        match tokio::time::timeout_at(until, fut).await {
            Ok(r) => r.map_err(OpError::from),
            Err(_) => Err(OpError::Timeout { update_id: None }),
        }
    }

    /// Sleeps, giving up if Terraform stops the provider; a sleep that
    /// would end past the deadline is a timeout.
    async fn sleep(&self, d: Duration, update_id: Option<&str>) -> Result<(), OpError> {
        if let Some(deadline) = self.deadline {
            if Instant::now() + d > deadline {
                return Err(OpError::Timeout {
                    update_id: update_id.map(str::to_owned),
                });
            }
        }
        tokio::select! {
            biased;
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
    pub async fn live(&self, name: &str, cached: bool) -> Result<Option<LiveCluster>, OpError> {
        let Some(info) = self.cluster(name, cached).await? else {
            return Ok(None);
        };
        let mut live = LiveCluster {
            info,
            association_in_progress: None,
            other_update_in_progress: false,
        };
        if live.info.status == "UPDATING" {
            self.fill_in_progress(name, &mut live).await?;
        }
        Ok(Some(live))
    }

    /// Finds the updates in progress. Every update id of every ListUpdates
    /// page is considered, in whatever order EKS returns them (the order is
    /// not documented), until a running association is found.
    async fn fill_in_progress(&self, name: &str, live: &mut LiveCluster) -> Result<(), OpError> {
        let ids = self.call(self.clients.list_updates(name)).await?;
        for id in &ids {
            let u = self.call(self.clients.describe_update(name, id)).await?;
            if u.status != "InProgress" {
                continue;
            }
            if u.update_type == "AssociateEncryptionConfig" {
                // An association whose parameters cannot be read is still
                // the association in progress, with an unknown key.
                let key_arn = match association_key(&u) {
                    Some(key) if plan::is_key_arn(&key) => Some(key),
                    Some(key) => match self.call(self.clients.describe_key_cached(&key)).await {
                        Ok(k) => Some(k.arn),
                        Err(OpError::Aws(_)) => Some(key),
                        Err(e) => return Err(e),
                    },
                    None => {
                        tracing::warn!(cluster = name, update_id = %u.id, "association in progress with unreadable parameters");
                        None
                    }
                };
                live.association_in_progress = Some(PendingAssociation {
                    update_id: u.id.clone(),
                    key_arn,
                });
                return Ok(());
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
            Ok(k) => Ok(KeyLookup::Found(k)),
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

    /// The id of the successful or running association update for
    /// `key_arn` (any key when `None`). Every page of ListUpdates is read;
    /// updates are matched by type and key, not by position.
    pub async fn association_update_id(
        &self,
        cluster: &str,
        key_arn: Option<&str>,
    ) -> Result<Option<String>, OpError> {
        let ids = self.call(self.clients.list_updates(cluster)).await?;
        for id in &ids {
            let u = self.call(self.clients.describe_update(cluster, id)).await?;
            if u.update_type != "AssociateEncryptionConfig"
                || !(u.status == "Successful" || u.status == "InProgress")
            {
                continue;
            }
            let matches = match (key_arn, association_key(&u)) {
                (Some(want), Some(got)) if plan::is_key_arn(&got) => got == want,
                // An alias, or parameters that cannot be read: only one
                // association can ever succeed on a cluster, so accept it.
                _ => true,
            };
            if matches {
                return Ok(Some(u.id));
            }
        }
        Ok(None)
    }

    /// Waits, within the deadline, while the cluster is CREATING (or
    /// PENDING), polling DescribeCluster with capped, jittered backoff; returns
    /// the first fresh read in another status, or `None` if the cluster is
    /// gone. A cluster created in the same run as this resource is usually
    /// still CREATING when the apply reaches it (EKS: "CREATING" until ready).
    pub async fn wait_cluster_created(
        &self,
        name: &str,
        first: Option<LiveCluster>,
    ) -> Result<Option<LiveCluster>, OpError> {
        let mut delay = POLL_START;
        let mut current = first;
        loop {
            match &current {
                Some(live) if plan::is_creating(&live.info.status) => {
                    tracing::info!(cluster = name, status = %live.info.status, "waiting for the cluster to become ACTIVE");
                    self.sleep(jitter(delay), None).await?;
                    delay = delay.mul_f64(1.5).min(POLL_CAP);
                    current = self.live(name, false).await?;
                }
                _ => return Ok(current),
            }
        }
    }

    /// Polls DescribeUpdate with capped, jittered backoff until the update
    /// ends, and returns it whatever its final status.
    pub async fn wait_update(&self, cluster: &str, update_id: &str) -> Result<UpdateInfo, OpError> {
        let mut delay = POLL_START;
        let with_id = |e: OpError| match e {
            OpError::Timeout { update_id: None } => OpError::Timeout {
                update_id: Some(update_id.to_owned()),
            },
            e => e,
        };
        loop {
            let u = self
                .call(self.clients.describe_update(cluster, update_id))
                .await
                .map_err(with_id)?;
            if u.status != "InProgress" {
                return Ok(u);
            }
            tracing::debug!(cluster, update_id, "waiting for EKS update");
            self.sleep(jitter(delay), Some(update_id)).await?;
            delay = delay.mul_f64(1.5).min(POLL_CAP);
        }
    }

    /// Makes the configured key the cluster's CMK, calling
    /// AssociateEncryptionConfig at most once: an association already done
    /// or running for this key is awaited instead.
    ///
    /// Every step is decided by [`plan::decide_apply`] on fresh reads of
    /// the cluster and the key (one DescribeCluster and one DescribeKey),
    /// taken right before the association and again after every wait. So
    /// a key disabled, an alias moved or another key associated while the
    /// apply waited is refused with the plan's messages, before anything
    /// irreversible is sent. `first` are fresh reads the caller already
    /// made, used for the first step.
    pub async fn ensure_associated(
        &self,
        cluster: &str,
        configured: &str,
        planned: Option<&str>,
        resources: &[String],
        first: Option<Fresh>,
    ) -> Result<Associated, OpError> {
        let mut backoff = POLL_START;
        let mut fresh = first;
        loop {
            let (live, key) = match fresh.take() {
                Some(f) => f,
                None => self.fresh(cluster, configured).await?,
            };
            let step = plan::decide_apply(&ApplyFacts {
                cluster,
                region: self.clients.region(),
                configured,
                planned,
                live: &live,
                key: &key,
            });
            let update_id = match step {
                ApplyStep::Refuse(d) => return Err(OpError::Refused(d)),
                ApplyStep::Done { key_arn } => {
                    let update_id = self.association_update_id(cluster, Some(&key_arn)).await?;
                    return Ok(Associated {
                        update_id,
                        info: Some(live.info),
                        key,
                    });
                }
                ApplyStep::AwaitAssociation { update_id, key_arn } => {
                    tracing::info!(cluster, update_id = %update_id, "association already running; waiting for it");
                    let u = self.wait_update(cluster, &update_id).await?;
                    check_update(cluster, &u)?;
                    // With its key known, it associated the configured key
                    // (decide_apply compared them); otherwise decide again,
                    // comparing the cluster's new CMK with the configured key.
                    key_arn.map(|_| u.id)
                }
                ApplyStep::AwaitOther => {
                    self.wait_other_updates(cluster).await?;
                    None
                }
                ApplyStep::Associate { key_arn } => {
                    match self
                        .associate(cluster, &live.info, &key_arn, resources)
                        .await?
                    {
                        Sent::Done(id) => Some(id),
                        Sent::Busy => {
                            self.sleep(jitter(backoff), None).await?;
                            backoff = backoff.mul_f64(1.5).min(POLL_CAP);
                            None
                        }
                        Sent::AlreadyEnabled => {
                            self.sleep(jitter(backoff), None).await?;
                            None
                        }
                    }
                }
            };
            if let Some(update_id) = update_id {
                return Ok(Associated {
                    update_id: Some(update_id),
                    info: None,
                    key,
                });
            }
        }
    }

    /// Fresh reads of the cluster and the configured key (uncached); a
    /// cluster that is gone is refused.
    async fn fresh(&self, cluster: &str, configured: &str) -> Result<Fresh, OpError> {
        let live = self.live(cluster, false).await?;
        let key = self.key(configured, false).await?;
        match live {
            Some(live) => Ok((live, key)),
            None => Err(OpError::Refused(plan::cluster_gone(
                cluster,
                self.clients.region(),
            ))),
        }
    }

    /// Sends AssociateEncryptionConfig once and waits for the update it
    /// starts.
    async fn associate(
        &self,
        cluster: &str,
        info: &ClusterInfo,
        key_arn: &str,
        resources: &[String],
    ) -> Result<Sent, OpError> {
        let token = self.request_token(info, key_arn).await?;
        if self.stop.is_cancelled() {
            return Err(OpError::Interrupted);
        }
        let result = self
            .call_to_completion(
                self.clients
                    .associate_encryption_config(cluster, key_arn, resources, &token),
            )
            .await;
        match result {
            Ok(u) => {
                tracing::info!(cluster, key_arn, update_id = %u.id, "association started");
                if self.stop.is_cancelled() {
                    return Err(stopped_after_association(cluster, &u.id).into());
                }
                let u = self.wait_update(cluster, &u.id).await?;
                check_update(cluster, &u)?;
                Ok(Sent::Done(u.id))
            }
            Err(OpError::Aws(e)) if e.is_code("ResourceInUseException") => {
                tracing::info!(cluster, "another update is in progress; waiting");
                Ok(Sent::Busy)
            }
            Err(OpError::Aws(e))
                if e.is_code("InvalidParameterException")
                    && e.message.to_ascii_lowercase().contains("already enabled") =>
            {
                // Someone else associated a key meanwhile: read again and
                // compare.
                tracing::info!(
                    cluster,
                    "encryption already enabled; re-reading the cluster"
                );
                Ok(Sent::AlreadyEnabled)
            }
            Err(OpError::Aws(e)) if is_kms_permission_refusal(&e) => {
                Err(kms_permission_refused(cluster, key_arn, &e).into())
            }
            Err(e) => Err(e),
        }
    }

    async fn wait_other_updates(&self, cluster: &str) -> Result<(), OpError> {
        let ids = self.call(self.clients.list_updates(cluster)).await?;
        let mut waited = false;
        for id in &ids {
            let u = self.call(self.clients.describe_update(cluster, id)).await?;
            if u.status == "InProgress" && u.update_type != "AssociateEncryptionConfig" {
                tracing::info!(cluster, update_id = %u.id, update_type = %u.update_type, "waiting for another update");
                self.wait_update(cluster, &u.id).await?;
                waited = true;
            }
        }
        if !waited {
            // UPDATING without a visible update (EKS lags): pause before
            // reading again.
            self.sleep(jitter(POLL_START * 4), None).await?;
        }
        Ok(())
    }

    /// A deterministic idempotency token: the same cluster (by ARN and
    /// creation time, so a cluster recreated under the same name gets new
    /// tokens), key and update history give the same token across retries
    /// and restarts, so a repeated request cannot start a second
    /// association, while a retry after a failed update gets a new one.
    async fn request_token(&self, info: &ClusterInfo, key_arn: &str) -> Result<String, OpError> {
        let history = self.call(self.clients.list_updates(&info.name)).await?;
        Ok(request_token(info, key_arn, history.len()))
    }
}

fn request_token(info: &ClusterInfo, key_arn: &str, updates: usize) -> String {
    let mut h = Sha256::new();
    h.update(info.arn.as_bytes());
    h.update(b"|");
    h.update(info.created_at.as_deref().unwrap_or("").as_bytes());
    h.update(b"|");
    h.update(key_arn.as_bytes());
    h.update(b"|");
    h.update(updates.to_string().as_bytes());
    format!("tf-eks-{}", &hex::encode(h.finalize())[..32])
}

/// The diagnostic when Terraform stopped the provider after EKS accepted
/// the association: the update runs on and the next apply waits for it.
fn stopped_after_association(cluster: &str, update_id: &str) -> Diagnostic {
    Diagnostic::error(
        INTERRUPTED,
        format!(
            "Terraform interrupted the provider after EKS accepted the association on cluster \
             {cluster:?} (update {update_id}). EKS keeps working on it; the next plan and apply \
             find this same update and wait for it, without a second association."
        ),
    )
}

/// Whether EKS refused the association synchronously because the caller
/// may not use the key (for example "User not authorized to perform
/// kms:CreateGrant operation", InvalidRequestException, as reported in
/// kubernetes-sigs/cluster-api-provider-aws#2432).
fn is_kms_permission_refusal(e: &AwsError) -> bool {
    (e.is_code("InvalidRequestException") || e.is_access_denied()) && e.message.contains("kms:")
}

/// The diagnostic, on `key_arn`, for a synchronous KMS permission refusal.
fn kms_permission_refused(cluster: &str, key_arn: &str, e: &AwsError) -> Diagnostic {
    let permission = e
        .message
        .split_whitespace()
        .find(|w| w.starts_with("kms:"))
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .unwrap_or("kms:CreateGrant");
    let mut detail = format!(
        "EKS refused to associate {key_arn} with cluster {cluster:?}: the identity Terraform \
         runs as lacks {permission} on the key. EKS creates a grant on the key in the caller's \
         name, so the caller needs kms:CreateGrant (with kms:DescribeKey). Allow it in the \
         caller's IAM policy and in the key policy, for example the default key policy's \
         \"Allow attachment of persistent resources\" statement, which grants kms:CreateGrant, \
         kms:ListGrants and kms:RevokeGrant on the condition kms:GrantIsForAWSResource = true. \
         Nothing was associated."
    );
    detail.push_str(&format!("\n{}", e));
    if let Some(id) = &e.request_id {
        detail.push_str(&format!("\nAWS request id: {id}"));
    }
    Diagnostic::error(plan::summary::CREATE_GRANT_DENIED, detail)
        .with_attribute(AttributePath::attr("key_arn"))
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

/// AWS call sequences against in-process mocks (aws-smithy-mocks): the
/// apply flow's retries, waits, failures and races, with no network. The
/// [`flow_tests::Harness`] also drives the resource's own tests.
#[cfg(test)]
pub(crate) mod flow_tests {
    use aws_sdk_eks::operation::associate_encryption_config::AssociateEncryptionConfigOutput;
    use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
    use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
    use aws_sdk_eks::operation::list_updates::ListUpdatesOutput;
    use aws_sdk_eks::types::{
        Cluster, ClusterStatus, EncryptionConfig, ErrorCode, ErrorDetail, Provider, Update,
        UpdateParam, UpdateParamType, UpdateStatus, UpdateType,
    };
    use aws_sdk_eks::Client;
    use aws_smithy_mocks::{mock, Rule, RuleMode};

    use super::*;
    use crate::aws::test_support::{eks_client, json_error, kms_client};

    /// The key the flows associate.
    pub(crate) const KEY: &str =
        "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111";
    const OTHER: &str =
        "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222";

    /// DescribeCluster's answer for `prod`, with `key` as its CMK.
    #[allow(deprecated)]
    pub(crate) fn cluster(status: ClusterStatus, key: Option<&str>) -> DescribeClusterOutput {
        let mut c = Cluster::builder()
            .name("prod")
            .arn("arn:aws:eks:us-east-1:123456789012:cluster/prod")
            .version("1.31")
            .status(status);
        if let Some(k) = key {
            c = c.encryption_config(
                EncryptionConfig::builder()
                    .provider(Provider::builder().key_arn(k).build())
                    .resources("secrets")
                    .build(),
            );
        }
        DescribeClusterOutput::builder().cluster(c.build()).build()
    }

    fn update(id: &str, ty: UpdateType, status: UpdateStatus, key: &str) -> Update {
        let mut u = Update::builder()
            .id(id)
            .r#type(ty.clone())
            .status(status.clone());
        if ty == UpdateType::AssociateEncryptionConfig {
            u = u.params(
                UpdateParam::builder()
                    .r#type(UpdateParamType::EncryptionConfig)
                    .value(format!(
                        r#"[{{"resources":["secrets"],"provider":{{"keyArn":"{key}"}}}}]"#
                    ))
                    .build(),
            );
        }
        if status == UpdateStatus::Failed {
            u = u.errors(
                ErrorDetail::builder()
                    .error_code(ErrorCode::AccessDenied)
                    .error_message("KMS key access denied for EKS")
                    .build(),
            );
        }
        u.build()
    }

    fn describe_update(u: Update) -> DescribeUpdateOutput {
        DescribeUpdateOutput::builder().update(u).build()
    }

    /// AssociateEncryptionConfig's answer: update `u1` started.
    fn started() -> AssociateEncryptionConfigOutput {
        AssociateEncryptionConfigOutput::builder()
            .update(update(
                "u1",
                UpdateType::AssociateEncryptionConfig,
                UpdateStatus::InProgress,
                KEY,
            ))
            .build()
    }

    /// DescribeUpdate of `u1`: InProgress twice, then Successful.
    fn poll_until_done() -> Rule {
        let polled = |status: UpdateStatus| {
            describe_update(update(
                "u1",
                UpdateType::AssociateEncryptionConfig,
                status,
                KEY,
            ))
        };
        mock!(Client::describe_update)
            .sequence()
            .output(move || polled(UpdateStatus::InProgress))
            .times(2)
            .output(move || polled(UpdateStatus::Successful))
            .build()
    }

    fn list(ids: &[&str]) -> ListUpdatesOutput {
        let mut b = ListUpdatesOutput::builder();
        for id in ids {
            b = b.update_ids(*id);
        }
        b.build()
    }

    /// DescribeKey's answer for `arn` in `state`.
    pub(crate) fn key_output(
        arn: &str,
        state: aws_sdk_kms::types::KeyState,
    ) -> aws_sdk_kms::operation::describe_key::DescribeKeyOutput {
        use aws_sdk_kms::types::{KeyManagerType, KeyMetadata, KeySpec, KeyUsageType};
        aws_sdk_kms::operation::describe_key::DescribeKeyOutput::builder()
            .key_metadata(
                KeyMetadata::builder()
                    .key_id(arn.rsplit('/').next().unwrap_or_default())
                    .arn(arn)
                    .enabled(state == aws_sdk_kms::types::KeyState::Enabled)
                    .key_state(state)
                    .key_spec(KeySpec::SymmetricDefault)
                    .key_usage(KeyUsageType::EncryptDecrypt)
                    .key_manager(KeyManagerType::Customer)
                    .build()
                    .expect("key id is set"),
            )
            .build()
    }

    /// DescribeKey of KEY: always Enabled.
    pub(crate) fn key_enabled() -> Rule {
        mock!(aws_sdk_kms::Client::describe_key)
            .then_output(|| key_output(KEY, aws_sdk_kms::types::KeyState::Enabled))
    }

    /// Clients answered by mocks, a cache, a stop signal and a deadline.
    pub(crate) struct Harness {
        clients: AwsClients,
        clusters: ClusterCache,
        stop: CancellationToken,
        deadline: Option<Instant>,
    }

    impl Harness {
        /// EKS answers from `rules`; KMS reports KEY Enabled.
        pub(crate) fn new(rules: &[&Rule]) -> Self {
            Self::with_kms(rules, &[&key_enabled()])
        }

        /// EKS answers from `rules`, KMS from `kms`.
        pub(crate) fn with_kms(rules: &[&Rule], kms: &[&Rule]) -> Self {
            Self::from_clients(AwsClients::from_clients(
                eks_client(RuleMode::MatchAny, rules),
                kms_client(RuleMode::MatchAny, kms),
                "us-east-1".into(),
            ))
        }

        fn from_clients(clients: AwsClients) -> Self {
            Self {
                clients,
                clusters: ClusterCache::default(),
                stop: CancellationToken::new(),
                deadline: Some(far()),
            }
        }

        /// The context of one operation.
        pub(crate) fn ctx(&self) -> Ctx<'_> {
            Ctx {
                clients: &self.clients,
                clusters: &self.clusters,
                stop: &self.stop,
                deadline: self.deadline,
            }
        }

        /// Associates KEY (planned as KEY) with cluster `prod`.
        async fn associate(&self) -> Result<Option<String>, OpError> {
            self.ctx()
                .ensure_associated("prod", KEY, Some(KEY), &secrets(), None)
                .await
                .map(|a| a.update_id)
        }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3 * 3600)
    }

    fn secrets() -> Vec<String> {
        vec!["secrets".into()]
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_association_is_retried_and_awaited() {
        let [describe, list_rule] = idle_cluster();
        let associate = mock!(Client::associate_encryption_config)
            .sequence()
            .http_response(|| json_error(429, "ThrottlingException", "Rate exceeded", "rid-1"))
            .output(started)
            .build();
        let poll = poll_until_done();
        let h = Harness::new(&[&describe, &list_rule, &associate, &poll]);
        let id = h.associate().await.unwrap();
        assert_eq!(id.as_deref(), Some("u1"));
        // One throttled attempt retried by the SDK: still one logical call.
        assert_eq!(associate.num_calls(), 2);
        assert_eq!(poll.num_calls(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn resource_in_use_waits_for_the_other_update_then_associates() {
        let describe = mock!(Client::describe_cluster)
            .sequence()
            .output(|| cluster(ClusterStatus::Active, None))
            .output(|| cluster(ClusterStatus::Updating, None))
            .output(|| cluster(ClusterStatus::Active, None))
            .build();
        let list_rule = mock!(Client::list_updates)
            .sequence()
            .output(|| list(&[]))
            .output(|| list(&["v1"]))
            .times(3)
            .build();
        let associate = mock!(Client::associate_encryption_config)
            .sequence()
            .http_response(|| {
                json_error(
                    409,
                    "ResourceInUseException",
                    "An update is already in progress",
                    "rid-2",
                )
            })
            .output(started)
            .build();
        let (v1, u1) = (version_update_v1(), association_succeeded("u1"));
        let h = Harness::new(&[&describe, &list_rule, &associate, &v1, &u1]);
        let id = h.associate().await.unwrap();
        assert_eq!(id.as_deref(), Some("u1"));
        assert_eq!(
            associate.num_calls(),
            2,
            "one refused with 409, one accepted"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failed_update_is_an_error_with_eks_errors() {
        let [describe, list_rule] = idle_cluster();
        let associate = mock!(Client::associate_encryption_config).then_output(started);
        let poll = mock!(Client::describe_update).then_output(|| {
            describe_update(update(
                "u1",
                UpdateType::AssociateEncryptionConfig,
                UpdateStatus::Failed,
                KEY,
            ))
        });
        let h = Harness::new(&[&describe, &list_rule, &associate, &poll]);
        let err = h.associate().await.unwrap_err();
        let OpError::Diagnostic(d) = err else {
            panic!("expected a diagnostic, got {err:?}")
        };
        assert_eq!(d.summary, UPDATE_FAILED);
        assert!(
            d.detail
                .contains("AccessDenied: KMS key access denied for EKS"),
            "{}",
            d.detail
        );
        assert_eq!(associate.num_calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn already_enabled_race_with_the_same_key_succeeds() {
        let [describe, associate] = already_enabled_by(KEY, "rid-3");
        let list_rule = mock!(Client::list_updates)
            .sequence()
            .output(|| list(&[]))
            .output(|| list(&["u9"]))
            .build();
        let poll = mock!(Client::describe_update).then_output(|| {
            describe_update(update(
                "u9",
                UpdateType::AssociateEncryptionConfig,
                UpdateStatus::Successful,
                KEY,
            ))
        });
        let h = Harness::new(&[&describe, &list_rule, &associate, &poll]);
        let id = h.associate().await.unwrap();
        assert_eq!(id.as_deref(), Some("u9"));
        assert_eq!(associate.num_calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn already_enabled_race_with_another_key_is_a_key_change() {
        let [describe, associate] = already_enabled_by(OTHER, "rid-4");
        let list_rule = mock!(Client::list_updates).then_output(|| list(&[]));
        let h = Harness::new(&[&describe, &list_rule, &associate]);
        let err = h.associate().await.unwrap_err();
        let OpError::Refused(d) = err else {
            panic!("expected a refusal, got {err:?}")
        };
        assert_eq!(d.0[0].summary, plan::summary::KEY_CHANGE);
        assert!(d.0[0].detail.contains(OTHER));
    }

    #[tokio::test(start_paused = true)]
    async fn interrupted_wait_then_resume_never_associates_twice() {
        // First apply: associate, then Terraform stops the provider mid-wait.
        let [describe, list_rule] = idle_then_associating();
        let associate = mock!(Client::associate_encryption_config).then_output(started);
        let poll = poll_until_done();
        let h = Harness::new(&[&describe, &list_rule, &associate, &poll]);
        let stop = h.stop.clone();
        let first = {
            let ctx = h.ctx();
            let resources = secrets();
            let fut = ctx.ensure_associated("prod", KEY, Some(KEY), &resources, None);
            tokio::pin!(fut);
            tokio::select! {
                r = &mut fut => r,
                () = async { tokio::time::sleep(Duration::from_millis(100)).await; stop.cancel(); std::future::pending::<()>().await } => unreachable!(),
            }
        };
        assert!(matches!(first, Err(OpError::Interrupted)), "{first:?}");
        assert_eq!(associate.num_calls(), 1);

        // The next apply (a new process) finds the running association and waits.
        let h2 = Harness::from_clients(h.clients.clone());
        let id = h2.associate().await.unwrap();
        assert_eq!(id.as_deref(), Some("u1"));
        assert_eq!(
            associate.num_calls(),
            1,
            "AssociateEncryptionConfig exactly once"
        );
    }

    fn key_rule(states: &[(&'static str, aws_sdk_kms::types::KeyState)]) -> Rule {
        let mut b = mock!(aws_sdk_kms::Client::describe_key).sequence();
        for (arn, state) in states.iter().cloned() {
            b = b.output(move || key_output(arn, state.clone()));
        }
        b.build()
    }

    fn other_update(id: &'static str, status: UpdateStatus) -> Rule {
        mock!(Client::describe_update)
            .match_requests(move |r| r.update_id() == Some(id))
            .then_output(move || {
                describe_update(update(id, UpdateType::VersionUpdate, status.clone(), ""))
            })
    }

    /// Issue 9: StopProvider while AssociateEncryptionConfig is on the
    /// wire lets the call complete; the next apply finds the update and
    /// waits for it without a second association.
    #[tokio::test(start_paused = true)]
    async fn stop_while_the_association_is_on_the_wire() {
        let [describe, list_rule] = idle_then_associating();
        let stop = CancellationToken::new();
        let on_the_wire = stop.clone();
        // StopProvider arrives while EKS is answering the association.
        let associate = mock!(Client::associate_encryption_config).then_output(move || {
            on_the_wire.cancel();
            started()
        });
        let poll = poll_until_done();
        let mut h = Harness::new(&[&describe, &list_rule, &associate, &poll]);
        h.stop = stop;
        let result = h.associate().await;
        let Err(OpError::Diagnostic(d)) = result else {
            panic!("expected the interrupted diagnostic, got {result:?}")
        };
        assert_eq!(d.summary, INTERRUPTED);
        assert!(d.detail.contains("update u1"), "{}", d.detail);
        assert!(d.detail.contains("without a second association"));
        assert_eq!(associate.num_calls(), 1);
        assert_eq!(poll.num_calls(), 0, "the wait stops; the call did not");

        let h2 = Harness::from_clients(h.clients.clone());
        assert_eq!(h2.associate().await.unwrap().as_deref(), Some("u1"));
        assert_eq!(
            associate.num_calls(),
            1,
            "AssociateEncryptionConfig exactly once"
        );
    }

    /// The association call, once sent, is not dropped by StopProvider
    /// (other calls are), and stays bounded.
    #[tokio::test(start_paused = true)]
    async fn the_association_call_outlives_stop_but_not_its_bound() {
        let h = Harness::new(&[]);
        h.stop.cancel();
        let slow = || async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<_, AwsError>(7)
        };
        assert!(matches!(
            h.ctx().call(slow()).await,
            Err(OpError::Interrupted)
        ));
        assert_eq!(h.ctx().call_to_completion(slow()).await.unwrap(), 7);
        let hung = std::future::pending::<Result<u8, AwsError>>();
        let start = Instant::now();
        assert!(matches!(
            h.ctx().call_to_completion(hung).await,
            Err(OpError::Timeout { .. })
        ));
        assert_eq!(Instant::now() - start, ASSOCIATE_BOUND);
    }

    /// Issue 9: a 55-minute association, with the poll cadence of a long
    /// update: after the first minutes, one DescribeUpdate every 20-30 s.
    #[tokio::test(start_paused = true)]
    async fn a_55_minute_association_polls_slowly() {
        let started_at = Instant::now();
        let done_at = started_at + Duration::from_secs(55 * 60);
        let polls: Arc<Mutex<Vec<Instant>>> = Arc::default();
        let seen = polls.clone();
        let [describe, list_rule] = idle_cluster();
        let associate = mock!(Client::associate_encryption_config).then_output(started);
        let poll = mock!(Client::describe_update).then_output(move || {
            let now = Instant::now();
            seen.lock().unwrap().push(now);
            let status = if now >= done_at {
                UpdateStatus::Successful
            } else {
                UpdateStatus::InProgress
            };
            describe_update(update(
                "u1",
                UpdateType::AssociateEncryptionConfig,
                status,
                KEY,
            ))
        });
        let key = key_enabled();
        let h = Harness::with_kms(&[&describe, &list_rule, &associate, &poll], &[&key]);
        assert_eq!(h.associate().await.unwrap().as_deref(), Some("u1"));
        let polls = polls.lock().unwrap().clone();
        let elapsed = *polls.last().unwrap() - started_at;
        assert!(elapsed >= Duration::from_secs(55 * 60), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(55 * 60 + 31), "{elapsed:?}");
        // The figure: DescribeUpdate calls for a 55-minute association.
        let n = poll.num_calls();
        assert!((110..=180).contains(&n), "{n} DescribeUpdate calls");
        for pair in polls.windows(2) {
            if pair[0] - started_at >= Duration::from_secs(5 * 60) {
                let gap = pair[1] - pair[0];
                assert!(
                    gap >= Duration::from_secs(20) && gap <= Duration::from_secs(30),
                    "{gap:?}"
                );
            }
        }
        // One DescribeCluster and one DescribeKey: the pre-association
        // check; nothing is re-read while waiting for our own update.
        assert_eq!(describe.num_calls(), 1);
        assert_eq!(key.num_calls(), 1);
        assert_eq!(list_rule.num_calls(), 1);
        assert_eq!(associate.num_calls(), 1);
    }

    /// Issue 9: the running association is found whatever order
    /// ListUpdates returns and however many updates (pages) there are.
    #[tokio::test(start_paused = true)]
    async fn list_updates_order_and_pagination() {
        let old: Vec<String> = (0..14).map(|i| format!("v{i}")).collect();
        for newest_first in [true, false] {
            let mut ids: Vec<String> = old.clone();
            ids.push("a1".into());
            if newest_first {
                ids.reverse();
            }
            let (page1, page2) = ids.split_at(8);
            let (page1, page2) = (page1.to_vec(), page2.to_vec());
            let first = mock!(Client::list_updates)
                .match_requests(|r| r.next_token().is_none())
                .then_output(move || {
                    let mut b = ListUpdatesOutput::builder().next_token("p2");
                    for id in &page1 {
                        b = b.update_ids(id.clone());
                    }
                    b.build()
                });
            let second = mock!(Client::list_updates)
                .match_requests(|r| r.next_token() == Some("p2"))
                .then_output(move || {
                    let mut b = ListUpdatesOutput::builder();
                    for id in &page2 {
                        b = b.update_ids(id.clone());
                    }
                    b.build()
                });
            let running = mock!(Client::describe_update)
                .match_requests(|r| r.update_id() == Some("a1"))
                .sequence()
                .output(|| {
                    describe_update(update(
                        "a1",
                        UpdateType::AssociateEncryptionConfig,
                        UpdateStatus::InProgress,
                        KEY,
                    ))
                })
                .output(|| {
                    describe_update(update(
                        "a1",
                        UpdateType::AssociateEncryptionConfig,
                        UpdateStatus::Successful,
                        KEY,
                    ))
                })
                .build();
            let others: Vec<Rule> = [
                "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
                "v13",
            ]
            .into_iter()
            .map(|id| other_update(id, UpdateStatus::Successful))
            .collect();
            let describe = mock!(Client::describe_cluster)
                .then_output(|| cluster(ClusterStatus::Updating, None));
            let associate = mock!(Client::associate_encryption_config).then_output(started);
            let mut rules: Vec<&Rule> = vec![&describe, &first, &second, &running, &associate];
            rules.extend(others.iter());
            let h = Harness::new(&rules);
            assert_eq!(
                h.associate().await.unwrap().as_deref(),
                Some("a1"),
                "newest first: {newest_first}"
            );
            assert_eq!(associate.num_calls(), 0, "never a second association");
            assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
        }
    }

    /// Issue 9: an association in progress whose parameters cannot be read
    /// is still the association in progress, never "another update".
    #[tokio::test(start_paused = true)]
    async fn unreadable_association_in_progress_is_awaited() {
        let garbled = |status: UpdateStatus| {
            describe_update(
                Update::builder()
                    .id("u1")
                    .r#type(UpdateType::AssociateEncryptionConfig)
                    .status(status)
                    .params(
                        UpdateParam::builder()
                            .r#type(UpdateParamType::EncryptionConfig)
                            .value("not json")
                            .build(),
                    )
                    .build(),
            )
        };
        let describe = mock!(Client::describe_cluster)
            .sequence()
            .output(|| cluster(ClusterStatus::Updating, None))
            .output(|| cluster(ClusterStatus::Active, Some(KEY)))
            .build();
        let list_rule = mock!(Client::list_updates).then_output(|| list(&["u1"]));
        let poll = mock!(Client::describe_update)
            .sequence()
            .output(move || garbled(UpdateStatus::InProgress))
            .times(2)
            .output(move || garbled(UpdateStatus::Successful))
            .times(2)
            .build();
        let associate = mock!(Client::associate_encryption_config).then_output(started);
        let h = Harness::new(&[&describe, &list_rule, &poll, &associate]);
        assert_eq!(h.associate().await.unwrap().as_deref(), Some("u1"));
        assert_eq!(associate.num_calls(), 0);
        assert_eq!(
            describe.num_calls(),
            2,
            "the key is compared after the wait"
        );
    }

    /// An ACTIVE cluster without updates: DescribeCluster and ListUpdates.
    fn idle_cluster() -> [Rule; 2] {
        [
            mock!(Client::describe_cluster).then_output(|| cluster(ClusterStatus::Active, None)),
            mock!(Client::list_updates).then_output(|| list(&[])),
        ]
    }

    /// An ACTIVE cluster without updates, then UPDATING with the
    /// association `u1` listed: DescribeCluster and ListUpdates.
    fn idle_then_associating() -> [Rule; 2] {
        [
            mock!(Client::describe_cluster)
                .sequence()
                .output(|| cluster(ClusterStatus::Active, None))
                .output(|| cluster(ClusterStatus::Updating, None))
                .build(),
            mock!(Client::list_updates)
                .sequence()
                .output(|| list(&[]))
                .output(|| list(&["u1"]))
                .build(),
        ]
    }

    /// Someone else associated `key` first: DescribeCluster (no CMK, then
    /// `key`) and AssociateEncryptionConfig refused "already enabled".
    fn already_enabled_by(key: &'static str, request_id: &'static str) -> [Rule; 2] {
        [
            mock!(Client::describe_cluster)
                .sequence()
                .output(|| cluster(ClusterStatus::Active, None))
                .output(move || cluster(ClusterStatus::Active, Some(key)))
                .build(),
            refused_with(
                400,
                "InvalidParameterException",
                "Encryption is already enabled on the cluster",
                request_id,
            ),
        ]
    }

    /// AssociateEncryptionConfig refused with this error.
    fn refused_with(
        status: u16,
        code: &'static str,
        message: &'static str,
        request_id: &'static str,
    ) -> Rule {
        mock!(Client::associate_encryption_config)
            .then_http_response(move || json_error(status, code, message, request_id))
    }

    /// A cluster busy with another update (a version update, `v1`) that
    /// finishes after two polls: DescribeCluster, ListUpdates and
    /// DescribeUpdate rules, in that order.
    fn another_update_then_active() -> [Rule; 3] {
        let describe = mock!(Client::describe_cluster)
            .sequence()
            .output(|| cluster(ClusterStatus::Updating, None))
            .output(|| cluster(ClusterStatus::Active, None))
            .build();
        let list_rule = mock!(Client::list_updates).then_output(|| list(&["v1"]));
        [describe, list_rule, version_update_v1()]
    }

    /// DescribeUpdate of a version update `v1`: InProgress twice, then
    /// Successful.
    fn version_update_v1() -> Rule {
        let polled = |status: UpdateStatus| {
            describe_update(update("v1", UpdateType::VersionUpdate, status, ""))
        };
        mock!(Client::describe_update)
            .match_requests(|r| r.update_id() == Some("v1"))
            .sequence()
            .output(move || polled(UpdateStatus::InProgress))
            .times(2)
            .output(move || polled(UpdateStatus::Successful))
            .build()
    }

    /// DescribeUpdate of the association `id`: Successful.
    fn association_succeeded(id: &'static str) -> Rule {
        mock!(Client::describe_update)
            .match_requests(move |r| r.update_id() == Some(id))
            .then_output(move || {
                describe_update(update(
                    id,
                    UpdateType::AssociateEncryptionConfig,
                    UpdateStatus::Successful,
                    KEY,
                ))
            })
    }

    /// Issue 9: the key is read again after a wait, right before the
    /// association; a key disabled during another update is refused.
    #[tokio::test(start_paused = true)]
    async fn key_disabled_during_another_update_is_refused() {
        use aws_sdk_kms::types::KeyState;
        let [describe, list_rule, v1] = another_update_then_active();
        let associate = mock!(Client::associate_encryption_config).then_output(started);
        let key = key_rule(&[(KEY, KeyState::Enabled), (KEY, KeyState::Disabled)]);
        let h = Harness::with_kms(&[&describe, &list_rule, &v1, &associate], &[&key]);
        let err = h.associate().await.unwrap_err();
        let OpError::Refused(d) = err else {
            panic!("expected a refusal, got {err:?}")
        };
        assert_eq!(d.0[0].summary, plan::summary::KEY_NOT_USABLE);
        assert!(d.0[0].detail.contains("disabled"), "{}", d.0[0].detail);
        assert_eq!(associate.num_calls(), 0, "nothing sent");
        assert_eq!(key.num_calls(), 2);
    }

    /// Issue 9: an alias moved while the apply waited is refused with the
    /// provider's diagnostic on key_arn, before anything is sent.
    #[tokio::test(start_paused = true)]
    async fn alias_moved_during_a_wait_is_refused() {
        use aws_sdk_kms::types::KeyState;
        let [describe, list_rule, v1] = another_update_then_active();
        let associate = mock!(Client::associate_encryption_config).then_output(started);
        let key = key_rule(&[(KEY, KeyState::Enabled), (OTHER, KeyState::Enabled)]);
        let h = Harness::with_kms(&[&describe, &list_rule, &v1, &associate], &[&key]);
        let err = h
            .ctx()
            .ensure_associated("prod", "alias/eks", Some(KEY), &secrets(), None)
            .await
            .unwrap_err();
        let OpError::Refused(d) = err else {
            panic!("expected a refusal, got {err:?}")
        };
        assert_eq!(d.0[0].summary, plan::summary::KEY_MOVED);
        assert_eq!(d.0[0].attribute, Some(AttributePath::attr("key_arn")));
        assert!(d.0[0].detail.contains(KEY) && d.0[0].detail.contains(OTHER));
        assert_eq!(associate.num_calls(), 0, "nothing sent");
    }

    /// Issue 9: the synchronous CreateGrant refusal becomes a diagnostic on
    /// key_arn naming the permission and the key policy statement.
    #[tokio::test(start_paused = true)]
    async fn create_grant_refusal_names_the_permission() {
        let [describe, list_rule] = idle_cluster();
        let associate = refused_with(
            400,
            "InvalidRequestException",
            "User not authorized to perform kms:CreateGrant operation",
            "rid-grant",
        );
        let h = Harness::new(&[&describe, &list_rule, &associate]);
        let err = h.associate().await.unwrap_err();
        let OpError::Diagnostic(d) = err else {
            panic!("expected a diagnostic, got {err:?}")
        };
        assert_eq!(d.summary, plan::summary::CREATE_GRANT_DENIED);
        assert_eq!(d.attribute, Some(AttributePath::attr("key_arn")));
        assert!(d.detail.contains("kms:CreateGrant"));
        assert!(d
            .detail
            .contains("Allow attachment of persistent resources"));
        assert!(d.detail.contains("InvalidRequestException"));
        assert!(d.detail.contains("rid-grant"));
        assert_eq!(associate.num_calls(), 1, "not retried");
    }

    /// Issue 9: the deadline bounds the wait and names the update.
    #[tokio::test(start_paused = true)]
    async fn deadline_ends_the_wait_with_the_update_id() {
        let [describe, list_rule] = idle_cluster();
        let associate = mock!(Client::associate_encryption_config).then_output(started);
        let poll = mock!(Client::describe_update).then_output(|| {
            describe_update(update(
                "u1",
                UpdateType::AssociateEncryptionConfig,
                UpdateStatus::InProgress,
                KEY,
            ))
        });
        let mut h = Harness::new(&[&describe, &list_rule, &associate, &poll]);
        let start = Instant::now();
        h.deadline = Some(start + Duration::from_secs(600));
        let err = h.associate().await.unwrap_err();
        assert!(
            matches!(&err, OpError::Timeout { update_id: Some(id) } if id == "u1"),
            "{err:?}"
        );
        assert!(Instant::now() <= start + Duration::from_secs(600));
        assert_eq!(associate.num_calls(), 1);
    }

    #[test]
    fn request_tokens_tell_recreated_clusters_apart() {
        let info = |created: &str| ClusterInfo {
            name: "prod".into(),
            arn: "arn:aws:eks:us-east-1:123456789012:cluster/prod".into(),
            version: "1.31".into(),
            status: "ACTIVE".into(),
            encryption: vec![],
            created_at: Some(created.into()),
            role_arn: None,
            health_issues: Vec::new(),
        };
        let a = request_token(&info("2026-01-01T00:00:00Z"), KEY, 0);
        assert_eq!(a, request_token(&info("2026-01-01T00:00:00Z"), KEY, 0));
        assert_ne!(a, request_token(&info("2026-02-01T00:00:00Z"), KEY, 0));
        assert_ne!(a, request_token(&info("2026-01-01T00:00:00Z"), OTHER, 0));
        assert_ne!(a, request_token(&info("2026-01-01T00:00:00Z"), KEY, 1));
        assert!(a.len() <= 64, "EKS limits the token's length");
    }

    #[tokio::test]
    async fn read_removes_the_resource_when_the_cluster_is_gone() {
        use crate::provider::encryption_config::{model::Model, resource, schema};
        use crate::tfprotov6::value::Maybe;
        use crate::tfprotov6::DynamicValue;
        let gone = mock!(Client::describe_cluster).then_http_response(|| {
            json_error(
                404,
                "ResourceNotFoundException",
                "No cluster found for name: prod.",
                "rid-5",
            )
        });
        let h = Harness::new(&[&gone]);
        let state = Model {
            id: Maybe::Known("prod".into()),
            cluster_name: Maybe::Known("prod".into()),
            key_arn: Maybe::Known(KEY.into()),
            resources: Maybe::Known(secrets()),
            deletion_protection: Maybe::Known(true),
            resolved_key_arn: Maybe::Known(KEY.into()),
            key_type: Maybe::Known("CUSTOMER_MANAGED".into()),
            key_state: Maybe::Known("Enabled".into()),
            ..Model::default()
        };
        let ty = schema::resource_schema().block.value_type();
        let current = DynamicValue::encode(&state.to_value(), &ty).unwrap();
        let req = crate::tfprotov6::ReadResourceRequest {
            current_identity: None,
            type_name: crate::provider::encryption_config::TYPE_NAME.into(),
            current_state: current,
            private: Vec::new(),
            client_capabilities: Default::default(),
        };
        let out = resource::read(&h.ctx(), &req).await;
        assert_eq!(
            out.new_state,
            Some(DynamicValue::null()),
            "a missing cluster removes the resource"
        );
        assert!(out.diagnostics.is_empty());
        assert_eq!(gone.num_calls(), 1);
    }
}
