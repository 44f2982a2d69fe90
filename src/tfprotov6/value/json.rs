//! The JSON encoding of values, as Terraform writes state
//! (`UpgradeResourceState.raw_state.json`) and `DynamicValue.json`.
//!
//! This is cty's JSON encoding: null is `null`; numbers are JSON numbers
//! (read exactly, never through a float); lists, sets and tuples are arrays;
//! maps and objects are objects. A value whose schema type is `dynamic` is
//! `{"value":V,"type":T}` with `T` the JSON of its type. Unknown values
//! cannot be written.
//!
//! Reading is lenient as cty is: an object may lack attributes (they read as
//! null), a bool may be the string `"true"` or `"false"`, a number may be a
//! string of decimal text, and a string may be a JSON number or bool (read
//! as its text). An attribute not in the type is an error naming it.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::error::{DecodeError, EncodeError, MAX_VALUE_DEPTH};
use super::msgpack::{check_no_extra_attributes, index_i64, tuple_length_mismatch};
use super::path::{PathRef, ToAttributePath};
use super::types::Type;
use super::value::{Number, Value, NULL};

/// Decodes a JSON value of type `ty`. The error names the path of the
/// offending value; no input panics.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let root = PathRef::Root;
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::syntax(&root, e.to_string()))?;
    from_json(&json, ty, &root, 0)
}

/// Decodes an already-parsed JSON value of type `ty`.
pub fn decode_json_value(json: &Json, ty: &Type) -> Result<Value, DecodeError> {
    from_json(json, ty, &PathRef::Root, 0)
}

/// Encodes `value` as JSON with type `ty`; fails on unknown values and on
/// values that do not fit the type (see [`super::msgpack::encode`] for what
/// fits).
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut out = String::new();
    write_value(&mut out, value, ty, &PathRef::Root)?;
    Ok(out.into_bytes())
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn from_json(
    json: &Json,
    ty: &Type,
    path: &PathRef<'_>,
    depth: usize,
) -> Result<Value, DecodeError> {
    if depth >= MAX_VALUE_DEPTH {
        return Err(DecodeError::TooDeep {
            path: path.to_attribute_path(),
        });
    }
    if json.is_null() {
        return Ok(Value::Null);
    }
    let expected =
        |what: &str| DecodeError::ty(path, format!("expected {what}, got {}", json_kind(json)));
    match ty {
        Type::Dynamic => {
            let Json::Object(fields) = json else {
                return Err(expected(
                    "a dynamic value (an object with \"value\" and \"type\")",
                ));
            };
            if let Some(other) = fields.keys().find(|k| *k != "value" && *k != "type") {
                return Err(DecodeError::ty(
                    path,
                    format!("invalid key {other:?} in a dynamic value"),
                ));
            }
            let (Some(type_json), Some(value_json)) = (fields.get("type"), fields.get("value"))
            else {
                return Err(DecodeError::ty(
                    path,
                    "a dynamic value needs both \"value\" and \"type\"",
                ));
            };
            let inner_ty = Type::from_json_value(type_json).map_err(|e| {
                DecodeError::ty(path, format!("dynamic value has an invalid type: {e}"))
            })?;
            let inner = from_json(value_json, &inner_ty, path, depth + 1)?;
            Ok(Value::Dynamic {
                ty: inner_ty,
                value: Box::new(inner),
            })
        }
        Type::Bool => match json {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" => Ok(Value::Bool(true)),
            Json::String(s) if s == "false" => Ok(Value::Bool(false)),
            _ => Err(expected("bool")),
        },
        Type::Number => {
            let text = match json {
                Json::Number(n) => n.to_string(),
                Json::String(s) => s.clone(),
                _ => return Err(expected("number")),
            };
            text.parse::<Number>()
                .map(Value::Number)
                .map_err(|e| DecodeError::ty(path, format!("expected number: {e}")))
        }
        Type::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(expected("string")),
        },
        Type::List(element_ty) | Type::Set(element_ty) => {
            let Json::Array(items) = json else {
                return Err(expected(ty.kind_name()));
            };
            let elements = items
                .iter()
                .enumerate()
                .map(|(i, item)| from_json(item, element_ty, &path.index(index_i64(i)), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(match ty {
                Type::List(_) => Value::List(elements),
                _ => Value::Set(elements),
            })
        }
        Type::Tuple(element_tys) => {
            let Json::Array(items) = json else {
                return Err(expected("tuple"));
            };
            if let Some(msg) = tuple_length_mismatch(element_tys.len(), items.len()) {
                return Err(DecodeError::ty(path, msg));
            }
            let elements = items
                .iter()
                .zip(element_tys)
                .enumerate()
                .map(|(i, (item, element_ty))| {
                    from_json(item, element_ty, &path.index(index_i64(i)), depth + 1)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(elements))
        }
        Type::Map(element_ty) => {
            let Json::Object(fields) = json else {
                return Err(expected("map"));
            };
            let mut entries = BTreeMap::new();
            for (key, item) in fields {
                let element = from_json(item, element_ty, &path.key(key), depth + 1)?;
                entries.insert(key.clone(), element);
            }
            Ok(Value::Map(entries))
        }
        Type::Object { attributes, .. } => {
            let Json::Object(fields) = json else {
                return Err(expected("object"));
            };
            let mut attrs = BTreeMap::new();
            for (name, item) in fields {
                let child = path.attr(name);
                let Some(attr_ty) = attributes.get(name) else {
                    return Err(DecodeError::ty(&child, "unsupported attribute"));
                };
                attrs.insert(name.clone(), from_json(item, attr_ty, &child, depth + 1)?);
            }
            if attrs.len() < attributes.len() {
                for name in attributes.keys() {
                    if !attrs.contains_key(name) {
                        attrs.insert(name.clone(), Value::Null);
                    }
                }
            }
            Ok(Value::Object(attrs))
        }
    }
}

/// Appends `s` as a JSON string literal.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_value(
    out: &mut String,
    value: &Value,
    ty: &Type,
    path: &PathRef<'_>,
) -> Result<(), EncodeError> {
    if *ty == Type::Dynamic {
        let (inner_ty, inner) = match value {
            Value::Null => {
                out.push_str("null");
                return Ok(());
            }
            Value::Unknown => {
                return Err(EncodeError::Unknown {
                    path: path.to_attribute_path(),
                })
            }
            other => EncodeError::dynamic_parts(other, path)?,
        };
        out.push_str("{\"value\":");
        write_value(out, inner, &inner_ty, path)?;
        out.push_str(",\"type\":");
        // Type JSON is ASCII-safe UTF-8 built from strings.
        out.push_str(&String::from_utf8_lossy(&inner_ty.to_json()));
        out.push('}');
        return Ok(());
    }

    match (ty, value) {
        (_, Value::Dynamic { value, .. }) => write_value(out, value, ty, path),
        (_, Value::Null) => {
            out.push_str("null");
            Ok(())
        }
        (_, Value::Unknown) => Err(EncodeError::Unknown {
            path: path.to_attribute_path(),
        }),
        (Type::Bool, Value::Bool(b)) => {
            out.push_str(if *b { "true" } else { "false" });
            Ok(())
        }
        (Type::Number, Value::Number(n)) => {
            out.push_str(&n.to_string());
            Ok(())
        }
        (Type::String, Value::String(s)) => {
            write_string(out, s);
            Ok(())
        }
        (
            Type::List(element_ty) | Type::Set(element_ty),
            Value::List(elements) | Value::Set(elements) | Value::Tuple(elements),
        ) => {
            out.push('[');
            for (i, element) in elements.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, element, element_ty, &path.index(index_i64(i)))?;
            }
            out.push(']');
            Ok(())
        }
        (
            Type::Tuple(element_tys),
            Value::List(elements) | Value::Set(elements) | Value::Tuple(elements),
        ) => {
            if let Some(msg) = tuple_length_mismatch(element_tys.len(), elements.len()) {
                return Err(EncodeError::mismatch(path, msg));
            }
            out.push('[');
            for (i, (element, element_ty)) in elements.iter().zip(element_tys).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, element, element_ty, &path.index(index_i64(i)))?;
            }
            out.push(']');
            Ok(())
        }
        (Type::Map(element_ty), Value::Map(entries) | Value::Object(entries)) => {
            out.push('{');
            for (i, (key, element)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, element, element_ty, &path.key(key))?;
            }
            out.push('}');
            Ok(())
        }
        (Type::Object { attributes, .. }, Value::Object(attrs) | Value::Map(attrs)) => {
            check_no_extra_attributes(attrs, attributes, path)?;
            out.push('{');
            for (i, (name, attr_ty)) in attributes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_value(
                    out,
                    attrs.get(name).unwrap_or(&NULL),
                    attr_ty,
                    &path.attr(name),
                )?;
            }
            out.push('}');
            Ok(())
        }
        _ => Err(EncodeError::mismatch(
            path,
            format!("expected {}, got {}", ty.kind_name(), value.kind_name()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fuzz;
    use super::super::path::AttributePath;
    use super::super::testing::codec_properties;
    use super::*;
    use proptest::prelude::*;

    fn num(s: &str) -> Value {
        Value::Number(s.parse().unwrap())
    }

    fn json_str(v: &Value, t: &Type) -> String {
        String::from_utf8(encode_json(v, t).unwrap()).unwrap()
    }

    fn resource_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("size", Type::Number),
            ("enabled", Type::Bool),
            ("tags", Type::map(Type::String)),
            (
                "assume_role",
                Type::object([("role_arn", Type::String), ("duration", Type::Number)]),
            ),
            ("rules", Type::list(Type::object([("name", Type::String)]))),
        ])
    }

    #[test]
    fn state_with_missing_attributes() {
        let raw = br#"{"id":"abc","size":12345678901234567890.000000000000000000001,"tags":{"b":"2","a":"1"},"assume_role":{"role_arn":"arn:aws:iam::1:role/x"},"rules":[{"name":"r1"},{"name":null}]}"#;
        let v = decode_json(raw, &resource_type()).unwrap();
        assert_eq!(
            v,
            Value::object([
                ("id", Value::string("abc")),
                ("size", num("12345678901234567890.000000000000000000001")),
                ("enabled", Value::Null),
                (
                    "tags",
                    Value::map([("a", Value::string("1")), ("b", Value::string("2"))])
                ),
                (
                    "assume_role",
                    Value::object([
                        ("role_arn", Value::string("arn:aws:iam::1:role/x")),
                        ("duration", Value::Null)
                    ])
                ),
                (
                    "rules",
                    Value::list([
                        Value::object([("name", Value::string("r1"))]),
                        Value::object([("name", Value::Null)]),
                    ])
                ),
            ])
        );
        assert_eq!(
            json_str(&v, &resource_type()),
            r#"{"assume_role":{"duration":null,"role_arn":"arn:aws:iam::1:role/x"},"enabled":null,"id":"abc","rules":[{"name":"r1"},{"name":null}],"size":12345678901234567890.000000000000000000001,"tags":{"a":"1","b":"2"}}"#
        );
    }

    #[test]
    fn extra_attributes_are_errors_naming_them() {
        let err = decode_json(br#"{"id":"x","legacy_field":1}"#, &resource_type()).unwrap_err();
        assert_eq!(err.to_string(), "legacy_field: unsupported attribute");
        let err = decode_json(
            br#"{"assume_role":{"role_arn":"x","old":true}}"#,
            &resource_type(),
        )
        .unwrap_err();
        assert_eq!(
            err.path(),
            &AttributePath::attr("assume_role").child_attr("old")
        );
        let err = decode_json(
            br#"{"rules":[{"name":"a"},{"name":1,"x":2}]}"#,
            &resource_type(),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "rules[1].x: unsupported attribute");
    }

    #[test]
    fn type_errors_name_the_path() {
        let err =
            decode_json(br#"{"assume_role":{"role_arn":["x"]}}"#, &resource_type()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.role_arn: expected string, got array"
        );
        let err = decode_json(br#"{"tags":{"k":{}}}"#, &resource_type()).unwrap_err();
        assert_eq!(err.to_string(), "tags[\"k\"]: expected string, got object");
        assert!(decode_json(b"{", &resource_type()).is_err());
        assert!(decode_json(b"[]", &resource_type()).is_err());
        assert!(decode_json(b"{} x", &resource_type()).is_err());
    }

    #[test]
    fn numbers_are_exact() {
        for text in [
            "1e400",
            "-1e-400",
            "0.1",
            "123456789012345678901234567890",
            "1.5",
        ] {
            let v = decode_json(text.as_bytes(), &Type::Number).unwrap();
            assert_eq!(v, num(text));
            assert_eq!(
                decode_json(&encode_json(&v, &Type::Number).unwrap(), &Type::Number).unwrap(),
                v
            );
        }
        assert_eq!(json_str(&num("1e3"), &Type::Number), "1000");
        assert_eq!(json_str(&num("-0.025"), &Type::Number), "-0.025");
        // Decimal text is accepted for numbers.
        assert_eq!(decode_json(br#""2.5""#, &Type::Number).unwrap(), num("2.5"));
        assert!(decode_json(br#""abc""#, &Type::Number).is_err());
        assert!(decode_json(b"true", &Type::Number).is_err());
    }

    #[test]
    fn primitive_leniency() {
        assert_eq!(
            decode_json(br#""true""#, &Type::Bool).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            decode_json(br#""false""#, &Type::Bool).unwrap(),
            Value::Bool(false)
        );
        assert!(decode_json(br#""yes""#, &Type::Bool).is_err());
        assert_eq!(
            decode_json(b"1.50", &Type::String).unwrap(),
            Value::string("1.50")
        );
        assert_eq!(
            decode_json(b"true", &Type::String).unwrap(),
            Value::string("true")
        );
        assert!(decode_json(b"[]", &Type::String).is_err());
    }

    #[test]
    fn dynamic_values() {
        let v = decode_json(
            br#"{"type":["list","string"],"value":["a",null]}"#,
            &Type::Dynamic,
        )
        .unwrap();
        assert_eq!(
            v,
            Value::dynamic(
                Type::list(Type::String),
                Value::list([Value::string("a"), Value::Null])
            )
        );
        assert_eq!(
            json_str(&v, &Type::Dynamic),
            r#"{"value":["a",null],"type":["list","string"]}"#
        );
        assert_eq!(decode_json(b"null", &Type::Dynamic).unwrap(), Value::Null);
        assert_eq!(
            decode_json(br#"{"value":null,"type":"string"}"#, &Type::Dynamic).unwrap(),
            Value::dynamic(Type::String, Value::Null)
        );
        assert_eq!(
            json_str(&Value::from(3), &Type::Dynamic),
            r#"{"value":3,"type":"number"}"#
        );
        for bad in [
            r#""a""#,
            r#"{"value":1}"#,
            r#"{"type":"number"}"#,
            r#"{"value":1,"type":"number","x":1}"#,
            r#"{"value":1,"type":"nope"}"#,
            r#"{"value":"x","type":"bool"}"#,
        ] {
            assert!(
                decode_json(bad.as_bytes(), &Type::Dynamic).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn strings_are_escaped() {
        let s = "q\"b\\n\nt\tc\u{1}é😀</";
        let json = json_str(&Value::string(s), &Type::String);
        assert_eq!(json, "\"q\\\"b\\\\n\\nt\\tc\\u0001é😀</\"");
        assert_eq!(
            decode_json(json.as_bytes(), &Type::String).unwrap(),
            Value::string(s)
        );
    }

    #[test]
    fn unknowns_cannot_be_written() {
        let t = Type::object([("a", Type::list(Type::String))]);
        let v = Value::object([("a", Value::list([Value::Unknown]))]);
        let err = encode_json(&v, &t).unwrap_err();
        assert_eq!(err.path(), &AttributePath::attr("a").child_index(0));
        assert!(matches!(err, EncodeError::Unknown { .. }));
        assert!(encode_json(&Value::Unknown, &Type::Dynamic).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(decode_json(deep.as_bytes(), &Type::list(Type::String)).is_err());
        let mut dynamic = String::new();
        for _ in 0..200 {
            dynamic.push_str(r#"{"type":"dynamic","value":"#);
        }
        dynamic.push_str("null");
        dynamic.push_str(&"}".repeat(200));
        assert!(decode_json(dynamic.as_bytes(), &Type::Dynamic).is_err());
    }

    codec_properties!(fuzz::JSON);

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_text_never_panics(text in "[\\[\\]{}\":,a-z0-9 .eE+-]{0,200}") {
            fuzz::check(fuzz::JSON, text.as_bytes());
        }
    }
}
