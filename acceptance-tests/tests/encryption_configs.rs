//! Acceptance scenarios for the `eks_encryption_configs` data source and the
//! fleet adoption recipe of its docs: list the region's clusters, import
//! every one into `eks_encryption_config.this[NAME]`, associate the key
//! where there is none, then plan nothing.
//!
//! `import` blocks with `for_each` need Terraform 1.7; older cores run the
//! documented equivalent (`terraform import` per listed cluster).

use acceptance_tests::context::TestContext;
use acceptance_tests::{each_core, ensure, ClusterSpec, Feature, KeySpec, Result};
use serde_json::{json, Value};

const ASSOCIATE: &str = "AssociateEncryptionConfig";

/// The data source, a map by name, and the guarded resource per cluster.
fn fleet_config(key_arn: &str, import_blocks: bool) -> String {
    let imports = if import_blocks {
        "import {\n  for_each = local.clusters\n  to       = eks_encryption_config.this[each.key]\n  id       = each.key\n}\n\n"
    } else {
        ""
    };
    format!(
        r#"data "eks_encryption_configs" "fleet" {{
  name_prefix = "fleet-"
}}

locals {{
  clusters = {{ for c in data.eks_encryption_configs.fleet.clusters : c.cluster_name => c }}
}}

{imports}resource "eks_encryption_config" "this" {{
  for_each = local.clusters

  cluster_name = each.key
  key_arn      = coalesce(each.value.resolved_key_arn, "{key_arn}")
}}

output "clusters" {{
  value = data.eks_encryption_configs.fleet.clusters
}}
"#
    )
}

/// Key `alias/fleet`; `fleet-a` already has it, `fleet-b` (1.31) and
/// `fleet-c` (1.27) have none; `other` does not match the prefix.
fn fleet(ctx: &TestContext) -> Result<String> {
    let em = ctx.emulator();
    let key = em.create_key(&KeySpec::symmetric().alias("alias/fleet"))?;
    em.create_cluster(&ClusterSpec::new("fleet-a").key_arn(&key.key_arn))?;
    em.create_cluster(&ClusterSpec::new("fleet-b"))?;
    em.create_cluster(&ClusterSpec::new("fleet-c").version("1.27"))?;
    em.create_cluster(&ClusterSpec::new("other"))?;
    Ok(key.key_arn)
}

fn outputs(ctx: &TestContext) -> Result<Value> {
    let out = ctx.tf_ok(&["output", "-json", "clusters"])?;
    Ok(out.json()?)
}

fn row(name: &str, version: &str, key_type: &str, key: Option<&str>) -> Value {
    json!({
        "cluster_name": name,
        "cluster_version": version,
        "key_type": key_type,
        "resolved_key_arn": key,
        "key_state": key.map(|_| "Enabled"),
        // Issue 19: what EKS reports in health.issues; these clusters are healthy.
        "health_issues": [],
    })
}

fn empty_plans(ctx: &TestContext) -> Result<()> {
    ctx.tf_ok(&["plan", "-refresh=false", "-detailed-exitcode"])?;
    ctx.tf_ok(&["plan", "-detailed-exitcode"])?;
    Ok(())
}

#[test]
fn encryption_configs_fleet_adoption() {
    each_core("encryption_configs_fleet_adoption", |ctx| {
        let key = fleet(ctx)?;
        let before = vec![
            row("fleet-a", "1.31", "CUSTOMER_MANAGED", Some(&key)),
            row("fleet-b", "1.31", "AWS_OWNED", None),
            row("fleet-c", "1.27", "NONE", None),
        ];
        if ctx.supports(Feature::ImportForEach) {
            ctx.write_config(&fleet_config(&key, true))?;
            let plan = ctx.tf_ok(&["plan"])?;
            ensure!(
                plan.normalized().contains("3 to import")
                    && plan
                        .normalized()
                        .contains("0 to add, 2 to change, 0 to destroy"),
                "expected 3 imports and 2 changes in one plan:\n{}",
                plan.report()
            );
            ctx.assert_no_mutating_calls()?;
            ctx.tf_ok(&["apply", "-auto-approve"])?;
        } else {
            ctx.skip(
                "import blocks with for_each (using terraform import per cluster)",
                Feature::ImportForEach,
            );
            ctx.write_config(&fleet_config(&key, false))?;
            ctx.tf_ok(&[
                "apply",
                "-auto-approve",
                "-target=data.eks_encryption_configs.fleet",
            ])?;
            ensure!(
                outputs(ctx)? == json!(before),
                "data source before adoption: {}",
                outputs(ctx)?
            );
            for name in ["fleet-a", "fleet-b", "fleet-c"] {
                ctx.tf_ok(&[
                    "import",
                    &format!("eks_encryption_config.this[\"{name}\"]"),
                    name,
                ])?;
            }
            ctx.assert_no_mutating_calls()?;
            ctx.tf_ok(&["apply", "-auto-approve"])?;
        }
        let calls = ctx.emulator().requests_for(ASSOCIATE)?;
        let mut associated: Vec<String> = calls
            .iter()
            .filter_map(|c| c.path.split('/').nth(2).map(str::to_owned))
            .collect();
        associated.sort();
        ensure!(
            associated == ["fleet-b", "fleet-c"],
            "expected one association each for fleet-b and fleet-c, saw {calls:?}"
        );
        for name in ["fleet-a", "fleet-b", "fleet-c"] {
            let got = ctx.emulator().cluster_key_arn(name, "us-east-1")?;
            ensure!(
                got.as_deref() == Some(key.as_str()),
                "{name} has key {got:?}"
            );
        }
        ensure!(
            ctx.emulator()
                .cluster_key_arn("other", "us-east-1")?
                .is_none(),
            "a cluster outside the prefix was touched"
        );
        // The listing was read before the associations: refresh the data
        // source (and the output), then nothing is left to plan.
        ctx.tf_ok(&["apply", "-refresh-only", "-auto-approve"])?;
        empty_plans(ctx)?;
        let after = vec![
            row("fleet-a", "1.31", "CUSTOMER_MANAGED", Some(&key)),
            row("fleet-b", "1.31", "CUSTOMER_MANAGED", Some(&key)),
            row("fleet-c", "1.27", "CUSTOMER_MANAGED", Some(&key)),
        ];
        let listed = outputs(ctx)?;
        ensure!(
            listed == json!(after),
            "data source after adoption: {listed}"
        );
        ctx.emulator().clear_requests()?;
        // The whole fleet is guarded now: a destroy is refused at plan.
        let out = ctx.tf(&["destroy", "-auto-approve"])?;
        ensure!(
            !out.success()
                && out
                    .normalized()
                    .contains("Customer managed key is protected from deletion"),
            "destroy should be refused by deletion_protection:\n{}",
            out.report()
        );
        ctx.assert_no_mutating_calls()?;
        Ok(())
    });
}

#[test]
fn encryption_configs_coalesces_describe_key() {
    each_core("encryption_configs_coalesces_describe_key", |ctx| {
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/shared"))?;
        // (Paging of ListClusters is covered by the AWS layer's mocked
        // test and the emulator's own test.)
        for i in 0..12 {
            let mut spec = ClusterSpec::new(&format!("c{i:02}"));
            if i % 2 == 0 {
                spec = spec.key_arn(&key.key_arn);
            }
            em.create_cluster(&spec)?;
        }
        ctx.write_config(
                "data \"eks_encryption_configs\" \"all\" {}\n\noutput \"names\" {\n  value = [for c in data.eks_encryption_configs.all.clusters : c.cluster_name]\n}\n\noutput \"cmk\" {\n  value = length([for c in data.eks_encryption_configs.all.clusters : c if c.key_type == \"CUSTOMER_MANAGED\"])\n}\n",
            )?;
        ctx.tf_ok(&["apply", "-auto-approve"])?;
        let names = ctx.tf_ok(&["output", "-json", "names"])?.json()?;
        let want: Vec<String> = (0..12).map(|i| format!("c{i:02}")).collect();
        ensure!(names == json!(want), "names: {names}");
        let cmk = ctx.tf_ok(&["output", "-json", "cmk"])?.json()?;
        ensure!(cmk == json!(6), "CMK clusters: {cmk}");
        let describe_key = ctx.emulator().count("DescribeKey")?;
        ensure!(
                describe_key <= 2,
                "six clusters share one key: expected one DescribeKey per read (plan and apply), saw {describe_key}"
            );
        ensure!(
            ctx.emulator().count("ListClusters")? >= 1,
            "ListClusters was not called"
        );
        ctx.assert_no_mutating_calls()
    });
}
