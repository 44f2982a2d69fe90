//! Terraform (cty) types and their JSON form.
//!
//! Terraform describes types in JSON wherever it sends them to a provider
//! (schemas, dynamic values): the primitive types are the strings `"bool"`,
//! `"number"`, `"string"` and `"dynamic"`; the others are arrays naming a
//! kind: `["list",T]`, `["set",T]`, `["map",T]`, `["object",{"name":T,..}]`
//! (optionally with a third element listing the optional attributes) and
//! `["tuple",[T,..]]`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Deepest type nesting accepted from JSON. Real schemas are far shallower;
/// the limit keeps hostile input from exhausting the stack.
pub const MAX_TYPE_DEPTH: usize = 100;

/// A Terraform type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `number`: arbitrary-precision decimal.
    Number,
    /// `string`: Unicode text.
    String,
    /// The dynamic pseudo-type: any type, decided per value.
    Dynamic,
    /// `list(T)`: ordered elements of one type.
    List(Box<Type>),
    /// `set(T)`: unordered distinct elements of one type.
    Set(Box<Type>),
    /// `map(T)`: string keys to elements of one type.
    Map(Box<Type>),
    /// `object({..})`: named attributes, each with its own type.
    Object {
        /// The attributes and their types.
        attributes: BTreeMap<String, Type>,
        /// The attributes marked optional (only meaningful in type
        /// constraints; values always carry every attribute).
        optional: BTreeSet<String>,
    },
    /// `tuple([..])`: a fixed sequence of elements, each with its own type.
    Tuple(Vec<Type>),
}

/// An error reading a type from its JSON form.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum TypeError {
    /// The bytes are not JSON at all.
    #[error("type is not valid JSON: {0}")]
    Json(String),
    /// The JSON does not describe a type.
    #[error("invalid type: {0}")]
    Invalid(String),
    /// The type nests deeper than [`MAX_TYPE_DEPTH`].
    #[error("type nests deeper than {MAX_TYPE_DEPTH} levels")]
    TooDeep,
}

impl Type {
    /// An object type with the given attributes, none optional.
    pub fn object<'a>(attrs: impl IntoIterator<Item = (&'a str, Type)>) -> Type {
        Type::Object {
            attributes: attrs.into_iter().map(|(k, t)| (k.to_owned(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }

    /// An object type with the given attributes, the named ones optional.
    pub fn object_with_optional<'a>(
        attrs: impl IntoIterator<Item = (&'a str, Type)>,
        optional: impl IntoIterator<Item = &'a str>,
    ) -> Type {
        Type::Object {
            attributes: attrs.into_iter().map(|(k, t)| (k.to_owned(), t)).collect(),
            optional: optional.into_iter().map(str::to_owned).collect(),
        }
    }

    /// `list(t)`.
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    /// `set(t)`.
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    /// `map(t)`.
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    /// `tuple([..])`.
    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elements.into_iter().collect())
    }

    /// Whether this is `bool`, `number` or `string`.
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }

    /// Whether this is a list, set or map type.
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }

    /// The element type of a list, set or map type.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// The attribute types of an object type.
    pub fn attribute_types(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object { attributes, .. } => Some(attributes),
            _ => None,
        }
    }

    /// A short name for the kind of this type, for error messages
    /// (`"string"`, `"list"`, `"object"`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Type::Bool => "bool",
            Type::Number => "number",
            Type::String => "string",
            Type::Dynamic => "dynamic",
            Type::List(_) => "list",
            Type::Set(_) => "set",
            Type::Map(_) => "map",
            Type::Object { .. } => "object",
            Type::Tuple(_) => "tuple",
        }
    }

    /// The JSON form of this type, compact, with object attributes (and the
    /// optional-attribute list) in sorted order, as Terraform writes it.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = String::new();
        self.write_json(&mut out);
        out.into_bytes()
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Type::Bool => out.push_str("\"bool\""),
            Type::Number => out.push_str("\"number\""),
            Type::String => out.push_str("\"string\""),
            Type::Dynamic => out.push_str("\"dynamic\""),
            Type::List(t) => {
                out.push_str("[\"list\",");
                t.write_json(out);
                out.push(']');
            }
            Type::Set(t) => {
                out.push_str("[\"set\",");
                t.write_json(out);
                out.push(']');
            }
            Type::Map(t) => {
                out.push_str("[\"map\",");
                t.write_json(out);
                out.push(']');
            }
            Type::Object {
                attributes,
                optional,
            } => {
                out.push_str("[\"object\",{");
                for (i, (name, t)) in attributes.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(out, name);
                    out.push(':');
                    t.write_json(out);
                }
                out.push('}');
                if !optional.is_empty() {
                    out.push_str(",[");
                    for (i, name) in optional.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        write_json_string(out, name);
                    }
                    out.push(']');
                }
                out.push(']');
            }
            Type::Tuple(elements) => {
                out.push_str("[\"tuple\",[");
                for (i, t) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    t.write_json(out);
                }
                out.push_str("]]");
            }
        }
    }

    /// Reads a type from its JSON form.
    pub fn from_json(bytes: &[u8]) -> Result<Type, TypeError> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| TypeError::Json(e.to_string()))?;
        Type::from_json_value(&json)
    }

    /// Reads a type from its already-parsed JSON form.
    pub fn from_json_value(json: &serde_json::Value) -> Result<Type, TypeError> {
        from_json_value(json, 0)
    }
}

fn write_json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::String(s.to_owned()).to_string());
}

fn from_json_value(json: &serde_json::Value, depth: usize) -> Result<Type, TypeError> {
    use serde_json::Value as J;
    if depth >= MAX_TYPE_DEPTH {
        return Err(TypeError::TooDeep);
    }
    match json {
        J::String(s) => match s.as_str() {
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(TypeError::Invalid(format!(
                "unknown primitive type {other:?}"
            ))),
        },
        J::Array(items) => {
            let kind = match items.first() {
                Some(J::String(kind)) => kind.as_str(),
                _ => {
                    return Err(TypeError::Invalid(
                        "a type array must start with the name of its kind".to_owned(),
                    ))
                }
            };
            let args = &items[1..];
            match kind {
                "list" | "set" | "map" => {
                    let [element] = args else {
                        return Err(TypeError::Invalid(format!(
                            "{kind} type needs exactly one element type"
                        )));
                    };
                    let element = Box::new(from_json_value(element, depth + 1)?);
                    Ok(match kind {
                        "list" => Type::List(element),
                        "set" => Type::Set(element),
                        _ => Type::Map(element),
                    })
                }
                "object" => {
                    let (attrs, optional) = match args {
                        [J::Object(attrs)] => (attrs, None),
                        [J::Object(attrs), J::Array(optional)] => (attrs, Some(optional)),
                        _ => {
                            return Err(TypeError::Invalid(
                                "object type needs an attribute object and optionally a list of optional attributes"
                                    .to_owned(),
                            ))
                        }
                    };
                    let mut attributes = BTreeMap::new();
                    for (name, t) in attrs {
                        attributes.insert(name.clone(), from_json_value(t, depth + 1)?);
                    }
                    let mut optional_set = BTreeSet::new();
                    for name in optional.into_iter().flatten() {
                        let J::String(name) = name else {
                            return Err(TypeError::Invalid(
                                "optional attribute names must be strings".to_owned(),
                            ));
                        };
                        if !attributes.contains_key(name) {
                            return Err(TypeError::Invalid(format!(
                                "optional attribute {name:?} is not an attribute of the object"
                            )));
                        }
                        optional_set.insert(name.clone());
                    }
                    Ok(Type::Object {
                        attributes,
                        optional: optional_set,
                    })
                }
                "tuple" => {
                    let [J::Array(elements)] = args else {
                        return Err(TypeError::Invalid(
                            "tuple type needs an array of element types".to_owned(),
                        ));
                    };
                    let elements = elements
                        .iter()
                        .map(|t| from_json_value(t, depth + 1))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Type::Tuple(elements))
                }
                other => Err(TypeError::Invalid(format!("unknown type kind {other:?}"))),
            }
        }
        other => Err(TypeError::Invalid(format!(
            "a type must be a string or an array, got {}",
            json_kind(other)
        ))),
    }
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Prints the type in Terraform's type-constraint syntax, e.g.
/// `list(string)`, `object({name=string,size=number})`; the dynamic
/// pseudo-type prints as `dynamic`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool | Type::Number | Type::String | Type::Dynamic => {
                f.write_str(self.kind_name())
            }
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Object {
                attributes,
                optional,
            } => {
                f.write_str("object({")?;
                for (i, (name, t)) in attributes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if optional.contains(name) {
                        write!(f, "{name}=optional({t})")?;
                    } else {
                        write!(f, "{name}={t}")?;
                    }
                }
                f.write_str("})")
            }
            Type::Tuple(elements) => {
                f.write_str("tuple([")?;
                for (i, t) in elements.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(t: &Type, json: &str) {
        assert_eq!(String::from_utf8(t.to_json()).unwrap(), json);
        assert_eq!(&Type::from_json(json.as_bytes()).unwrap(), t);
    }

    #[test]
    fn json_forms() {
        round_trip(&Type::Bool, "\"bool\"");
        round_trip(&Type::Number, "\"number\"");
        round_trip(&Type::String, "\"string\"");
        round_trip(&Type::Dynamic, "\"dynamic\"");
        round_trip(&Type::list(Type::String), "[\"list\",\"string\"]");
        round_trip(&Type::set(Type::Number), "[\"set\",\"number\"]");
        round_trip(&Type::map(Type::Bool), "[\"map\",\"bool\"]");
        round_trip(
            &Type::object([("b", Type::String), ("a", Type::list(Type::Dynamic))]),
            "[\"object\",{\"a\":[\"list\",\"dynamic\"],\"b\":\"string\"}]",
        );
        round_trip(
            &Type::object_with_optional([("b", Type::String), ("a", Type::Number)], ["b", "a"]),
            "[\"object\",{\"a\":\"number\",\"b\":\"string\"},[\"a\",\"b\"]]",
        );
        round_trip(
            &Type::tuple([Type::String, Type::Bool]),
            "[\"tuple\",[\"string\",\"bool\"]]",
        );
        round_trip(&Type::tuple([]), "[\"tuple\",[]]");
        round_trip(&Type::object([]), "[\"object\",{}]");
    }

    #[test]
    fn whitespace_and_key_order_are_accepted() {
        let t = Type::from_json(b" [ \"object\" , { \"z\" : \"bool\" , \"a\" : \"string\" } ] ")
            .unwrap();
        assert_eq!(t, Type::object([("a", Type::String), ("z", Type::Bool)]));
    }

    #[test]
    fn invalid_types_are_errors() {
        for bad in [
            "",
            "1",
            "null",
            "\"int\"",
            "[]",
            "[1]",
            "[\"list\"]",
            "[\"list\",\"string\",\"string\"]",
            "[\"object\",[]]",
            "[\"object\",{},[\"a\"]]",
            "[\"object\",{\"a\":\"string\"},[1]]",
            "[\"tuple\",\"string\"]",
            "[\"frob\",\"string\"]",
            "{\"list\":\"string\"}",
        ] {
            assert!(Type::from_json(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut json = String::new();
        for _ in 0..MAX_TYPE_DEPTH + 5 {
            json.push_str("[\"list\",");
        }
        json.push_str("\"string\"");
        for _ in 0..MAX_TYPE_DEPTH + 5 {
            json.push(']');
        }
        assert!(Type::from_json(json.as_bytes()).is_err());
        let mut deep = Type::String;
        for _ in 0..MAX_TYPE_DEPTH - 1 {
            deep = Type::list(deep);
        }
        assert_eq!(Type::from_json(&deep.to_json()).unwrap(), deep);
    }

    #[test]
    fn display() {
        assert_eq!(Type::list(Type::String).to_string(), "list(string)");
        assert_eq!(
            Type::object_with_optional([("a", Type::Number), ("b", Type::Dynamic)], ["b"])
                .to_string(),
            "object({a=number,b=optional(dynamic)})"
        );
        assert_eq!(
            Type::tuple([Type::Bool, Type::map(Type::String)]).to_string(),
            "tuple([bool,map(string)])"
        );
    }

    #[test]
    fn escapes_attribute_names() {
        let t = Type::object([("a\"b", Type::String)]);
        assert_eq!(
            String::from_utf8(t.to_json()).unwrap(),
            "[\"object\",{\"a\\\"b\":\"string\"}]"
        );
        assert_eq!(Type::from_json(&t.to_json()).unwrap(), t);
    }
}
