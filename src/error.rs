//! The library's one error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in demarche, with the file (and line) it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    // The OS error is part of the message and deliberately not exposed as
    // `source()`: reporters that print the chain (anyhow's `{:#}`) would otherwise
    // print it twice.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
    /// A line of a data file is not a valid record.
    #[error("{}:{line}: {message}", path.display())]
    Record {
        /// The file concerned.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// A whole input file is unusable (empty, not UTF-8, a directory...).
    #[error("{}: {message}", path.display())]
    Input {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A model file is corrupt, of another format, or of an unsupported version.
    #[error("{}: not a usable demarche model: {message}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// Training could not produce a model.
    #[error("training failed: {0}")]
    Training(String),
    /// A configuration value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}

/// `Result` with demarche's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
