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
//! The analyses match Chrome DevTools' heap snapshot worker: [`Distances`] from the roots,
//! DevTools' [`ShallowSizes`] (owned internals count for their owner), the [`DominatorTree`]
//! and retained sizes, [`Classes`] (plain-object interfaces included) and the class
//! [`census`]; [`Analysis`] runs them all. Beyond DevTools: shortest [`RetainerPaths`],
//! property-signature groups ([`property_signatures`]) and an object model to print
//! ([`show`]).
//!
//! This crate does no I/O and never prints.

mod analysis;
mod bits;
mod builder;
mod census;
mod classes;
mod distances;
mod dom_state;
mod dominators;
mod error;
mod fxhash;
mod graph;
mod objects;
mod paths;
mod progress;
mod shallow;
mod show;
mod strings;
mod traces;
mod types;
mod v8names;

pub use analysis::Analysis;
pub use bits::BitSet;
pub use builder::GraphBuilder;
pub use census::{ClassSummary, census};
pub use classes::{ClassId, ClassInfo, Classes, SourcePosition};
pub use distances::{BASE_SYSTEM_DISTANCE, Distance, Distances, NO_DISTANCE};
pub use dom_state::detached_natives;
pub use dominators::{DominatorTree, page_objects};
pub use error::GraphError;
pub use fxhash::{FxBuild, FxHashMap, FxHashSet, FxHasher};
pub use graph::{GraphColumns, HeapGraph, Retainers};
pub use objects::{ObjectGroup, property_signatures};
pub use paths::{
    EdgeLabel, PathGroup, PathShape, PathStep, ResolvedStep, RetainerPaths, TRANSIENT_ROOTS,
    edge_text, group_by_shape, label_text, path_text, resolve, root_name,
};
pub use progress::{Phase, Progress, Step, Ticker, Timings};
pub use shallow::ShallowSizes;
pub use show::{
    Member, ObjectView, ShowOptions, Value, class_location, display_name, location, show,
    string_text,
};
pub use strings::StringTable;
pub use traces::{AllocationTraces, TraceFunction, TraceNode};
pub use types::{EdgeIndex, EdgeName, EdgeType, Location, NodeIndex, NodeType, StringId};
