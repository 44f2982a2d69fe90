//! AWS calls per refreshed plan are deterministic, so they are asserted here
//! (issue 6); the timings of `scripts/bench` are not.
//!
//! A plan should cost one DescribeCluster per resource (the refresh and the
//! plan share it) and one DescribeKey per distinct key (cached across the
//! resources that share it), and never anything mutating.

use acceptance_tests::{each_core, ensure, ClusterSpec, KeySpec};

const CLUSTERS: usize = 5;
const KEYS: [&str; 2] = ["alias/calls-a", "alias/calls-b"];

#[test]
fn encryption_config_api_calls_per_plan() {
    each_core("encryption_config_api_calls_per_plan", |ctx| {
        let em = ctx.emulator();
        em.set_update_duration(0.0)?;
        for alias in KEYS {
            em.create_key(&KeySpec::symmetric().alias(alias))?;
        }
        for i in 0..CLUSTERS {
            em.create_cluster(&ClusterSpec::new(&format!("calls-{i}")))?;
        }
        ctx.write_config(&format!(
            r#"resource "eks_encryption_config" "this" {{
  count        = {CLUSTERS}
  cluster_name = "calls-${{count.index}}"
  key_arn      = count.index % 2 == 0 ? "{}" : "{}"
}}
"#,
            KEYS[0], KEYS[1]
        ))?;
        ctx.tf_ok(&["apply", "-auto-approve"])?;
        em.clear_requests()?;

        let plan = ctx.tf(&["plan", "-detailed-exitcode"])?;
        ensure!(
            plan.code == Some(0),
            "the refreshed plan after apply should report no changes (exit 0), got {:?}\n{}",
            plan.code,
            plan.report()
        );
        ctx.assert_count("DescribeCluster", CLUSTERS)?;
        ctx.assert_count("DescribeKey", KEYS.len())?;
        ctx.assert_no_mutating_calls()?;
        ctx.note(&format!(
            "refreshed plan of {CLUSTERS} resources over {} keys: {} AWS request(s)",
            KEYS.len(),
            em.requests()?.len()
        ));
        Ok(())
    });
}

/// Issue 9: the AWS calls of one association, `apply` of a saved plan (the
/// apply-time re-plan included), as a figure. The plan's reads are cached
/// and the apply re-reads the cluster and the key once, right before the
/// irreversible call (the re-check), then the cluster once more to record
/// the result.
#[test]
fn encryption_config_api_calls_per_association() {
    each_core("encryption_config_api_calls_per_association", |ctx| {
        let em = ctx.emulator();
        em.set_update_duration(0.0)?;
        em.create_key(&KeySpec::symmetric().alias("alias/one"))?;
        em.create_cluster(&ClusterSpec::new("one"))?;
        ctx.write_config(
            "resource \"eks_encryption_config\" \"this\" {\n  cluster_name = \"one\"\n  key_arn      = \"alias/one\"\n  deletion_protection = false\n}\n",
        )?;
        ctx.tf_ok(&["plan", "-out=tfplan"])?;
        em.clear_requests()?;
        ctx.tf_ok(&["apply", "tfplan"])?;
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for r in em.requests()? {
            *counts.entry(r.operation).or_default() += 1;
        }
        ctx.note(&format!(
            "calls of one association (apply of a saved plan): {counts:?}"
        ));
        for (op, n) in [
            ("DescribeCluster", 3),
            ("DescribeKey", 2),
            ("GetKeyRotationStatus", 1),
            ("ListUpdates", 1),
            ("AssociateEncryptionConfig", 1),
            ("DescribeUpdate", 1),
            // The association preflight (issue 10) of the plan Terraform
            // makes again at apply: one CreateGrant with DryRun, which KMS
            // never carries out.
            ("CreateGrant", 1),
        ] {
            ctx.assert_count(op, n)?;
        }
        Ok(())
    });
}
