//! The heap graph of a V8 heap, and the analyses over it.
//!
//! [`HeapGraph`] holds the nodes and edges of one heap in struct-of-arrays columns: per node its
//! [`NodeType`], name, V8 id and shallow size; per edge its [`EdgeType`], name and target, with
//! each node's outgoing edges contiguous (compressed sparse rows). Every source of heaps builds
//! the same graph: `.heapsnapshot` files (`leakscope-snapshot`), core dumps
//! (`leakscope-postmortem`), live processes (`leakscope-live`). The analyses never know which.
//!
//! Sources that read columns straight from their input fill [`GraphColumns`] and call
//! [`HeapGraph::from_columns`], which checks the columns agree; the others use
//! [`GraphBuilder`].
//!
//! This crate does no I/O and never prints.

mod builder;
mod error;
mod graph;
mod strings;
mod traces;
mod types;

pub use builder::GraphBuilder;
pub use error::GraphError;
pub use graph::{GraphColumns, HeapGraph, Retainers};
pub use strings::StringTable;
pub use traces::{AllocationTraces, TraceFunction, TraceNode};
pub use types::{EdgeIndex, EdgeName, EdgeType, Location, NodeIndex, NodeType, StringId};
