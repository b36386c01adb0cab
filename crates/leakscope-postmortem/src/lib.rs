//! Post-mortem analysis of Node.js: a core dump (or a stopped live process) and the node
//! binary's `v8dbg_*` metadata become a [`leakscope_graph::HeapGraph`].
//!
//! ```no_run
//! let dump = leakscope_postmortem::Dump::open_core("core".as_ref(), None)?;
//! for group in dump.object_groups().iter().take(10) {
//!     println!("{} {} {{{}}}", group.count, group.class, group.properties.join(", "));
//! }
//! let graph = dump.graph()?; // the same HeapGraph a .heapsnapshot gives
//! # Ok::<(), leakscope_postmortem::Error>(())
//! ```
//!
//! Layers: a [`ReadMemory`] source ([`CoreFile`], [`LiveProcess`]) → the node binary's
//! metadata ([`NodeBinary`]) plus a small per-V8-version table of what the metadata lacks →
//! a scan that finds V8's pages, Maps and objects → decoding (properties, elements, strings,
//! closures) → a [`Dump`] that answers `objects`, `instances`, `inspect` and builds a
//! [`DumpGraph`].

mod binary;
mod core_file;
mod dump;
mod error;
mod graph;
mod heap;
mod layout;
mod live;
mod memory;
mod objects;
mod versions;

pub use binary::{NodeBinary, V8Version};
pub use core_file::{CoreFile, MappedFile};
pub use dump::{Dump, DumpInfo, FunctionView, ObjectGroup, ObjectView, ValueView};
pub use error::Error;
pub use graph::DumpGraph;
pub use live::LiveProcess;
pub use memory::{ReadMemory, Region};
