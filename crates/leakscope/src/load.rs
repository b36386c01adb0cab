//! Loading a heap from the path the user gave, with a progress bar.

use std::path::Path;
use std::time::{Duration, Instant};

use leakscope_snapshot::{ReadOptions, Snapshot};

use crate::ui;

/// A loaded snapshot and how long loading took.
pub struct Loaded {
    pub snapshot: Snapshot,
    pub elapsed: Duration,
}

/// Reads a snapshot, showing a progress bar on a terminal unless `quiet`.
pub fn snapshot(path: &Path, quiet: bool) -> anyhow::Result<Loaded> {
    let start = Instant::now();
    let bar = ui::byte_progress(quiet, &format!("reading {}", path.display()));
    let options = ReadOptions::new().on_progress(|p| {
        if let Some(bar) = &bar {
            if let Some(total) = p.total {
                bar.set_length(total);
            }
            bar.set_position(p.read);
        }
    });
    let result = options.open(path);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let snapshot = match result {
        Ok(s) => s,
        // The error already names the file.
        Err(e @ leakscope_snapshot::Error::Open { .. }) => return Err(e.into()),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot load {}", path.display())));
        }
    };
    for warning in &snapshot.warnings {
        ui::warn(&format!("{}: {warning}", path.display()));
    }
    Ok(Loaded { snapshot, elapsed: start.elapsed() })
}
