//! Test helpers: hex, proptest strategies for (type, value) pairs, and the
//! property tests every codec passes ([`codec_properties!`]).

use proptest::prelude::*;
use proptest::sample::Index;

use super::fuzz::{self, Codec};
use super::types::Type;
use super::value::{Number, Value};

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Types up to a few levels deep, including `dynamic` and optional attributes.
pub(crate) fn arb_type() -> BoxedStrategy<Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::Number),
        Just(Type::String),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            proptest::collection::btree_map("[a-z_]{1,6}", (inner.clone(), any::<bool>()), 0..4)
                .prop_map(|attrs| Type::Object {
                    optional: attrs
                        .iter()
                        .filter(|(_, (_, optional))| *optional)
                        .map(|(k, _)| k.clone())
                        .collect(),
                    attributes: attrs.into_iter().map(|(k, (t, _))| (k, t)).collect(),
                }),
            proptest::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
    .boxed()
}

fn parse(s: String) -> Number {
    s.parse().unwrap()
}

/// Numbers of every shape: machine integers and floats, big integers, long
/// fractions, huge and tiny magnitudes.
pub(crate) fn arb_number() -> BoxedStrategy<Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<u64>().prop_map(Number::from_u64),
        (-1000i64..1000).prop_map(Number::from_i64),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        "-?[1-9][0-9]{18,60}".prop_map(parse),
        "-?[0-9]{1,6}\\.[0-9]{1,40}".prop_map(parse),
        ("-?[1-9](\\.[0-9]{1,5})?", -500i32..500).prop_map(|(m, e)| parse(format!("{m}e{e}"))),
    ]
    .boxed()
}

/// A value of type `ty`: null, unknown (if allowed) or a known value.
/// `dynamic_budget` bounds how deeply dynamic values nest inside each other.
pub(crate) fn arb_value(ty: &Type, unknown: bool, dynamic_budget: u32) -> BoxedStrategy<Value> {
    let known = arb_known(ty, unknown, dynamic_budget);
    if unknown {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

fn arb_known(ty: &Type, unknown: bool, budget: u32) -> BoxedStrategy<Value> {
    use proptest::collection::{btree_map, vec};
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Dynamic if budget == 0 => Just(Value::Null).boxed(),
        Type::Dynamic => arb_type()
            .prop_flat_map(move |t| {
                arb_value(&t, unknown, budget - 1).prop_map(move |v| Value::dynamic(t.clone(), v))
            })
            .boxed(),
        Type::List(t) => vec(arb_value(t, unknown, budget), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(t) => vec(arb_value(t, unknown, budget), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(t) => btree_map(any::<String>(), arb_value(t, unknown, budget), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object { attributes, .. } => attributes
            .iter()
            .map(|(k, t)| {
                let k = k.clone();
                arb_value(t, unknown, budget).prop_map(move |v| (k.clone(), v))
            })
            .collect::<Vec<_>>()
            .prop_map(|attrs| Value::Object(attrs.into_iter().collect()))
            .boxed(),
        Type::Tuple(ts) => ts
            .iter()
            .map(|t| arb_value(t, unknown, budget))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
    }
}

/// A type and a value of that type, in the canonical form decoding yields.
pub(crate) fn arb_type_and_value(unknown: bool) -> BoxedStrategy<(Type, Value)> {
    arb_type()
        .prop_flat_map(move |t| arb_value(&t, unknown, 2).prop_map(move |v| (t.clone(), v)))
        .boxed()
}

/// A few byte edits: (where, the new byte).
pub(crate) fn arb_edits() -> impl Strategy<Value = Vec<(Index, u8)>> {
    proptest::collection::vec((any::<Index>(), any::<u8>()), 1..4)
}

/// `bytes` (not empty) with `edits` applied.
fn edited(mut bytes: Vec<u8>, edits: &[(Index, u8)]) -> Vec<u8> {
    for (at, byte) in edits {
        let i = at.index(bytes.len());
        bytes[i] = *byte;
    }
    bytes
}

/// Encoding a value and decoding it gives the value back, and encoding is
/// deterministic: the decoded value encodes to the same bytes.
pub(crate) fn round_trip(codec: Codec, ty: &Type, value: &Value) -> Result<(), TestCaseError> {
    let bytes = (codec.encode)(value, ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let decoded = (codec.decode)(&bytes, ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&decoded, value);
    prop_assert_eq!((codec.encode)(&decoded, ty).ok(), Some(bytes));
    Ok(())
}

/// The fuzz target's logic, on stable: a valid encoding of a value of the
/// fuzz schema passes [`fuzz::check`], and so does the same with a few bytes
/// changed, and that cut short.
pub(crate) fn fuzz_target_on_mutated_schema_value(
    codec: Codec,
    value: &Value,
    edits: &[(Index, u8)],
    cut: Index,
) -> Result<(), TestCaseError> {
    let ty = &fuzz::schema_types()[0];
    let bytes = (codec.encode)(value, ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&(codec.decode)(&bytes, ty).ok(), &Some(value.clone()));
    fuzz::check(codec, &bytes);
    let bytes = edited(bytes, edits);
    fuzz::check(codec, &bytes);
    fuzz::check(codec, &bytes[..cut.index(bytes.len() + 1)]);
    Ok(())
}

/// An encoding of a value of any type, with a few bytes changed, and that
/// cut short, either fails to decode as that type or passes the round-trip
/// checks ([`fuzz::check_with`]); decoding never panics.
pub(crate) fn mutated_encoding(
    codec: Codec,
    ty: &Type,
    value: &Value,
    edits: &[(Index, u8)],
    cut: Index,
) -> Result<(), TestCaseError> {
    let bytes = (codec.encode)(value, ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let bytes = edited(bytes, edits);
    let types = std::slice::from_ref(ty);
    fuzz::check_with(codec, &bytes, types);
    fuzz::check_with(codec, &bytes[..cut.index(bytes.len() + 1)], types);
    Ok(())
}

/// The property tests every value codec passes, as `#[test]` functions of
/// the calling test module, for `$codec` (a [`Codec`] constant of
/// `value::fuzz`). Each test is one of the functions above; the macro only
/// states their inputs.
macro_rules! codec_properties {
    ($codec:expr) => {
        mod codec_properties {
            use proptest::prelude::*;

            use crate::tfprotov6::value::fuzz;
            use crate::tfprotov6::value::testing::{self, arb_edits, arb_type_and_value, arb_value};

            const CODEC: fuzz::Codec = $codec;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(512))]

                #[test]
                fn round_trip((ty, value) in arb_type_and_value(CODEC.holds_unknowns)) {
                    testing::round_trip(CODEC, &ty, &value)?;
                }

                #[test]
                fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                    fuzz::check(CODEC, &bytes);
                }

                #[test]
                fn fuzz_target_on_mutated_schema_values(
                    value in arb_value(&fuzz::schema_types()[0], CODEC.holds_unknowns, 2),
                    edits in arb_edits(),
                    cut in any::<prop::sample::Index>(),
                ) {
                    testing::fuzz_target_on_mutated_schema_value(CODEC, &value, &edits, cut)?;
                }

                #[test]
                fn mutated_encodings_never_panic(
                    (ty, value) in arb_type_and_value(CODEC.holds_unknowns),
                    edits in arb_edits(),
                    cut in any::<prop::sample::Index>(),
                ) {
                    testing::mutated_encoding(CODEC, &ty, &value, &edits, cut)?;
                }
            }
        }
    };
}
pub(crate) use codec_properties;
