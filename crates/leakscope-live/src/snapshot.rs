//! Heap snapshots over the inspector, streamed chunk by chunk to a private file.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cdp::{Cdp, Target};
use crate::error::{Error, Result};

/// How far a snapshot is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Objects V8 has walked while building the snapshot.
    pub done: u64,
    /// Objects to walk.
    pub total: u64,
    /// Bytes written so far.
    pub bytes: u64,
}

/// The longest silence we accept from a target that is writing a snapshot.
const SILENCE: Duration = Duration::from_secs(120);

/// Creates (or truncates) a file only its owner can read: a heap holds secrets.
pub fn create_private(path: &Path) -> Result<File> {
    let write_err = |source| Error::Write { path: path.to_owned(), source };
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(write_err)?;
    // `mode` applies only to new files; an existing file keeps its mode unless we set it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(write_err)?;
    Ok(file)
}

/// Takes a heap snapshot of `target` and streams it into `out`; returns the bytes written.
/// The snapshot is never held in memory: each chunk is written as it arrives.
pub fn take(
    cdp: &mut Cdp,
    target: &Target,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64> {
    let mut state = Progress::default();
    let mut write_error = None;
    cdp.call_with(
        target,
        "HeapProfiler.takeHeapSnapshot",
        json!({ "reportProgress": true }),
        SILENCE,
        |event, queue| {
            if event.target != *target {
                queue.push_back(event);
                return Ok(());
            }
            match event.method.as_str() {
                "HeapProfiler.addHeapSnapshotChunk" => {
                    let chunk =
                        event.params.get("chunk").and_then(Value::as_str).unwrap_or_default();
                    if write_error.is_none()
                        && let Err(e) = out.write_all(chunk.as_bytes())
                    {
                        write_error = Some(e);
                    }
                    state.bytes += chunk.len() as u64;
                    progress(state);
                }
                "HeapProfiler.reportHeapSnapshotProgress" => {
                    let field = |k| event.params.get(k).and_then(Value::as_u64).unwrap_or(0);
                    state.done = field("done");
                    state.total = field("total");
                    progress(state);
                }
                _ => queue.push_back(event),
            }
            Ok(())
        },
    )?;
    if let Some(e) = write_error {
        return Err(Error::io("cannot write the snapshot", e));
    }
    out.flush().map_err(|e| Error::io("cannot write the snapshot", e))?;
    Ok(state.bytes)
}

/// Takes a snapshot into `path` (mode 0600); on failure the partial file is removed.
pub fn take_to_file(
    cdp: &mut Cdp,
    target: &Target,
    path: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<u64> {
    let file = create_private(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let result = take(cdp, target, &mut out, progress).and_then(|n| {
        out.into_inner()
            .map_err(|e| Error::Write { path: path.to_owned(), source: e.into_error() })?
            .sync_all()
            .map_err(|source| Error::Write { path: path.to_owned(), source })?;
        Ok(n)
    });
    match result {
        Err(Error::Io { source, .. }) => {
            let _ = std::fs::remove_file(path);
            Err(Error::Write { path: path.to_owned(), source })
        }
        Err(e) => {
            let _ = std::fs::remove_file(path);
            Err(e)
        }
        ok => ok,
    }
}

/// A generous estimate of a snapshot's file size: files run from about 1.5 to 3 times the
/// heap in use, plus a fixed part for the strings table and the metadata.
pub fn estimate_bytes(cdp: &mut Cdp, target: &Target) -> Result<u64> {
    let reply = cdp.call(
        target,
        "Runtime.evaluate",
        json!({ "expression": "process.memoryUsage().heapUsed", "returnByValue": true }),
        Duration::from_secs(10),
    )?;
    let used = reply.pointer("/result/value").and_then(Value::as_f64).unwrap_or(0.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a positive estimate
    Ok((used * 3.0) as u64 + (16 << 20))
}

/// Fails with [`Error::DiskSpace`] when `dir` cannot hold a snapshot of `target`.
pub fn check_disk_space(cdp: &mut Cdp, target: &Target, dir: &Path) -> Result<u64> {
    let needed = estimate_bytes(cdp, target)?;
    let free = crate::procfs::free_disk_bytes(dir)?;
    if free < needed {
        return Err(Error::DiskSpace { dir: dir.to_owned(), free, needed });
    }
    Ok(needed)
}
