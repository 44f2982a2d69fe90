//! The AWS side of the resource: gathering facts for the guard, and the
//! association itself with its waits. Every call can be cancelled by
//! StopProvider and is bounded by the create/update timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

#[cfg(test)]
use super::plan::Cfg;
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

/// AWS call sequences against in-process mocks (aws-smithy-mocks): the
/// apply flow's retries, waits, failures and races, with no network.
#[cfg(test)]
mod flow_tests {
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

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111";
    const OTHER: &str =
        "arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222";

    #[allow(deprecated)]
    fn cluster(status: ClusterStatus, key: Option<&str>) -> DescribeClusterOutput {
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

    struct Harness {
        clients: AwsClients,
        clusters: ClusterCache,
        stop: CancellationToken,
    }

    impl Harness {
        fn new(rules: &[&Rule]) -> Self {
            Self {
                clients: AwsClients::from_clients(
                    eks_client(RuleMode::MatchAny, rules),
                    kms_client(RuleMode::MatchAny, &[]),
                    "us-east-1".into(),
                ),
                clusters: ClusterCache::default(),
                stop: CancellationToken::new(),
            }
        }

        fn ctx(&self) -> Ctx<'_> {
            Ctx {
                clients: &self.clients,
                clusters: &self.clusters,
                stop: &self.stop,
            }
        }

        /// Associates KEY with cluster `prod`, with no deadline pressure.
        async fn associate(&self) -> Result<Option<String>, OpError> {
            self.ctx()
                .ensure_associated("prod", KEY, &secrets(), far())
                .await
        }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    fn secrets() -> Vec<String> {
        vec!["secrets".into()]
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_association_is_retried_and_awaited() {
        let describe =
            mock!(Client::describe_cluster).then_output(|| cluster(ClusterStatus::Active, None));
        let list_rule = mock!(Client::list_updates).then_output(|| list(&[]));
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
        let poll = mock!(Client::describe_update)
            .sequence()
            .output(|| {
                describe_update(update(
                    "v1",
                    UpdateType::VersionUpdate,
                    UpdateStatus::InProgress,
                    "",
                ))
            })
            .times(2)
            .output(|| {
                describe_update(update(
                    "v1",
                    UpdateType::VersionUpdate,
                    UpdateStatus::Successful,
                    "",
                ))
            })
            .output(|| {
                describe_update(update(
                    "u1",
                    UpdateType::AssociateEncryptionConfig,
                    UpdateStatus::Successful,
                    KEY,
                ))
            })
            .build();
        let h = Harness::new(&[&describe, &list_rule, &associate, &poll]);
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
        let describe =
            mock!(Client::describe_cluster).then_output(|| cluster(ClusterStatus::Active, None));
        let list_rule = mock!(Client::list_updates).then_output(|| list(&[]));
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
        let describe = mock!(Client::describe_cluster)
            .sequence()
            .output(|| cluster(ClusterStatus::Active, None))
            .output(|| cluster(ClusterStatus::Active, Some(KEY)))
            .build();
        let list_rule = mock!(Client::list_updates)
            .sequence()
            .output(|| list(&[]))
            .output(|| list(&["u9"]))
            .build();
        let associate = mock!(Client::associate_encryption_config).then_http_response(|| {
            json_error(
                400,
                "InvalidParameterException",
                "Encryption is already enabled on the cluster",
                "rid-3",
            )
        });
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
        let describe = mock!(Client::describe_cluster)
            .sequence()
            .output(|| cluster(ClusterStatus::Active, None))
            .output(|| cluster(ClusterStatus::Active, Some(OTHER)))
            .build();
        let list_rule = mock!(Client::list_updates).then_output(|| list(&[]));
        let associate = mock!(Client::associate_encryption_config).then_http_response(|| {
            json_error(
                400,
                "InvalidParameterException",
                "Encryption is already enabled on the cluster",
                "rid-4",
            )
        });
        let h = Harness::new(&[&describe, &list_rule, &associate]);
        let err = h.associate().await.unwrap_err();
        let OpError::Diagnostic(d) = err else {
            panic!("expected a diagnostic, got {err:?}")
        };
        assert_eq!(d.summary, plan::summary::KEY_CHANGE);
        assert!(d.detail.contains(OTHER));
    }

    #[tokio::test(start_paused = true)]
    async fn interrupted_wait_then_resume_never_associates_twice() {
        // First apply: associate, then Terraform stops the provider mid-wait.
        let describe = mock!(Client::describe_cluster)
            .sequence()
            .output(|| cluster(ClusterStatus::Active, None))
            .output(|| cluster(ClusterStatus::Updating, None))
            .build();
        let list_rule = mock!(Client::list_updates)
            .sequence()
            .output(|| list(&[]))
            .output(|| list(&["u1"]))
            .build();
        let associate = mock!(Client::associate_encryption_config).then_output(started);
        let poll = poll_until_done();
        let h = Harness::new(&[&describe, &list_rule, &associate, &poll]);
        let stop = h.stop.clone();
        let first = {
            let ctx = h.ctx();
            let resources = secrets();
            let fut = ctx.ensure_associated("prod", KEY, &resources, far());
            tokio::pin!(fut);
            tokio::select! {
                r = &mut fut => r,
                () = async { tokio::time::sleep(Duration::from_millis(100)).await; stop.cancel(); std::future::pending::<()>().await } => unreachable!(),
            }
        };
        assert!(matches!(first, Err(OpError::Interrupted)), "{first:?}");
        assert_eq!(associate.num_calls(), 1);

        // The next apply (a new process) finds the running association and waits.
        let h2 = Harness {
            stop: CancellationToken::new(),
            clusters: ClusterCache::default(),
            clients: h.clients.clone(),
        };
        let id = h2.associate().await.unwrap();
        assert_eq!(id.as_deref(), Some("u1"));
        assert_eq!(
            associate.num_calls(),
            1,
            "AssociateEncryptionConfig exactly once"
        );
    }

    #[tokio::test]
    async fn read_removes_the_resource_when_the_cluster_is_gone() {
        use crate::provider::encryption_config::{model::Model, resource, schema};
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
            id: Cfg::Known("prod".into()),
            cluster_name: Cfg::Known("prod".into()),
            key_arn: Cfg::Known(KEY.into()),
            resources: Cfg::Known(secrets()),
            deletion_protection: Cfg::Known(true),
            cluster_arn: Cfg::Null,
            cluster_version: Cfg::Null,
            resolved_key_arn: Cfg::Known(KEY.into()),
            key_type: Cfg::Known("CUSTOMER_MANAGED".into()),
            key_state: Cfg::Known("Enabled".into()),
            update_id: Cfg::Null,
            timeouts: Cfg::Null,
        };
        let ty = schema::resource_schema().block.value_type();
        let current = DynamicValue::encode(&state.to_value(), &ty).unwrap();
        let out = resource::read(&h.ctx(), &current).await;
        assert!(
            out.state.is_none(),
            "a missing cluster removes the resource"
        );
        assert!(out.diagnostics.is_empty());
        assert_eq!(gone.num_calls(), 1);
    }
}
