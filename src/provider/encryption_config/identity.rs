//! The resource identity of `eks_encryption_config` (Terraform 1.12+,
//! OpenTofu 1.12+): the account, region and name of the cluster whose key it
//! guards. Cores store it beside the state, show it in plan JSON, and accept
//! it in `import` blocks instead of an import id:
//!
//! ```hcl
//! import {
//!   to       = eks_encryption_config.prod
//!   identity = { cluster_name = "prod" }
//! }
//! ```
//!
//! `account_id` and `region` may be left out of an `import` block: they
//! default to the provider's. Given, they must be the provider's, because
//! the provider can only read clusters of its own account and region; the
//! check ([`check_import`]) comes before any EKS call.
//!
//! Everything here is pure except the account lookup the caller makes.

use crate::tfprotov6::{Diagnostic, DynamicValue, IdentityAttribute, IdentitySchema, Type, Value};

use super::resource::state_type;

/// The identity version. Bumping it makes cores call
/// `UpgradeResourceIdentity` for every stored identity.
pub const IDENTITY_VERSION: i64 = 0;

/// The identity schema.
pub fn identity_schema() -> IdentitySchema {
    let attr = |name: &str, required: bool, description: &str| IdentityAttribute {
        name: name.to_owned(),
        ty: Type::String,
        required_for_import: required,
        optional_for_import: !required,
        description: description.to_owned(),
    };
    IdentitySchema {
        version: IDENTITY_VERSION,
        attributes: vec![
            attr(
                "account_id",
                false,
                "The AWS account that owns the cluster. Defaults to the account of the \
                 provider's credentials when importing.",
            ),
            attr(
                "region",
                false,
                "The cluster's region. Defaults to the provider's region when importing.",
            ),
            attr("cluster_name", true, "The EKS cluster's name."),
        ],
    }
}

/// The identity value's type, built once.
pub fn identity_type() -> &'static Type {
    static TYPE: std::sync::OnceLock<Type> = std::sync::OnceLock::new();
    TYPE.get_or_init(|| identity_schema().value_type())
}

/// An identity, every attribute known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `account_id`.
    pub account_id: String,
    /// `region`.
    pub region: String,
    /// `cluster_name`.
    pub cluster_name: String,
}

impl Identity {
    /// The identity of a cluster from its ARN
    /// (`arn:PARTITION:eks:REGION:ACCOUNT:cluster/NAME`); `None` when the
    /// ARN has no account.
    pub fn of_cluster(cluster_arn: &str, region: &str, cluster_name: &str) -> Option<Self> {
        let account = cluster_arn.split(':').nth(4).filter(|a| !a.is_empty())?;
        Some(Self {
            account_id: account.to_owned(),
            region: region.to_owned(),
            cluster_name: cluster_name.to_owned(),
        })
    }

    /// As a protocol value.
    pub fn value(&self) -> Value {
        Value::object([
            ("account_id", Value::string(&self.account_id)),
            ("region", Value::string(&self.region)),
            ("cluster_name", Value::string(&self.cluster_name)),
        ])
    }

    /// Encoded for the wire (`None` only if encoding fails, which a known
    /// object of three strings cannot).
    pub fn encode(&self) -> Option<DynamicValue> {
        DynamicValue::encode(&self.value(), identity_type()).ok()
    }
}

/// The identity of a state value: from its `cluster_arn` and
/// `cluster_name`, in the provider's `region`. `None` for a null state,
/// or one that does not name its cluster's ARN yet.
pub fn of_state(state: &DynamicValue, region: &str) -> Option<DynamicValue> {
    let v = state.decode(state_type()).ok()?;
    let known = |name: &str| v.get_attr(name).and_then(Value::as_str).map(str::to_owned);
    Identity::of_cluster(&known("cluster_arn")?, region, &known("cluster_name")?)?.encode()
}

/// An identity as an `import` block gives it: `cluster_name` is required,
/// the others may be null.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportIdentity {
    /// `account_id`, when given.
    pub account_id: Option<String>,
    /// `region`, when given.
    pub region: Option<String>,
    /// `cluster_name`.
    pub cluster_name: String,
}

/// Reads the identity of an `import` block.
pub fn decode_import(identity: &DynamicValue) -> Result<ImportIdentity, Diagnostic> {
    let invalid = |why: String| {
        Diagnostic::error(
            "Invalid import identity",
            format!(
                "{why}. Import with identity = {{ cluster_name = \"NAME\" }}, optionally with \
                 account_id and region."
            ),
        )
    };
    let v = identity
        .decode(identity_type())
        .map_err(|e| invalid(format!("The identity does not decode: {e}")))?;
    let given = |name: &str| -> Result<Option<String>, Diagnostic> {
        match v.get_attr(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(invalid(format!("{name} is an empty string")))
            }
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(format!("{name} must be a known string"))),
        }
    };
    let cluster_name =
        given("cluster_name")?.ok_or_else(|| invalid("cluster_name is required".to_owned()))?;
    Ok(ImportIdentity {
        account_id: given("account_id")?,
        region: given("region")?,
        cluster_name,
    })
}

/// Whether the provider may import this identity: its region and account
/// (when given) must be the provider's. `provider_account` is the
/// caller's account, looked up only when the identity names one.
pub fn check_import(
    given: &ImportIdentity,
    provider_region: &str,
    provider_account: Option<&str>,
) -> Result<(), Diagnostic> {
    // No attribute path: the identity is not part of the resource's
    // configuration, which is where a core would look for it.
    if let Some(region) = given.region.as_deref().filter(|r| *r != provider_region) {
        return Err(Diagnostic::error(
            "Import identity is in another region",
            format!(
                "The identity names cluster {:?} in region {region}, but this provider \
                 configuration works in {provider_region}. Nothing was read. Give the import \
                 block a provider configured for {region} (provider = eks.<alias>), or correct \
                 the identity's region.",
                given.cluster_name
            ),
        ));
    }
    match (given.account_id.as_deref(), provider_account) {
        (Some(account), Some(mine)) if account != mine => Err(Diagnostic::error(
            "Import identity is in another account",
            format!(
                "The identity names cluster {:?} in account {account}, but this provider's \
                 credentials are for account {mine}. Nothing was read. Import with a provider \
                 whose credentials are for account {account} (e.g. assume_role into it), or \
                 correct the identity's account_id.",
                given.cluster_name
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:eks:eu-west-1:111122223333:cluster/prod";

    fn given(account: Option<&str>, region: Option<&str>) -> ImportIdentity {
        ImportIdentity {
            account_id: account.map(str::to_owned),
            region: region.map(str::to_owned),
            cluster_name: "prod".into(),
        }
    }

    #[test]
    fn identity_comes_from_the_cluster_arn() {
        let id = Identity::of_cluster(ARN, "eu-west-1", "prod");
        assert_eq!(
            id,
            Some(Identity {
                account_id: "111122223333".into(),
                region: "eu-west-1".into(),
                cluster_name: "prod".into(),
            })
        );
        let cn = "arn:aws-cn:eks:cn-north-1:444455556666:cluster/x";
        assert_eq!(
            Identity::of_cluster(cn, "cn-north-1", "x").map(|i| i.account_id),
            Some("444455556666".into())
        );
        assert_eq!(Identity::of_cluster("", "eu-west-1", "prod"), None);
        assert_eq!(Identity::of_cluster("not-an-arn", "eu-west-1", "p"), None);
    }

    #[test]
    fn identity_round_trips_through_the_wire() {
        let id = Identity::of_cluster(ARN, "eu-west-1", "prod").unwrap();
        let wire = id.encode().unwrap();
        assert_eq!(wire.decode(identity_type()).unwrap(), id.value());
        let back = decode_import(&wire).unwrap();
        assert_eq!(back, given(Some("111122223333"), Some("eu-west-1")));
    }

    #[test]
    fn import_identity_needs_a_cluster_name() {
        let only_name = Value::object([
            ("account_id", Value::Null),
            ("region", Value::Null),
            ("cluster_name", Value::string("prod")),
        ]);
        let wire = DynamicValue::encode(&only_name, identity_type()).unwrap();
        assert_eq!(decode_import(&wire).unwrap(), given(None, None));

        let no_name = Value::object([
            ("account_id", Value::Null),
            ("region", Value::Null),
            ("cluster_name", Value::Null),
        ]);
        let wire = DynamicValue::encode(&no_name, identity_type()).unwrap();
        let e = decode_import(&wire).unwrap_err();
        assert_eq!(e.summary, "Invalid import identity");
        assert!(
            e.detail.contains("cluster_name is required"),
            "{}",
            e.detail
        );

        let empty_region = Value::object([
            ("account_id", Value::Null),
            ("region", Value::string(" ")),
            ("cluster_name", Value::string("prod")),
        ]);
        let wire = DynamicValue::encode(&empty_region, identity_type()).unwrap();
        assert!(decode_import(&wire).unwrap_err().detail.contains("region"));
    }

    /// The import check as a decision table: (identity account, identity
    /// region, provider account) -> what is refused, if anything. The
    /// provider's region is eu-west-1, its account 111122223333.
    #[test]
    fn import_check_decision_table() {
        type Row<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let rows: &[Row] = &[
            (None, None, None, None),
            (None, Some("eu-west-1"), None, None),
            (Some("111122223333"), None, Some("111122223333"), None),
            (
                Some("111122223333"),
                Some("eu-west-1"),
                Some("111122223333"),
                None,
            ),
            (None, Some("us-east-1"), None, Some("region")),
            (
                Some("999999999999"),
                None,
                Some("111122223333"),
                Some("account"),
            ),
            // The region is checked first: no account lookup is needed.
            (
                Some("999999999999"),
                Some("us-east-1"),
                None,
                Some("region"),
            ),
        ];
        for (account, region, mine, refused) in rows {
            let got = check_import(&given(*account, *region), "eu-west-1", *mine);
            let what = got.err().map(|d| {
                assert!(d.detail.contains("Nothing was read"), "{}", d.detail);
                assert!(d.detail.contains("\"prod\""), "{}", d.detail);
                d.summary
            });
            assert_eq!(
                what,
                refused.map(|a| format!("Import identity is in another {a}")),
                "row {account:?} {region:?} {mine:?}"
            );
        }
    }

    #[test]
    fn schema_requires_only_the_cluster_name() {
        let s = identity_schema();
        assert_eq!(s.version, 0);
        let required: Vec<_> = s
            .attributes
            .iter()
            .filter(|a| a.required_for_import)
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(required, ["cluster_name"]);
        assert!(s.attributes.iter().all(|a| !a.description.is_empty()));
    }
}
