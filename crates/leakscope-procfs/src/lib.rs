//! A process's memory mappings over time, from /proc on Linux.
//!
//! [`Sampler`] reads /proc/PID/smaps, [`classify`] says what each mapping holds ([`Kind`]:
//! V8 heap pages, malloc arenas, thread stacks, code, files, other anonymous memory), and
//! [`Tracker`] follows mappings across samples (they move and merge as they grow) so their
//! growth can be tested with `leakscope-trend`.
//!
//! ```no_run
//! use leakscope_procfs::{Kind, Sampler};
//!
//! let mut sampler = Sampler::new(std::process::id())?;
//! let sample = sampler.sample()?;
//! println!("{} bytes resident, {} in malloc", sample.rss, sample.by_kind[Kind::Malloc]);
//! # Ok::<(), leakscope_procfs::ProcfsError>(())
//! ```
//!
//! Reading smaps needs the same permission as reading the process's memory statistics: the
//! same user, or root. It does not stop or slow the process beyond the kernel walking its
//! page tables (about a millisecond per 100 MB resident).

#[cfg(unix)]
mod blocks;
mod classify;
mod error;
mod sampler;
mod smaps;
mod track;
mod trends;

#[cfg(unix)]
pub use blocks::refine_malloc_blocks;
pub use classify::{Kind, classify};
pub use error::ProcfsError;
pub use sampler::{ByKind, Sample, Sampler};
pub use smaps::{BadLine, Mapping, Rollup, parse_rollup, parse_smaps};
pub use track::{MappingId, TrackedMapping, Tracker};
pub use trends::{KindTrend, trends_by_kind};
