//! Bad input and missing credentials: each gets a diagnostic naming the
//! attribute, the reason and the way out, and nothing reaches AWS.

use acceptance_tests::context::TestContext;
use acceptance_tests::emulator::KeySpec;
use acceptance_tests::{each_core, ensure, ClusterSpec, Result};

/// Runs `terraform validate` on `body` and expects each pattern in the
/// output, with no request at all reaching the emulator.
fn validate_refuses(ctx: &TestContext, body: &str, patterns: &[&str]) -> Result<()> {
    ctx.emulator().clear_requests()?;
    ctx.write_config(body)?;
    let out = ctx.tf(&["validate"])?;
    ensure!(!out.success(), "validate should fail:\n{}", out.report());
    for p in patterns {
        out.expect_error(p)?;
    }
    let seen = ctx.emulator().requests()?;
    ensure!(
        seen.is_empty(),
        "validation must not call AWS, saw {seen:?}"
    );
    Ok(())
}

#[test]
fn encryption_config_invalid_inputs() {
    each_core("encryption_config_invalid_inputs", |ctx| {
        validate_refuses(
            ctx,
            r#"
resource "eks_encryption_config" "this" {
  cluster_name = "bad name!"
  key_arn      = "arn:aws:s3:::bucket"
  resources    = ["configmaps"]
  timeouts {
    create = "ten minutes"
  }
}
"#,
            &[
                r#"Error: Invalid cluster_name .*cluster_name = "bad name!" .*not an EKS cluster name"#,
                r#"Error: Invalid key_arn .*key_arn\s+= "arn:aws:s3:::bucket" .*needs a KMS key"#,
                r#"Error: Invalid resources .*resources\s+= \["configmaps"\] .*Use resources = \["secrets"\]"#,
                r#"Error: Invalid timeout .*create = "ten minutes" .*"30m""#,
            ],
        )?;
        validate_refuses(
            ctx,
            r#"
resource "eks_encryption_config" "this" {
  cluster_name = "demo"
  key_arn      = "my-key"
}
"#,
            &[r#"Error: Invalid key_arn .*"my-key" is not a KMS key reference. Use a key ARN"#],
        )?;
        Ok(())
    });
}

#[test]
fn encryption_config_invalid_provider_config() {
    each_core("encryption_config_invalid_provider_config", |ctx| {
        ctx.emulator().clear_requests()?;
        ctx.write_raw_config(&format!(
            r#"
terraform {{
  required_providers {{
    eks = {{ source = "cmkguard/eks" }}
  }}
}}
provider "eks" {{
  region      = "US East"
  max_retries = -1
  endpoints {{
    eks = "ftp://{host}"
    kms = "{url}"
  }}
}}
data "eks_encryption_config" "x" {{
  cluster_name = "demo"
}}
"#,
            url = ctx.url(),
            host = ctx.url().trim_start_matches("http://"),
        ))?;
        let out = ctx.tf(&["plan"])?;
        ensure!(!out.success(), "plan should fail:\n{}", out.report());
        out.expect_error(r#"Error: Invalid region .*region\s+= "US East" .*"us-east-1""#)?;
        out.expect_error(r#"Error: Invalid max_retries .*max_retries = -1 .*between 0 and 100"#)?;
        out.expect_error(
            r#"Error: Invalid endpoint URL .*eks = "ftp://.*not an http:// or https:// URL"#,
        )?;
        let seen = ctx.emulator().requests()?;
        ensure!(
            seen.is_empty(),
            "a bad provider block must not call AWS, saw {seen:?}"
        );
        Ok(())
    });
}

#[test]
fn encryption_config_missing_credentials() {
    each_core("encryption_config_missing_credentials", |ctx| {
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        ctx.emulator().clear_requests()?;
        ctx.write_config(
            "resource \"eks_encryption_config\" \"this\" {\n  cluster_name = \"demo\"\n}\n",
        )?;
        let out = ctx
            .terraform
            .command(&ctx.dir(), &["plan"])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .output()
            .map_err(|e| acceptance_tests::Error::io("running terraform plan", e))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let flat = acceptance_tests::terraform::normalize_diagnostics(&text);
        ensure!(
            !out.status.success(),
            "plan should fail without credentials:\n{text}"
        );
        // The message names what was tried, the region and the fix (issue 11).
        ensure!(
            flat.contains("Error: No valid AWS credentials")
                && flat.contains("no AWS credentials found for region us-east-1. Tried the default chain: the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), profile \"default\"")
                && flat.contains("the EC2 instance role")
                && flat.contains("Fix: set `profile` or AWS_PROFILE"),
            "expected a clear credentials diagnostic:\n{text}"
        );
        let seen = ctx.emulator().requests()?;
        ensure!(
            seen.is_empty(),
            "nothing may be sent without credentials, saw {seen:?}"
        );
        Ok(())
    });
}

#[test]
fn encryption_config_rotation_off_warning() {
    each_core("encryption_config_rotation_off_warning", |ctx| {
        let mut spec = KeySpec::symmetric().alias("alias/no-rotation");
        spec.rotation = false;
        ctx.emulator().create_key(&spec)?;
        ctx.emulator().create_cluster(&ClusterSpec::new("demo"))?;
        ctx.write_config(
            "resource \"eks_encryption_config\" \"this\" {\n  cluster_name = \"demo\"\n  key_arn      = \"alias/no-rotation\"\n  deletion_protection = false\n}\n",
        )?;
        let plan = ctx.tf_ok(&["plan"])?;
        let flat = plan.normalized();
        ensure!(
            flat.contains("Warning: Automatic key rotation is off")
                && flat.contains("enable-key-rotation"),
            "expected a rotation warning:\n{}",
            plan.report()
        );
        ctx.tf_ok(&["apply", "-auto-approve"])?;
        ctx.assert_count("AssociateEncryptionConfig", 1)?;
        ctx.tf_ok(&["destroy", "-auto-approve"])?;
        Ok(())
    });
}

#[test]
fn encryption_config_invalid_auth_settings() {
    each_core("encryption_config_invalid_auth_settings", |ctx| {
        ctx.emulator().clear_requests()?;
        ctx.write_raw_config(&format!(
            r#"
terraform {{
  required_providers {{
    eks = {{ source = "cmkguard/eks" }}
  }}
}}
provider "eks" {{
  region                = "us-east-1"
  allowed_account_ids   = ["12345"]
  forbidden_account_ids = ["123456789012"]
  retry_mode            = "legacy"
  assume_role {{
    role_arn = "arn:aws:iam::123456789012:role/x"
    duration = "5m"
    policy   = "not json"
  }}
  assume_role_with_web_identity {{
    role_arn                = "arn:aws:iam::123456789012:role/ci"
    web_identity_token      = "t"
    web_identity_token_file = "/tmp/token"
  }}
  endpoints {{
    eks = "{url}"
    kms = "{url}"
    sts = "{url}"
  }}
}}
data "eks_encryption_config" "x" {{
  cluster_name = "demo"
}}
"#,
            url = ctx.url(),
        ))?;
        let out = ctx.tf(&["validate"])?;
        ensure!(!out.success(), "validate should fail:\n{}", out.report());
        for pattern in [
            r#"Error: Invalid account id .*allowed_account_ids\s+= \["12345"\] .*12-digit"#,
            r#"Error: Conflicting account guards .*either allowed_account_ids or forbidden_account_ids"#,
            r#"Error: Invalid retry_mode .*retry_mode\s+= "legacy" .*"standard" or "adaptive""#,
            r#"Error: Invalid session duration .*duration = "5m" .*"15m" to "12h""#,
            r#"Error: Invalid policy .*policy\s+= "not json" .*IAM policy document in JSON"#,
            r#"Error: Conflicting web identity token .*either web_identity_token or web_identity_token_file"#,
        ] {
            out.expect_error(pattern)?;
        }
        let seen = ctx.emulator().requests()?;
        ensure!(
            seen.is_empty(),
            "a bad provider block must not call AWS, saw {seen:?}"
        );
        Ok(())
    });
}
