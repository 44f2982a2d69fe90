//! Reading the provider block: one [`Reader`] over
//! [`ObjectReader`] for every setting (the concern modules
//! [`auth`](super::auth), [`endpoints`](super::endpoints),
//! [`network`](super::network) and [`timeouts`](super::timeouts), driven by
//! [`settings`](super::settings)), which turns each conversion problem into
//! a diagnostic on the attribute's path.
//!
//! Unlike a resource, the provider cannot be configured from a value only
//! known after apply, so reads take `Option<T>` (null allowed, unknown an
//! error) and an unknown value is reported as [`NOT_KNOWN_YET`]
//! (validation drops those; configuration refuses them).

use std::collections::BTreeMap;

use crate::tfprotov6::value::{ConvertError, FromValue, Maybe, Number, ObjectReader, PathStep};
use crate::tfprotov6::{AttributePath, Diagnostic, Diagnostics, Value};

/// Summary of the diagnostic for a value only known after apply.
pub const NOT_KNOWN_YET: &str = "Provider configuration not known yet";

/// How problems reading one attribute are worded.
#[derive(Clone, Copy)]
enum Wording {
    /// An argument of the block: "Invalid provider attribute", and an
    /// unknown value explained at length.
    Attribute,
    /// A tuning setting (`max_retries`, the call timeouts): "Invalid NAME",
    /// and a one-line unknown message.
    Setting,
}

/// Reads typed values of one object of the provider block, reporting each
/// problem on its path.
pub struct Reader<'a> {
    obj: ObjectReader<'a>,
    diags: &'a mut Diagnostics,
}

impl<'a> Reader<'a> {
    /// A reader of the object `v` at `path`; `None` when `v` is not an
    /// object (null), which leaves every setting at its default.
    pub fn new(v: &'a Value, path: &AttributePath, diags: &'a mut Diagnostics) -> Option<Self> {
        let obj = ObjectReader::new(v, path).ok()?;
        Some(Self { obj, diags })
    }

    /// A reader of the single nested block `name`, when it is set (an unset
    /// or not yet known block is left alone, like an unset one).
    pub fn block(&mut self, name: &str) -> Option<Reader<'_>> {
        match self.obj.object(name) {
            Ok(Maybe::Known(obj)) => Some(Reader {
                obj,
                diags: &mut *self.diags,
            }),
            _ => None,
        }
    }

    /// The path of the attribute `name`.
    pub fn path(&self, name: &str) -> AttributePath {
        self.obj.path().child_attr(name)
    }

    /// Reports an error on the attribute `name`.
    pub fn error(&mut self, name: &str, summary: impl Into<String>, detail: impl Into<String>) {
        let path = self.path(name);
        self.diags
            .push(Diagnostic::error(summary, detail).with_attribute(path));
    }

    /// Reports an "Invalid provider attribute" error on `name`.
    pub fn invalid(&mut self, name: &str, detail: impl Into<String>) {
        self.error(name, "Invalid provider attribute", detail);
    }

    /// The attribute `name` as a `T`, or `None` when null or absent; any
    /// other problem is reported, a wrongly typed value as not being
    /// `expected` (e.g. "a string").
    fn read<T: FromValue>(&mut self, name: &str, expected: &str, wording: Wording) -> Option<T> {
        match self.obj.get::<Option<T>>(name) {
            Ok(v) => v,
            Err(e) => {
                self.report(name, expected, wording, &e);
                None
            }
        }
    }

    /// The diagnostic for `e`, met reading `name`. A problem inside a
    /// collection (an element or a map value) is reported on the attribute.
    fn report(&mut self, name: &str, expected: &str, wording: Wording, e: &ConvertError) {
        let path = self.path(name);
        let element = if e.path == path { None } else { e.path.last() };
        let found = e.found.unwrap_or("an unexpected value");
        match (e.unknown, wording, element) {
            (true, Wording::Setting, _) => self.error(
                name,
                NOT_KNOWN_YET,
                format!("{name} depends on a value that is only known after apply."),
            ),
            (true, Wording::Attribute, None) => self.error(
                name,
                NOT_KNOWN_YET,
                format!(
                    "{path} depends on a value that is only known after apply. The eks \
                     provider must be configured with known values; use a variable or a \
                     value from a separate configuration."
                ),
            ),
            (true, Wording::Attribute, Some(PathStep::ElementKeyString(k))) => self.error(
                name,
                NOT_KNOWN_YET,
                format!("{path}[{k:?}] is only known after apply."),
            ),
            (true, Wording::Attribute, Some(_)) => self.error(
                name,
                NOT_KNOWN_YET,
                format!("{path} holds a value that is only known after apply."),
            ),
            (false, Wording::Setting, _) => self.error(
                name,
                format!("Invalid {name}"),
                format!("expected {expected}, got {found}"),
            ),
            (false, Wording::Attribute, None) => {
                self.invalid(name, format!("expected {expected}, got {found}"));
            }
            (false, Wording::Attribute, Some(PathStep::ElementKeyString(k))) => {
                self.invalid(
                    name,
                    format!("the value of {k:?} must be a non-null string"),
                );
            }
            (false, Wording::Attribute, Some(_)) => {
                self.invalid(name, "every element must be a non-null string");
            }
        }
    }

    /// A string.
    pub fn string(&mut self, name: &str) -> Option<String> {
        self.read(name, "a string", Wording::Attribute)
    }

    /// A string that is not blank: a blank one is reported (removing the
    /// attribute is how to get the default).
    pub fn non_empty_string(&mut self, name: &str) -> Option<String> {
        let s = self.string(name)?;
        if s.trim().is_empty() {
            let path = self.path(name);
            self.invalid(
                name,
                format!("{path} must not be empty; remove it to use the default."),
            );
            return None;
        }
        Some(s)
    }

    /// A bool.
    pub fn bool(&mut self, name: &str) -> Option<bool> {
        self.read(name, "a bool", Wording::Attribute)
    }

    /// A list or set of strings.
    pub fn strings(&mut self, name: &str) -> Option<Vec<String>> {
        self.read(name, "a list of strings", Wording::Attribute)
    }

    /// A map of strings.
    pub fn string_map(&mut self, name: &str) -> Option<BTreeMap<String, String>> {
        self.read(name, "a map of strings", Wording::Attribute)
    }

    /// A number setting: a problem reads "Invalid NAME", and an unknown
    /// value gets a one-line message.
    pub fn number_setting(&mut self, name: &str) -> Option<Number> {
        self.read(name, "a number", Wording::Setting)
    }

    /// A duration setting as written, worded like [`Self::number_setting`].
    pub fn duration_setting(&mut self, name: &str) -> Option<String> {
        self.read(name, "a duration string", Wording::Setting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each problem's (path, summary, detail), read by `read` from `config`.
    fn problems(config: &Value, read: impl FnOnce(&mut Reader<'_>)) -> Vec<[String; 3]> {
        let mut diags = Diagnostics::new();
        read(&mut Reader::new(config, &AttributePath::root(), &mut diags).unwrap());
        diags
            .iter()
            .map(|d| {
                [
                    d.attribute.as_ref().unwrap().to_string(),
                    d.summary.clone(),
                    d.detail.clone(),
                ]
            })
            .collect()
    }

    #[test]
    fn reads_known_values_and_skips_null() {
        let config = Value::object([
            ("s", Value::string("x")),
            ("b", Value::bool(true)),
            ("l", Value::set([Value::string("a")])),
            ("m", Value::map([("k", Value::string("v"))])),
            ("n", Value::number(3i64)),
            ("block", Value::object([("inner", Value::string("i"))])),
            ("null", Value::Null),
        ]);
        let got = problems(&config, |r| {
            assert_eq!(r.string("s").as_deref(), Some("x"));
            assert_eq!(r.bool("b"), Some(true));
            assert_eq!(r.strings("l"), Some(vec!["a".to_owned()]));
            assert_eq!(r.string_map("m").unwrap()["k"], "v");
            assert_eq!(r.number_setting("n").and_then(|n| n.to_i64()), Some(3));
            assert_eq!(r.string("null"), None);
            assert_eq!(r.string("absent"), None);
            let mut b = r.block("block").unwrap();
            assert_eq!(
                b.path("inner"),
                AttributePath::attr("block").child_attr("inner")
            );
            assert_eq!(b.string("inner").as_deref(), Some("i"));
            assert!(r.block("null").is_none());
            assert!(r.block("s").is_none());
        });
        assert!(got.is_empty(), "{got:?}");
        let mut diags = Diagnostics::new();
        assert!(Reader::new(&Value::Null, &AttributePath::root(), &mut diags).is_none());
    }

    #[test]
    fn problems_are_worded_per_attribute() {
        let config = Value::object([
            ("s", Value::number(1i64)),
            ("l", Value::list([Value::string("a"), Value::Unknown])),
            ("l2", Value::list([Value::Null])),
            ("m", Value::map([("k", Value::Unknown)])),
            ("m2", Value::map([("k", Value::Null)])),
            ("u", Value::Unknown),
            ("n", Value::string("3")),
            ("t", Value::Unknown),
            ("blank", Value::string(" ")),
        ]);
        let got = problems(&config, |r| {
            r.string("s");
            r.strings("l");
            r.strings("l2");
            r.string_map("m");
            r.string_map("m2");
            r.bool("u");
            r.number_setting("n");
            r.duration_setting("t");
            r.non_empty_string("blank");
        });
        let unknown = "u depends on a value that is only known after apply. The eks provider \
                       must be configured with known values; use a variable or a value from a \
                       separate configuration.";
        let want = [
            [
                "s",
                "Invalid provider attribute",
                "expected a string, got number",
            ],
            [
                "l",
                NOT_KNOWN_YET,
                "l holds a value that is only known after apply.",
            ],
            [
                "l2",
                "Invalid provider attribute",
                "every element must be a non-null string",
            ],
            ["m", NOT_KNOWN_YET, "m[\"k\"] is only known after apply."],
            [
                "m2",
                "Invalid provider attribute",
                "the value of \"k\" must be a non-null string",
            ],
            ["u", NOT_KNOWN_YET, unknown],
            ["n", "Invalid n", "expected a number, got string"],
            [
                "t",
                NOT_KNOWN_YET,
                "t depends on a value that is only known after apply.",
            ],
            [
                "blank",
                "Invalid provider attribute",
                "blank must not be empty; remove it to use the default.",
            ],
        ];
        assert_eq!(got, want.map(|row| row.map(str::to_owned)));
    }
}
