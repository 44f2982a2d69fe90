//! One configuration that creates the cluster (or the key's alias) and
//! associates the key in the same run: the plan warns that the object does
//! not exist yet, and the apply checks everything once it does.
//!
//! Terraform 1.4+ creates the object with a `terraform_data` whose
//! provisioner calls the emulator's control API, so `cluster_name` /
//! `key_arn` are known at plan and the object appears during the apply.
//! Older cores have no `terraform_data`; there the harness creates the
//! object between `plan -out` and `apply tfplan`, which is the same sequence
//! as seen by the provider.

use acceptance_tests::context::TestContext;
use acceptance_tests::{
    each_core, ensure, Action, ClusterSpec, Destroy, Feature, KeySpec, Phase, Result, Step,
    TestCase,
};
use serde_json::json;

const THIS: &str = "eks_encryption_config.this";
const ASSOCIATE: &str = "AssociateEncryptionConfig";
const CLUSTER_NOT_FOUND_YET: &str = "Warning: EKS cluster not found yet";
const KEY_NOT_FOUND_YET: &str = "Warning: KMS key not found yet";
const STAYS: &str = "Warning: Customer managed key stays on the cluster";
/// How long a cluster created in the run stays CREATING: the apply waits.
const CREATING_SECONDS: f64 = 2.0;

/// A `terraform_data` named `name` with `input = output` (known at plan) and whose
/// provisioner POSTs `body` to the emulator's control API at `path`, with
/// the hook that writes the provisioner's script next to main.tf.
fn provisioned(
    ctx: &TestContext,
    name: &str,
    output: &str,
    path: &str,
    body: &serde_json::Value,
) -> (String, impl Fn(&TestContext) -> Result<()> + 'static) {
    let url = format!("{}/_emulator{path}", ctx.url());
    let script = format!(
        "import json, urllib.request\n\
         body = json.dumps(json.loads({body:?})).encode()\n\
         req = urllib.request.Request({url:?}, data=body, method='POST',\n\
                                      headers={{'Content-Type': 'application/json'}})\n\
         urllib.request.urlopen(req, timeout=10)\n",
        body = body.to_string(),
    );
    let file = format!("create_{name}.py");
    let hcl = format!(
        "resource \"terraform_data\" \"{name}\" {{\n  input = \"{output}\"\n\n  provisioner \"local-exec\" {{\n    command = \"python3 {file}\"\n  }}\n}}\n\n"
    );
    let hook = move |ctx: &TestContext| -> Result<()> {
        std::fs::write(ctx.dir().join(&file), &script)
            .map_err(|e| acceptance_tests::Error::io("writing the provisioner script", e))?;
        Ok(())
    };
    (hcl, hook)
}

fn guard(cluster: &str, key: &str) -> String {
    format!(
        "resource \"eks_encryption_config\" \"this\" {{\n  cluster_name        = {cluster}\n  key_arn             = {key}\n  deletion_protection = false\n}}\n"
    )
}

/// The cluster `same-run` created in the run (CREATING for a moment), with
/// `key` already associated when given.
fn cluster_in_run(ctx: &TestContext, key_at_create: Option<&str>, config_key: &str) -> Step {
    let mut body =
        json!({"name": "same-run", "version": "1.31", "creating_seconds": CREATING_SECONDS});
    if let Some(k) = key_at_create {
        body["key_arn"] = json!(k);
    }
    if ctx.supports(Feature::TerraformData) {
        let (hcl, hook) = provisioned(ctx, "cluster", "same-run", "/clusters", &body);
        Step::new(format!(
            "{hcl}{}",
            guard("terraform_data.cluster.input", &format!("\"{config_key}\""))
        ))
        .before(hook)
        .expect_action("terraform_data.cluster", Action::Create)
    } else {
        ctx.skip(
            "terraform_data (the harness creates the cluster between plan and apply)",
            Feature::TerraformData,
        );
        let key = key_at_create.map(str::to_owned);
        Step::new(guard("\"same-run\"", &format!("\"{config_key}\""))).after_plan(move |ctx| {
            let mut spec = ClusterSpec::new("same-run");
            if let Some(k) = &key {
                spec = spec.key_arn(k);
            }
            ctx.emulator()
                .create_cluster_with(&spec, &json!({"creating_seconds": CREATING_SECONDS}))?;
            Ok(())
        })
    }
}

#[test]
fn encryption_config_created_in_same_run() {
    each_core("encryption_config_created_in_same_run", |ctx| {
        let key = ctx
            .emulator()
            .create_key(&KeySpec::symmetric().alias("alias/same-run"))?;
        let arn = key.key_arn.clone();
        TestCase::new(vec![cluster_in_run(ctx, None, &key.key_arn)
            .expect_plan_warning(CLUSTER_NOT_FOUND_YET)
            .expect_action(THIS, Action::Create)
            .expect_unknown(THIS, "cluster_arn")
            .expect_unknown(THIS, "resolved_key_arn")
            .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
            .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str())
            .attr_eq(THIS, "cluster_version", "1.31")
            .attr_set(THIS, "update_id")
            .import_verify(THIS, "same-run", &["timeouts", "deletion_protection"])
            .after(move |ctx| {
                ctx.assert_count(ASSOCIATE, 1)?;
                let got = ctx.emulator().cluster_key_arn("same-run", "us-east-1")?;
                ensure!(got.as_deref() == Some(arn.as_str()), "cluster key {got:?}");
                Ok(())
            })])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}

#[test]
fn encryption_config_created_with_cmk_in_same_run() {
    each_core("encryption_config_created_with_cmk_in_same_run", |ctx| {
        let key = ctx
            .emulator()
            .create_key(&KeySpec::symmetric().alias("alias/same-run"))?;
        TestCase::new(vec![cluster_in_run(
            ctx,
            Some(&key.key_arn),
            "alias/same-run",
        )
        .expect_plan_warning(CLUSTER_NOT_FOUND_YET)
        .expect_action(THIS, Action::Create)
        .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
        .attr_eq(THIS, "key_arn", "alias/same-run")
        .attr_eq(THIS, "resolved_key_arn", key.key_arn.as_str())
        .import_verify(
            THIS,
            "same-run",
            &["timeouts", "key_arn", "update_id", "deletion_protection"],
        )
        .after(|ctx| {
            // Adopted: EKS already had the key from CreateCluster.
            ctx.assert_count(ASSOCIATE, 0)?;
            ctx.assert_no_mutating_calls()
        })])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}

#[test]
fn encryption_config_alias_created_in_same_run() {
    each_core("encryption_config_alias_created_in_same_run", |ctx| {
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        let alias = "alias/created-in-run";
        let step = if ctx.supports(Feature::TerraformData) {
            let (hcl, hook) = provisioned(
                ctx,
                "key",
                alias,
                "/keys",
                &json!({"alias": alias, "rotation": true}),
            );
            Step::new(format!(
                "{hcl}{}",
                guard("\"demo\"", "terraform_data.key.input")
            ))
            .before(hook)
        } else {
            ctx.skip(
                "terraform_data (the harness creates the key between plan and apply)",
                Feature::TerraformData,
            );
            Step::new(guard("\"demo\"", &format!("\"{alias}\""))).after_plan(move |ctx| {
                ctx.emulator()
                    .create_key(&KeySpec::symmetric().alias(alias))?;
                Ok(())
            })
        };
        TestCase::new(vec![step
            .expect_plan_warning(KEY_NOT_FOUND_YET)
            .expect_action(THIS, Action::Create)
            .expect_unknown(THIS, "resolved_key_arn")
            .attr_eq(THIS, "key_arn", alias)
            .attr_eq(THIS, "key_type", "CUSTOMER_MANAGED")
            .attr_set(THIS, "resolved_key_arn")
            .import_verify(
                THIS,
                "demo",
                &["timeouts", "key_arn", "deletion_protection"],
            )
            .after(|ctx| ctx.assert_count(ASSOCIATE, 1))])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}

#[test]
fn encryption_config_missing_cluster() {
    each_core("encryption_config_missing_cluster", |ctx| {
        let key = ctx
            .emulator()
            .create_key(&KeySpec::symmetric().alias("alias/demo"))?;
        TestCase::new(vec![Step::new(guard(
            "\"ghost\"",
            &format!("\"{}\"", key.key_arn),
        ))
        .before(|ctx| Ok(ctx.emulator().clear_requests()?))
        .expect_plan_warning(CLUSTER_NOT_FOUND_YET)
        .expect_error_at(
            Phase::Apply,
            r#"Error: EKS cluster not found with eks_encryption_config\.this"#,
        )
        .after(|ctx| {
            ctx.assert_no_mutating_calls()?;
            ensure!(
                ctx.state()?.managed_addresses().is_empty(),
                "a failed create must record nothing"
            );
            Ok(())
        })])
        .run(ctx)
    });
}

/// Issue 22: on a cluster that already has a CMK, `key_arn` swapped to an
/// alias that does not exist yet. The plan cannot tell which key the alias
/// will name (it may be created in this run, pointing at the same key), so
/// it defers to the apply, with a warning that names the cluster's CMK and
/// says the apply fails unless `key_arn` then resolves to exactly that key.
/// The apply, with the alias still missing, fails and sends nothing.
#[test]
fn issue22_swap_to_an_alias_not_there_yet() {
    each_core("issue22_swap_to_an_alias_not_there_yet", |ctx| {
        let key = ctx
            .emulator()
            .create_key(&KeySpec::symmetric().alias("alias/current"))?;
        ctx.emulator()
            .create_cluster(&ClusterSpec::new("demo").key_arn(&key.key_arn))?;
        let arn = key.key_arn.clone();
        // ARNs hold no regex metacharacters; the output's whitespace is collapsed.
        let warning = format!(
            "{KEY_NOT_FOUND_YET} with eks_encryption_config\\.this.*KMS finds no key \
             \"alias/other\" in region us-east-1 yet .*Cluster \"demo\" is already encrypted \
             with the customer managed key {arn}, and EKS can never change it. .*key_arn must \
             resolve to exactly {arn} .*or nothing is sent to EKS and the apply fails"
        );
        TestCase::new(vec![
            Step::new(guard("\"demo\"", "\"alias/current\""))
                .expect_action(THIS, Action::Create)
                .attr_eq(THIS, "resolved_key_arn", arn.as_str())
                .import_verify(
                    THIS,
                    "demo",
                    &["timeouts", "key_arn", "update_id", "deletion_protection"],
                )
                .after(|ctx| ctx.assert_no_mutating_calls()),
            Step::new(guard("\"demo\"", "\"alias/other\""))
                .before(|ctx| Ok(ctx.emulator().clear_requests()?))
                .expect_plan_warning(&warning)
                .expect_error_at(
                    Phase::Apply,
                    r#"Error: KMS key not usable with eks_encryption_config\.this.*KMS found no key "alias/other""#,
                )
                .after(move |ctx| {
                    ctx.assert_no_mutating_calls()?;
                    let got = ctx.emulator().cluster_key_arn("demo", "us-east-1")?;
                    ensure!(got.as_deref() == Some(arn.as_str()), "cluster key {got:?}");
                    Ok(())
                }),
        ])
        .destroy(Destroy::new().expect_warning(STAYS))
        .run(ctx)
    });
}
