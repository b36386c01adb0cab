//! How the binary talks to people: errors with hints, warnings, progress bars, sizes.
#![allow(clippy::print_stderr)]

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use leakscope_live::Error as LiveError;
use leakscope_live::snapshot::Progress as SnapshotProgress;
use leakscope_postmortem::Error as PostmortemError;
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
    if let Some(e) = err.chain().find_map(|c| c.downcast_ref::<LiveError>()) {
        return live_hint(e);
    }
    if let Some(e) = err.chain().find_map(|c| c.downcast_ref::<ProcfsError>()) {
        return procfs_hint(e);
    }
    if let Some(e) = err.chain().find_map(|c| c.downcast_ref::<PostmortemError>()) {
        return postmortem_hint(e);
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

fn live_hint(e: &LiveError) -> Option<&'static str> {
    Some(match e {
        LiveError::NoSuchProcess { .. } => "check the pid with `pgrep -a node`",
        LiveError::NotNode { .. } => {
            "give the pid of a node process (`pgrep -a node`); leakscope only signals Node"
        }
        LiveError::PermissionDenied { .. } => {
            "run leakscope as the user that owns the process (or as root)"
        }
        LiveError::PortTaken { .. } => {
            "SIGUSR1 always opens port 9229 (or process.debugPort): stop the other inspector, \
             or start the program with --inspect-port=0, or use `leakscope run -- node ...`"
        }
        LiveError::NoInspector { .. } => {
            "the process ignored SIGUSR1: it may run with --disable-sigusr1, handle SIGUSR1 \
             itself, or be stopped; start it with `leakscope run -- node ...` instead"
        }
        LiveError::DiskSpace { .. } => "free some space or write the snapshot elsewhere (-o)",
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

fn postmortem_hint(e: &PostmortemError) -> Option<&'static str> {
    Some(match e {
        PostmortemError::TruncatedCore { .. } => {
            "the core is incomplete: the disk filled up, or a core size limit (ulimit -c, \
             systemd-coredump's ProcessSizeMax) cut it; dump again with room for the whole heap"
        }
        PostmortemError::NotACore { .. } => {
            "give a core file: `gcore PID`, or a crash core (`ulimit -c unlimited`; with \
             systemd, `coredumpctl dump PID -o core`)"
        }
        PostmortemError::NoExecutable | PostmortemError::BinaryMismatch { .. } => {
            "pass the exact node binary that ran the process with --binary (same version and \
             build; `node -p process.versions.v8` must match)"
        }
        PostmortemError::UnsupportedVersion { .. } => {
            "analyse a heap snapshot instead (`leakscope snapshot PID`), or add the version: \
             docs/new-node-version.md"
        }
        PostmortemError::NoHeap { .. } | PostmortemError::LayoutCheck { .. } => {
            "is this a core of a node process, made by the binary given? Please report it with \
             `node --version`"
        }
        _ => return None,
    })
}

/// Prints a warning.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Tells the user something on stderr (what was written where).
pub fn note(message: &str) {
    eprintln!("leakscope: {message}");
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

/// A size the user typed: `1000`, `10k`, `1.5MB`, `2MiB` (k, M, G are decimal, KiB, MiB,
/// GiB binary; a trailing `B` is optional).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 =
        number.parse().map_err(|_| format!("{text:?} is not a size (try 1000, 64kB, 1.5MB)"))?;
    let unit = unit.trim();
    let factor: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown size unit {unit:?} (use B, kB, MB, GB, KiB, MiB, GiB)")),
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // sizes are small, >= 0
    Ok((number * factor).round() as u64)
}

/// A node id the user typed: `@12345` or `12345`.
pub fn parse_node_id(text: &str) -> Result<u32, String> {
    text.trim()
        .trim_start_matches('@')
        .parse()
        .map_err(|_| format!("{text:?} is not a node id (write it as @12345 or 12345)"))
}

/// Columns of text, aligned; numbers right, words left. The last column is not padded.
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

/// How a column is aligned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            columns: columns.iter().map(|(h, a)| ((*h).to_owned(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table, each line indented by `indent` and ending in a newline.
    pub fn render(&self, indent: &str) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.columns.iter().map(|(h, _)| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let mut out = String::new();
        let headers: Vec<String> = self.columns.iter().map(|(h, _)| h.clone()).collect();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::from(indent);
            let last = row.len().saturating_sub(1);
            for (i, ((cell, (_, align)), w)) in
                row.iter().zip(&self.columns).zip(&widths).enumerate()
            {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = w.saturating_sub(width(cell));
                match align {
                    Align::Right => {
                        line.extend(std::iter::repeat_n(' ', pad));
                        line.push_str(cell);
                    }
                    Align::Left => {
                        line.push_str(cell);
                        if i != last {
                            line.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A progress bar for a live heap snapshot: objects walked, then bytes written.
pub fn snapshot_progress(quiet: bool, message: &str) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} objects")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message.to_owned());
    Some(bar)
}

/// Moves a [`snapshot_progress`] bar: V8 first walks the heap, then streams the file.
pub fn update_snapshot_progress(bar: Option<&ProgressBar>, p: SnapshotProgress) {
    let Some(bar) = bar else { return };
    if p.bytes == 0 {
        bar.set_length(p.total);
        bar.set_position(p.done);
    } else {
        if bar.length().is_some() {
            bar.set_style(
                ProgressStyle::with_template("{msg} {spinner} {bytes} written ({bytes_per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.unset_length();
        }
        bar.set_position(p.bytes);
    }
}

/// Bytes for people: `1.50 MB` (decimal units, as DevTools shows them).
pub fn bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // display only
    leakscope_trend::format_bytes(n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ids() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("64kB"), Ok(64_000));
        assert_eq!(parse_size("1.5 MB"), Ok(1_500_000));
        assert_eq!(parse_size("2MiB"), Ok(2 * 1024 * 1024));
        assert!(parse_size("lots").is_err() && parse_size("3 parsecs").is_err());
        assert_eq!(parse_node_id("@123"), Ok(123));
        assert_eq!(parse_node_id("77"), Ok(77));
        assert!(parse_node_id("@x").is_err());
    }

    #[test]
    fn tables_align() {
        let mut t =
            Table::new(&[("class", Align::Left), ("count", Align::Right), ("path", Align::Left)]);
        t.row(vec!["Foo".into(), "10000".into(), "a → b".into()]);
        t.row(vec!["(string)".into(), "3".into(), "c".into()]);
        assert_eq!(
            t.render("  "),
            "  class     count  path\n  Foo       10000  a → b\n  (string)      3  c\n"
        );
    }

    #[test]
    fn bytes() {
        assert_eq!(super::bytes(999), "999 B");
        assert_eq!(super::bytes(1000), "1.00 kB");
        assert_eq!(super::bytes(123_456_789), "123 MB");
        assert_eq!(super::bytes(5_368_709_120), "5.37 GB");
    }
}
