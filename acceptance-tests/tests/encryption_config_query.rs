//! Issue 19: `terraform query` over the fleet with the `eks_encryption_config`
//! list resource (Terraform 1.14+; OpenTofu has no list resources), adopting
//! what it found with `-generate-config-out`, and the
//! `eks_encryption_config_check` action run with `-invoke` against it.

use std::path::Path;
use std::time::Instant;

use acceptance_tests::context::TestContext;
use acceptance_tests::emulator::ACCOUNT_ID;
use acceptance_tests::{each_core, ensure, ClusterSpec, Error, Feature, KeySpec, Result};
use serde_json::Value;

const ASSOCIATE: &str = "AssociateEncryptionConfig";
const LIST: &str = "list.eks_encryption_config.all";
/// The refresh warning for the revoked cluster (health.rs).
const REVOKED_WARNING: &str = "Warning: EKS reports KmsGrantRevoked";
/// Clusters with the shared CMK, AWS owned, and the one revoked: 150.
const CMK: usize = 100;
const AWS_OWNED: usize = 49;
const TOTAL: usize = CMK + AWS_OWNED + 1;

/// Writes `fleet.tfquery.hcl` with one `list` block named `all`.
fn write_query(ctx: &TestContext, inner: &str) -> Result<()> {
    let text = format!("list \"eks_encryption_config\" \"all\" {{\n  provider = eks\n{inner}}}\n");
    let path = ctx.dir().join("fleet.tfquery.hcl");
    std::fs::write(&path, text).map_err(|e| Error::io(path.display().to_string(), e))?;
    Ok(())
}

/// `terraform query -json`: the `list_resource_found` messages.
fn query_json(ctx: &TestContext) -> Result<Vec<Value>> {
    let out = ctx.tf_ok(&["query", "-no-color", "-json"])?;
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["type"] == "list_resource_found")
        .collect())
}

/// Names listed by `query -json`, from each result's identity (checking
/// its account and region on the way).
fn listed_names(found: &[Value]) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for m in found {
        let id = m
            .pointer("/list_resource_found/identity")
            .or_else(|| m.pointer("/identity"))
            .cloned()
            .unwrap_or(Value::Null);
        ensure!(
            id["account_id"] == ACCOUNT_ID && id["region"] == "us-east-1",
            "unexpected identity in {m}"
        );
        let name = id["cluster_name"].as_str().unwrap_or_default().to_string();
        ensure!(!name.is_empty(), "no cluster_name in {m}");
        names.push(name);
    }
    names.sort();
    Ok(names)
}

fn count_in(path: &Path, needle: &str) -> Result<usize> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    Ok(text.matches(needle).count())
}

#[test]
fn encryption_config_query_fleet() {
    each_core("encryption_config_query_fleet", |ctx| {
        if !ctx.supports(Feature::Query) {
            ctx.skip("terraform query", Feature::Query);
            return Ok(());
        }
        let em = ctx.emulator();
        let key = em.create_key(&KeySpec::symmetric().alias("alias/fleet"))?;
        let lost = em.create_key(&KeySpec::symmetric().alias("alias/lost"))?;
        em.create_clusters("cmk-", CMK, Some(&key.key_arn), "us-east-1")?;
        em.create_clusters("aws-", AWS_OWNED, None, "us-east-1")?;
        em.create_cluster(&ClusterSpec::new("revoked").key_arn(&lost.key_arn))?;
        em.revoke_eks_grant("revoked", "us-east-1")?;
        let healthy = "cmk-0000";

        ctx.write_config("")?;
        write_query(ctx, "  limit    = 1000\n")?;

        // 1. Every cluster is listed, as identities (no DescribeCluster).
        em.clear_requests()?;
        let found = query_json(ctx)?;
        let names = listed_names(&found)?;
        ensure!(
            names.len() == TOTAL,
            "query -json listed {} clusters, expected {TOTAL}",
            names.len()
        );
        ensure!(
            names.iter().any(|n| n == "revoked") && names.iter().any(|n| n == "aws-0048"),
            "missing clusters in {names:?}"
        );
        ctx.assert_count("DescribeCluster", 0)?;
        let human = ctx.tf_ok(&["query", "-no-color"])?;
        let lines = human
            .stdout
            .lines()
            .filter(|l| l.starts_with(LIST) && l.contains("cluster_name="))
            .count();
        ensure!(
            lines == TOTAL,
            "human query output has {lines} result lines, expected {TOTAL}:\n{}",
            human.report()
        );
        ctx.assert_no_mutating_calls()?;

        // 2. Generated config: one resource and one import per cluster,
        // key_arn for the CMK ones only.
        let started = Instant::now();
        ctx.tf_ok(&["query", "-no-color", "-generate-config-out=fleet.tf"])?;
        ctx.note(&format!(
            "query -generate-config-out: {:.1?}",
            started.elapsed()
        ));
        let fleet = ctx.dir().join("fleet.tf");
        let imports = count_in(&fleet, "import {")?;
        let resources = count_in(&fleet, "resource \"eks_encryption_config\"")?;
        let text = std::fs::read_to_string(&fleet)
            .map_err(|e| Error::io(fleet.display().to_string(), e))?;
        let key_lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("key_arn "))
            .collect();
        let with_key = key_lines
            .iter()
            .filter(|l| l.contains("= \"arn:aws:kms:us-east-1:"))
            .count();
        // The core writes every non-computed attribute, null ones as null.
        let null_key = key_lines.iter().filter(|l| l.ends_with("= null")).count();
        ensure!(
            imports == TOTAL && resources == TOTAL && with_key == CMK + 1 && null_key == AWS_OWNED,
            "fleet.tf has {imports} imports, {resources} resources, {with_key} key ARNs, \
             {null_key} null keys; expected {TOTAL}, {TOTAL}, {}, {AWS_OWNED}",
            CMK + 1
        );

        // 3. Plan adopts all of them, nothing else; the revoked grant warns.
        let started = Instant::now();
        let plan = ctx.tf_ok(&["plan", "-out=tfplan"])?;
        ctx.note(&format!(
            "plan of {TOTAL} imports: {:.1?}",
            started.elapsed()
        ));
        let text = plan.normalized();
        ensure!(
            text.contains(&format!(
                "Plan: {TOTAL} to import, 0 to add, 0 to change, 0 to destroy"
            )),
            "expected {TOTAL} imports and nothing else:\n{}",
            plan.report()
        );
        ensure!(
            text.contains(REVOKED_WARNING),
            "plan does not warn about the revoked grant:\n{}",
            plan.report()
        );
        let started = Instant::now();
        ctx.tf_ok(&["apply", "tfplan"])?;
        ctx.note(&format!(
            "apply of {TOTAL} imports: {:.1?}",
            started.elapsed()
        ));
        ctx.assert_count(ASSOCIATE, 0)?;
        ctx.assert_no_mutating_calls()?;
        let state = ctx.state()?;
        ensure!(
            state.managed_addresses().len() == TOTAL,
            "state has {} resources",
            state.managed_addresses().len()
        );

        // 4. Nothing left to plan, with and without refresh; the refresh
        // still warns.
        ctx.tf_ok(&["plan", "-refresh=false", "-detailed-exitcode"])?;
        let refreshed = ctx.tf_ok(&["plan", "-detailed-exitcode"])?;
        ensure!(
            refreshed.normalized().contains(REVOKED_WARNING),
            "refreshed plan does not warn:\n{}",
            refreshed.report()
        );

        // 5. The check action: fails for the revoked grant, passes for a
        // healthy CMK cluster. Neither changes anything.
        ctx.write_config(&format!(
            "action \"eks_encryption_config_check\" \"revoked\" {{\n  config {{\n    cluster_name = \"revoked\"\n  }}\n}}\n\naction \"eks_encryption_config_check\" \"healthy\" {{\n  config {{\n    cluster_name = \"{healthy}\"\n  }}\n}}\n"
        ))?;
        em.clear_requests()?;
        let bad = ctx.tf(&[
            "apply",
            "-auto-approve",
            "-invoke=action.eks_encryption_config_check.revoked",
        ])?;
        bad.expect_error("Error when invoking action.*KmsGrantRevoked")?;
        let good = ctx.tf_ok(&[
            "apply",
            "-auto-approve",
            "-invoke=action.eks_encryption_config_check.healthy",
        ])?;
        ensure!(
            good.normalized().contains("no problem found"),
            "the healthy cluster's check printed no success progress:\n{}",
            good.report()
        );
        ctx.assert_no_mutating_calls()?;

        // 6. The adopted fleet is guarded: a destroy is refused at plan.
        let out = ctx.tf(&["destroy", "-auto-approve"])?;
        out.expect_error("Customer managed key is protected from deletion")?;
        ctx.assert_no_mutating_calls()?;
        Ok(())
    });
}

#[test]
fn encryption_config_query_filters() {
    each_core("encryption_config_query_filters", |ctx| {
        if !ctx.supports(Feature::Query) {
            ctx.skip("terraform query", Feature::Query);
            return Ok(());
        }
        let em = ctx.emulator();
        em.create_clusters("prod-", 7, None, "us-east-1")?;
        em.create_clusters("dev-", 4, None, "us-east-1")?;
        ctx.write_config("")?;

        write_query(
            ctx,
            "  limit    = 1000\n  config {\n    name_prefix = \"dev-\"\n  }\n",
        )?;
        let names = listed_names(&query_json(ctx)?)?;
        ensure!(
            names == ["dev-0000", "dev-0001", "dev-0002", "dev-0003"],
            "name_prefix = \"dev-\" listed {names:?}"
        );

        write_query(ctx, "  limit    = 5\n")?;
        let names = listed_names(&query_json(ctx)?)?;
        ensure!(names.len() == 5, "limit = 5 listed {names:?}");

        // The default limit (100) lists all 11.
        write_query(ctx, "")?;
        let names = listed_names(&query_json(ctx)?)?;
        ensure!(names.len() == 11, "no limit listed {names:?}");

        em.clear_requests()?;
        write_query(ctx, "  config {\n    name_prefix = \"-bad\"\n  }\n")?;
        let out = ctx.tf(&["query", "-no-color"])?;
        out.expect_error("Error: Invalid name_prefix")?;
        ctx.assert_count("ListClusters", 0)?;
        Ok(())
    });
}
