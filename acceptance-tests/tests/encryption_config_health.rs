//! Issue 19: what EKS itself reports about a cluster's key
//! (DescribeCluster's `health.issues`) in both data sources, on every core,
//! and the `eks_encryption_config_check` action run from a resource's
//! `lifecycle.action_trigger` (Terraform 1.14+).

use acceptance_tests::context::TestContext;
use acceptance_tests::{
    each_core, ensure, Action, ClusterSpec, Destroy, Feature, KeySpec, Phase, Result, Step,
    TestCase,
};
use serde_json::{json, Value};

const X: &str = "eks_encryption_config.x";
const REVOKED_WARNING: &str = "Warning: EKS reports KmsGrantRevoked";
const UNPROTECTED: &str = "  deletion_protection = false\n";
const STAYS: &str = "Warning: Customer managed key stays on the cluster";

fn output(ctx: &TestContext, name: &str) -> Result<Value> {
    Ok(ctx.tf_ok(&["output", "-json", name])?.json()?)
}

#[test]
fn encryption_configs_health_issues() {
    each_core("encryption_configs_health_issues", |ctx| {
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/ok"))?;
        let lost = em.create_key(&KeySpec::symmetric().alias("alias/lost"))?;
        em.create_cluster(&ClusterSpec::new("healthy").key_arn(&key.key_arn))?;
        em.create_cluster(&ClusterSpec::new("revoked").key_arn(&lost.key_arn))?;
        em.create_cluster(&ClusterSpec::new("plain"))?;
        em.revoke_eks_grant("revoked", "us-east-1")?;
        let config = r#"data "eks_encryption_config" "revoked" {
  cluster_name = "revoked"
}

data "eks_encryption_config" "healthy" {
  cluster_name = "healthy"
}

data "eks_encryption_configs" "all" {}

output "revoked" {
  value = data.eks_encryption_config.revoked.health_issues
}

output "healthy" {
  value = data.eks_encryption_config.healthy.health_issues
}

output "all" {
  value = { for c in data.eks_encryption_configs.all.clusters : c.cluster_name => c.health_issues }
}
"#;
        TestCase::new(vec![Step::new(config)
            .expect_plan_warning(REVOKED_WARNING)
            .expect_plan_warning("unrecoverable")
            .after(|ctx| {
                let revoked = output(ctx, "revoked")?;
                ensure!(revoked == json!(["KmsGrantRevoked"]), "revoked: {revoked}");
                let healthy = output(ctx, "healthy")?;
                ensure!(healthy == json!([]), "healthy: {healthy}");
                let all = output(ctx, "all")?;
                ensure!(
                    all == json!({"healthy": [], "plain": [], "revoked": ["KmsGrantRevoked"]}),
                    "eks_encryption_configs: {all}"
                );
                ctx.assert_no_mutating_calls()
            })])
        .destroy(Destroy::new())
        .run(ctx)
    });
}

/// The resource, with an action triggered after create (and `extra` lines).
fn triggered(key: &str, events: &str, extra: &str) -> String {
    format!(
        r#"resource "eks_encryption_config" "x" {{
  cluster_name = "demo"
  key_arn      = "{key}"
{extra}
  lifecycle {{
    action_trigger {{
      events  = [{events}]
      actions = [action.eks_encryption_config_check.c]
    }}
  }}
}}

action "eks_encryption_config_check" "c" {{
  config {{
    cluster_name = eks_encryption_config.x.cluster_name
  }}
}}
"#
    )
}

#[test]
fn encryption_config_check_action_trigger() {
    each_core("encryption_config_check_action_trigger", |ctx| {
        if !ctx.supports(Feature::Actions) {
            ctx.skip("lifecycle.action_trigger", Feature::Actions);
            return Ok(());
        }
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        em.create_cluster(&ClusterSpec::new("demo"))?;
        let k = key.key_arn.clone();
        let disable_id = key.key_id.clone();
        let enable_id = key.key_id.clone();
        TestCase::new(vec![
            Step::new(triggered(&k, "after_create", ""))
            .named("associate, then the check runs")
            .expect_action(X, Action::Create)
            .attr_eq(X, "key_type", "CUSTOMER_MANAGED")
            // The action's progress events and its completion are printed
            // by the apply.
            .expect_apply_warning(
                r#"Action action\.eks_encryption_config_check\.c \(triggered by eks_encryption_config\.x\): .*Reading cluster "demo""#,
            )
            .expect_apply_warning(r#"Cluster "demo": no problem found"#)
            .import_verify(X, "demo", &["timeouts"])
            .after(|ctx| ctx.assert_count("AssociateEncryptionConfig", 1)),
            // The key is disabled out of band; an update (deletion
            // protection off, a change in state only) triggers the check,
            // which fails the apply naming the cluster and the key.
            Step::new(triggered(&k, "after_create, after_update", UNPROTECTED))
                .named("key disabled out of band, then an update")
                .before(move |ctx| Ok(ctx.emulator().set_key_state(&disable_id, "Disabled")?))
                .expect_error_at(
                    Phase::Apply,
                    &format!(
                        r#"Error when invoking action.*Encryption check failed.*Cluster "demo", key {}"#,
                        regex::escape(&k)
                    ),
                ),
            // Key enabled again: nothing left to change, nothing triggered.
            Step::new(triggered(&k, "after_create, after_update", UNPROTECTED))
                .named("key enabled again")
                .before(move |ctx| Ok(ctx.emulator().set_key_state(&enable_id, "Enabled")?))
                // Step 2's update was applied before the action ran.
                .expect_action(X, Action::NoOp)
                .attr_eq(X, "deletion_protection", false)
                .after(|ctx| ctx.assert_count("AssociateEncryptionConfig", 1)),
        ])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}
