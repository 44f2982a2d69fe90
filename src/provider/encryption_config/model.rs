//! The resource's value as plain Rust data, in both directions, declared
//! once: each attribute's schema name, kind, type and description, its
//! reading and its writing come from one line group of `model!` below, so
//! adding an attribute touches that place (and the docs it describes).
//!
//! Every attribute can be null, unknown (during planning) or known, so each
//! is a [`Maybe`], read and written with [`crate::tfprotov6::value::convert`].

use std::time::Duration;

use crate::tfprotov6::value::{ConvertError, FromValue, IntoValue, Maybe, ObjectReader};
use crate::tfprotov6::{Attribute, AttributePath, Diagnostic, Type, Value};

/// Declares a model struct whose fields are schema attributes: the struct
/// (each field a [`Maybe`], documented with its schema description), its
/// [`FromValue`] and [`IntoValue`] (the attribute name is the field name),
/// and `schema_attributes()`, the schema's attributes in this order.
/// Single nested blocks, listed after `blocks`, are read and written the
/// same way; their schema is the block's own.
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $field:ident: $ty:ty => $kind:ident($schema_type:expr, $desc:literal), )*
        }
        $( blocks { $( $(#[$bmeta:meta])* $block:ident: $bty:ty, )* } )?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Default)]
        pub struct $name {
            $( #[doc = $desc] pub $field: Maybe<$ty>, )*
            $($( $(#[$bmeta])* pub $block: Maybe<$bty>, )*)?
        }

        impl $name {
            /// The schema attributes, in declaration order, each with its
            /// description.
            pub fn schema_attributes() -> Vec<Attribute> {
                vec![$( Attribute::$kind(stringify!($field), $schema_type, $desc) ),*]
            }
        }

        impl FromValue for $name {
            fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
                let r = ObjectReader::new(v, path)?;
                Ok(Self {
                    $( $field: r.get(stringify!($field))?, )*
                    $($( $block: r.get(stringify!($block))?, )*)?
                })
            }
        }

        impl IntoValue for $name {
            fn into_value(self) -> Value {
                Value::object([
                    $( (stringify!($field), self.$field.into_value()), )*
                    $($( (stringify!($block), self.$block.into_value()), )*)?
                ])
            }
        }
    };
}

model! {
    /// `eks_encryption_config` as state, plan or configuration.
    pub struct Model {
        id: String => computed(Type::String, "The cluster name; also the import id."),
        cluster_name: String => required(
            Type::String,
            "Name of the EKS cluster, in the provider's region. Changing it means a \
             different cluster and plans a replacement (which `deletion_protection` \
             guards)."
        ),
        key_arn: String => optional(
            Type::String,
            "The customer managed KMS key: a key ARN, an alias ARN or `alias/NAME`. \
             Must be a symmetric `ENCRYPT_DECRYPT` key, Enabled, in the cluster's region. \
             Null (the default) means EKS's AWS owned key, the default envelope \
             encryption on Kubernetes 1.28+. Once a CMK is set it can never be removed \
             or changed; the alias and ARN forms of the same key are interchangeable."
        ),
        resources: Vec<String> => optional_computed(
            Type::list(Type::String),
            "Kubernetes resources to encrypt with the key. Only `[\"secrets\"]` is \
             supported by EKS, and it is the default."
        ),
        deletion_protection: bool => optional_computed(
            Type::Bool,
            "When `true` (the default), destroying or replacing this resource while a \
             CMK is associated fails at plan time. Set it to `false` and apply before \
             removing the resource; the CMK stays on the cluster either way."
        ),
        preflight: bool => optional(
            Type::Bool,
            "When `true` (the default), before an association is planned (or before \
             it is applied, when the plan could not tell: the cluster or the key did \
             not exist yet) the provider makes a KMS `CreateGrant` call with \
             `DryRun = true`, as the caller, for the cluster's IAM role: a refusal is an \
             error on `key_arn` at plan instead of a failed association. Set `false` \
             for callers that may not call CreateGrant with DryRun. The key's custody \
             warnings (expiring imported material, custom key store) are given either \
             way."
        ),
        require_key_rotation: bool => optional(
            Type::Bool,
            "When `true`, a key without automatic rotation is an error at plan \
             (`Automatic key rotation is required`) instead of a warning. Default \
             `false`."
        ),
        cluster_arn: String => computed(Type::String, "The cluster's ARN."),
        cluster_version: String => computed(
            Type::String,
            "The cluster's Kubernetes version, e.g. `1.31`."
        ),
        resolved_key_arn: String => computed(
            Type::String,
            "The key ARN EKS actually uses (aliases resolved). Null without a CMK."
        ),
        key_type: String => computed(
            Type::String,
            "`CUSTOMER_MANAGED` when a CMK is associated, `AWS_OWNED` on Kubernetes \
             1.28+ without a CMK, `NONE` below 1.28 without a CMK (no envelope \
             encryption)."
        ),
        key_state: String => computed(
            Type::String,
            "The KMS state of the CMK at the last refresh (`Enabled`, `Disabled`, \
             `PendingDeletion`, ...). Null without a CMK."
        ),
        update_id: String => computed(
            Type::String,
            "The id of the EKS update that associated the key, when known."
        ),
        cluster_created_at: String => computed(
            Type::String,
            "When EKS created the cluster (RFC 3339). A cluster deleted and recreated \
             under the same name keeps its ARN but not this time, so the provider \
             notices the new cluster and plans the key association again."
        ),
    }
    blocks {
        /// The `timeouts` block.
        timeouts: Timeouts,
    }
}

model! {
    /// The `timeouts` block.
    pub struct Timeouts {
        create: String => optional(
            Type::String,
            "How long a create may wait for the association update, as a duration such as \
             `90m` or `2h` (at most `24h`). Default `2h`."
        ),
        update: String => optional(
            Type::String,
            "How long an update may wait for the association update, as a duration such \
             as `90m` or `2h` (at most `24h`). Default `2h`."
        ),
    }
}

/// The diagnostic for a value that does not fit the resource's type: a bug
/// or a corrupted state, on the attribute it concerns.
fn wrong_type(e: ConvertError) -> Diagnostic {
    Diagnostic::error(
        "Unexpected value type",
        format!("{e}. This is a bug in the provider or a corrupted state; please report it."),
    )
    .with_attribute(e.path)
}

impl Model {
    /// Reads a value; `Ok(None)` for a null object (no resource).
    pub fn from_value(v: &Value) -> Result<Option<Model>, Diagnostic> {
        match v.unwrap_dynamic() {
            Value::Null => Ok(None),
            Value::Unknown => Err(Diagnostic::error(
                "Unexpected unknown resource",
                "Terraform sent a wholly unknown value for eks_encryption_config; please \
                 report this as a bug.",
            )),
            _ => <Model as FromValue>::from_value(v, &AttributePath::root())
                .map(Some)
                .map_err(wrong_type),
        }
    }

    /// Writes the model as a value of the resource's type.
    pub fn to_value(&self) -> Value {
        self.clone().into_value()
    }

    /// The configured timeout for a create (`true`) or an update, as
    /// written, if any.
    pub fn configured_timeout(&self, create: bool) -> Option<&String> {
        let t = self.timeouts.known()?;
        if create {
            t.create.known()
        } else {
            t.update.known()
        }
    }

    /// The configured timeout for a create (`true`) or an update, or
    /// [`DEFAULT_TIMEOUT`]. Never above [`MAX_DURATION`] (validation
    /// refuses larger values before any apply).
    pub fn timeout(&self, create: bool) -> Duration {
        self.configured_timeout(create)
            .and_then(|s| parse_duration(s).ok())
            .unwrap_or(DEFAULT_TIMEOUT)
            .min(MAX_DURATION)
    }

    /// `preflight`, defaulting to true.
    pub fn preflight_on(&self) -> bool {
        !matches!(self.preflight, Maybe::Known(false))
    }

    /// `require_key_rotation`, defaulting to false.
    pub fn rotation_required(&self) -> bool {
        matches!(self.require_key_rotation, Maybe::Known(true))
    }

    /// `deletion_protection`, defaulting to true.
    pub fn protection(&self) -> bool {
        !matches!(self.deletion_protection, Maybe::Known(false))
    }
}

/// The only `resources` value EKS accepts.
pub const SECRETS: &str = "secrets";

/// The default create and update timeout: 2 hours.
///
/// Real associations take 45 to 60 minutes and more: eksctl's own code says
/// "may take up to 45 minutes"; public reports give 50 minutes
/// (pulumi/pulumi-aws#1443), 52 minutes (awsdocs/amazon-eks-user-guide#406)
/// and "more than 1h" (terraform-aws-modules/terraform-aws-eks#1588). A
/// timeout does not stop EKS: the next apply waits for the same update.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);

/// The largest duration accepted anywhere (timeouts): 24 hours. Larger
/// values are refused at validation, so no deadline arithmetic can
/// overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses a Go-style duration such as `30m`, `1h30m`, `45s` or `500ms`, at
/// most [`MAX_DURATION`]. Arithmetic is checked: no input can overflow.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{s:?} is not a duration. Use a number followed by a unit (h, m, s or ms), \
             optionally repeated, such as \"30m\", \"1h30m\" or \"90s\"."
        )
    };
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let secs = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let too_long = || {
            format!("{s:?} is longer than the maximum of 24h. Use a duration of at most \"24h\".")
        };
        let part = Duration::try_from_secs_f64(number * secs).map_err(|_| too_long())?;
        total = total
            .checked_add(part)
            .filter(|t| *t <= MAX_DURATION)
            .ok_or_else(too_long)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_value() {
        let m = Model {
            id: Maybe::Known("c".into()),
            cluster_name: Maybe::Known("c".into()),
            key_arn: Maybe::Unknown,
            resources: Maybe::Known(vec!["secrets".into()]),
            deletion_protection: Maybe::Known(true),
            preflight: Maybe::Known(false),
            require_key_rotation: Maybe::Null,
            cluster_arn: Maybe::Null,
            cluster_version: Maybe::Known("1.31".into()),
            resolved_key_arn: Maybe::Unknown,
            key_type: Maybe::Unknown,
            key_state: Maybe::Null,
            update_id: Maybe::Null,
            cluster_created_at: Maybe::Known("2026-01-01T00:00:00Z".into()),
            timeouts: Maybe::Known(Timeouts {
                create: Maybe::Known("5m".into()),
                update: Maybe::Null,
            }),
        };
        let back = Model::from_value(&m.to_value()).unwrap().unwrap();
        assert_eq!(back, m);
        assert_eq!(m.timeout(true), Duration::from_secs(300));
        assert_eq!(m.timeout(false), DEFAULT_TIMEOUT);
        assert!(Model::from_value(&Value::Null).unwrap().is_none());
    }

    #[test]
    fn wrong_types_name_the_attribute() {
        let v = Value::object([("cluster_name", Value::Bool(true))]);
        let d = Model::from_value(&v).unwrap_err();
        assert_eq!(d.attribute, Some(AttributePath::attr("cluster_name")));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60m").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["", "10", "m", "10x", "1h-5m", "-5m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("24h").unwrap(), MAX_DURATION);
    }

    /// Regression test for issue 9: values that overflowed `Instant +
    /// Duration` (or the sum itself) and aborted the provider.
    #[test]
    fn overflowing_durations_are_errors_not_panics() {
        let repeated = "9999999999h".repeat(10_000);
        for huge in [
            "3000000000000000h",
            "24h1ms",
            "25h",
            "1e308h",
            "18446744073709551615s",
            repeated.as_str(),
            "99999999999999999999999999999999999999999999999999h",
        ] {
            let e = parse_duration(huge).unwrap_err();
            assert!(
                e.contains("24h") || e.contains("not a duration"),
                "{huge}: {e}"
            );
        }
        let m = Model {
            timeouts: Maybe::Known(Timeouts {
                create: Maybe::Known("3000000000000000h".into()),
                update: Maybe::Null,
            }),
            ..Model::from_value(&Value::object([("cluster_name", Value::string("c"))]))
                .unwrap()
                .unwrap()
        };
        // An invalid value never reaches an apply (validation refuses it),
        // and even so the deadline stays computable.
        assert_eq!(m.timeout(true), DEFAULT_TIMEOUT);
        let _ = tokio::time::Instant::now() + m.timeout(true);
    }
}
