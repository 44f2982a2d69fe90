//! AWS calls on the apply path (issue 14, part 5): how many calls one
//! association costs, and how many DescribeUpdate polls a long association
//! makes, as figures for the benchmark report.
//!
//! Not a Criterion benchmark and not a test: `scripts/bench` builds it with
//! `cargo build --release --bench apply_calls` and runs
//! `apply_calls --out DIR [--update-minutes 55]`, which writes
//! `DIR/apply_calls.json`.
//!
//! It drives the provider's own resource code (`resource::plan` and
//! `resource::apply`, through the public API) against mocked EKS and KMS
//! clients (aws-smithy-mocks), on a tokio runtime with a paused clock: the
//! provider's waits are real `tokio::time::sleep`s, which the paused clock
//! skips, so a 55-minute association takes milliseconds and every poll is
//! counted. The mocked EKS behaves as the acceptance emulator does for this
//! flow: the cluster reports `UPDATING` and the update `InProgress` until the
//! simulated duration has passed, then `ACTIVE` with the key and
//! `Successful`.
//!
//! One association is what `terraform apply` does for a new resource: a
//! plan in one provider process, then, in a fresh process, Terraform's
//! re-plan and the apply. Each process gets fresh clients and caches.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_eks::operation::associate_encryption_config::AssociateEncryptionConfigOutput;
use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
use aws_sdk_eks::operation::list_updates::ListUpdatesOutput;
use aws_sdk_eks::types::{
    Cluster, ClusterStatus, EncryptionConfig, Provider, Update, UpdateParam, UpdateParamType,
    UpdateStatus, UpdateType,
};
use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
use aws_sdk_kms::types::{KeyManagerType, KeyMetadata, KeySpec, KeyState, KeyUsageType};
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use serde_json::json;
use terraform_provider_eks::aws::AwsClients;
use terraform_provider_eks::provider::encryption_config::ops::{ClusterCache, Ctx};
use terraform_provider_eks::provider::encryption_config::{resource, TYPE_NAME};
use terraform_provider_eks::tfprotov6::{
    ApplyResourceChangeRequest, DynamicValue, PlanResourceChangeRequest,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const CLUSTER: &str = "prod";
const CLUSTER_ARN: &str = "arn:aws:eks:us-east-1:123456789012:cluster/prod";
const KEY_ID: &str = "11111111-1111-1111-1111-111111111111";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111";
const UPDATE_ID: &str = "u-1";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/eks-cluster-role";

/// What the mocked AWS knows, and what it was asked.
struct Sim {
    /// How long an association stays InProgress.
    duration: Duration,
    /// When AssociateEncryptionConfig was called (virtual time).
    started: Option<Instant>,
    /// The virtual start of the run.
    t0: Instant,
    calls: BTreeMap<String, u64>,
    /// Virtual seconds at which DescribeUpdate was called.
    polls: Vec<f64>,
}

type Shared = Arc<Mutex<Sim>>;

impl Sim {
    fn count(&mut self, op: &str) {
        *self.calls.entry(op.to_owned()).or_insert(0) += 1;
    }

    fn done(&self) -> bool {
        self.started
            .is_some_and(|s| Instant::now() >= s + self.duration)
    }
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Sim> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

#[allow(deprecated)] // EncryptionConfig.resources, as the provider reads it
fn cluster(sim: &Sim) -> DescribeClusterOutput {
    let status = match (sim.started, sim.done()) {
        (Some(_), false) => ClusterStatus::Updating,
        _ => ClusterStatus::Active,
    };
    let mut c = Cluster::builder()
        .name(CLUSTER)
        .arn(CLUSTER_ARN)
        .role_arn(ROLE_ARN)
        .version("1.31")
        .status(status);
    if sim.done() {
        c = c.encryption_config(
            EncryptionConfig::builder()
                .provider(Provider::builder().key_arn(KEY).build())
                .resources("secrets")
                .build(),
        );
    }
    DescribeClusterOutput::builder().cluster(c.build()).build()
}

fn update(status: UpdateStatus) -> Update {
    Update::builder()
        .id(UPDATE_ID)
        .r#type(UpdateType::AssociateEncryptionConfig)
        .status(status)
        .params(
            UpdateParam::builder()
                .r#type(UpdateParamType::EncryptionConfig)
                .value(format!(
                    r#"[{{"resources":["secrets"],"provider":{{"keyArn":"{KEY}"}}}}]"#
                ))
                .build(),
        )
        .build()
}

fn rules(sim: &Shared) -> (Vec<Rule>, Vec<Rule>) {
    let s = sim.clone();
    let describe_cluster = mock!(aws_sdk_eks::Client::describe_cluster).then_output(move || {
        let mut sim = lock(&s);
        sim.count("DescribeCluster");
        cluster(&sim)
    });
    let s = sim.clone();
    let list_updates = mock!(aws_sdk_eks::Client::list_updates).then_output(move || {
        let mut sim = lock(&s);
        sim.count("ListUpdates");
        let mut b = ListUpdatesOutput::builder();
        if sim.started.is_some() {
            b = b.update_ids(UPDATE_ID);
        }
        b.build()
    });
    let s = sim.clone();
    let describe_update = mock!(aws_sdk_eks::Client::describe_update).then_output(move || {
        let mut sim = lock(&s);
        sim.count("DescribeUpdate");
        let t = Instant::now().duration_since(sim.t0).as_secs_f64();
        sim.polls.push(t);
        let status = if sim.done() {
            UpdateStatus::Successful
        } else {
            UpdateStatus::InProgress
        };
        DescribeUpdateOutput::builder()
            .update(update(status))
            .build()
    });
    let s = sim.clone();
    let associate =
        mock!(aws_sdk_eks::Client::associate_encryption_config).then_output(move || {
            let mut sim = lock(&s);
            sim.count("AssociateEncryptionConfig");
            sim.started.get_or_insert_with(Instant::now);
            AssociateEncryptionConfigOutput::builder()
                .update(update(UpdateStatus::InProgress))
                .build()
        });
    let s = sim.clone();
    let describe_key = mock!(aws_sdk_kms::Client::describe_key).then_output(move || {
        lock(&s).count("DescribeKey");
        DescribeKeyOutput::builder()
            .key_metadata(
                KeyMetadata::builder()
                    .key_id(KEY_ID)
                    .arn(KEY)
                    .enabled(true)
                    .key_state(KeyState::Enabled)
                    .key_spec(KeySpec::SymmetricDefault)
                    .key_usage(KeyUsageType::EncryptDecrypt)
                    .key_manager(KeyManagerType::Customer)
                    .build()
                    .expect("key metadata"),
            )
            .build()
    });
    let s = sim.clone();
    let rotation = mock!(aws_sdk_kms::Client::get_key_rotation_status).then_output(move || {
        lock(&s).count("GetKeyRotationStatus");
        GetKeyRotationStatusOutput::builder()
            .key_rotation_enabled(true)
            .build()
    });
    let s = sim.clone();
    // The association preflight's CreateGrant dry run for the cluster role:
    // KMS answers DryRunOperationException when the grant would succeed.
    let grant = mock!(aws_sdk_kms::Client::create_grant).then_http_response(move || {
        lock(&s).count("CreateGrant");
        let mut resp = HttpResponse::new(
            StatusCode::try_from(400).expect("status"),
            SdkBody::from(
                r#"{"__type":"DryRunOperationException","message":"The request would have succeeded if DryRun flag were not set."}"#,
            ),
        );
        resp.headers_mut()
            .insert("content-type", "application/x-amz-json-1.1");
        resp.headers_mut().insert("x-amzn-RequestId", "dry-run");
        resp
    });
    (
        vec![describe_cluster, list_updates, describe_update, associate],
        vec![describe_key, rotation, grant],
    )
}

/// One provider process: fresh clients (and so a fresh DescribeKey cache)
/// and a fresh DescribeCluster cache.
struct Process {
    clients: AwsClients,
    clusters: ClusterCache,
    stop: CancellationToken,
}

impl Process {
    fn new(sim: &Shared) -> Process {
        let (eks, kms) = rules(sim);
        let eks_refs: Vec<&Rule> = eks.iter().collect();
        let kms_refs: Vec<&Rule> = kms.iter().collect();
        let eks = mock_client!(aws_sdk_eks, RuleMode::MatchAny, &eks_refs);
        let kms = mock_client!(aws_sdk_kms, RuleMode::MatchAny, &kms_refs);
        Process {
            clients: AwsClients::from_clients(eks, kms, "us-east-1".to_owned()),
            clusters: ClusterCache::default(),
            stop: CancellationToken::new(),
        }
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            clients: &self.clients,
            clusters: &self.clusters,
            stop: &self.stop,
            // As the provider builds it; apply sets its own deadline.
            deadline: None,
        }
    }
}

/// The configuration (and, for a create, the proposed new state): every
/// attribute not named is null.
fn config() -> DynamicValue {
    DynamicValue::Json(
        json!({"cluster_name": CLUSTER, "key_arn": KEY})
            .to_string()
            .into_bytes(),
    )
}

/// Plan, then re-plan and apply in a fresh process, as `terraform apply`
/// does for a new resource. Returns the calls by operation and the poll times.
async fn associate_once(duration: Duration) -> Result<(BTreeMap<String, u64>, Vec<f64>), String> {
    let sim: Shared = Arc::new(Mutex::new(Sim {
        duration,
        started: None,
        t0: Instant::now(),
        calls: BTreeMap::new(),
        polls: Vec::new(),
    }));
    let null = DynamicValue::null();
    let cfg = config();
    let plan_req = PlanResourceChangeRequest {
        prior_identity: None,
        type_name: TYPE_NAME.into(),
        prior_state: null.clone(),
        proposed_new_state: cfg.clone(),
        config: cfg.clone(),
        prior_private: Vec::new(),
        client_capabilities: Default::default(),
    };
    let plan_process = Process::new(&sim);
    let planned = resource::plan(&plan_process.ctx(), &plan_req).await;
    if planned.diagnostics.has_errors() || planned.planned_state.as_ref() == Some(&null) {
        return Err(format!("plan failed: {:?}", planned.diagnostics));
    }
    let apply_process = Process::new(&sim);
    let replanned = resource::plan(&apply_process.ctx(), &plan_req).await;
    let Some(planned_state) = replanned.planned_state.filter(|s| *s != null) else {
        return Err(format!("re-plan failed: {:?}", replanned.diagnostics));
    };
    let apply_req = ApplyResourceChangeRequest {
        planned_identity: None,
        type_name: TYPE_NAME.into(),
        prior_state: null.clone(),
        planned_state,
        config: cfg,
        planned_private: Vec::new(),
    };
    let applied = resource::apply(&apply_process.ctx(), &apply_req).await;
    if applied.diagnostics.has_errors() || applied.new_state.as_ref() == Some(&null) {
        return Err(format!("apply failed: {:?}", applied.diagnostics));
    }
    let sim = lock(&sim);
    Ok((sim.calls.clone(), sim.polls.clone()))
}

fn main() -> ExitCode {
    let mut out: Option<PathBuf> = None;
    let mut minutes: u64 = 55;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--out" => out = args.next().map(PathBuf::from),
            "--update-minutes" => match args.next().and_then(|v| v.parse().ok()) {
                Some(m) => minutes = m,
                None => {
                    eprintln!("apply_calls: --update-minutes needs a number");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("apply_calls: unknown argument {other:?}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("apply_calls: nothing to do without --out; run scripts/bench");
        return ExitCode::SUCCESS;
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("apply_calls: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let instant = associate_once(Duration::ZERO).await?;
        let long = associate_once(Duration::from_secs(minutes * 60)).await?;
        Ok::<_, String>((instant, long))
    });
    let ((instant, _), (long, polls)) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("apply_calls: {e}");
            return ExitCode::FAILURE;
        }
    };
    let gaps: Vec<f64> = polls.windows(2).map(|w| w[1] - w[0]).collect();
    let max_gap = gaps.iter().copied().fold(0.0, f64::max);
    let total = |c: &BTreeMap<String, u64>| c.values().sum::<u64>();
    let polls_n = long.get("DescribeUpdate").copied().unwrap_or(0);
    let report = json!({
        "update_minutes": minutes,
        "scenarios": [
            {
                "name": "associate",
                "description": "One new association through the provider's code (plan; then re-plan and apply in a fresh process), update finished at the first poll",
                "calls": instant,
                "total": total(&instant),
                "headline": "AWS calls per association (plan, re-plan, apply; mocked, update done at once)",
                "headline_value": total(&instant).to_string(),
            },
            {
                "name": "associate_long",
                "description": format!("The same with an update that runs {minutes} minutes (simulated)"),
                "calls": long,
                "total": total(&long),
                "note": format!("the longest gap between two DescribeUpdate calls is {max_gap:.0} s"),
                "headline": format!("DescribeUpdate calls while a {minutes}-minute association runs"),
                "headline_value": format!("{polls_n} (longest gap {max_gap:.0} s)"),
                "poll_times_s": polls,
            }
        ]
    });
    if let Err(e) = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("apply_calls.json"), report.to_string()))
    {
        eprintln!("apply_calls: writing {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "apply_calls: one association {} calls {:?}; {minutes}-minute update: {polls_n} DescribeUpdate, {} calls in all",
        total(&instant),
        instant,
        total(&long)
    );
    ExitCode::SUCCESS
}
