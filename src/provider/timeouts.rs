//! Timeout settings of the provider block: `attempt_timeout` and
//! `operation_timeout`, the bounds of every AWS call (see
//! [`crate::aws::CallTimeouts`] for the defaults and why). Their schema and
//! their reading into [`CallTimeouts`]. (The resource's own `timeouts` block,
//! for the association, is in `encryption_config`.)

use std::time::Duration;

use super::encryption_config::model::parse_duration;
use super::reader::Reader;
use crate::aws::{CallTimeouts, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT};
use crate::tfprotov6::{Attribute, Type};

/// The shortest bound accepted: one second.
const MIN: Duration = Duration::from_secs(1);

/// The two attributes, appended to the provider block.
pub fn attributes() -> Vec<Attribute> {
    vec![
        Attribute::optional(
            "attempt_timeout",
            Type::String,
            "How long one attempt of an AWS call (one HTTP exchange) may take before it is \
             abandoned and retried, as a duration such as `30s` or `2m`. Default `60s`, the \
             AWS CLI's read timeout: EKS and KMS answer these calls in well under a second, so \
             only a hung endpoint reaches it. At least `1s`, at most `operation_timeout`.",
        ),
        Attribute::optional(
            "operation_timeout",
            Type::String,
            "How long one AWS call may take with all its retries, as a duration such as `5m`. \
             Default `5m`. A plan against an endpoint that accepts connections and never \
             answers fails after this long, naming the operation and the endpoint. Retries \
             that cannot fit in it (each may wait up to 20 s first) are not made, so \
             `max_retries` is capped at `operation_timeout / 20s`. At most `24h`.",
        ),
    ]
}

/// One of the two attributes: a duration of at least [`MIN`].
fn one(r: &mut Reader<'_>, name: &str) -> Option<Duration> {
    let s = r.duration_setting(name)?;
    match parse_duration(&s) {
        Ok(d) if d >= MIN => Some(d),
        Ok(_) => {
            r.error(
                name,
                format!("Invalid {name}"),
                format!("{s:?} is shorter than the minimum of 1s. Use at least \"1s\"."),
            );
            None
        }
        Err(why) => {
            r.error(name, format!("Invalid {name}"), why);
            None
        }
    }
}

/// Reads and checks the two attributes of the provider block `r` reads.
pub fn parse(r: &mut Reader<'_>) -> CallTimeouts {
    let t = CallTimeouts {
        attempt: one(r, "attempt_timeout"),
        operation: one(r, "operation_timeout"),
    };
    if t.attempt() > t.operation() {
        let (a, o) = (t.attempt(), t.operation());
        r.error(
            "attempt_timeout",
            "Invalid attempt_timeout",
            format!(
                "attempt_timeout ({a:?}) is longer than operation_timeout ({o:?}), which \
                 bounds every attempt. Make attempt_timeout at most operation_timeout \
                 (defaults: {DEFAULT_ATTEMPT_TIMEOUT:?} and {DEFAULT_OPERATION_TIMEOUT:?})."
            ),
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfprotov6::{AttributePath, Diagnostics, Value};

    /// [`parse`] over a provider block value.
    fn parse_config(config: &Value, diags: &mut Diagnostics) -> CallTimeouts {
        parse(&mut Reader::new(config, &AttributePath::root(), diags).unwrap())
    }

    #[test]
    fn parses_and_validates() {
        let mut d = Diagnostics::new();
        let t = parse_config(
            &Value::object([
                ("attempt_timeout", Value::string("2s")),
                ("operation_timeout", Value::string("4s")),
            ]),
            &mut d,
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(t.attempt(), Duration::from_secs(2));
        assert_eq!(t.operation(), Duration::from_secs(4));

        for (attempt, operation, bad) in [
            ("10s", "5s", "attempt_timeout"),
            ("500ms", "5s", "attempt_timeout"),
            ("5s", "3000000000000000h", "operation_timeout"),
            ("5s", "soon", "operation_timeout"),
        ] {
            let mut d = Diagnostics::new();
            parse_config(
                &Value::object([
                    ("attempt_timeout", Value::string(attempt)),
                    ("operation_timeout", Value::string(operation)),
                ]),
                &mut d,
            );
            assert!(d.has_errors(), "{attempt} {operation}");
            assert_eq!(
                d.0[0].attribute,
                Some(AttributePath::attr(bad)),
                "{attempt} {operation}"
            );
        }
        let mut d = Diagnostics::new();
        let none = parse_config(&Value::object([("attempt_timeout", Value::Null)]), &mut d);
        assert_eq!(none, CallTimeouts::default());
        assert!(d.is_empty(), "{d:?}");
    }
}
