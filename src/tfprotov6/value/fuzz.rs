//! Invariant checks for fuzzing the decoders.
//!
//! The cargo-fuzz target and a stable proptest stand-in both feed arbitrary
//! bytes to [`check_msgpack`] and [`check_json`]. These decode the bytes
//! against a few schema-like types and, whenever decoding succeeds, check
//! that the value encodes again and decodes back to itself (in both
//! formats, where JSON can hold it). The decoders never panic; these
//! functions panic only when such a round-trip invariant is broken, which is
//! what a fuzzer should report.

use super::json::{decode_json, encode_json};
use super::msgpack::{decode, encode};
use super::types::Type;
use super::value::Value;

/// The types fuzz input is decoded with: a resource-like object with nested
/// blocks and every kind of attribute, and the dynamic pseudo-type.
pub fn schema_types() -> Vec<Type> {
    let rule = Type::object([
        ("principal", Type::String),
        ("actions", Type::list(Type::String)),
        ("condition", Type::Dynamic),
    ]);
    let resource = Type::object([
        ("id", Type::String),
        ("cluster_name", Type::String),
        ("key_arn", Type::String),
        ("enabled", Type::Bool),
        ("timeout", Type::Number),
        ("tags", Type::map(Type::String)),
        ("allowed", Type::set(Type::String)),
        ("rules", Type::list(rule)),
        (
            "assume_role",
            Type::object_with_optional(
                [
                    ("role_arn", Type::String),
                    ("duration", Type::Number),
                    ("external_id", Type::String),
                ],
                ["duration"],
            ),
        ),
        ("pair", Type::tuple([Type::String, Type::Number])),
        ("extra", Type::Dynamic),
    ]);
    vec![resource, Type::Dynamic]
}

/// Decodes `bytes` as msgpack with each of [`schema_types`] and checks the
/// round-trip invariants of whatever decodes.
pub fn check_msgpack(bytes: &[u8]) {
    check_msgpack_with(bytes, &schema_types());
}

/// Decodes `bytes` as JSON with each of [`schema_types`] and checks the
/// round-trip invariants of whatever decodes.
pub fn check_json(bytes: &[u8]) {
    check_json_with(bytes, &schema_types());
}

/// Decodes `bytes` as msgpack with each of `types` (e.g. a real resource
/// schema's type) and checks the round-trip invariants of whatever decodes.
pub fn check_msgpack_with(bytes: &[u8], types: &[Type]) {
    for ty in types {
        if let Ok(value) = decode(bytes, ty) {
            check_value(&value, ty);
        }
    }
}

/// Decodes `bytes` as JSON with each of `types` and checks the round-trip
/// invariants of whatever decodes.
pub fn check_json_with(bytes: &[u8], types: &[Type]) {
    for ty in types {
        if let Ok(value) = decode_json(bytes, ty) {
            assert!(value.is_fully_known(), "JSON decoded to an unknown value");
            check_value(&value, ty);
        }
    }
}

/// A decoded value must encode, and decode back to itself, in msgpack and
/// (when fully known and not too deep for a JSON parser) in JSON.
fn check_value(value: &Value, ty: &Type) {
    let bytes = match encode(value, ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("decoded value does not encode as msgpack: {e}"),
    };
    match decode(&bytes, ty) {
        Ok(again) => assert_eq!(&again, value, "msgpack round trip changed the value"),
        Err(e) => panic!("re-encoded msgpack does not decode: {e}"),
    }
    if !value.is_fully_known() {
        return;
    }
    let json = match encode_json(value, ty) {
        Ok(json) => json,
        Err(e) => panic!("known value does not encode as JSON: {e}"),
    };
    // Type JSON nests inside value JSON, so a value near the depth limit
    // in msgpack may be too deep for the JSON parser; that is not a bug.
    if json_depth(&json) >= 100 {
        return;
    }
    match decode_json(&json, ty) {
        Ok(again) => assert_eq!(&again, value, "JSON round trip changed the value"),
        Err(e) => panic!("encoded JSON does not decode: {e}"),
    }
}

/// How deeply arrays and objects nest in JSON text.
fn json_depth(json: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in json {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Valid encodings of values of [`schema_types`], as a fuzzing corpus seed.
pub fn seed_inputs() -> Vec<Vec<u8>> {
    let types = schema_types();
    let resource = &types[0];
    let full = Value::object([
        ("id", Value::string("i-1")),
        ("cluster_name", Value::string("prod")),
        ("key_arn", Value::Unknown),
        ("enabled", Value::Bool(true)),
        (
            "timeout",
            Value::Number("1e400".parse().unwrap_or_else(|_| 0.into())),
        ),
        ("tags", Value::map([("team", Value::string("a"))])),
        (
            "allowed",
            Value::set([Value::string("x"), Value::string("y")]),
        ),
        (
            "rules",
            Value::list([Value::object([
                ("principal", Value::string("p")),
                ("actions", Value::list([Value::string("kms:Decrypt")])),
                (
                    "condition",
                    Value::dynamic(Type::map(Type::Number), Value::map([("n", Value::from(1))])),
                ),
            ])]),
        ),
        (
            "assume_role",
            Value::object([
                ("role_arn", Value::string("arn")),
                ("duration", Value::from(3600)),
            ]),
        ),
        ("pair", Value::tuple([Value::string("a"), Value::from(-2)])),
        (
            "extra",
            Value::dynamic(Type::list(Type::Bool), Value::list([Value::Bool(false)])),
        ),
    ]);
    let known = match full.clone() {
        Value::Object(mut attrs) => {
            attrs.insert("key_arn".into(), Value::string("arn:aws:kms"));
            Value::Object(attrs)
        }
        other => other,
    };
    let mut seeds = Vec::new();
    for (value, ty) in [
        (&full, resource),
        (&known, resource),
        (&Value::Null, resource),
        (&Value::dynamic(Type::String, Value::string("s")), &types[1]),
    ] {
        if let Ok(bytes) = encode(value, ty) {
            seeds.push(bytes);
        }
        if let Ok(json) = encode_json(value, ty) {
            seeds.push(json);
        }
    }
    seeds
}
