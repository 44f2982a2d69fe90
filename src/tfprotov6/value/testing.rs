//! Test helpers: hex, and proptest strategies for (type, value) pairs.

use proptest::prelude::*;

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
