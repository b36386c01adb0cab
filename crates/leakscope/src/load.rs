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

/// Refuses core dumps where V8's ids are compared: a dump numbers objects by address order,
/// so ids mean nothing across dumps.
pub fn snapshot_of_one_process(path: &Path, quiet: bool) -> anyhow::Result<Loaded> {
    if is_core(path) {
        anyhow::bail!(
            "{} is a core dump: comparing objects across dumps needs V8's ids, which only heap \
             snapshots keep; use `leakscope core diff` for dumps, or take heap snapshots",
            path.display()
        );
    }
    snapshot(path, quiet)
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
        let mappings = live.executable_mappings().to_vec();
        return Ok(Dump::from_memory(
            Box::new(live),
            &mappings,
            &exe,
            format!("process {pid}"),
            Some(pid),
        )?);
    }
    Dump::open_core(core, binary)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot analyse {}", core.display())))
}

/// A heap from either source: a snapshot, or a core dump made into the same graph.
pub struct LoadedHeap {
    pub graph: leakscope_graph::HeapGraph,
    /// For a core dump: each node's address (0 for synthetic nodes), for printing `0xADDR`.
    #[allow(dead_code)] // for commands that print addresses of core objects
    pub addresses: Option<Vec<u64>>,
    pub elapsed: Duration,
}

/// Loads a snapshot, or a core dump (recognised by its ELF magic) with `binary` as its node
/// binary: what every command that takes SNAP should call.
pub fn heap(path: &Path, binary: Option<&Path>, quiet: bool) -> anyhow::Result<LoadedHeap> {
    let start = Instant::now();
    if is_core(path) {
        let dump = dump(path, binary)?;
        let g = dump.graph()?;
        return Ok(LoadedHeap {
            graph: g.graph,
            addresses: Some(g.addresses),
            elapsed: start.elapsed(),
        });
    }
    let loaded = snapshot(path, quiet)?;
    Ok(LoadedHeap { graph: loaded.snapshot.graph, addresses: None, elapsed: loaded.elapsed })
}
