//! The `leakscope` Node.js addon: the Rust half of `require('leakscope')`.
//!
//! N-API has no GC callbacks and no heap-profiler calls, so the package's JavaScript gathers the
//! data with Node's own built-ins (`perf_hooks` GC entries, `v8.getHeapStatistics`,
//! `v8.getHeapSnapshot`) and hands it here. This crate only converts types and calls the
//! workspace crates, so the addon and the `leakscope` binary decide with the same code:
//!
//! - [`monitor::GcMonitor`]: one per isolate; memwatch's `stats` fields
//!   ([`leakscope_trend::MemwatchStats`]) and the `leak` decision ([`leakscope_trend::assess`])
//!   over a window of post-GC baselines;
//! - [`snapshot::SnapshotParser`]: heap snapshot chunks pushed from JavaScript are parsed by
//!   [`leakscope_snapshot`] on a thread of its own while they arrive, into a
//!   [`snapshot::HeapSnapshot`] handle, whose `summary()` is the census of
//!   [`leakscope_graph::Analysis`] (`leakscope summary`), computed on the libuv thread pool;
//! - [`diff`]: memwatch's `HeapDiff` of two such snapshots
//!   ([`leakscope_leaks::memwatch_diff_explained`]);
//! - [`leaks`]: `checkLeak()`'s three snapshots through the leak finder of `leakscope leaks`
//!   ([`leakscope_leaks::find_leaks`]).

pub mod diff;
pub mod leaks;
pub mod monitor;
pub mod snapshot;
