//! Live Node processes: open the inspector of a running process or launch one with it,
//! stream a sample after every GC, take heap snapshots, and decide "leak or not" with the
//! statistics of `leakscope-trend`. Everything talks to the target over the Chrome DevTools
//! Protocol on loopback; the target's code is never changed, and what leakscope installs in
//! it is removed again when it detaches.

pub mod attach;
pub mod cdp;
pub mod detect;
mod error;
pub mod launch;
pub mod monitor;
pub mod procfs;
pub mod report;
pub mod snapshot;

pub use error::{Error, Result};
