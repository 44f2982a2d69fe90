//! Typed conversion between [`Value`]s and Rust types.
//!
//! [`FromValue`] reads a Rust value out of a [`Value`], with errors that
//! name the attribute path (`assume_role.role_arn: expected string, got
//! number`); [`IntoValue`] builds a [`Value`]. [`ObjectReader`] and
//! [`ObjectBuilder`] read and build objects attribute by attribute.
//!
//! Plain types (`String`, `i64`, ...) require a known, non-null value;
//! `Option<T>` accepts null; [`Maybe<T>`] accepts null and unknown. Dynamic
//! wrappers are looked through.

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
}

impl ConvertError {
    /// An error at `path`.
    pub fn new(path: &AttributePath, message: impl Into<String>) -> Self {
        Self {
            path: path.clone(),
            message: message.into(),
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
    pub fn known(self) -> Option<T> {
        match self {
            Maybe::Known(v) => Some(v),
            _ => None,
        }
    }

    /// Borrows the value.
    pub fn as_ref(&self) -> Maybe<&T> {
        match self {
            Maybe::Null => Maybe::Null,
            Maybe::Unknown => Maybe::Unknown,
            Maybe::Known(v) => Maybe::Known(v),
        }
    }

    /// Applies `f` to a known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Maybe<U> {
        match self {
            Maybe::Null => Maybe::Null,
            Maybe::Unknown => Maybe::Unknown,
            Maybe::Known(v) => Maybe::Known(f(v)),
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

    /// Whether this is [`Maybe::Known`].
    pub fn is_known(&self) -> bool {
        matches!(self, Maybe::Known(_))
    }

    /// The known value, or `default` if null or unknown.
    pub fn unwrap_or(self, default: T) -> T {
        self.known().unwrap_or(default)
    }
}

impl<T> From<Option<T>> for Maybe<T> {
    fn from(v: Option<T>) -> Self {
        match v {
            Some(v) => Maybe::Known(v),
            None => Maybe::Null,
        }
    }
}

/// Reads a Rust value from a [`Value`].
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
        Value::Null => Err(ConvertError::new(
            path,
            format!("expected {what}, got null"),
        )),
        Value::Unknown => Err(ConvertError::new(path, "value is not yet known")),
        v => Ok(v),
    }
}

fn wrong(v: &Value, path: &AttributePath, what: &str) -> ConvertError {
    ConvertError::new(path, format!("expected {what}, got {}", v.kind_name()))
}

impl FromValue for Value {
    /// Any value, as is (including null and unknown).
    fn from_value(v: &Value, _path: &AttributePath) -> Result<Self, ConvertError> {
        Ok(v.clone())
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

impl FromValue for i64 {
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        let n = Number::from_value(v, path)?;
        n.to_i64().ok_or_else(|| {
            ConvertError::new(
                path,
                format!("expected a whole number that fits 64 bits, got {n}"),
            )
        })
    }
}

impl FromValue for u64 {
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        let n = Number::from_value(v, path)?;
        n.to_u64().ok_or_else(|| {
            ConvertError::new(
                path,
                format!("expected a non-negative whole number that fits 64 bits, got {n}"),
            )
        })
    }
}

impl FromValue for f64 {
    /// The nearest `f64`; an error if out of `f64`'s range.
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        let n = Number::from_value(v, path)?;
        n.to_f64()
            .ok_or_else(|| ConvertError::new(path, format!("number {n} is out of range")))
    }
}

impl<T: FromValue> FromValue for Option<T> {
    /// Null is `None`; unknown is an error.
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match v.unwrap_dynamic() {
            Value::Null => Ok(None),
            Value::Unknown => Err(ConvertError::new(path, "value is not yet known")),
            _ => T::from_value(v, path).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Maybe<T> {
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match v.unwrap_dynamic() {
            Value::Null => Ok(Maybe::Null),
            Value::Unknown => Ok(Maybe::Unknown),
            _ => T::from_value(v, path).map(Maybe::Known),
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
    /// The entries of a map or the attributes of an object.
    fn from_value(v: &Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match known(v, path, "map")? {
            Value::Map(entries) => entries
                .iter()
                .map(|(k, e)| Ok((k.clone(), T::from_value(e, &path.child_key(k))?)))
                .collect(),
            Value::Object(attrs) => attrs
                .iter()
                .map(|(k, e)| Ok((k.clone(), T::from_value(e, &path.child_attr(k))?)))
                .collect(),
            other => Err(wrong(other, path, "map")),
        }
    }
}

impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
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

impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::String(self.to_owned())
    }
}

impl IntoValue for &String {
    fn into_value(self) -> Value {
        Value::String(self.clone())
    }
}

impl IntoValue for Number {
    fn into_value(self) -> Value {
        Value::Number(self)
    }
}

impl IntoValue for i64 {
    fn into_value(self) -> Value {
        Value::Number(Number::from_i64(self))
    }
}

impl IntoValue for i32 {
    fn into_value(self) -> Value {
        Value::Number(Number::from_i64(self.into()))
    }
}

impl IntoValue for u64 {
    fn into_value(self) -> Value {
        Value::Number(Number::from_u64(self))
    }
}

impl IntoValue for u32 {
    fn into_value(self) -> Value {
        Value::Number(Number::from_u64(self.into()))
    }
}

impl IntoValue for f64 {
    /// The exact value; NaN and infinities (not Terraform numbers) become null.
    fn into_value(self) -> Value {
        Number::from_f64(self).map_or(Value::Null, Value::Number)
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
    /// A list (build a [`Value::Set`] yourself for a set).
    fn into_value(self) -> Value {
        Value::List(self.into_iter().map(IntoValue::into_value).collect())
    }
}

impl<T: IntoValue> IntoValue for BTreeMap<String, T> {
    /// A map (use [`ObjectBuilder`] for an object).
    fn into_value(self) -> Value {
        Value::Map(self.into_iter().map(|(k, v)| (k, v.into_value())).collect())
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
    /// errors (see [`ObjectReader::optional`] for a null-tolerant reader).
    pub fn new(v: &'a Value, path: &AttributePath) -> Result<Self, ConvertError> {
        match known(v, path, "object")? {
            Value::Object(attrs) | Value::Map(attrs) => Ok(Self {
                attrs,
                path: path.clone(),
            }),
            other => Err(wrong(other, path, "object")),
        }
    }

    /// Like [`ObjectReader::new`], but a null object is `None`.
    pub fn optional(v: &'a Value, path: &AttributePath) -> Result<Option<Self>, ConvertError> {
        if v.is_null() {
            return Ok(None);
        }
        Self::new(v, path).map(Some)
    }

    /// The attribute `name`, converted; a missing attribute reads as null.
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, ConvertError> {
        T::from_value(self.value(name), &self.path.child_attr(name))
    }

    /// The raw attribute `name`; null if missing.
    pub fn value(&self, name: &str) -> &'a Value {
        self.attrs.get(name).unwrap_or(&NULL)
    }

    /// A reader of the nested object attribute `name` (an error if null).
    pub fn object(&self, name: &str) -> Result<ObjectReader<'a>, ConvertError> {
        ObjectReader::new(self.value(name), &self.path.child_attr(name))
    }

    /// A reader of the nested object attribute `name`, `None` if null.
    pub fn optional_object(&self, name: &str) -> Result<Option<ObjectReader<'a>>, ConvertError> {
        ObjectReader::optional(self.value(name), &self.path.child_attr(name))
    }

    /// The path of the object.
    pub fn path(&self) -> &AttributePath {
        &self.path
    }

    /// The object's attributes.
    pub fn attributes(&self) -> &'a BTreeMap<String, Value> {
        self.attrs
    }
}

/// Builds an object value attribute by attribute.
#[derive(Debug, Clone, Default)]
pub struct ObjectBuilder {
    attrs: BTreeMap<String, Value>,
}

impl ObjectBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets attribute `name` to `v`.
    pub fn attr(mut self, name: &str, v: impl IntoValue) -> Self {
        self.insert(name, v);
        self
    }

    /// Sets attribute `name` to `v`, in place.
    pub fn insert(&mut self, name: &str, v: impl IntoValue) {
        self.attrs.insert(name.to_owned(), v.into_value());
    }

    /// The object value.
    pub fn build(self) -> Value {
        Value::Object(self.attrs)
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
        assert_eq!(i64::from_value(&Value::from(-5), &root()).unwrap(), -5);
        assert_eq!(
            u64::from_value(&Value::number(u64::MAX), &root()).unwrap(),
            u64::MAX
        );
        assert_eq!(
            f64::from_value(&Value::number(Number::from_f64(0.5).unwrap()), &root()).unwrap(),
            0.5
        );
        let dynamic = Value::dynamic(Type::String, Value::string("d"));
        assert_eq!(String::from_value(&dynamic, &root()).unwrap(), "d");
    }

    #[test]
    fn error_messages() {
        let p = AttributePath::attr("assume_role").child_attr("role_arn");
        let err = String::from_value(&Value::from(1), &p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.role_arn: expected string, got number"
        );
        let err = String::from_value(&Value::Null, &p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.role_arn: expected string, got null"
        );
        let err = String::from_value(&Value::Unknown, &p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.role_arn: value is not yet known"
        );
        let err =
            i64::from_value(&Value::number("1.5".parse::<Number>().unwrap()), &p).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.role_arn: expected a whole number that fits 64 bits, got 1.5"
        );
        let err = u64::from_value(&Value::from(-1), &p).unwrap_err();
        assert!(err.message.contains("non-negative"));
        let err = bool::from_value(&Value::list([]), &root()).unwrap_err();
        assert_eq!(err.to_string(), "(root): expected bool, got list");
    }

    #[test]
    fn option_and_maybe() {
        assert_eq!(
            Option::<String>::from_value(&Value::Null, &root()).unwrap(),
            None
        );
        assert_eq!(
            Option::<String>::from_value(&Value::string("a"), &root()).unwrap(),
            Some("a".into())
        );
        assert!(Option::<String>::from_value(&Value::Unknown, &root()).is_err());
        assert_eq!(
            Maybe::<i64>::from_value(&Value::Null, &root()).unwrap(),
            Maybe::Null
        );
        assert_eq!(
            Maybe::<i64>::from_value(&Value::Unknown, &root()).unwrap(),
            Maybe::Unknown
        );
        assert_eq!(
            Maybe::<i64>::from_value(&Value::from(3), &root()).unwrap(),
            Maybe::Known(3)
        );
        assert!(Maybe::<i64>::from_value(&Value::string("x"), &root()).is_err());
        let m = Maybe::Known(2);
        assert_eq!(m.as_ref().map(|x| x * 2), Maybe::Known(4));
        assert_eq!(m.clone().known(), Some(2));
        assert!(m.is_known() && !m.is_null() && !m.is_unknown());
        assert_eq!(Maybe::<i64>::Unknown.unwrap_or(7), 7);
        assert_eq!(Maybe::from(None::<i64>), Maybe::Null);
        assert_eq!(Maybe::<i64>::Unknown.into_value(), Value::Unknown);
        assert_eq!(Maybe::<i64>::Null.into_value(), Value::Null);
        assert_eq!(Some("x").into_value(), Value::string("x"));
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
        let v = Value::map([("k", Value::from(1))]);
        let m = BTreeMap::<String, i64>::from_value(&v, &root()).unwrap();
        assert_eq!(m.get("k"), Some(&1));
        let v = Value::map([("k", Value::Null)]);
        let err =
            BTreeMap::<String, i64>::from_value(&v, &AttributePath::attr("tags")).unwrap_err();
        assert_eq!(err.to_string(), "tags[\"k\"]: expected number, got null");
        assert_eq!(
            vec![1i64, 2].into_value(),
            Value::list([Value::from(1), Value::from(2)])
        );
        let m: BTreeMap<String, bool> = [("a".to_owned(), true)].into();
        assert_eq!(m.into_value(), Value::map([("a", Value::Bool(true))]));
    }

    #[test]
    fn object_reader_and_builder() {
        let v = ObjectBuilder::new()
            .attr("name", "n")
            .attr("size", 3i64)
            .attr("tags", Value::Null)
            .attr("role", ObjectBuilder::new().attr("role_arn", 5i64).build())
            .build();
        let r = ObjectReader::new(&v, &root()).unwrap();
        assert_eq!(r.get::<String>("name").unwrap(), "n");
        assert_eq!(r.get::<i64>("size").unwrap(), 3);
        assert_eq!(r.get::<Option<String>>("missing").unwrap(), None);
        assert_eq!(r.get::<Maybe<String>>("tags").unwrap(), Maybe::Null);
        assert!(r.optional_object("tags").unwrap().is_none());
        let err = r
            .object("role")
            .unwrap()
            .get::<String>("role_arn")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "role.role_arn: expected string, got number"
        );
        let err = r.get::<String>("missing").unwrap_err();
        assert_eq!(err.to_string(), "missing: expected string, got null");
        assert!(ObjectReader::new(&Value::Null, &root()).is_err());
        assert!(ObjectReader::optional(&Value::Null, &root())
            .unwrap()
            .is_none());
        assert!(ObjectReader::optional(&Value::Unknown, &root()).is_err());
        assert!(ObjectReader::new(&Value::string("x"), &root()).is_err());
        assert_eq!(r.path(), &root());
        assert_eq!(r.attributes().len(), 4);
    }
}
