//! The provider as each Terraform core loads it: `terraform validate` and
//! `terraform providers schema -json` through dev_overrides, over the real
//! plugin protocol (mTLS on).

use acceptance_tests::{each_core, ensure};

#[test]
fn provider_schema_and_validate_on_every_core() {
    each_core("provider_schema_and_validate_on_every_core", |ctx| {
        ctx.write_config(
            "resource \"eks_encryption_config\" \"this\" {\n  cluster_name = \"demo\"\n}\n\
             data \"eks_encryption_config\" \"this\" {\n  cluster_name = \"demo\"\n}\n\
             data \"eks_encryption_configs\" \"all\" {\n  name_prefix = \"demo\"\n}\n",
        )?;
        ctx.tf_ok(&["validate"])?;
        let out = ctx.tf_ok(&["providers", "schema", "-json"])?;
        let json = out.json()?;
        // Each core names the provider by its own default registry host:
        // registry.terraform.io or registry.opentofu.org.
        let source = ctx.core.provider_source();
        let p = json
            .pointer(&format!("/provider_schemas/{}", source.replace('/', "~1")))
            .ok_or_else(|| {
                acceptance_tests::Error::Check(format!("no schema for {source} in {json}"))
            })?;
        for (kind, name) in [
            ("resource_schemas", "eks_encryption_config"),
            ("data_source_schemas", "eks_encryption_config"),
            ("data_source_schemas", "eks_encryption_configs"),
        ] {
            let attrs = p
                .pointer(&format!("/{kind}/{name}/block/attributes"))
                .and_then(|a| a.as_object())
                .ok_or_else(|| acceptance_tests::Error::Check(format!("no {kind}.{name}")))?;
            for (attr, def) in attrs {
                let described = def
                    .get("description")
                    .and_then(|d| d.as_str())
                    .is_some_and(|d| !d.is_empty());
                ensure!(described, "{kind}.{name}.{attr} has no description");
            }
        }
        ensure!(
            p.pointer("/provider/block/block_types/endpoints").is_some()
                && p.pointer("/provider/block/block_types/assume_role")
                    .is_some(),
            "provider block schema lacks endpoints/assume_role: {p}"
        );
        ctx.assert_no_mutating_calls()
    });
}
