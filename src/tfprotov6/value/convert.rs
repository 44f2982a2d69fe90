//! Typed conversion between [`Value`]s and Rust types.
//!
//! [`FromValue`] reads a Rust value out of a [`Value`], with errors that
//! name the attribute path (`timeouts.create: expected string, got
//! number`); [`IntoValue`] builds a [`Value`]. [`ObjectReader`] reads an
//! object attribute by attribute; [`Value::object`] builds one from
//! [`IntoValue::into_value`]s.
//!
//! Plain types (`String`, `bool`, [`Number`], `Vec<T>`, `BTreeMap<String,
//! T>`) require a known, non-null value; [`Maybe<T>`] accepts null and
//! unknown, as every Terraform attribute may be during planning; `Option<T>`
//! accepts null but not unknown, for values that must be known (provider
//! configuration). Dynamic wrappers are looked through.

use std::collections::BTreeMap;

use super::path::AttributePath;
use super::value::{Number, Value, NULL};

/// A typed conversion failure at a path.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
#[error("{path}: {message}")]
pub struct ConvertError {
    /// The value that could not be converted.
    pub path: AttributePath,
    /// What went wrong.
    pub message: String,
    /// Whether the value (or part of it) was merely not yet known: a
    /// [`Maybe`] around it reads as [`Maybe::Unknown`] instead.
    pub unknown: bool,
    /// The kind of value found where another was expected (`"null"`,
    /// `"number"`, as [`Value::kind_name`] names them), for callers that
    /// word their own message.
    pub found: Option<&'static str>,
}

impl ConvertError {
    /// An error at `path`.
    pub fn new(path: &AttributePath, message: impl Into<String>) -> Self {
        Self {
            path: path.clone(),
            message: message.into(),
            unknown: false,
            found: None,
        }
    }

    fn not_known(path: &AttributePath) -> Self {
        Self {
            unknown: true,
            ..Self::new(path, "value is not yet known")
        }
    }
}

/// A value that may be null or not yet known, as Terraform values may.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Maybe<T> {
    /// Null (unset).
    #[default]
    Null,
    /// Not known until apply.
    Unknown,
    /// Known and not null.
    Known(T),
}

impl<T> Maybe<T> {
    /// The value, if known and not null.
    pub fn known(&self) -> Option<&T> {
        match self {
            Maybe::Known(v) => Some(v),
            _ => None,
        }
    }

    /// Whether this is [`Maybe::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Maybe::Null)
    }

    /// Whether this is [`Maybe::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Maybe::Unknown)
    }
}

impl<T> From<Option<T>> for Maybe<T> {
    /// `Known(v)` for `Some(v)`, `Null` for `None`.
    fn from(v: Option<T>) -> Self {
        v.map_or(Maybe::Null, Maybe::Known)
    }
}

/// Reads a Rust value from a [`Value`].
///
/// A conversion is pure, and uses `path` only to name the attribute in its
/// error: whether it succeeds, and its value, never depend on `path`
/// ([`ObjectReader::get`] relies on this to build a path only for an
/// error).
pub trait FromValue: Sized {
    /// Converts `v`, found at `path`, or says why not.
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError>;
}

/// Builds a [`Value`] from a Rust value.
pub trait IntoValue {
    /// Converts `self`.
    fn into_value(self) -> Value;
}

/// The known, non-null value inside `v` (looking through dynamic wrappers),
/// or the error for null (`expected {what}, got null`) or unknown.
fn known<'a>(v: &'a Value, path: &AttributePath, what: &str) -> Result<&'a Value, ConvertError> {
    match v.unwrap_dynamic() {
        Value::Null => Err(ConvertError {
            found: Some("null"),
            ..ConvertError::new(path, format!("expected {what}, got null"))
        }),
        Value::Unknown => Err(ConvertError::not_known(path)),
        v => Ok(v),
    }
}

fn wrong(v: &Value, path: &AttributePath, what: &str) -> ConvertError {
    ConvertError {
        found: Some(v.kind_name()),
        ..ConvertError::new(path, format!("expected {what}, got {}", v.kind_name()))
    }
}

impl FromValue for bool {
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match known(v, path, "bool")? {
            Value::Bool(b) => Ok(*b),
            other => Err(wrong(other, path, "bool")),
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match known(v, path, "string")? {
            Value::String(s) => Ok(s.clone()),
            other => Err(wrong(other, path, "string")),
        }
    }
}

impl FromValue for Number {
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match known(v, path, "number")? {
            Value::Number(n) => Ok(n.clone()),
            other => Err(wrong(other, path, "number")),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    /// Null is `None`; unknown is an error, as for `T`.
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match v.unwrap_dynamic() {
            Value::Null => Ok(None),
            _ => T::from_value(v, path).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Maybe<T> {
    /// Null is `Null`; a value that is unknown, or holds an unknown element
    /// (`[var.not_yet_known]`), is `Unknown`.
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match v.unwrap_dynamic() {
            Value::Null => Ok(Maybe::Null),
            Value::Unknown => Ok(Maybe::Unknown),
            _ => match T::from_value(v, path) {
                Ok(t) => Ok(Maybe::Known(t)),
                Err(e) if e.unknown => Ok(Maybe::Unknown),
                Err(e) => Err(e),
            },
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    /// The elements of a list, set or tuple.
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match known(v, path, "list")? {
            Value::List(elements) | Value::Set(elements) | Value::Tuple(elements) => elements
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    T::from_value(e, &path.child_index(i64::try_from(i).unwrap_or(i64::MAX)))
                })
                .collect(),
            other => Err(wrong(other, path, "list")),
        }
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    /// The entries of a map or object, in key order.
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match known(v, path, "map")? {
            Value::Map(entries) | Value::Object(entries) => entries
                .iter()
                .map(|(k, e)| Ok((k.clone(), T::from_value(e, &path.child_key(k))?)))
                .collect(),
            other => Err(wrong(other, path, "map")),
        }
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::String(self)
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    /// `None` is null.
    fn into_value(self) -> Value {
        self.map_or(Value::Null, IntoValue::into_value)
    }
}

impl<T: IntoValue> IntoValue for Maybe<T> {
    fn into_value(self) -> Value {
        match self {
            Maybe::Null => Value::Null,
            Maybe::Unknown => Value::Unknown,
            Maybe::Known(v) => v.into_value(),
        }
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    /// A list.
    fn into_value(self) -> Value {
        Value::List(self.into_iter().map(IntoValue::into_value).collect())
    }
}

/// Reads the attributes of an object value, with paths for errors.
#[derive(Debug, Clone)]
pub struct ObjectReader<'a> {
    attrs: &'a BTreeMap<String, Value>,
    path: AttributePath,
}

impl<'a> ObjectReader<'a> {
    /// A reader of the object `v` found at `path`. Null and unknown are
    /// errors.
    pub fn new(v: &'a Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match known(v, path, "object")? {
            Value::Object(attrs) => Ok(Self {
                attrs,
                path: path.clone(),
            }),
            other => Err(wrong(other, path, "object")),
        }
    }

    /// The path of the object read.
    pub fn path(&self) -> &AttributePath {
        &self.path
    }

    /// The attribute `name`, converted; a missing attribute reads as null.
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, ConvertError> {
        let v = self.attrs.get(name).unwrap_or(&NULL);
        // The attribute's path is only for an error, and building it costs
        // a copy of this reader's path and the name per attribute read. A
        // conversion uses the path only in its error (see [`FromValue`]),
        // so the value is read against the root path (no allocation) and
        // read again with its own path only when that fails.
        T::from_value(v, &AttributePath::root())
            .or_else(|_| T::from_value(v, &self.path.child_attr(name)))
    }

    /// A reader of the object attribute `name` (a single nested block):
    /// null or missing is `Null`, not yet known is `Unknown`, anything but
    /// an object an error.
    pub fn object(&self, name: &str) -> Result<Maybe<ObjectReader<'a>>, ConvertError> {
        let v = self.attrs.get(name).unwrap_or(&NULL);
        match v.unwrap_dynamic() {
            Value::Null => Ok(Maybe::Null),
            Value::Unknown => Ok(Maybe::Unknown),
            _ => ObjectReader::new(v, &self.path.child_attr(name)).map(Maybe::Known),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::types::Type;
    use super::*;

    fn root() -> AttributePath {
        AttributePath::root()
    }

    #[test]
    fn primitives() {
        assert!(bool::from_value(&Value::Bool(true), &root()).unwrap());
        assert_eq!(
            String::from_value(&Value::string("x"), &root()).unwrap(),
            "x"
        );
        let dynamic = Value::dynamic(Type::String, Value::string("d"));
        assert_eq!(String::from_value(&dynamic, &root()).unwrap(), "d");
    }

    #[test]
    fn error_messages() {
        let p = AttributePath::attr("timeouts").child_attr("create");
        let err = String::from_value(&Value::from(1), &p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "timeouts.create: expected string, got number"
        );
        let err = String::from_value(&Value::Null, &p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "timeouts.create: expected string, got null"
        );
        let err = String::from_value(&Value::Unknown, &p).unwrap_err();
        assert_eq!(err.to_string(), "timeouts.create: value is not yet known");
        assert!(err.unknown);
        let err = bool::from_value(&Value::list([]), &root()).unwrap_err();
        assert_eq!(err.to_string(), "(root): expected bool, got list");
        assert!(!err.unknown);
    }

    #[test]
    fn maybe() {
        let read = |v: &Value| Maybe::<String>::from_value(v, &root());
        assert_eq!(read(&Value::Null).unwrap(), Maybe::Null);
        assert_eq!(read(&Value::Unknown).unwrap(), Maybe::Unknown);
        assert_eq!(read(&Value::string("a")).unwrap(), Maybe::Known("a".into()));
        assert!(read(&Value::from(3)).is_err());
        let m = Maybe::Known(2);
        assert_eq!(m.known(), Some(&2));
        assert!(!m.is_null() && !m.is_unknown());
        assert_eq!(Maybe::from(None::<i64>), Maybe::Null);
        assert_eq!(Maybe::<bool>::Unknown.into_value(), Value::Unknown);
        assert_eq!(Maybe::<bool>::Null.into_value(), Value::Null);
        assert_eq!(None::<String>.into_value(), Value::Null);
    }

    #[test]
    fn collections() {
        let v = Value::set([Value::string("a"), Value::string("b")]);
        assert_eq!(
            Vec::<String>::from_value(&v, &root()).unwrap(),
            vec!["a", "b"]
        );
        let v = Value::list([Value::string("a"), Value::from(1)]);
        let err = Vec::<String>::from_value(&v, &AttributePath::attr("xs")).unwrap_err();
        assert_eq!(err.to_string(), "xs[1]: expected string, got number");
        // A list with an element not yet known is not known as a whole.
        let v = Value::list([Value::string("a"), Value::Unknown]);
        assert_eq!(
            Maybe::<Vec<String>>::from_value(&v, &root()).unwrap(),
            Maybe::Unknown
        );
        assert_eq!(
            vec![true, false].into_value(),
            Value::list([Value::Bool(true), Value::Bool(false)])
        );
    }

    #[test]
    fn numbers_and_options() {
        let n = Number::from_value(&Value::from(7), &root()).unwrap();
        assert_eq!(n.to_i64(), Some(7));
        let err = Number::from_value(&Value::string("7"), &root()).unwrap_err();
        assert_eq!(err.to_string(), "(root): expected number, got string");
        assert_eq!(err.found, Some("string"));
        // Option: null is None, unknown stays an error, at its path.
        let read = |v: &Value| Option::<String>::from_value(v, &AttributePath::attr("a"));
        assert_eq!(read(&Value::Null).unwrap(), None);
        assert_eq!(read(&Value::string("x")).unwrap(), Some("x".into()));
        let err = read(&Value::Unknown).unwrap_err();
        assert!(err.unknown && err.found.is_none());
        assert_eq!(err.path, AttributePath::attr("a"));
        let err = read(&Value::Bool(true)).unwrap_err();
        assert_eq!(err.found, Some("bool"));
        let v = Value::list([Value::string("a"), Value::Unknown]);
        let err = Option::<Vec<String>>::from_value(&v, &AttributePath::attr("xs")).unwrap_err();
        assert!(err.unknown);
        assert_eq!(err.path.to_string(), "xs[1]");
        let err = Vec::<String>::from_value(&Value::list([Value::Null]), &root()).unwrap_err();
        assert_eq!(err.found, Some("null"));
    }

    #[test]
    fn maps() {
        let v = Value::map([("b", Value::string("2")), ("a", Value::string("1"))]);
        let m = BTreeMap::<String, String>::from_value(&v, &root()).unwrap();
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            [("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        let v = Value::object([("k", Value::Bool(true))]);
        assert!(BTreeMap::<String, bool>::from_value(&v, &root()).unwrap()["k"]);
        let v = Value::map([("k", Value::from(1))]);
        let err =
            BTreeMap::<String, String>::from_value(&v, &AttributePath::attr("tags")).unwrap_err();
        assert_eq!(err.to_string(), "tags[\"k\"]: expected string, got number");
        let err = BTreeMap::<String, String>::from_value(&Value::list([]), &root()).unwrap_err();
        assert_eq!(err.to_string(), "(root): expected map, got list");
        let v = Value::map([("k", Value::Unknown)]);
        assert_eq!(
            Maybe::<BTreeMap<String, String>>::from_value(&v, &root()).unwrap(),
            Maybe::Unknown
        );
    }

    #[test]
    fn nested_objects() {
        let v = Value::object([
            ("block", Value::object([("x", Value::string("1"))])),
            ("later", Value::Unknown),
            ("bad", Value::string("s")),
        ]);
        let r = ObjectReader::new(&v, &root()).unwrap();
        let Maybe::Known(block) = r.object("block").unwrap() else {
            panic!("block is an object")
        };
        assert_eq!(block.path(), &AttributePath::attr("block"));
        assert_eq!(block.get::<String>("x").unwrap(), "1");
        assert!(r.object("later").unwrap().is_unknown());
        assert!(r.object("missing").unwrap().is_null());
        let err = r.object("bad").unwrap_err();
        assert_eq!(err.to_string(), "bad: expected object, got string");
    }

    #[test]
    fn object_reader() {
        let v = Value::object([
            ("name", "n".to_owned().into_value()),
            ("tags", Maybe::<String>::Null.into_value()),
            ("flag", Value::string("5")),
        ]);
        let r = ObjectReader::new(&v, &root()).unwrap();
        assert_eq!(r.get::<String>("name").unwrap(), "n");
        assert_eq!(r.get::<Maybe<String>>("missing").unwrap(), Maybe::Null);
        assert_eq!(r.get::<Maybe<String>>("tags").unwrap(), Maybe::Null);
        let err = r.get::<bool>("flag").unwrap_err();
        assert_eq!(err.to_string(), "flag: expected bool, got string");
        let err = r.get::<String>("missing").unwrap_err();
        assert_eq!(err.to_string(), "missing: expected string, got null");
        assert!(ObjectReader::new(&Value::Null, &root()).is_err());
        assert!(ObjectReader::new(&Value::string("x"), &root()).is_err());
    }

    /// `get` reads against the root path first: an error still names the
    /// attribute's whole path, inside a nested block and a list.
    #[test]
    fn object_reader_errors_name_the_whole_path() {
        let v = Value::object([(
            "block",
            Value::object([
                ("n", Value::Bool(true)),
                (
                    "list",
                    Value::list([Value::string("a"), Value::Bool(false)]),
                ),
                ("later", Value::list([Value::string("a"), Value::Unknown])),
            ]),
        )]);
        let r = ObjectReader::new(&v, &root()).unwrap();
        let Maybe::Known(block) = r.object("block").unwrap() else {
            panic!("block is an object")
        };
        let err = block.get::<String>("n").unwrap_err();
        assert_eq!(err.to_string(), "block.n: expected string, got bool");
        let err = block.get::<Maybe<Vec<String>>>("list").unwrap_err();
        assert_eq!(
            err.path,
            AttributePath::attr("block")
                .child_attr("list")
                .child_index(1)
        );
        assert_eq!(err.found, Some("bool"));
        assert_eq!(
            block.get::<Maybe<Vec<String>>>("later").unwrap(),
            Maybe::Unknown
        );
        let err = block.get::<Vec<String>>("later").unwrap_err();
        assert!(err.unknown);
        assert_eq!(
            err.path,
            AttributePath::attr("block")
                .child_attr("later")
                .child_index(1)
        );
    }
}
