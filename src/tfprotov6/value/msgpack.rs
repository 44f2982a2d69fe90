//! The msgpack encoding of values, as Terraform sends `DynamicValue.msgpack`.
//!
//! This is cty's encoding:
//! - null is msgpack nil; an unknown value is an extension value (cty writes
//!   type 0 with one zero byte, `d4 00 00`; Terraform 1.6+ may send refined
//!   unknowns as extension type 12 whose payload is a msgpack map, and any
//!   extension of at most one byte is also an unknown). Refinements are
//!   dropped: all decode to [`Value::Unknown`].
//! - a number is written as an integer if it is one and fits 64 bits, else as
//!   a float64 if that is exact, else as its decimal text; reading accepts
//!   any msgpack integer or float, and decimal text.
//! - lists, sets and tuples are arrays; maps are maps; an object is a map of
//!   all its type's attributes in sorted order.
//! - where the schema type is `dynamic`, a non-null known value (or a null
//!   or unknown one of a concrete type) is a two-element array: the JSON of
//!   its type as binary, then the value encoded with that type.

use std::collections::BTreeMap;
use std::convert::Infallible;

use rmp::encode::{ByteBuf, ValueWriteError};
use rmp::Marker;

use super::error::{DecodeError, EncodeError, MAX_VALUE_DEPTH};
use super::path::{PathRef, ToAttributePath};
use super::types::Type;
use super::value::{Number, Value, NULL};

/// cty's encoding of a wholly unknown value: fixext1, type 0, payload 0.
const UNKNOWN_BYTES: [u8; 3] = [0xd4, 0x00, 0x00];

/// msgpack nil.
const NIL: u8 = 0xc0;
/// msgpack true.
const TRUE: u8 = 0xc3;
/// msgpack false.
const FALSE: u8 = 0xc2;

/// Extension type of an unknown value with refinements.
const REFINED_UNKNOWN_EXT: i8 = 12;

/// Decodes a msgpack value of type `ty`. The error names the path of the
/// offending value; no input panics.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut reader = Reader { buf: bytes, pos: 0 };
    let root = PathRef::Root;
    let value = reader.value(ty, &root, 0)?;
    let trailing = bytes.len() - reader.pos;
    if trailing != 0 {
        return Err(DecodeError::syntax(
            &root,
            format!("{trailing} bytes after the end of the value"),
        ));
    }
    Ok(value)
}

/// Encodes `value` as msgpack with type `ty`. The error names the path of a
/// value that does not fit its type.
///
/// Lenient where the type decides anyway: a list, set or tuple value may be
/// written for any of those types, a map or object value for a map or
/// object type, and a [`Value::Dynamic`] for a concrete type is written
/// unwrapped. Where the type is `dynamic`, a plain value is wrapped with its
/// [`Value::implied_type`].
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut out = ByteBuf::new();
    encode_into(&mut out, value, ty, &PathRef::Root)?;
    Ok(out.into_vec())
}

// ---------------------------------------------------------------------------
// Encoding

/// Writing to a `ByteBuf` cannot fail; this makes that visible to the compiler.
fn infallible<T>(r: Result<T, ValueWriteError<Infallible>>) -> T {
    match r {
        Ok(v) => v,
        Err(ValueWriteError::InvalidMarkerWrite(e) | ValueWriteError::InvalidDataWrite(e)) => {
            match e {}
        }
    }
}

fn len_u32(len: usize, path: &PathRef<'_>) -> Result<u32, EncodeError> {
    u32::try_from(len).map_err(|_| EncodeError::TooLong {
        path: path.to_attribute_path(),
        len,
    })
}

fn write_str(out: &mut ByteBuf, s: &str, path: &PathRef<'_>) -> Result<(), EncodeError> {
    infallible(rmp::encode::write_str_len(out, len_u32(s.len(), path)?));
    out.as_mut_vec().extend_from_slice(s.as_bytes());
    Ok(())
}

fn write_number(out: &mut ByteBuf, n: &Number, path: &PathRef<'_>) -> Result<(), EncodeError> {
    if let Some(i) = n.to_i64() {
        infallible(rmp::encode::write_sint(out, i));
    } else if let Some(f) = n.to_f64_exact() {
        infallible(rmp::encode::write_f64(out, f));
    } else {
        write_str(out, &n.to_string(), path)?;
    }
    Ok(())
}

fn mismatch(ty: &Type, value: &Value, path: &PathRef<'_>) -> EncodeError {
    EncodeError::mismatch(
        path,
        format!("expected {}, got {}", ty.kind_name(), value.kind_name()),
    )
}

pub(crate) fn encode_into(
    out: &mut ByteBuf,
    value: &Value,
    ty: &Type,
    path: &PathRef<'_>,
) -> Result<(), EncodeError> {
    if *ty == Type::Dynamic {
        let (inner_ty, inner) = match value {
            Value::Null => {
                out.as_mut_vec().push(NIL);
                return Ok(());
            }
            Value::Unknown => {
                out.as_mut_vec().extend_from_slice(&UNKNOWN_BYTES);
                return Ok(());
            }
            other => EncodeError::dynamic_parts(other, path)?,
        };
        infallible(rmp::encode::write_array_len(out, 2));
        let type_json = inner_ty.to_json();
        infallible(rmp::encode::write_bin_len(
            out,
            len_u32(type_json.len(), path)?,
        ));
        out.as_mut_vec().extend_from_slice(&type_json);
        return encode_into(out, inner, &inner_ty, path);
    }

    match (ty, value) {
        (_, Value::Dynamic { value, .. }) => encode_into(out, value, ty, path),
        (_, Value::Null) => {
            out.as_mut_vec().push(NIL);
            Ok(())
        }
        (_, Value::Unknown) => {
            out.as_mut_vec().extend_from_slice(&UNKNOWN_BYTES);
            Ok(())
        }
        (Type::Bool, Value::Bool(b)) => {
            out.as_mut_vec().push(if *b { TRUE } else { FALSE });
            Ok(())
        }
        (Type::Number, Value::Number(n)) => write_number(out, n, path),
        (Type::String, Value::String(s)) => write_str(out, s, path),
        (
            Type::List(element_ty) | Type::Set(element_ty),
            Value::List(elements) | Value::Set(elements) | Value::Tuple(elements),
        ) => {
            infallible(rmp::encode::write_array_len(
                out,
                len_u32(elements.len(), path)?,
            ));
            for (i, element) in elements.iter().enumerate() {
                encode_into(out, element, element_ty, &path.index(index_i64(i)))?;
            }
            Ok(())
        }
        (
            Type::Tuple(element_tys),
            Value::List(elements) | Value::Set(elements) | Value::Tuple(elements),
        ) => {
            if let Some(msg) = tuple_length_mismatch(element_tys.len(), elements.len()) {
                return Err(EncodeError::mismatch(path, msg));
            }
            infallible(rmp::encode::write_array_len(
                out,
                len_u32(elements.len(), path)?,
            ));
            for (i, (element, element_ty)) in elements.iter().zip(element_tys).enumerate() {
                encode_into(out, element, element_ty, &path.index(index_i64(i)))?;
            }
            Ok(())
        }
        (Type::Map(element_ty), Value::Map(entries) | Value::Object(entries)) => {
            infallible(rmp::encode::write_map_len(
                out,
                len_u32(entries.len(), path)?,
            ));
            for (key, element) in entries {
                let child = path.key(key);
                write_str(out, key, &child)?;
                encode_into(out, element, element_ty, &child)?;
            }
            Ok(())
        }
        (Type::Object { attributes, .. }, Value::Object(attrs) | Value::Map(attrs)) => {
            check_no_extra_attributes(attrs, attributes, path)?;
            infallible(rmp::encode::write_map_len(
                out,
                len_u32(attributes.len(), path)?,
            ));
            for (name, attr_ty) in attributes {
                let child = path.attr(name);
                write_str(out, name, &child)?;
                encode_into(out, attrs.get(name).unwrap_or(&NULL), attr_ty, &child)?;
            }
            Ok(())
        }
        _ => Err(mismatch(ty, value, path)),
    }
}

pub(crate) fn check_no_extra_attributes(
    attrs: &BTreeMap<String, Value>,
    attributes: &BTreeMap<String, Type>,
    path: &PathRef<'_>,
) -> Result<(), EncodeError> {
    match attrs.keys().find(|k| !attributes.contains_key(*k)) {
        Some(extra) => Err(EncodeError::mismatch(
            &path.attr(extra),
            "attribute is not in the object type",
        )),
        None => Ok(()),
    }
}

/// The error message when a tuple type of `expected` elements meets a
/// sequence of `got` elements, if the lengths differ.
pub(crate) fn tuple_length_mismatch(expected: usize, got: usize) -> Option<String> {
    (expected != got).then(|| format!("expected a tuple of {expected} elements, got {got}"))
}

pub(crate) fn index_i64(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------
// Decoding

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// What a msgpack marker introduces, for error messages.
fn describe(marker: Marker) -> &'static str {
    match marker {
        Marker::Null => "nil",
        Marker::True | Marker::False => "bool",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "integer",
        Marker::F32 | Marker::F64 => "float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "extension",
        Marker::Reserved => "reserved byte 0xc1",
    }
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize, path: &PathRef<'_>) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::syntax(path, "unexpected end of input"));
        }
        let slice = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, path: &PathRef<'_>) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, path)?);
        Ok(out)
    }

    fn u8(&mut self, path: &PathRef<'_>) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(path)?[0])
    }

    fn u16(&mut self, path: &PathRef<'_>) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(path)?))
    }

    fn u32(&mut self, path: &PathRef<'_>) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(path)?))
    }

    fn u64(&mut self, path: &PathRef<'_>) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(path)?))
    }

    fn marker(&mut self, path: &PathRef<'_>) -> Result<Marker, DecodeError> {
        Ok(Marker::from_u8(self.u8(path)?))
    }

    /// The length of a string or binary value introduced by `marker`, if it
    /// introduces one.
    fn bytes_len(
        &mut self,
        marker: Marker,
        path: &PathRef<'_>,
    ) -> Result<Option<usize>, DecodeError> {
        Ok(Some(match marker {
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 | Marker::Bin8 => usize::from(self.u8(path)?),
            Marker::Str16 | Marker::Bin16 => usize::from(self.u16(path)?),
            Marker::Str32 | Marker::Bin32 => to_usize(self.u32(path)?),
            _ => return Ok(None),
        }))
    }

    /// The contents of a string or binary value introduced by `marker`.
    fn bytes(
        &mut self,
        marker: Marker,
        path: &PathRef<'_>,
    ) -> Result<Option<&'a [u8]>, DecodeError> {
        match self.bytes_len(marker, path)? {
            Some(len) => Ok(Some(self.take(len, path)?)),
            None => Ok(None),
        }
    }

    /// The element count of an array introduced by `marker`, checked against
    /// the remaining input (each element takes at least one byte).
    fn array_len(
        &mut self,
        marker: Marker,
        path: &PathRef<'_>,
    ) -> Result<Option<usize>, DecodeError> {
        let len = match marker {
            Marker::FixArray(n) => usize::from(n),
            Marker::Array16 => usize::from(self.u16(path)?),
            Marker::Array32 => to_usize(self.u32(path)?),
            _ => return Ok(None),
        };
        if len > self.remaining() {
            return Err(DecodeError::syntax(path, "array length exceeds the input"));
        }
        Ok(Some(len))
    }

    /// The entry count of a map introduced by `marker`, checked against the
    /// remaining input (each entry takes at least two bytes).
    fn map_len(
        &mut self,
        marker: Marker,
        path: &PathRef<'_>,
    ) -> Result<Option<usize>, DecodeError> {
        let len = match marker {
            Marker::FixMap(n) => usize::from(n),
            Marker::Map16 => usize::from(self.u16(path)?),
            Marker::Map32 => to_usize(self.u32(path)?),
            _ => return Ok(None),
        };
        if len > self.remaining() / 2 {
            return Err(DecodeError::syntax(path, "map length exceeds the input"));
        }
        Ok(Some(len))
    }

    /// Reads an extension value (the marker already read) and decides
    /// whether it is an unknown value.
    fn unknown(&mut self, marker: Marker, path: &PathRef<'_>) -> Result<Value, DecodeError> {
        let len = match marker {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => usize::from(self.u8(path)?),
            Marker::Ext16 => usize::from(self.u16(path)?),
            Marker::Ext32 => to_usize(self.u32(path)?),
            _ => return Err(DecodeError::syntax(path, "expected an extension value")),
        };
        let ext_type = i8::from_ne_bytes([self.u8(path)?]);
        let payload = self.take(len, path)?;
        if ext_type == 0 || payload.len() <= 1 {
            return Ok(Value::Unknown);
        }
        if ext_type == REFINED_UNKNOWN_EXT {
            // The refinements (nullness, string prefix, bounds) are a map;
            // they are dropped, so only the outer shape is checked.
            return match Marker::from_u8(payload[0]) {
                Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => Ok(Value::Unknown),
                _ => Err(DecodeError::syntax(
                    path,
                    "refined unknown value payload is not a map",
                )),
            };
        }
        Err(DecodeError::ty(
            path,
            format!("unsupported msgpack extension type {ext_type}"),
        ))
    }

    fn value(&mut self, ty: &Type, path: &PathRef<'_>, depth: usize) -> Result<Value, DecodeError> {
        if depth >= MAX_VALUE_DEPTH {
            return Err(DecodeError::TooDeep {
                path: path.to_attribute_path(),
            });
        }
        let marker = self.marker(path)?;
        if is_extension(marker) {
            return self.unknown(marker, path);
        }
        if marker == Marker::Null {
            return Ok(Value::Null);
        }
        let expected = |what: &str| {
            DecodeError::ty(path, format!("expected {what}, got {}", describe(marker)))
        };
        match ty {
            Type::Dynamic => {
                if self.array_len(marker, path)? != Some(2) {
                    return Err(expected("a dynamic value (a [type, value] array)"));
                }
                let type_marker = self.marker(path)?;
                let type_json = self.bytes(type_marker, path)?.ok_or_else(|| {
                    DecodeError::ty(path, "the type of a dynamic value must be JSON text")
                })?;
                let inner_ty = Type::from_json(type_json).map_err(|e| {
                    DecodeError::ty(path, format!("dynamic value has an invalid type: {e}"))
                })?;
                let inner = self.value(&inner_ty, path, depth + 1)?;
                Ok(Value::Dynamic {
                    ty: inner_ty,
                    value: Box::new(inner),
                })
            }
            Type::Bool => match marker {
                Marker::True => Ok(Value::Bool(true)),
                Marker::False => Ok(Value::Bool(false)),
                _ => Err(expected("bool")),
            },
            Type::Number => self.number(marker, path).map(Value::Number),
            Type::String => {
                let bytes = self
                    .bytes(marker, path)?
                    .ok_or_else(|| expected("string"))?;
                let s = std::str::from_utf8(bytes)
                    .map_err(|_| DecodeError::ty(path, "string is not valid UTF-8"))?;
                Ok(Value::String(s.to_owned()))
            }
            Type::List(element_ty) | Type::Set(element_ty) => {
                let what = if matches!(ty, Type::List(_)) {
                    "list"
                } else {
                    "set"
                };
                let len = self
                    .array_len(marker, path)?
                    .ok_or_else(|| expected(what))?;
                let mut elements = Vec::new();
                for i in 0..len {
                    elements.push(self.value(element_ty, &path.index(index_i64(i)), depth + 1)?);
                }
                Ok(match ty {
                    Type::List(_) => Value::List(elements),
                    _ => Value::Set(elements),
                })
            }
            Type::Tuple(element_tys) => {
                let len = self
                    .array_len(marker, path)?
                    .ok_or_else(|| expected("tuple"))?;
                if let Some(msg) = tuple_length_mismatch(element_tys.len(), len) {
                    return Err(DecodeError::ty(path, msg));
                }
                let mut elements = Vec::new();
                for (i, element_ty) in element_tys.iter().enumerate() {
                    elements.push(self.value(element_ty, &path.index(index_i64(i)), depth + 1)?);
                }
                Ok(Value::Tuple(elements))
            }
            Type::Map(element_ty) => {
                let len = self.map_len(marker, path)?.ok_or_else(|| expected("map"))?;
                let mut entries = BTreeMap::new();
                for _ in 0..len {
                    let key = self.key(path)?;
                    let child = path.key(key);
                    let element = self.value(element_ty, &child, depth + 1)?;
                    if entries.insert(key.to_owned(), element).is_some() {
                        return Err(DecodeError::syntax(&child, "duplicate map key"));
                    }
                }
                Ok(Value::Map(entries))
            }
            Type::Object { attributes, .. } => {
                let len = self
                    .map_len(marker, path)?
                    .ok_or_else(|| expected("object"))?;
                let mut attrs = BTreeMap::new();
                for _ in 0..len {
                    let name = self.key(path)?;
                    let child = path.attr(name);
                    let Some((attr_name, attr_ty)) = attributes.get_key_value(name) else {
                        return Err(DecodeError::ty(&child, "unsupported attribute"));
                    };
                    let attr = self.value(attr_ty, &child, depth + 1)?;
                    if attrs.insert(attr_name.clone(), attr).is_some() {
                        return Err(DecodeError::syntax(&child, "duplicate attribute"));
                    }
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

    /// A map key or attribute name: msgpack string (or binary) text.
    fn key(&mut self, path: &PathRef<'_>) -> Result<&'a str, DecodeError> {
        let marker = self.marker(path)?;
        let bytes = self.bytes(marker, path)?.ok_or_else(|| {
            DecodeError::ty(
                path,
                format!("keys must be strings, got {}", describe(marker)),
            )
        })?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError::ty(path, "key is not valid UTF-8"))
    }

    fn number(&mut self, marker: Marker, path: &PathRef<'_>) -> Result<Number, DecodeError> {
        let int = |i: i64| Ok(Number::from_i64(i));
        match marker {
            Marker::FixPos(n) => int(i64::from(n)),
            Marker::FixNeg(n) => int(i64::from(n)),
            Marker::U8 => int(i64::from(self.u8(path)?)),
            Marker::U16 => int(i64::from(self.u16(path)?)),
            Marker::U32 => int(i64::from(self.u32(path)?)),
            Marker::U64 => Ok(Number::from_u64(self.u64(path)?)),
            Marker::I8 => int(i64::from(i8::from_be_bytes(self.array(path)?))),
            Marker::I16 => int(i64::from(i16::from_be_bytes(self.array(path)?))),
            Marker::I32 => int(i64::from(i32::from_be_bytes(self.array(path)?))),
            Marker::I64 => int(i64::from_be_bytes(self.array(path)?)),
            Marker::F32 => finite(f64::from(f32::from_be_bytes(self.array(path)?)), path),
            Marker::F64 => finite(f64::from_be_bytes(self.array(path)?), path),
            _ => {
                let Some(bytes) = self.bytes(marker, path)? else {
                    return Err(DecodeError::ty(
                        path,
                        format!("expected number, got {}", describe(marker)),
                    ));
                };
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| DecodeError::ty(path, "number text is not valid UTF-8"))?;
                text.parse()
                    .map_err(|e| DecodeError::ty(path, format!("expected number: {e}")))
            }
        }
    }
}

fn is_extension(marker: Marker) -> bool {
    matches!(
        marker,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

fn finite(f: f64, path: &PathRef<'_>) -> Result<Number, DecodeError> {
    Number::from_f64(f)
        .ok_or_else(|| DecodeError::ty(path, format!("number {f} is not supported (not finite)")))
}

fn to_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::fuzz;
    use super::super::path::AttributePath;
    use super::super::testing::{codec_properties, hex, unhex};
    use super::*;

    fn check(ty: &Type, value: &Value, bytes_hex: &str) {
        let encoded = encode(value, ty).unwrap();
        assert_eq!(hex(&encoded), bytes_hex, "encoding {value:?} as {ty}");
        assert_eq!(
            &decode(&unhex(bytes_hex), ty).unwrap(),
            value,
            "decoding {bytes_hex}"
        );
    }

    fn num(s: &str) -> Value {
        Value::Number(s.parse().unwrap())
    }

    // Byte vectors as Terraform (cty) produces them; see the test vectors of
    // terraform-plugin-go's tftypes msgpack tests.
    #[test]
    fn primitives() {
        check(&Type::String, &Value::string("hello"), "a568656c6c6f");
        check(&Type::String, &Value::string(""), "a0");
        check(&Type::String, &Value::Null, "c0");
        check(&Type::String, &Value::Unknown, "d40000");
        check(&Type::Bool, &Value::Bool(true), "c3");
        check(&Type::Bool, &Value::Bool(false), "c2");
        check(&Type::Bool, &Value::Unknown, "d40000");
    }

    #[test]
    fn numbers() {
        check(&Type::Number, &num("1"), "01");
        check(&Type::Number, &num("-1"), "ff");
        check(&Type::Number, &num("-33"), "d0df");
        check(&Type::Number, &num("128"), "cc80");
        check(&Type::Number, &num("65536"), "ce00010000");
        check(
            &Type::Number,
            &num("-9223372036854775808"),
            "d38000000000000000",
        );
        check(&Type::Number, &num("1.5"), "cb3ff8000000000000");
        // 2^63 does not fit i64 but is an exact float64.
        check(
            &Type::Number,
            &num("9223372036854775808"),
            "cb43e0000000000000",
        );
        // Not exact as float64: written as text.
        check(&Type::Number, &num("0.8"), "a3302e38");
        check(
            &Type::Number,
            &num(&"9".repeat(100)),
            &format!("d964{}", "39".repeat(100)),
        );
        // 1e400 as plain decimal text (str16 of 401 bytes).
        let big = encode(&num("1e400"), &Type::Number).unwrap();
        assert_eq!(&big[..3], &[0xda, 0x01, 0x91]);
        assert_eq!(big[3], b'1');
        assert_eq!(decode(&big, &Type::Number).unwrap(), num("1e400"));
        // Other encodings are read too.
        for (hex_bytes, value) in [
            ("cd0100", "256"),
            ("cf8000000000000000", "9223372036854775808"),
            ("cfffffffffffffffff", "18446744073709551615"),
            ("ca3fc00000", "1.5"),
            ("a631652d343030", "1e-400"),
            ("c40431326536", "12e6"),
            ("d1ff00", "-256"),
            ("d2ffff0000", "-65536"),
        ] {
            assert_eq!(
                decode(&unhex(hex_bytes), &Type::Number).unwrap(),
                num(value),
                "{hex_bytes}"
            );
        }
        // Infinities (cty can make them) are not supported numbers.
        let err = decode(&unhex("cb7ff0000000000000"), &Type::Number).unwrap_err();
        assert!(err.to_string().contains("not finite"), "{err}");
        assert!(decode(&unhex("a3616263"), &Type::Number).is_err());
    }

    #[test]
    fn dynamic() {
        let dynamic = Type::Dynamic;
        check(
            &dynamic,
            &Value::dynamic(Type::Bool, Value::Bool(true)),
            "92c40622626f6f6c22c3",
        );
        check(
            &dynamic,
            &Value::dynamic(Type::Number, num("1")),
            "92c408226e756d6265722201",
        );
        check(
            &dynamic,
            &Value::dynamic(Type::String, Value::string("hello")),
            "92c40822737472696e6722a568656c6c6f",
        );
        check(
            &dynamic,
            &Value::dynamic(
                Type::list(Type::String),
                Value::list([Value::string("hello")]),
            ),
            "92c4115b226c697374222c22737472696e67225d91a568656c6c6f",
        );
        check(
            &dynamic,
            &Value::dynamic(
                Type::set(Type::String),
                Value::set([Value::string("hello")]),
            ),
            "92c4105b22736574222c22737472696e67225d91a568656c6c6f",
        );
        check(
            &dynamic,
            &Value::dynamic(
                Type::map(Type::String),
                Value::map([("hello", Value::string("hello"))]),
            ),
            "92c4105b226d6170222c22737472696e67225d81a568656c6c6fa568656c6c6f",
        );
        check(
            &dynamic,
            &Value::dynamic(Type::String, Value::Null),
            "92c40822737472696e6722c0",
        );
        check(&dynamic, &Value::Null, "c0");
        check(&dynamic, &Value::Unknown, "d40000");
    }

    #[test]
    fn dynamic_inside_collections() {
        check(
            &Type::list(Type::Dynamic),
            &Value::list([Value::dynamic(Type::String, Value::string("hello"))]),
            "9192c40822737472696e6722a568656c6c6f",
        );
        check(
            &Type::list(Type::Dynamic),
            &Value::list([Value::Unknown]),
            "91d40000",
        );
        check(
            &Type::object([("greeting", Type::Dynamic)]),
            &Value::object([(
                "greeting",
                Value::dynamic(Type::String, Value::string("hello")),
            )]),
            "81a86772656574696e6792c40822737472696e6722a568656c6c6f",
        );
        check(
            &Type::object([("a", Type::Dynamic)]),
            &Value::object([("a", Value::Null)]),
            "81a161c0",
        );
        check(
            &Type::tuple([Type::Dynamic, Type::Dynamic]),
            &Value::tuple([
                Value::dynamic(Type::String, Value::string("hello")),
                Value::dynamic(Type::String, Value::string("world")),
            ]),
            "9292c40822737472696e6722a568656c6c6f92c40822737472696e6722a5776f726c64",
        );
    }

    #[test]
    fn dynamic_forms() {
        let dynamic = Type::Dynamic;
        // A plain value in a dynamic position is written with its implied type.
        assert_eq!(
            hex(&encode(&Value::string("hello"), &dynamic).unwrap()),
            "92c40822737472696e6722a568656c6c6f"
        );
        // The type may arrive as a msgpack string instead of binary.
        assert_eq!(
            decode(&unhex("92a822737472696e6722a568656c6c6f"), &dynamic).unwrap(),
            Value::dynamic(Type::String, Value::string("hello"))
        );
    }

    #[test]
    fn collections() {
        let ls = Type::list(Type::String);
        check(
            &ls,
            &Value::list([Value::string("hello")]),
            "91a568656c6c6f",
        );
        check(&ls, &Value::list([Value::Unknown]), "91d40000");
        check(&ls, &Value::list([Value::Null]), "91c0");
        check(&ls, &Value::Null, "c0");
        check(&ls, &Value::list([]), "90");
        let ss = Type::set(Type::String);
        check(&ss, &Value::set([Value::string("hello")]), "91a568656c6c6f");
        check(&ss, &Value::set([]), "90");
        let ms = Type::map(Type::String);
        check(
            &ms,
            &Value::map([("greeting", Value::string("hello"))]),
            "81a86772656574696e67a568656c6c6f",
        );
        check(
            &ms,
            &Value::map([("greeting", Value::Unknown)]),
            "81a86772656574696e67d40000",
        );
        check(&ms, &Value::map::<String>([]), "80");
        // Map keys are written sorted.
        check(
            &Type::map(Type::Number),
            &Value::map([("b", num("1")), ("a", num("2"))]),
            "82a16102a16201",
        );
        check(
            &Type::tuple([Type::String]),
            &Value::tuple([Value::string("hello")]),
            "91a568656c6c6f",
        );
        check(&Type::tuple([]), &Value::tuple([]), "90");
    }

    #[test]
    fn objects() {
        let t = Type::object([("greeting", Type::String)]);
        check(
            &t,
            &Value::object([("greeting", Value::string("hello"))]),
            "81a86772656574696e67a568656c6c6f",
        );
        check(
            &t,
            &Value::object([("greeting", Value::Unknown)]),
            "81a86772656574696e67d40000",
        );
        let t2 = Type::object([("b", Type::String), ("a", Type::String)]);
        check(
            &t2,
            &Value::object([("a", Value::Null), ("b", Value::Null)]),
            "82a161c0a162c0",
        );
        check(
            &t2,
            &Value::object([("a", Value::Unknown), ("b", Value::Unknown)]),
            "82a161d40000a162d40000",
        );
        check(&Type::object([]), &Value::object::<String>([]), "80");
        // Missing attributes are written as null and read back as null.
        assert_eq!(
            hex(&encode(&Value::object::<String>([]), &t2).unwrap()),
            "82a161c0a162c0"
        );
        assert_eq!(
            decode(&unhex("81a162a178"), &t2).unwrap(),
            Value::object([("a", Value::Null), ("b", Value::string("x"))])
        );
    }

    #[test]
    fn refined_unknowns() {
        // ext8, 3 bytes, type 12: {1: false} ("definitely not null").
        assert_eq!(
            decode(&unhex("c7030c8101c2"), &Type::String).unwrap(),
            Value::Unknown
        );
        // String prefix refinement: {1: false, 2: "ar"}.
        assert_eq!(
            decode(&unhex("c7070c8201c202a26172"), &Type::String).unwrap(),
            Value::Unknown
        );
        // Inside an object, followed by more data.
        let t = Type::object([("a", Type::Number), ("b", Type::Bool)]);
        assert_eq!(
            decode(&unhex("82a161c7030c8101c2a162c3"), &t).unwrap(),
            Value::object([("a", Value::Unknown), ("b", Value::Bool(true))])
        );
        // Zero-length and one-byte extensions of any type are unknown.
        assert_eq!(
            decode(&unhex("c70005"), &Type::String).unwrap(),
            Value::Unknown
        );
        assert_eq!(
            decode(&unhex("d40700"), &Type::Dynamic).unwrap(),
            Value::Unknown
        );
        // Type 0 with a longer payload is unknown too.
        assert_eq!(
            decode(&unhex("d5000000"), &Type::String).unwrap(),
            Value::Unknown
        );
        // Other extensions are errors, and so are truncated ones.
        assert!(decode(&unhex("d5050000"), &Type::String).is_err());
        assert!(decode(&unhex("c7030c01c2c2"), &Type::String).is_err());
        assert!(decode(&unhex("c7ff0c81"), &Type::String).is_err());
    }

    #[test]
    fn errors_name_the_path() {
        let t = Type::object([(
            "assume_role",
            Type::object([
                ("role_arn", Type::String),
                ("tags", Type::map(Type::String)),
            ]),
        )]);
        let bytes = unhex("81ab617373756d655f726f6c6581a8726f6c655f61726e07");
        let err = decode(&bytes, &t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.role_arn: expected string, got integer"
        );
        assert_eq!(
            err.path(),
            &AttributePath::attr("assume_role").child_attr("role_arn")
        );
        // Unsupported attribute.
        let err = decode(&unhex("81ab617373756d655f726f6c6581a178c0"), &t).unwrap_err();
        assert_eq!(err.to_string(), "assume_role.x: unsupported attribute");
        // Map element.
        let err = decode(&unhex("81ab617373756d655f726f6c6581a47461677381a16bc3"), &t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.tags[\"k\"]: expected string, got bool"
        );
        // List element.
        let err = decode(&unhex("92a161c3"), &Type::list(Type::String)).unwrap_err();
        assert_eq!(err.to_string(), "[1]: expected string, got bool");
        // Encoding errors name the path too.
        let v = Value::object([("assume_role", Value::object([("role_arn", Value::from(7))]))]);
        let err = encode(&v, &t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.role_arn: expected string, got number"
        );
        let v = Value::object([("assume_role", Value::object([("nope", Value::Null)]))]);
        let err = encode(&v, &t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "assume_role.nope: attribute is not in the object type"
        );
    }

    #[test]
    fn malformed_input() {
        for (bad, ty) in [
            ("", Type::String),
            ("c1", Type::String),
            ("a5616263", Type::String),
            ("c0c0", Type::String),
            ("dd7fffffff", Type::list(Type::String)),
            ("df7fffffff", Type::map(Type::String)),
            ("db7fffffff61", Type::String),
            ("93c0c0", Type::list(Type::String)),
            ("92c0c0c0", Type::tuple([Type::String])),
            ("a2c328", Type::String),
            ("82a161c0a161c0", Type::map(Type::String)),
            ("82a161c0a161c0", Type::object([("a", Type::String)])),
            ("8101c0", Type::map(Type::String)),
            ("93c408226e756d6265722201", Type::Dynamic),
            ("92c4037b7b7b01", Type::Dynamic),
            ("92c3c3", Type::Dynamic),
            ("c3", Type::Dynamic),
            ("90", Type::object([])),
        ] {
            assert!(decode(&unhex(bad), &ty).is_err(), "{bad} accepted as {ty}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error() {
        // [[[[...]]]] against a deeply nested list type.
        let mut ty = Type::String;
        for _ in 0..MAX_VALUE_DEPTH + 10 {
            ty = Type::list(ty);
        }
        let mut bytes = vec![0x91; MAX_VALUE_DEPTH + 10];
        bytes.push(0xa0);
        assert!(matches!(
            decode(&bytes, &ty),
            Err(DecodeError::TooDeep { .. })
        ));
        // Dynamic values whose type is again dynamic, nested without end.
        let mut bytes = Vec::new();
        for _ in 0..10_000 {
            bytes.extend_from_slice(&unhex("92c4092264796e616d696322"));
        }
        bytes.push(0xc0);
        assert!(matches!(
            decode(&bytes, &Type::Dynamic),
            Err(DecodeError::TooDeep { .. })
        ));
    }

    #[test]
    fn encoding_mismatches() {
        assert!(encode(&Value::string("x"), &Type::Number).is_err());
        assert!(encode(&Value::tuple([Value::Null]), &Type::tuple([])).is_err());
        assert!(encode(
            &Value::list([Value::string("a"), Value::Bool(true)]),
            &Type::Dynamic
        )
        .is_err());
        // Lenient where the type decides.
        assert_eq!(
            encode(
                &Value::tuple([Value::string("a")]),
                &Type::list(Type::String)
            )
            .unwrap(),
            encode(
                &Value::list([Value::string("a")]),
                &Type::list(Type::String)
            )
            .unwrap()
        );
        assert_eq!(
            encode(
                &Value::dynamic(Type::String, Value::string("a")),
                &Type::String
            )
            .unwrap(),
            unhex("a161")
        );
    }

    #[test]
    fn fuzz_seeds_do_not_panic() {
        for seed in fuzz::seed_inputs() {
            fuzz::check(fuzz::MSGPACK, &seed);
            fuzz::check(fuzz::JSON, &seed);
        }
    }

    codec_properties!(fuzz::MSGPACK);
}
