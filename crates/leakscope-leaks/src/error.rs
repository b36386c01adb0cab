//! The one error type of this crate.

use thiserror::Error;

/// Why snapshots cannot be compared.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LeaksError {
    /// A later snapshot's newest object is older than an earlier one's: the snapshots are out
    /// of order, or come from different processes.
    #[error(
        "snapshot {later} is not newer than snapshot {earlier} (its newest object id is {later_max}, \
         below {earlier_max}): give the snapshots oldest first, all of one process"
    )]
    OutOfOrder {
        /// The earlier snapshot's position (1-based).
        earlier: usize,
        /// The later snapshot's position (1-based).
        later: usize,
        /// The earlier snapshot's largest heap object id.
        earlier_max: u32,
        /// The later snapshot's largest heap object id.
        later_max: u32,
    },
    /// Two snapshots share (almost) no object: they come from different processes, or a
    /// process restarted between them.
    #[error(
        "snapshots {earlier} and {later} share only {shared} of {earlier_objects} objects: they \
         come from different processes (or the process restarted); take all of them from one \
         running process"
    )]
    Unrelated {
        /// The earlier snapshot's position (1-based).
        earlier: usize,
        /// The later snapshot's position (1-based).
        later: usize,
        /// Heap objects of the earlier snapshot still in the later one.
        shared: usize,
        /// Heap objects in the earlier snapshot.
        earlier_objects: usize,
    },
    /// Two-snapshot mode needs the first snapshot's path shapes.
    #[error("the first snapshot was read without its path shapes (use Baseline::with_shapes)")]
    NoShapes,
}
