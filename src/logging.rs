//! Logs as JSON lines on stderr, in the shape go-hclog writes, so Terraform
//! shows them inside its own log under `TF_LOG` / `TF_LOG_PROVIDER`.
//!
//! Each line carries `@level`, `@message`, `@timestamp`, `@module` and the
//! event's structured fields. Stdout is never written: it belongs to the
//! plugin handshake.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// The `@module` Terraform prints next to our lines.
pub const MODULE: &str = "provider.terraform-provider-eks";

/// Reads the level from `TF_LOG_PROVIDER`, then `TF_LOG`. `None` means off.
pub fn level_from_env(provider: Option<&str>, core: Option<&str>) -> Option<Level> {
    let raw = provider
        .filter(|v| !v.is_empty())
        .or(core.filter(|v| !v.is_empty()))?;
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        "OFF" => None,
        // Terraform treats an unknown level as TRACE.
        _ => Some(Level::TRACE),
    }
}

/// Installs the global subscriber. Safe to call once at start-up.
pub fn init() {
    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
        std::env::var("TF_LOG").ok().as_deref(),
    );
    let Some(level) = level else { return };
    let subscriber = tracing_subscriber::registry().with(HclogLayer { max_level: level });
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// A tracing layer that writes go-hclog JSON lines to stderr.
pub struct HclogLayer {
    max_level: Level,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        // Our own events at the chosen level; dependencies (the AWS SDK,
        // hyper, rustls) only at WARN and above, because their debug and
        // trace output can include request bodies and signed headers.
        let max = if is_own_target(metadata.target()) {
            self.max_level
        } else {
            self.max_level.min(Level::WARN)
        };
        *metadata.level() <= max
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = JsonVisitor::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = Map::new();
        // Span fields first, so the event's own fields win on a clash.
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    line.extend(f.0.clone());
                }
            }
        }
        let mut visitor = JsonVisitor::default();
        event.record(&mut visitor);
        line.extend(visitor.fields);
        let message = line
            .remove("message")
            .and_then(|m| m.as_str().map(str::to_owned))
            .unwrap_or_default();
        line.insert(
            "@level".into(),
            Json::from(level_name(event.metadata().level())),
        );
        line.insert("@message".into(), Json::from(message));
        line.insert("@module".into(), Json::from(MODULE));
        line.insert("@timestamp".into(), Json::from(timestamp()));
        let mut out = serde_json::to_string(&line).unwrap_or_default();
        out.push('\n');
        let _ = std::io::stderr().lock().write_all(out.as_bytes());
    }
}

struct SpanFields(Map<String, Json>);

#[derive(Default)]
struct JsonVisitor {
    fields: Map<String, Json>,
}

impl Visit for JsonVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut s = String::new();
        let _ = write!(s, "{value:?}");
        self.fields.insert(field.name().to_owned(), Json::from(s));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields
            .insert(field.name().to_owned(), Json::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields
            .insert(field.name().to_owned(), Json::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields
            .insert(field.name().to_owned(), Json::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields
            .insert(field.name().to_owned(), Json::from(value));
    }
}

fn is_own_target(target: &str) -> bool {
    target == "terraform_provider_eks" || target.starts_with("terraform_provider_eks::")
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// go-hclog's timestamp layout: microseconds and a numeric zone.
fn timestamp() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_precedence_and_names() {
        assert_eq!(level_from_env(None, None), None);
        assert_eq!(level_from_env(None, Some("debug")), Some(Level::DEBUG));
        assert_eq!(
            level_from_env(Some("ERROR"), Some("trace")),
            Some(Level::ERROR)
        );
        assert_eq!(level_from_env(Some(""), Some("warn")), Some(Level::WARN));
        assert_eq!(level_from_env(None, Some("off")), None);
        assert_eq!(level_from_env(None, Some("json")), Some(Level::TRACE));
    }

    #[test]
    fn dependencies_are_capped_at_warn() {
        assert!(is_own_target("terraform_provider_eks::server"));
        assert!(!is_own_target("aws_smithy_runtime::client"));
        assert!(!is_own_target("terraform_provider_eks_fuzz"));
    }

    #[test]
    fn timestamp_has_microseconds() {
        let t = timestamp();
        assert_eq!(t.len(), "2026-11-28T00:00:00.000000Z".len(), "{t}");
    }
}
