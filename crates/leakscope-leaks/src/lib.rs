//! Snapshot diffs and the three-snapshot leak finder.
//!
//! - [`diff`]: per class, the objects one snapshot added and removed against another, matched
//!   by V8's stable ids: DevTools' Comparison view (its classes and shallow sizes); and
//!   [`memwatch_diff`], node-memwatch's `HeapDiff.end()` result, for its existing users.
//! - [`find_leaks`]: the objects allocated between S1 and S2 that S3 still has, folded under
//!   their owners, grouped by retainer-path shape and holder, kept only when their group keeps
//!   growing, ranked by retained size; [`find_new_objects`] does the same with two snapshots.
//!
//! Three snapshots of a few hundred MB do not fit in memory side by side with their analyses,
//! so the finder reads them in stages: [`Baseline`] keeps what it needs of S1 (ids), [`Target`]
//! what it needs of S2 (the new objects, path-shape counts), and the graphs can be dropped
//! before S3 is analysed; the stages of S1/S2 and of S3 can run on two threads.
//!
//! ```no_run
//! # fn load(_: &str) -> leakscope_graph::HeapGraph { unimplemented!() }
//! use leakscope_graph::{Analysis, Progress};
//! use leakscope_leaks::{Baseline, LeakOptions, Target, find_leaks};
//!
//! let baseline = Baseline::new(&load("s1.heapsnapshot"));
//! let target = Target::new(&load("s2.heapsnapshot"), &baseline, Progress::none())?;
//! let s3 = load("s3.heapsnapshot");
//! let a = Analysis::new(&s3, Progress::none());
//! let report = find_leaks(&s3, &a, &baseline, &target, &LeakOptions::default(), Progress::none())?;
//! for leak in &report.leaks {
//!     println!("{} ×{} held by {}", leak.class, leak.count, leak.holder);
//! }
//! # Ok::<(), leakscope_leaks::LeaksError>(())
//! ```
//!
//! This crate does no I/O and never prints.

mod diff;
mod error;
mod finder;
mod holder;
mod ids;
mod memwatch;
mod shapes;
mod window;

pub use diff::{ClassChange, ClassDiff, DiffInput, DiffSide, diff};
pub use error::LeaksError;
pub use finder::{
    DEFAULT_MIN_SIZE, Finding, LeakOptions, LeakReport, MIN_GROWTH, MIN_SURVIVAL, Totals,
    find_leaks, find_new_objects,
};
pub use holder::Holder;
pub use ids::{IdTable, NodeKeys, has_stable_id};
pub use memwatch::{
    MemwatchChange, MemwatchDetail, MemwatchDiff, MemwatchTotals, memwatch_diff,
    memwatch_diff_explained, nice_size,
};
pub use shapes::{ShapeId, Shapes};
pub use window::{Baseline, Count, TailCounts, Target, is_reportable};
