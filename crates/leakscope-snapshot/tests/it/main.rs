//! Integration tests of the reader: real snapshots written by Node at test time, and every kind
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose
//! of broken input.

mod malformed;
mod real;
mod writer;

use leakscope_snapshot::{Error, ReadOptions, Snapshot};

/// Reads a snapshot held in memory, as if from a file of that size.
pub fn read_bytes(bytes: &[u8]) -> Result<Snapshot, Error> {
    ReadOptions::new().read(bytes, Some(bytes.len() as u64))
}

/// Reads a snapshot held in memory, as if from stdin (size unknown).
pub fn read_stream(bytes: &[u8]) -> Result<Snapshot, Error> {
    ReadOptions::new().read(bytes, None)
}
