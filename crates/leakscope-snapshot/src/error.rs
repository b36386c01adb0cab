//! The error of this crate.

use std::io;
use std::path::PathBuf;

use leakscope_graph::GraphError;

/// Why a snapshot could not be read. Each message says where (a byte offset into the
/// decompressed JSON) and what is wrong; the binary adds what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {path}")]
    Open {
        /// The path given.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Reading failed part-way (a disk error, a corrupt gzip stream).
    #[error("read error at byte {offset}")]
    Io {
        /// Bytes read before the failure.
        offset: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Nothing to read.
    #[error("the input is empty: a heap snapshot is a JSON object starting with {{\"snapshot\":")]
    Empty,
    /// Valid-looking input that is not a V8 heap snapshot.
    #[error("not a V8 heap snapshot (at byte {offset}): {reason}")]
    NotASnapshot {
        /// Where the input stopped looking like a snapshot.
        offset: u64,
        /// What was found instead.
        reason: String,
    },
    /// The input ends before the snapshot does.
    #[error("truncated snapshot: the input ends at byte {offset}, inside {inside}")]
    Truncated {
        /// The length of the input.
        offset: u64,
        /// The part of the snapshot that was being read.
        inside: &'static str,
    },
    /// A byte that cannot be there.
    #[error("malformed snapshot at byte {offset}: {message}")]
    Syntax {
        /// Where.
        offset: u64,
        /// What was expected and found.
        message: String,
    },
    /// The `snapshot` header lacks a field or describes a layout leakscope cannot read.
    #[error("unsupported snapshot header at byte {offset}: {message}")]
    Header {
        /// Where the header starts.
        offset: u64,
        /// What is missing or unknown.
        message: String,
    },
    /// Well-formed JSON whose values contradict the header or each other.
    #[error("inconsistent snapshot at byte {offset}: {message}")]
    Inconsistent {
        /// Where the contradiction was found.
        offset: u64,
        /// What disagrees.
        message: String,
    },
    /// The assembled graph failed its own checks.
    #[error("inconsistent snapshot: {0}")]
    Graph(#[from] GraphError),
}

impl Error {
    pub(crate) fn syntax(offset: u64, message: impl Into<String>) -> Self {
        Self::Syntax { offset, message: message.into() }
    }

    pub(crate) fn inconsistent(offset: u64, message: impl Into<String>) -> Self {
        Self::Inconsistent { offset, message: message.into() }
    }

    /// The byte offset the error names, if any.
    #[must_use]
    pub fn offset(&self) -> Option<u64> {
        match self {
            Self::Io { offset, .. }
            | Self::NotASnapshot { offset, .. }
            | Self::Truncated { offset, .. }
            | Self::Syntax { offset, .. }
            | Self::Header { offset, .. }
            | Self::Inconsistent { offset, .. } => Some(*offset),
            Self::Open { .. } | Self::Empty | Self::Graph(_) => None,
        }
    }
}
