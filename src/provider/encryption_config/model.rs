//! The resource's value as plain Rust data, in both directions. Every
//! attribute can be null, unknown (during planning) or known, so each is a
//! [`Cfg`].

use std::time::Duration;

use super::plan::Cfg;
use crate::tfprotov6::{AttributePath, Diagnostic, Value};

/// `eks_encryption_config` as state, plan or configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// `id`.
    pub id: Cfg<String>,
    /// `cluster_name`.
    pub cluster_name: Cfg<String>,
    /// `key_arn`, as written.
    pub key_arn: Cfg<String>,
    /// `resources`.
    pub resources: Cfg<Vec<String>>,
    /// `deletion_protection`.
    pub deletion_protection: Cfg<bool>,
    /// `preflight`.
    pub preflight: Cfg<bool>,
    /// `require_key_rotation`.
    pub require_key_rotation: Cfg<bool>,
    /// `cluster_arn`.
    pub cluster_arn: Cfg<String>,
    /// `cluster_version`.
    pub cluster_version: Cfg<String>,
    /// `resolved_key_arn`.
    pub resolved_key_arn: Cfg<String>,
    /// `key_type`.
    pub key_type: Cfg<String>,
    /// `key_state`.
    pub key_state: Cfg<String>,
    /// `update_id`.
    pub update_id: Cfg<String>,
    /// `cluster_created_at`.
    pub cluster_created_at: Cfg<String>,
    /// The `timeouts` block.
    pub timeouts: Cfg<Timeouts>,
}

/// The `timeouts` block.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Timeouts {
    /// `create`.
    pub create: Cfg<String>,
    /// `update`.
    pub update: Cfg<String>,
}

impl<T> Cfg<T> {
    /// The known value, if any.
    pub fn known(&self) -> Option<&T> {
        match self {
            Cfg::Known(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the value is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Cfg::Unknown)
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Cfg::Null)
    }

    /// `Known(v)` for `Some(v)`, `Null` for `None`.
    pub fn from_option(v: Option<T>) -> Self {
        v.map_or(Cfg::Null, Cfg::Known)
    }
}

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

fn wrong_type(p: AttributePath, want: &str, got: &Value) -> Diagnostic {
    Diagnostic::error(
        "Unexpected value type",
        format!(
            "{p}: expected {want}, got {}. This is a bug in the provider or a corrupted state; \
             please report it.",
            got.kind_name()
        ),
    )
    .with_attribute(p)
}

fn read_string(v: Option<&Value>, p: AttributePath) -> Result<Cfg<String>, Diagnostic> {
    match v {
        None | Some(Value::Null) => Ok(Cfg::Null),
        Some(Value::Unknown) => Ok(Cfg::Unknown),
        Some(Value::String(s)) => Ok(Cfg::Known(s.clone())),
        Some(other) => Err(wrong_type(p, "string", other)),
    }
}

fn read_bool(v: Option<&Value>, p: AttributePath) -> Result<Cfg<bool>, Diagnostic> {
    match v {
        None | Some(Value::Null) => Ok(Cfg::Null),
        Some(Value::Unknown) => Ok(Cfg::Unknown),
        Some(Value::Bool(b)) => Ok(Cfg::Known(*b)),
        Some(other) => Err(wrong_type(p, "bool", other)),
    }
}

fn read_string_list(v: Option<&Value>, p: AttributePath) -> Result<Cfg<Vec<String>>, Diagnostic> {
    match v {
        None | Some(Value::Null) => Ok(Cfg::Null),
        Some(Value::Unknown) => Ok(Cfg::Unknown),
        Some(Value::List(items)) | Some(Value::Set(items)) | Some(Value::Tuple(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    Value::Unknown => return Ok(Cfg::Unknown),
                    other => {
                        return Err(wrong_type(p.child_index(i as i64), "string", other));
                    }
                }
            }
            Ok(Cfg::Known(out))
        }
        Some(other) => Err(wrong_type(p, "list of string", other)),
    }
}

fn string_value(v: &Cfg<String>) -> Value {
    match v {
        Cfg::Null => Value::Null,
        Cfg::Unknown => Value::Unknown,
        Cfg::Known(s) => Value::String(s.clone()),
    }
}

impl Model {
    /// Reads a value; `Ok(None)` for a null object (no resource).
    pub fn from_value(v: &Value) -> Result<Option<Model>, Diagnostic> {
        match v {
            Value::Null => return Ok(None),
            Value::Object(_) => {}
            Value::Unknown => {
                return Err(Diagnostic::error(
                    "Unexpected unknown resource",
                    "Terraform sent a wholly unknown value for eks_encryption_config; please \
                     report this as a bug.",
                ))
            }
            other => return Err(wrong_type(AttributePath::root(), "object", other)),
        }
        let get = |n: &str| v.get_attr(n);
        let timeouts = match get("timeouts") {
            None | Some(Value::Null) => Cfg::Null,
            Some(Value::Unknown) => Cfg::Unknown,
            Some(t @ Value::Object(_)) => {
                let tp = path("timeouts");
                Cfg::Known(Timeouts {
                    create: read_string(t.get_attr("create"), tp.child_attr("create"))?,
                    update: read_string(t.get_attr("update"), tp.child_attr("update"))?,
                })
            }
            Some(other) => return Err(wrong_type(path("timeouts"), "object", other)),
        };
        Ok(Some(Model {
            id: read_string(get("id"), path("id"))?,
            cluster_name: read_string(get("cluster_name"), path("cluster_name"))?,
            key_arn: read_string(get("key_arn"), path("key_arn"))?,
            resources: read_string_list(get("resources"), path("resources"))?,
            deletion_protection: read_bool(
                get("deletion_protection"),
                path("deletion_protection"),
            )?,
            preflight: read_bool(get("preflight"), path("preflight"))?,
            require_key_rotation: read_bool(
                get("require_key_rotation"),
                path("require_key_rotation"),
            )?,
            cluster_arn: read_string(get("cluster_arn"), path("cluster_arn"))?,
            cluster_version: read_string(get("cluster_version"), path("cluster_version"))?,
            resolved_key_arn: read_string(get("resolved_key_arn"), path("resolved_key_arn"))?,
            key_type: read_string(get("key_type"), path("key_type"))?,
            key_state: read_string(get("key_state"), path("key_state"))?,
            update_id: read_string(get("update_id"), path("update_id"))?,
            cluster_created_at: read_string(get("cluster_created_at"), path("cluster_created_at"))?,
            timeouts,
        }))
    }

    /// Writes the model as a value of the resource's type.
    pub fn to_value(&self) -> Value {
        let timeouts = match &self.timeouts {
            Cfg::Null => Value::Null,
            Cfg::Unknown => Value::Unknown,
            Cfg::Known(t) => Value::object([
                ("create", string_value(&t.create)),
                ("update", string_value(&t.update)),
            ]),
        };
        let resources = match &self.resources {
            Cfg::Null => Value::Null,
            Cfg::Unknown => Value::Unknown,
            Cfg::Known(r) => Value::list(r.iter().map(|s| Value::String(s.clone()))),
        };
        let bool_value = |v: &Cfg<bool>| match v {
            Cfg::Null => Value::Null,
            Cfg::Unknown => Value::Unknown,
            Cfg::Known(b) => Value::Bool(*b),
        };
        let protection = bool_value(&self.deletion_protection);
        Value::object([
            ("id", string_value(&self.id)),
            ("cluster_name", string_value(&self.cluster_name)),
            ("key_arn", string_value(&self.key_arn)),
            ("resources", resources),
            ("deletion_protection", protection),
            ("preflight", bool_value(&self.preflight)),
            (
                "require_key_rotation",
                bool_value(&self.require_key_rotation),
            ),
            ("cluster_arn", string_value(&self.cluster_arn)),
            ("cluster_version", string_value(&self.cluster_version)),
            ("resolved_key_arn", string_value(&self.resolved_key_arn)),
            ("key_type", string_value(&self.key_type)),
            ("key_state", string_value(&self.key_state)),
            ("update_id", string_value(&self.update_id)),
            ("cluster_created_at", string_value(&self.cluster_created_at)),
            ("timeouts", timeouts),
        ])
    }

    /// The configured timeout for a create (`true`) or an update, or
    /// [`DEFAULT_TIMEOUT`]. Never above [`MAX_DURATION`] (validation
    /// refuses larger values before any apply).
    pub fn timeout(&self, create: bool) -> Duration {
        let configured = self.timeouts.known().and_then(|t| {
            if create {
                t.create.known()
            } else {
                t.update.known()
            }
        });
        configured
            .and_then(|s| parse_duration(s).ok())
            .unwrap_or(DEFAULT_TIMEOUT)
            .min(MAX_DURATION)
    }

    /// `preflight`, defaulting to true.
    pub fn preflight_on(&self) -> bool {
        !matches!(self.preflight, Cfg::Known(false))
    }

    /// `require_key_rotation`, defaulting to false.
    pub fn rotation_required(&self) -> bool {
        matches!(self.require_key_rotation, Cfg::Known(true))
    }

    /// `deletion_protection`, defaulting to true.
    pub fn protection(&self) -> bool {
        !matches!(self.deletion_protection, Cfg::Known(false))
    }
}

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
            id: Cfg::Known("c".into()),
            cluster_name: Cfg::Known("c".into()),
            key_arn: Cfg::Unknown,
            resources: Cfg::Known(vec!["secrets".into()]),
            deletion_protection: Cfg::Known(true),
            preflight: Cfg::Known(false),
            require_key_rotation: Cfg::Null,
            cluster_arn: Cfg::Null,
            cluster_version: Cfg::Known("1.31".into()),
            resolved_key_arn: Cfg::Unknown,
            key_type: Cfg::Unknown,
            key_state: Cfg::Null,
            update_id: Cfg::Null,
            cluster_created_at: Cfg::Known("2026-01-01T00:00:00Z".into()),
            timeouts: Cfg::Known(Timeouts {
                create: Cfg::Known("5m".into()),
                update: Cfg::Null,
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
            timeouts: Cfg::Known(Timeouts {
                create: Cfg::Known("3000000000000000h".into()),
                update: Cfg::Null,
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
