//! Issue 9: the guard under real AWS timing and change, on every core.
//!
//! Each scenario changes AWS between the steps Terraform takes (a saved
//! plan and its apply, two applies, a refresh), as real AWS does over a
//! 45-60 minute association, and asserts through the emulator's request log
//! that nothing irreversible was sent that the plan did not show.

use acceptance_tests::context::TestContext;
use acceptance_tests::emulator::{Cluster, Fault, Key};
use std::time::Duration;

use acceptance_tests::steps::Runner;
use acceptance_tests::terraform::read_lossy;
use acceptance_tests::{
    each_core, ensure, Action, ClusterSpec, Destroy, KeySpec, Result, Step, TfOutput,
};

const THIS: &str = "eks_encryption_config.this";
const ASSOCIATE: &str = "AssociateEncryptionConfig";
const UNPROTECTED: &str = "  deletion_protection = false\n";

fn this(cluster: &str, key: &str, extra: &str) -> String {
    format!(
        "resource \"eks_encryption_config\" \"this\" {{\n  cluster_name = \"{cluster}\"\n  key_arn      = \"{key}\"\n{extra}}}\n"
    )
}

/// Cluster `demo` (no CMK), key A behind `alias/eks`, and key B.
fn setup(ctx: &TestContext) -> Result<(Cluster, Key, Key)> {
    let a = ctx
        .emulator()
        .create_key(&KeySpec::symmetric().alias("alias/eks"))?;
    let b = ctx.emulator().create_key(&KeySpec::symmetric())?;
    let cluster = ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
    Ok((cluster, a, b))
}

/// `plan -out=tfplan`, which must succeed and show key `planned`.
fn saved_plan(ctx: &TestContext, planned: &str) -> Result<()> {
    let plan = ctx.tf(&["plan", "-out=tfplan"])?;
    ensure!(plan.success(), "plan failed:\n{}", plan.report());
    ensure!(
        plan.combined().contains(planned),
        "the plan does not show the key {planned}:\n{}",
        plan.report()
    );
    Ok(())
}

/// The alias moves to another key between `plan -out` and `apply`: the
/// apply is refused and nothing is sent. Terraform re-plans at apply time
/// and the provider, resolving the alias again, plans key B; Terraform's
/// final-plan check then refuses, naming the old and the new key (the
/// provider cannot see the saved plan in that re-plan; see the report of
/// issue 9). An alias moved later, while the apply waits, is refused by the
/// provider itself (`encryption_config_alias_moved_during_wait`).
#[test]
fn encryption_config_alias_moved() {
    each_core("encryption_config_alias_moved", |ctx| {
        let (_, a, b) = setup(ctx)?;
        ctx.write_config(&this("demo", "alias/eks", UNPROTECTED))?;
        saved_plan(ctx, &a.key_arn)?;
        ctx.emulator().clear_requests()?;
        ctx.emulator().retarget_alias("alias/eks", &b.key_arn)?;
        let apply = ctx.tf(&["apply", "tfplan"])?;
        ensure!(!apply.success(), "the apply succeeded:\n{}", apply.report());
        let out = apply.normalized();
        ensure!(
            out.contains(&a.key_arn) && out.contains(&b.key_arn),
            "the refusal must name the planned key and the key the alias names now:\n{}",
            apply.report()
        );
        ctx.assert_count(ASSOCIATE, 0)?;
        ctx.assert_no_mutating_calls()?;
        ensure!(
            ctx.state()?.resource(THIS).is_none(),
            "nothing may be recorded"
        );
        Ok(())
    });
}

/// The alias moves while the apply waits for another update: the provider
/// re-resolves the key right before associating and refuses with its own
/// diagnostic on key_arn; nothing is sent.
#[test]
fn encryption_config_alias_moved_during_wait() {
    each_core("encryption_config_alias_moved_during_wait", |ctx| {
        let (_, a, b) = setup(ctx)?;
        ctx.write_config(&this("demo", "alias/eks", UNPROTECTED))?;
        saved_plan(ctx, &a.key_arn)?;
        // Another update runs when the apply starts; the alias moves while
        // the apply waits for it.
        ctx.emulator().start_update("demo", "us-east-1", 3.0)?;
        ctx.emulator().clear_requests()?;
        let apply = apply_while(ctx, |ctx| {
            // The apply is waiting once it has described the other update.
            // The re-plan at apply describes it first (#0, before it resolves
            // the alias: DescribeCluster, ListUpdates, DescribeUpdate,
            // DescribeKey, ...), so the apply's wait is #1; moving the alias
            // at #0 raced the re-plan's DescribeKey on a loaded machine.
            ctx.emulator()
                .wait_for_operation("DescribeUpdate", 1, Duration::from_secs(60))?;
            ctx.emulator().retarget_alias("alias/eks", &b.key_arn)?;
            Ok(())
        })?;
        ensure!(!apply.success(), "the apply succeeded:\n{}", apply.report());
        ensure!(
            apply
                .normalized()
                .contains("Error: key_arn resolves to another key than planned"),
            "expected the provider's diagnostic:\n{}",
            apply.report()
        );
        ctx.assert_count(ASSOCIATE, 0)?;
        Ok(())
    });
}

/// Runs `terraform apply tfplan` and, while it runs, `during`.
fn apply_while(
    ctx: &TestContext,
    during: impl FnOnce(&TestContext) -> Result<()>,
) -> Result<TfOutput> {
    let dir = ctx.dir();
    let (mut child, out, err) = ctx.terraform.spawn(&dir, &["apply", "tfplan"])?;
    let result = during(ctx);
    let status = child.wait();
    let output = TfOutput {
        command: "terraform apply tfplan".into(),
        dir,
        code: status.ok().and_then(|s| s.code()),
        stdout: read_lossy(&out),
        stderr: read_lossy(&err),
    };
    result?;
    Ok(output)
}

/// The key is disabled between `plan -out` and `apply`: refused with the
/// plan's message, nothing sent.
#[test]
fn encryption_config_key_disabled_before_apply() {
    each_core("encryption_config_key_disabled_before_apply", |ctx| {
        let (_, a, _) = setup(ctx)?;
        ctx.write_config(&this("demo", &a.key_arn, UNPROTECTED))?;
        saved_plan(ctx, &a.key_arn)?;
        ctx.emulator().clear_requests()?;
        ctx.emulator().set_key_state(&a.key_arn, "Disabled")?;
        let apply = ctx.tf(&["apply", "tfplan"])?;
        ensure!(!apply.success(), "the apply succeeded:\n{}", apply.report());
        ensure!(
            apply.normalized().contains("Error: KMS key not usable")
                && apply.normalized().contains("is disabled"),
            "expected the key check's message:\n{}",
            apply.report()
        );
        ctx.assert_count(ASSOCIATE, 0)?;
        ctx.assert_no_mutating_calls()?;
        Ok(())
    });
}

/// A short timeout: the message names the configured time and the update;
/// the next apply waits for that same update: one association in all.
#[test]
fn encryption_config_short_timeout() {
    each_core("encryption_config_short_timeout", |ctx| {
        let (_, a, _) = setup(ctx)?;
        ctx.emulator().set_update_duration(4.0)?;
        let short = format!("{UNPROTECTED}  timeouts {{\n    create = \"1s\"\n  }}\n");
        ctx.write_config(&this("demo", &a.key_arn, &short))?;
        let first = ctx.tf(&["apply", "-auto-approve"])?;
        ensure!(!first.success(), "expected a timeout:\n{}", first.report());
        let out = first.normalized();
        ensure!(
            out.contains("Error: Timed out waiting for EKS")
                && out.contains("Waited 1s (timeouts.create)")
                && out.contains("keeps working on it")
                && out.contains("without a second association"),
            "the timeout message must name the configured time and what happens next:\n{}",
            first.report()
        );
        let update = ctx.emulator().requests_for(ASSOCIATE)?;
        ensure!(update.len() == 1, "one association sent: {update:?}");
        let arn = a.key_arn.clone();
        let mut run = Runner::new(ctx);
        run.step(
            &Step::new(this("demo", &a.key_arn, UNPROTECTED))
                .named("the next apply resumes")
                .expect_action(THIS, Action::Create)
                .attr_eq(THIS, "resolved_key_arn", a.key_arn.as_str())
                .import_verify(THIS, "demo", &["deletion_protection", "timeouts"])
                .after(move |ctx| {
                    ctx.assert_count(ASSOCIATE, 1)?;
                    let key = ctx.emulator().cluster_key_arn("demo", "us-east-1")?;
                    ensure!(key.as_deref() == Some(arn.as_str()), "cluster key {key:?}");
                    Ok(())
                }),
        )?;
        run.destroy(&Destroy::new())
    });
}

/// The cluster is deleted and recreated under the same name (same ARN): the
/// association is planned again, as an in-place update, and applied.
#[test]
fn encryption_config_cluster_recreated() {
    each_core("encryption_config_cluster_recreated", |ctx| {
        let (cluster, a, _) = setup(ctx)?;
        ctx.emulator().set_update_duration(0.0)?;
        let config = this("demo", &a.key_arn, UNPROTECTED);
        let arn = cluster.arn.clone();
        let mut run = Runner::new(ctx);
        run.step(&Step::new(config.clone()).named("associate").attr_eq(
            THIS,
            "key_type",
            "CUSTOMER_MANAGED",
        ))?;
        run.step(
            &Step::new(config)
                .named("recreated cluster gets the key again")
                .before(move |ctx| {
                    let again = ctx.emulator().recreate_cluster("demo", "us-east-1")?;
                    ensure!(again.arn == arn, "the recreated cluster keeps its ARN");
                    ctx.emulator().clear_requests()?;
                    Ok(())
                })
                .expect_action(THIS, Action::Update)
                .expect_no_destroy(THIS)
                .attr_eq(THIS, "resolved_key_arn", a.key_arn.as_str())
                .after(|ctx| ctx.assert_count(ASSOCIATE, 1)),
        )?;
        run.destroy(&Destroy::new())
    });
}

/// Refresh gets ClientException "No cluster found for name": the resource
/// is dropped from state cleanly, as for ResourceNotFoundException.
#[test]
fn encryption_config_client_exception_refresh() {
    each_core("encryption_config_client_exception_refresh", |ctx| {
        let (_, a, _) = setup(ctx)?;
        ctx.emulator().set_update_duration(0.0)?;
        let config = this("demo", &a.key_arn, UNPROTECTED);
        let mut run = Runner::new(ctx);
        run.step(&Step::new(config.clone()).named("associate"))?;
        run.step(
            &Step::new(config)
                .named("refresh drops it")
                .before(|ctx| {
                    ctx.emulator().delete_cluster("demo", "us-east-1")?;
                    ctx.emulator().set_config(
                        &serde_json::json!({"missing_cluster_error": "ClientException"}),
                    )?;
                    Ok(())
                })
                .refresh_only()
                .resource_absent(THIS),
        )?;
        let log = ctx.emulator().requests_for("DescribeCluster")?;
        ensure!(
            log.iter().any(|r| r.status == Some(400)),
            "the refresh must have seen the ClientException: {log:?}"
        );
        ensure!(
            ctx.state()?.managed_addresses().is_empty(),
            "the state must be empty"
        );
        // Nothing is left to destroy (and the configuration names a cluster
        // that no longer exists).
        run.destroy(&Destroy::skip())
    });
}

/// An endpoint that accepts connections and never answers DescribeCluster:
/// the plan fails within the configured bound, naming the operation and
/// the endpoint.
#[test]
fn encryption_config_hung_endpoint() {
    each_core("encryption_config_hung_endpoint", |ctx| {
        let (_, a, _) = setup(ctx)?;
        ctx.emulator().add_fault(&Fault {
            latency_ms: Some(120_000),
            ..Fault::new("DescribeCluster", "hang", 1000)
        })?;
        let url = ctx.url();
        let config = format!(
            "terraform {{\n  required_providers {{\n    eks = {{\n      source = \"cmkguard/eks\"\n    }}\n  }}\n}}\n\nprovider \"eks\" {{\n  region            = \"us-east-1\"\n  attempt_timeout   = \"2s\"\n  operation_timeout = \"4s\"\n  endpoints {{\n    eks = \"{url}\"\n    kms = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n\n{}",
            this("demo", &a.key_arn, UNPROTECTED)
        );
        ctx.write_raw_config(&config)?;
        let started = std::time::Instant::now();
        let plan = ctx.tf(&["plan"])?;
        let took = started.elapsed();
        ensure!(!plan.success(), "the plan succeeded:\n{}", plan.report());
        let out = plan.normalized();
        ensure!(
            out.contains("DescribeCluster") && out.contains(ctx.url()) && out.contains("4s"),
            "the diagnostic must name the operation, the endpoint and the bound:\n{}",
            plan.report()
        );
        ensure!(
            took < Duration::from_secs(60),
            "the plan took {took:?}, far past the 4s bound"
        );
        Ok(())
    });
}
