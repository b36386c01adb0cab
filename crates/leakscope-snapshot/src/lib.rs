//! Reads V8 `.heapsnapshot` files into a [`leakscope_graph::HeapGraph`].
//!
//! The files Node (`v8.writeHeapSnapshot`, `--heapsnapshot-signal`), Chrome DevTools ("Save
//! profile") and the inspector protocol write are one JSON object: a small `snapshot` header
//! that describes the columns, then flat integer arrays (`nodes`, `edges`, `locations`…) and a
//! `strings` table. The header goes through serde; the arrays go through a hand-written scanner
//! that streams the input in 1 MiB blocks and writes straight into the graph's columns, so a
//! load costs about the size of the graph and runs near the speed of memory.
//!
//! The reader is strict about structure and lenient about text: counts that disagree with the
//! arrays, an edge past the last node or an unknown type value are errors with the byte
//! offset, while V8's unpaired surrogate escapes (`\uD800`) decode to U+FFFD.
//!
//! ```no_run
//! let snapshot = leakscope_snapshot::ReadOptions::new().open("app.heapsnapshot".as_ref())?;
//! println!("{} nodes", snapshot.graph.node_count());
//! # Ok::<(), leakscope_snapshot::Error>(())
//! ```

mod error;
mod header;
mod input;
mod json;
mod open;
#[cfg(unix)]
mod parallel;
mod reader;
mod scan;
mod trace_tree;
mod writer;

pub use error::Error;
pub use header::Layout;
pub use open::{Progress, ReadOptions};
pub use reader::Snapshot;
pub use writer::write_snapshot;
