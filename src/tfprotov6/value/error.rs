//! Errors of the msgpack and JSON codecs. Each names the [`AttributePath`]
//! of the value it is about.

use super::path::{AttributePath, ToAttributePath};
use super::types::Type;
use super::value::Value;

/// Deepest value nesting the decoders accept (dynamic wrappers count as a
/// level); deeper input is rejected rather than risking the stack.
pub const MAX_VALUE_DEPTH: usize = 128;

/// An error decoding a value.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input is not well-formed msgpack or JSON.
    #[error("{path}: malformed input: {message}")]
    Syntax {
        /// Where the decoder was.
        path: AttributePath,
        /// What was wrong.
        message: String,
    },
    /// The input is well-formed but does not fit the expected type.
    #[error("{path}: {message}")]
    Type {
        /// The value that does not fit.
        path: AttributePath,
        /// What was expected and found.
        message: String,
    },
    /// The input nests deeper than [`MAX_VALUE_DEPTH`].
    #[error("{path}: value nests deeper than {MAX_VALUE_DEPTH} levels")]
    TooDeep {
        /// The value at the depth limit.
        path: AttributePath,
    },
}

impl DecodeError {
    /// The path of the value the error is about.
    pub fn path(&self) -> &AttributePath {
        match self {
            DecodeError::Syntax { path, .. }
            | DecodeError::Type { path, .. }
            | DecodeError::TooDeep { path } => path,
        }
    }

    pub(crate) fn syntax(path: &impl ToAttributePath, message: impl Into<String>) -> Self {
        DecodeError::Syntax {
            path: path.to_attribute_path(),
            message: message.into(),
        }
    }

    pub(crate) fn ty(path: &impl ToAttributePath, message: impl Into<String>) -> Self {
        DecodeError::Type {
            path: path.to_attribute_path(),
            message: message.into(),
        }
    }
}

/// An error encoding a value.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// The value does not fit the type it is encoded with.
    #[error("{path}: {message}")]
    Mismatch {
        /// The value that does not fit.
        path: AttributePath,
        /// What was expected and found.
        message: String,
    },
    /// JSON cannot represent unknown values.
    #[error("{path}: value is not known; unknown values cannot be encoded as JSON")]
    Unknown {
        /// The unknown value.
        path: AttributePath,
    },
    /// A collection or string longer than msgpack can describe (2^32-1).
    #[error("{path}: too long to encode ({len} items)")]
    TooLong {
        /// The value.
        path: AttributePath,
        /// Its length.
        len: usize,
    },
}

impl EncodeError {
    /// The path of the value the error is about.
    pub fn path(&self) -> &AttributePath {
        match self {
            EncodeError::Mismatch { path, .. }
            | EncodeError::Unknown { path }
            | EncodeError::TooLong { path, .. } => path,
        }
    }

    pub(crate) fn mismatch(path: &impl ToAttributePath, message: impl Into<String>) -> Self {
        EncodeError::Mismatch {
            path: path.to_attribute_path(),
            message: message.into(),
        }
    }

    /// The type and value that a known, non-null value of type
    /// `DynamicPseudoType` is encoded with: a [`Value::Dynamic`]'s own, or
    /// the type the value implies. Both codecs write that type beside the
    /// value.
    pub(crate) fn dynamic_parts<'a>(
        value: &'a Value,
        path: &impl ToAttributePath,
    ) -> Result<(Type, &'a Value), Self> {
        match value {
            Value::Dynamic { ty, value } => Ok((ty.clone(), &**value)),
            other => match other.implied_type() {
                Some(ty) => Ok((ty, other)),
                None => Err(EncodeError::mismatch(
                    path,
                    format!(
                        "cannot tell the type of this dynamic {} (its elements differ); wrap it in Value::Dynamic",
                        other.kind_name()
                    ),
                )),
            },
        }
    }
}
