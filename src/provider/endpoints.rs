//! Endpoint settings of the provider block: the `endpoints` block (EKS, KMS
//! and STS URLs) and the endpoint variants `use_fips_endpoint` and
//! `use_dualstack_endpoint`. Their schema and their reading into
//! [`Endpoints`] and the variant fields of
//! [`TransportSettings`](crate::aws::TransportSettings).

use crate::aws::Endpoints;
use crate::tfprotov6::{Attribute, Block, NestedBlock, Type};

use super::reader::Reader;

/// The `endpoints` block.
pub fn block() -> NestedBlock {
    NestedBlock {
        max_items: 1,
        ..NestedBlock::single(
            "endpoints",
            Block {
                description: "Custom service endpoints, for VPC endpoints or local \
                    testing. `AWS_ENDPOINT_URL_EKS`, `AWS_ENDPOINT_URL_KMS`, \
                    `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL` are honoured \
                    too; these attributes take precedence."
                    .into(),
                attributes: vec![
                    Attribute::optional(
                        "eks",
                        Type::String,
                        "EKS endpoint URL. Default: the regional AWS endpoint.",
                    ),
                    Attribute::optional(
                        "kms",
                        Type::String,
                        "KMS endpoint URL. Default: the regional AWS endpoint.",
                    ),
                    Attribute::optional(
                        "sts",
                        Type::String,
                        "STS endpoint URL, used by `assume_role`, \
                         `assume_role_with_web_identity` and the account check. \
                         Default: the regional AWS endpoint.",
                    ),
                ],
                ..Block::default()
            },
        )
    }
}

/// `use_fips_endpoint` and `use_dualstack_endpoint`.
pub fn variant_attributes() -> Vec<Attribute> {
    vec![
        Attribute::optional(
            "use_fips_endpoint",
            Type::Bool,
            "Use the FIPS endpoints of EKS, KMS and STS. Ignored for a service whose endpoint \
             is set in `endpoints`. Default: `AWS_USE_FIPS_ENDPOINT`, else the profile's \
             `use_fips_endpoint`, else `false`.",
        ),
        Attribute::optional(
            "use_dualstack_endpoint",
            Type::Bool,
            "Use the dual-stack (IPv4 and IPv6) endpoints. Default: \
             `AWS_USE_DUALSTACK_ENDPOINT`, else the profile's `use_dualstack_endpoint`, else \
             `false`.",
        ),
    ]
}

/// The `endpoints` block: http:// or https:// URLs.
pub fn parse(r: &mut Reader<'_>) -> Endpoints {
    let mut endpoints = Endpoints::default();
    if let Some(mut block) = r.block("endpoints") {
        for (name, slot) in [
            ("eks", &mut endpoints.eks),
            ("kms", &mut endpoints.kms),
            ("sts", &mut endpoints.sts),
        ] {
            let url = block.string(name);
            if let Some(url) = &url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    block.error(
                        name,
                        "Invalid endpoint URL",
                        format!(
                            "{url:?} is not an http:// or https:// URL. Use a URL such as \
                             \"https://{name}.us-east-1.amazonaws.com\"."
                        ),
                    );
                }
            }
            *slot = url;
        }
    }
    endpoints
}

/// `use_fips_endpoint` and `use_dualstack_endpoint`, read where
/// [`network::parse`](super::network::parse) reads the rest of
/// [`TransportSettings`](crate::aws::TransportSettings).
pub fn variants(r: &mut Reader<'_>) -> (Option<bool>, Option<bool>) {
    (
        r.bool("use_fips_endpoint"),
        r.bool("use_dualstack_endpoint"),
    )
}
