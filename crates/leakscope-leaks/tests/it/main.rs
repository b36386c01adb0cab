//! Tests of the diffs and the finder as a library: on small heaps built by hand, where every
//! id, class and holder is known, and on real snapshots. The commands are tested end to end in
//! the binary's tests (`crates/leakscope/tests/it/leaks.rs`).
#![allow(clippy::unwrap_used)] // tests fail loudly on purpose

mod memwatch;
mod synthetic;
