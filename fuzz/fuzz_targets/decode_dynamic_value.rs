//! Feeds arbitrary bytes to the msgpack and JSON value decoders, decoding
//! them against the resource's value type (a copy in `resource_type.json`,
//! kept in step with the schema by a unit test) and the dynamic
//! pseudo-type. Decoding must never panic, and whatever decodes must encode
//! and decode back to itself (the checks in `value::fuzz` panic if not).
//!
//! Run with `scripts/fuzz`.

#![no_main]

#[allow(dead_code, unused_imports, missing_docs)]
#[path = "../../src/tfprotov6/value/mod.rs"]
mod value;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use value::Type;

fn types() -> &'static [Type; 2] {
    static TYPES: OnceLock<[Type; 2]> = OnceLock::new();
    TYPES.get_or_init(|| {
        let resource = Type::from_json(include_str!("../resource_type.json").trim().as_bytes())
            .expect("resource_type.json is a valid type");
        [resource, Type::Dynamic]
    })
}

fuzz_target!(|data: &[u8]| {
    value::fuzz::check_with(value::fuzz::MSGPACK, data, types());
    value::fuzz::check_with(value::fuzz::JSON, data, types());
});
