//! Loading a heap from the path the user gave, with a progress bar.

use std::path::Path;
use std::time::{Duration, Instant};

use leakscope_postmortem::Dump;
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

/// Whether `path` is an ELF core dump rather than a snapshot (checked by its magic).
pub fn is_core(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| leakscope_postmortem::CoreFile::has_elf_magic(&magic))
}

/// Scans a core dump, or a live process when `core` is a PID that is not a file.
pub fn dump(core: &Path, binary: Option<&Path>) -> anyhow::Result<Dump> {
    if !core.exists()
        && let Some(pid) = core.to_str().and_then(|s| s.parse::<u32>().ok())
    {
        let live = leakscope_postmortem::LiveProcess::attach(pid)?;
        let exe = match (binary, live.executable()) {
            (Some(b), _) => b.to_owned(),
            (None, Some(e)) => e.into(),
            (None, None) => anyhow::bail!("cannot tell process {pid}'s executable; pass --binary"),
        };
        let first_page = live.exe_first_page();
        return Ok(Dump::from_memory(
            Box::new(live),
            first_page,
            &exe,
            format!("process {pid}"),
            Some(pid),
        )?);
    }
    Dump::open_core(core, binary)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot analyse {}", core.display())))
}
