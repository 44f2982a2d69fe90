//! Invariant checks for fuzzing the decoders.
//!
//! The cargo-fuzz target and the stable property tests (`testing`'s
//! `codec_properties!`, run for each codec) feed arbitrary bytes to
//! [`check`]. It decodes the bytes against a few schema-like types with one
//! [`Codec`] and, whenever decoding succeeds, checks that the value encodes
//! again and decodes back to itself (in both formats, where JSON can hold
//! it). The decoders never panic; these functions panic only when such a
//! round-trip invariant is broken, which is what a fuzzer should report.

use super::error::{DecodeError, EncodeError};
use super::json::{decode_json, encode_json};
use super::msgpack::{decode, encode};
use super::types::Type;
use super::value::Value;

/// One encoding of Terraform values, as the functions the checks need.
#[derive(Clone, Copy)]
pub struct Codec {
    /// `msgpack` or `JSON`, for messages.
    pub name: &'static str,
    /// Encodes a value of a type.
    pub encode: fn(&Value, &Type) -> Result<Vec<u8>, EncodeError>,
    /// Decodes bytes as a value of a type.
    pub decode: fn(&[u8], &Type) -> Result<Value, DecodeError>,
    /// Whether the encoding can hold unknown values (JSON, the state
    /// encoding, cannot).
    pub holds_unknowns: bool,
    /// How deeply arrays and objects may nest in an encoding that is to be
    /// decoded again, if the format's parser has a lower limit than the
    /// value depth limit: type JSON nests inside value JSON, so a value near
    /// the depth limit in msgpack may be too deep for the JSON parser, which
    /// is not a bug.
    pub nesting_limit: Option<usize>,
}

/// cty's msgpack encoding, of every request value.
pub const MSGPACK: Codec = Codec {
    name: "msgpack",
    encode,
    decode,
    holds_unknowns: true,
    nesting_limit: None,
};

/// The JSON encoding of (raw) state.
pub const JSON: Codec = Codec {
    name: "JSON",
    encode: encode_json,
    decode: decode_json,
    holds_unknowns: false,
    nesting_limit: Some(100),
};

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

/// Decodes `bytes` with `codec` as each of [`schema_types`] and checks the
/// round-trip invariants of whatever decodes.
pub fn check(codec: Codec, bytes: &[u8]) {
    check_with(codec, bytes, &schema_types());
}

/// Decodes `bytes` with `codec` as each of `types` (e.g. a real resource
/// schema's type) and checks the round-trip invariants of whatever decodes.
pub fn check_with(codec: Codec, bytes: &[u8], types: &[Type]) {
    for ty in types {
        if let Ok(value) = (codec.decode)(bytes, ty) {
            assert!(
                codec.holds_unknowns || value.is_fully_known(),
                "{} decoded to an unknown value",
                codec.name
            );
            assert_round_trip(MSGPACK, &value, ty);
            if value.is_fully_known() {
                assert_round_trip(JSON, &value, ty);
            }
        }
    }
}

/// `value` encodes with `codec`, and (unless the encoding nests deeper than
/// the codec's parser allows) decodes back to itself.
pub fn assert_round_trip(codec: Codec, value: &Value, ty: &Type) {
    let bytes = match (codec.encode)(value, ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("the value does not encode as {}: {e}", codec.name),
    };
    if codec
        .nesting_limit
        .is_some_and(|limit| nesting(&bytes) >= limit)
    {
        return;
    }
    match (codec.decode)(&bytes, ty) {
        Ok(again) => assert_eq!(&again, value, "{} round trip changed the value", codec.name),
        Err(e) => panic!("the {} encoding does not decode: {e}", codec.name),
    }
}

/// How deeply arrays and objects nest in JSON text.
fn nesting(json: &[u8]) -> usize {
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
