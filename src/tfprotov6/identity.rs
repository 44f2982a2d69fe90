//! Resource identity (protocol 6.9+, Terraform 1.12+, OpenTofu 1.12+): a
//! small, versioned object that names the remote object a resource manages,
//! beside its state. Terraform stores it with the state, shows it in plan
//! JSON, and accepts it in `import` blocks (`identity = { ... }`) instead of
//! an import id.

use std::collections::BTreeMap;

use super::diagnostics::Diagnostics;
use super::provider::DynamicValue;
use super::value::Type;

/// The identity schema of one managed resource type.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentitySchema {
    /// The identity version, independent of the state schema version.
    pub version: i64,
    /// The identity attributes, in display order.
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// The identity as one object type, to decode and encode values with.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.as_str(), a.ty.clone())),
        )
    }
}

/// One identity attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityAttribute {
    /// The attribute name.
    pub name: String,
    /// Its value type (identity attributes are primitives or lists of them).
    pub ty: Type,
    /// Must be given in an `import` block's `identity`.
    pub required_for_import: bool,
    /// May be given in an `import` block's `identity`; the provider fills it
    /// otherwise.
    pub optional_for_import: bool,
    /// Markdown description.
    pub description: String,
}

/// Response to `GetResourceIdentitySchemas`.
#[derive(Clone, Debug, Default)]
pub struct GetResourceIdentitySchemasResponse {
    /// Identity schemas by managed resource type name.
    pub identity_schemas: BTreeMap<String, IdentitySchema>,
    /// Problems building them.
    pub diagnostics: Diagnostics,
}

impl From<Diagnostics> for GetResourceIdentitySchemasResponse {
    /// No identity schemas, only the diagnostics.
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            identity_schemas: BTreeMap::new(),
            diagnostics,
        }
    }
}

/// `UpgradeResourceIdentity`.
#[derive(Clone, Debug)]
pub struct UpgradeResourceIdentityRequest {
    /// The resource type.
    pub type_name: String,
    /// The identity version the stored identity was written with.
    pub version: i64,
    /// The stored identity as JSON (empty when the core sent none).
    pub raw_identity_json: Vec<u8>,
}

/// Response to `UpgradeResourceIdentity`.
#[derive(Clone, Debug, Default)]
pub struct UpgradeResourceIdentityResponse {
    /// The identity in the current identity schema.
    pub upgraded_identity: Option<DynamicValue>,
    /// Why it could not be upgraded.
    pub diagnostics: Diagnostics,
}

impl From<Diagnostics> for UpgradeResourceIdentityResponse {
    /// A failed upgrade: no identity, only the diagnostics.
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            upgraded_identity: None,
            diagnostics,
        }
    }
}
