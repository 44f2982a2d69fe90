//! Feeds arbitrary bytes to the msgpack and JSON value decoders, decoding
//! them against a resource-like object type and the dynamic pseudo-type.
//! Decoding must never panic, and whatever decodes must encode and decode
//! back to itself (the checks in `value::fuzz` panic if not).
//!
//! Run with `cargo +nightly fuzz run decode_dynamic_value` from the
//! repository root.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = terraform_provider_eks::fuzzing::decode_msgpack(data);
    let _ = terraform_provider_eks::fuzzing::decode_json(data);
});
