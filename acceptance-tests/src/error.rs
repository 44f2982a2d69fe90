//! The crate-wide error type.
//!
//! Every module has its own [`thiserror`] error; [`Error`] wraps them all so a
//! scenario can use `?` throughout and return [`Result`]. Its `Debug` output is
//! its `Display` output, so a test returning `Err` prints a readable report.

use std::fmt;

use crate::cores::CoreError;
use crate::emulator::EmulatorError;
use crate::steps::StepError;
use crate::terraform::TerraformError;

/// Any failure of the harness or of a scenario's checks.
#[derive(thiserror::Error)]
pub enum Error {
    /// Discovering Terraform cores failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Starting or talking to the emulator failed.
    #[error(transparent)]
    Emulator(#[from] EmulatorError),
    /// Running Terraform failed (could not start, timed out, failed unexpectedly).
    #[error(transparent)]
    Terraform(#[from] TerraformError),
    /// A step's expectation was not met.
    #[error(transparent)]
    Step(#[from] StepError),
    /// A scenario's own check failed (see [`crate::ensure!`] and [`crate::bail!`]).
    #[error("check failed: {0}")]
    Check(String),
    /// A file system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// Wraps an I/O error with what the harness was doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Returns `Err(Error::Check(..))` from the enclosing function unless the
/// condition holds.
///
/// ```
/// fn check(count: usize) -> acceptance_tests::Result<()> {
///     acceptance_tests::ensure!(count == 1, "expected one AssociateEncryptionConfig, saw {count}");
///     Ok(())
/// }
/// assert!(check(1).is_ok());
/// assert!(check(2).is_err());
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err($crate::Error::Check(format!($($arg)+)));
        }
    };
}

/// Returns `Err(Error::Check(..))` from the enclosing function.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)+) => {
        return Err($crate::Error::Check(format!($($arg)+)))
    };
}
