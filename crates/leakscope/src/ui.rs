//! How the binary talks to people: errors with hints, warnings, progress bars, sizes.
#![allow(clippy::print_stderr)]

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use leakscope_procfs::ProcfsError;
use leakscope_snapshot::Error as SnapshotError;

/// Prints an error with its causes, and a hint when we know what the user can do.
pub fn print_error(err: &anyhow::Error) {
    eprintln!("error: {err:#}");
    if let Some(hint) = hint(err) {
        eprintln!("  hint: {hint}");
    }
}

fn hint(err: &anyhow::Error) -> Option<&'static str> {
    if let Some(e) = err.chain().find_map(|c| c.downcast_ref::<ProcfsError>()) {
        return procfs_hint(e);
    }
    let e = err.chain().find_map(|c| c.downcast_ref::<SnapshotError>())?;
    Some(match e {
        SnapshotError::Truncated { .. } => {
            "the file is incomplete: was it copied while still being written, or did the \
             process die while writing it? Take the snapshot again."
        }
        SnapshotError::Empty | SnapshotError::NotASnapshot { .. } => {
            "give a file written by v8.writeHeapSnapshot(), node --heapsnapshot-signal, \
             `leakscope snapshot PID`, or Chrome DevTools' Memory panel (Save profile)"
        }
        SnapshotError::Header { .. } => {
            "this snapshot's layout is unknown to leakscope; please report it with the \
             Node/Chrome version that wrote it"
        }
        SnapshotError::Syntax { .. }
        | SnapshotError::Inconsistent { .. }
        | SnapshotError::Graph(_) => "the file is corrupt; take the snapshot again",
        _ => return None,
    })
}

fn procfs_hint(e: &ProcfsError) -> Option<&'static str> {
    Some(match e {
        ProcfsError::NoSuchProcess { .. } => {
            "check the id with `ps -ef | grep node` (or `pgrep -a node`); the process may have \
             exited"
        }
        ProcfsError::PermissionDenied { .. } => {
            "run leakscope as the user that owns the process (`sudo -u USER leakscope ...`) or \
             as root (`sudo leakscope ...`)"
        }
        ProcfsError::NotLinux { .. } => {
            "mapping sampling reads /proc/PID/smaps, which only Linux has; on macOS, \
             `vmmap PID` shows the same regions"
        }
        _ => return None,
    })
}

/// Prints a warning.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// A progress bar in bytes on stderr, or `None` when not on a terminal or `quiet`.
pub fn byte_progress(quiet: bool, message: &str) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message.to_owned());
    Some(bar)
}

/// Bytes for people: `1.50 MB` (decimal units, as DevTools shows them).
pub fn bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // display only
    leakscope_trend::format_bytes(n as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes() {
        assert_eq!(super::bytes(999), "999 B");
        assert_eq!(super::bytes(1000), "1.00 kB");
        assert_eq!(super::bytes(123_456_789), "123 MB");
        assert_eq!(super::bytes(5_368_709_120), "5.37 GB");
    }
}
