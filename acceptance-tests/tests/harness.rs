//! Self-tests of the acceptance-test harness. None of them needs the
//! provider: `harness_cores_*` and `harness_terraform_*` need a Terraform
//! core, `harness_emulator_*` need the emulator (`scripts/install-deps`).

use std::path::Path;
use std::time::Duration;

use acceptance_tests::context::{each_core_with, ContextOptions};
use acceptance_tests::cores::{self, CoreError, Feature};
use acceptance_tests::emulator::{Fault, RequestRecord};
use acceptance_tests::error::Error;
use acceptance_tests::interrupt::{self, InterruptOptions};
use acceptance_tests::steps::{Runner, StepError};
use acceptance_tests::terraform::TerraformError;
use acceptance_tests::{ensure, Action, ClusterSpec, Emulator, KeySpec, Step, TestCase};
use serde_json::json;

fn no_provider_no_emulator() -> ContextOptions {
    ContextOptions {
        provider: false,
        emulator: None,
    }
}

#[test]
fn harness_cores_discovery() {
    let found = cores::discover().unwrap_or_else(|e| panic!("{e}"));
    println!(
        "discovered: {}",
        found
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(!found.is_empty());
    assert!(
        found
            .windows(2)
            .all(|w| (w[0].kind, &w[0].version) < (w[1].kind, &w[1].version)),
        "sorted by kind and version, deduplicated"
    );
    for core in &found {
        assert!(core.path.is_absolute(), "{}", core.label());
        assert!(core.version.major >= 1, "{}", core.label());
    }

    // TF_ACC_CORES adds to the default list; a colon separates entries.
    let newest = found.last().unwrap();
    let sources = |extra: Option<String>, only_extra: bool, cache: &str| cores::Sources {
        extra,
        only_extra,
        path_var: Some("/nonexistent".into()),
        cache: Path::new(cache).to_path_buf(),
    };
    let with_extra = cores::discover_from(&sources(
        Some(format!(
            "{}:{}",
            newest.path.display(),
            newest.path.display()
        )),
        false,
        "/nonexistent/cores",
    ))
    .unwrap();
    assert_eq!(with_extra, vec![newest.clone()]);

    // TF_ACC_CORES_ONLY=1: the extra cores replace the default list.
    let only = cores::discover_from(&sources(
        Some(newest.path.display().to_string()),
        true,
        "/nonexistent/cores",
    ))
    .unwrap();
    assert_eq!(only, vec![newest.clone()]);

    // Nothing found: the message says what is missing and how to install it.
    let err = cores::discover_from(&sources(None, false, "/nonexistent/tf")).unwrap_err();
    assert!(matches!(err, CoreError::NoneFound { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("scripts/install-deps") && msg.contains("/nonexistent/tf"),
        "{msg}"
    );

    // A bad TF_ACC_CORES entry is reported, not skipped.
    let err = cores::discover_from(&sources(Some("/nonexistent/terraform".into()), false, "/x"))
        .unwrap_err();
    assert!(matches!(err, CoreError::NotExecutable { .. }), "{err}");
}

/// The step discipline on provider-free configurations: outputs everywhere,
/// `terraform_data` where the core has it.
#[test]
fn harness_terraform_steps_without_provider() {
    each_core_with(
        "harness_terraform_steps_without_provider",
        &no_provider_no_emulator(),
        |ctx| {
            let td = ctx.supports(Feature::TerraformData);
            let mut body = String::from("output \"greeting\" {\n  value = \"hello\"\n}\n");
            if td {
                body.push_str("resource \"terraform_data\" \"x\" {\n  input = \"a\"\n}\n");
            } else {
                ctx.skip("terraform_data checks", Feature::TerraformData);
            }
            let mut first = Step::raw(body.clone()).check_state("output recorded", |s| {
                ensure!(
                    s.json.pointer("/values/outputs/greeting/value") == Some(&json!("hello")),
                    "outputs: {:?}",
                    s.json.pointer("/values/outputs")
                );
                Ok(())
            });
            if td {
                first = first
                    .expect_action("terraform_data.x", Action::Create)
                    .attr_eq("terraform_data.x", "input", "a")
                    .attr_set("terraform_data.x", "id");
            }
            TestCase::new(vec![
                first,
                Step::raw(format!(
                    "{body}\noutput \"bad\" {{\n  value = local.missing\n}}\n"
                ))
                .expect_error_at(
                    acceptance_tests::Phase::Plan,
                    "Reference to undeclared local value",
                ),
            ])
            .run(ctx)?;

            // An expected-error step whose commands succeed must fail.
            let mut runner = Runner::new(ctx);
            let r = runner.step(&Step::raw(body.clone()).expect_error("this error never happens"));
            ensure!(
                matches!(r, Err(Error::Step(StepError::UnexpectedSuccess { .. }))),
                "expected UnexpectedSuccess, got {r:?}"
            );
            // A wrong diagnostic is a mismatch, not a pass.
            let r = runner.step(
                &Step::raw(format!(
                    "{body}\noutput \"bad\" {{\n  value = local.missing\n}}\n"
                ))
                .expect_error("some other error"),
            );
            ensure!(
                matches!(r, Err(Error::Step(StepError::WrongError { .. }))),
                "expected WrongError, got {r:?}"
            );
            // A configuration that never converges is caught by the empty-plan checks.
            if td {
                let r = runner.step(&Step::raw(
                "resource \"terraform_data\" \"x\" {\n  input = \"a\"\n  triggers_replace = timestamp()\n}\n",
            ));
                ensure!(
                    matches!(r, Err(Error::Step(StepError::NonEmptyPlan { .. }))),
                    "expected NonEmptyPlan, got {r:?}"
                );
            }
            // A failing command outside a step reports its output.
            ctx.write_raw_config(&format!(
                "{body}\noutput \"bad\" {{\n  value = local.missing\n}}\n"
            ))?;
            let out = ctx.tf(&["plan"])?;
            let err = out.clone().expect_success().unwrap_err();
            ensure!(
                matches!(err, TerraformError::Failed { .. })
                    && err.to_string().contains("local.missing"),
                "{err}"
            );
            out.expect_error("Reference to undeclared local value")?;

            ctx.write_raw_config(&body)?;
            ctx.tf_ok(&["destroy", "-auto-approve"])?;
            ensure!(ctx.state()?.managed_addresses().is_empty(), "destroyed");
            Ok(())
        },
    );
}

/// SIGINT mechanics: a local-exec that waits is interrupted once it started.
#[test]
fn harness_terraform_interrupt() {
    each_core_with(
        "harness_terraform_interrupt",
        &no_provider_no_emulator(),
        |ctx| {
            if !ctx.supports(Feature::TerraformData) {
                ctx.skip(
                    "the interrupt self-test (uses terraform_data + local-exec)",
                    Feature::TerraformData,
                );
                return Ok(());
            }
            ctx.write_raw_config(
            "resource \"terraform_data\" \"slow\" {\n  provisioner \"local-exec\" {\n    command = \"touch started && sleep 60\"\n  }\n}\n",
        )?;
            let marker = ctx.dir().join("started");
            let opts = InterruptOptions {
                trigger_timeout: Duration::from_secs(60),
                exit_timeout: Duration::from_secs(30),
                ..InterruptOptions::default()
            };
            let r = interrupt::interrupt_when(ctx, &opts, || interrupt::exists(&marker))?;
            ctx.note(&format!(
                "interrupted after {:?}: exit {:?}",
                r.signalled_after, r.output.code
            ));
            ensure!(
                !r.output.success(),
                "an interrupted apply does not succeed:\n{}",
                r.output.report()
            );
            ensure!(
                r.output.normalized().contains("Interrupt received"),
                "Terraform saw the interrupt:\n{}",
                r.output.report()
            );
            Ok(())
        },
    );
}

fn emulator() -> Emulator {
    Emulator::start().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn harness_emulator_starts_and_stops() {
    let a = emulator();
    let b = emulator();
    assert_ne!(a.url(), b.url(), "each emulator has its own port");
    assert!(a.url().starts_with("http://127.0.0.1:"), "{}", a.url());
    assert!(a.health().unwrap());
    let pid = a.pid();
    drop(a);
    // The process is gone once dropped.
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "emulator {pid} still running"
    );
    assert!(b.health().unwrap());
}

#[test]
fn harness_emulator_keys_clusters_and_request_log() {
    let em = emulator();
    let key = em
        .create_key(&KeySpec::symmetric().alias("alias/harness"))
        .unwrap();
    assert!(
        key.key_arn
            .starts_with("arn:aws:kms:us-east-1:123456789012:key/"),
        "{key:?}"
    );
    assert_eq!(
        key.alias_arn.as_deref(),
        Some("arn:aws:kms:us-east-1:123456789012:alias/harness")
    );
    let plain = em.create_cluster(&ClusterSpec::new("plain")).unwrap();
    assert_eq!(plain.name, "plain");
    assert!(plain.arn.contains(":cluster/plain"), "{plain:?}");
    let with_key = em
        .create_cluster(&ClusterSpec::new("with-key").key_arn("alias/harness"))
        .unwrap();
    assert_eq!(with_key.status, "ACTIVE");

    // Control calls are not logged.
    assert!(em.requests().unwrap().is_empty());

    // The alias was resolved to the key ARN.
    assert_eq!(
        em.cluster_key_arn("with-key", "us-east-1").unwrap(),
        Some(key.key_arn.clone())
    );
    assert_eq!(em.cluster_key_arn("plain", "us-east-1").unwrap(), None);
    let log = em.requests().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].operation, "DescribeCluster");
    assert_eq!(log[0].service, "eks");
    assert_eq!(log[0].status, Some(200));
    assert_eq!(em.count("DescribeCluster").unwrap(), 2);
    assert!(em.mutating_calls().unwrap().is_empty());

    // Out-of-band association (drift) shows up, unlogged.
    em.associate_out_of_band("plain", &key.key_arn, "us-east-1")
        .unwrap();
    assert_eq!(
        em.cluster_key_arn("plain", "us-east-1").unwrap(),
        Some(key.key_arn.clone())
    );
    assert_eq!(em.count("DescribeCluster").unwrap(), 3);

    em.clear_requests().unwrap();
    assert!(em.requests().unwrap().is_empty());

    // Unknown cluster: a 404 from EKS.
    let err = em.describe_cluster("ghost", "us-east-1").unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");

    // Out-of-band deletion.
    em.delete_cluster("plain", "us-east-1").unwrap();
    assert!(em.describe_cluster("plain", "us-east-1").is_err());

    // Key states and kinds.
    em.set_key_state(&key.key_id, "Disabled").unwrap();
    em.create_key(&KeySpec::symmetric().key_spec("RSA_2048"))
        .unwrap();
    em.create_key(
        &KeySpec::symmetric()
            .key_spec("ECC_NIST_P256")
            .key_usage("SIGN_VERIFY"),
    )
    .unwrap();
    em.create_key(&KeySpec::symmetric().alias("alias/aws/eks"))
        .unwrap();
    em.create_key(&KeySpec::symmetric().aws_managed().region("us-west-2"))
        .unwrap();

    // Reset forgets everything.
    em.reset().unwrap();
    assert!(em.describe_cluster("with-key", "us-east-1").is_err());
}

#[test]
fn harness_emulator_health_issues_grants_and_bulk_clusters() {
    let em = emulator();
    let key = em.create_key(&KeySpec::symmetric()).unwrap();
    let created = em
        .create_clusters("bulk-", 150, Some(&key.key_arn), "us-east-1")
        .unwrap();
    assert_eq!(created.len(), 150);
    assert_eq!(created[149].name, "bulk-0149");
    let named = em
        .create_clusters_named(
            &[("named-a", None), ("named-b", Some(&key.key_arn))],
            "us-east-1",
        )
        .unwrap();
    assert_eq!(
        named.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["named-a", "named-b"]
    );
    // An existing name fails the whole request.
    let err = em
        .create_clusters_named(&[("fresh", None), ("named-a", None)], "us-east-1")
        .unwrap_err();
    assert!(err.to_string().contains("409"), "{err}");

    assert_eq!(
        em.cluster_health_issues("bulk-0007", "us-east-1").unwrap(),
        []
    );
    assert_eq!(
        em.cluster_health_issues("named-a", "us-east-1").unwrap(),
        []
    );

    let grant = em.revoke_eks_grant("bulk-0007", "us-east-1").unwrap();
    assert_eq!(grant.key_arn, key.key_arn);
    let issues = em.cluster_health_issues("bulk-0007", "us-east-1").unwrap();
    assert_eq!(
        issues.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
        ["KmsGrantRevoked"]
    );
    assert_eq!(issues[0].resource_ids, vec![key.key_arn.clone()]);
    // The other clusters keep their own grants.
    assert_eq!(
        em.cluster_health_issues("bulk-0008", "us-east-1").unwrap(),
        []
    );

    em.set_key_state(&key.key_id, "Disabled").unwrap();
    let codes: Vec<String> = em
        .cluster_health_issues("bulk-0008", "us-east-1")
        .unwrap()
        .into_iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(codes, ["KmsKeyDisabled"]);
    em.delete_key(&key.key_arn, "us-east-1").unwrap();
    let codes: Vec<String> = em
        .cluster_health_issues("named-b", "us-east-1")
        .unwrap()
        .into_iter()
        .map(|i| i.code)
        .collect();
    assert_eq!(codes, ["KmsKeyNotFound"]);

    em.set_list_clusters_page_size(25).unwrap();
    em.delete_after_list(&["bulk-0001"]).unwrap();
    let config = em.config().unwrap();
    assert_eq!(config["list_clusters_page_size"], 25);
    assert_eq!(config["delete_after_list"], json!(["bulk-0001"]));
}

#[test]
fn harness_emulator_config_updates_and_faults() {
    let em = emulator();
    em.create_cluster(&ClusterSpec::new("busy")).unwrap();
    em.set_update_duration(0.5).unwrap();
    em.fail_next_update("AccessDenied", "simulated").unwrap();
    em.set_config(&json!({"fail_next_update": null, "disable_key_mid_update": false}))
        .unwrap();
    let id = em.start_update("busy", "us-east-1", 1.0).unwrap();
    assert!(!id.is_empty());
    assert_eq!(
        em.describe_cluster("busy", "us-east-1").unwrap()["status"],
        json!("UPDATING")
    );

    em.add_fault(&Fault::new("DescribeCluster", "server_error", 1))
        .unwrap();
    let err = em.describe_cluster("busy", "us-east-1").unwrap_err();
    assert!(err.to_string().contains("500"), "{err}");
    em.add_fault(&Fault::new("DescribeCluster", "throttle", 5))
        .unwrap();
    em.clear_faults().unwrap();
    em.describe_cluster("busy", "us-east-1").unwrap();

    let log = em.requests().unwrap();
    assert_eq!(
        log.iter().filter(|r| r.status == Some(500)).count(),
        1,
        "{log:?}"
    );
    let seqs: Vec<u64> = log.iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // The update finishes on its own.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        em.describe_cluster("busy", "us-east-1").unwrap()["status"],
        json!("ACTIVE")
    );
    let waited = em
        .wait_for_operation("DescribeCluster", 0, Duration::from_secs(1))
        .unwrap();
    assert_eq!(waited.seq, 1);
    assert!(em
        .wait_for_operation("AssociateEncryptionConfig", 0, Duration::from_millis(200))
        .is_err());
}

#[test]
fn harness_emulator_mutating_classification() {
    let record = |op: &str| RequestRecord {
        seq: 1,
        service: "eks".into(),
        operation: op.into(),
        method: "POST".into(),
        path: "/".into(),
        status: Some(200),
        region: "us-east-1".into(),
        request_id: None,
        body: None,
        time: None,
        access_key_id: None,
        account: None,
    };
    assert!(record("AssociateEncryptionConfig").is_mutating());
    assert!(record("UpdateClusterConfig").is_mutating());
    assert!(!record("DescribeUpdate").is_mutating());
    assert!(!record("ListAliases").is_mutating());
    assert!(!record("GetCallerIdentity").is_mutating());
}
