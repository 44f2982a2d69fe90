//! Terraform values: types, values, their msgpack and JSON encodings, and
//! typed conversion.
//!
//! Terraform exchanges values with providers as `DynamicValue`s: msgpack
//! (cty's encoding) for everything it sends in requests, and JSON for raw
//! state being upgraded. A value is only meaningful together with its
//! [`Type`], which the provider knows from its schema; both codecs take the
//! type and check the value against it, reporting the [`AttributePath`] of
//! any mismatch.
//!
//! - [`types`]: [`Type`] and its JSON form.
//! - [`value`]: [`Value`] and the arbitrary-precision [`Number`].
//! - [`msgpack`]: [`decode`] / [`encode`].
//! - [`json`]: [`decode_json`] / [`encode_json`].
//! - [`convert`]: [`FromValue`], [`IntoValue`], [`Maybe`], [`ObjectReader`].
//! - [`path`]: the [`AttributePath`] of a nested value.

pub mod convert;
pub mod error;
/// Round-trip checks shared by the fuzz target and the property tests; not
/// part of the library proper (`cargo fuzz` sets `--cfg fuzzing`).
#[cfg(any(test, fuzzing))]
pub mod fuzz;
pub mod json;
pub mod msgpack;
pub mod path;
#[cfg(test)]
mod testing;
pub mod types;
#[allow(clippy::module_inception)]
pub mod value;

pub use convert::{ConvertError, FromValue, IntoValue, Maybe, ObjectReader};
pub use error::{DecodeError, EncodeError, MAX_VALUE_DEPTH};
pub use json::{decode_json, decode_json_value, encode_json};
pub use msgpack::{decode, encode};
pub use path::{AttributePath, PathStep};
pub use types::{Type, TypeError};
pub use value::{Number, NumberError, Value};
