//! The command line: one `Args` struct per command; the doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// Find, explain and prove the fix of memory leaks in Node.js programs.
///
/// leakscope reads V8 heap snapshots (.heapsnapshot, .heapsnapshot.gz, or - for stdin) and
/// tells what is in them and what grows between them.
#[derive(Debug, Parser)]
#[command(name = "leakscope", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Counts, layout and load time of a heap snapshot
    ///
    /// Prints the number of nodes, edges and strings, the total shallow size, the nodes per
    /// type, the layout the snapshot's header declares (fields of nodes and edges), and how long
    /// loading took. Useful to check that a file is a complete snapshot and to measure the
    /// reader.
    Info(commands::info::Args),
    /// Memory mappings of a running process over time: which kinds and mappings grow
    ///
    /// Samples /proc/PID/smaps every --every, classifies each mapping (v8-heap: V8's heap
    /// pages; malloc: malloc arenas and [heap]; stack; code: binaries, libraries and JIT code;
    /// file: other mapped files; anon: other anonymous memory such as large malloc blocks),
    /// and reports which kinds and which mappings grew, by how much and how steadily (the same
    /// trend test as `run`), then a pmap -x style diff of the first and last samples. Stops
    /// after --duration, when the process exits, or on Ctrl-C. Linux only.
    Maps(commands::maps::Args),
    /// Run a program with a sampling malloc profiler preloaded; report native allocation sites
    /// whose live bytes grow
    ///
    /// Runs COMMAND with libleakscope_malloc_sampler.so in LD_PRELOAD. The sampler samples
    /// allocations by bytes (one sample per --sample-bytes on average, like tcmalloc), records
    /// the native stack of each sample, and tracks which samples are freed. leakscope reads its
    /// dumps every --every, symbolizes the stacks against the program's binary and shared
    /// libraries, and reports the call sites by estimated live bytes (with their standard
    /// error) and growth. Stops when the program exits, after --duration, or on Ctrl-C (the
    /// program is then stopped with SIGTERM). Linux with glibc only.
    Native(commands::native::Args),
}

/// What every command that reads one snapshot takes.
#[derive(Debug, Args)]
pub struct SnapshotArg {
    /// The heap snapshot: a .heapsnapshot file, gzip-compressed or not, or - for stdin
    #[arg(value_name = "SNAP")]
    pub path: PathBuf,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print JSON on stdout instead of text
    #[arg(long)]
    pub json: bool,
}

/// Parses a duration: `500ms`, `10s`, `2m`, `1h`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; write e.g. 500ms, 10s, 2m or 1h"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit {other:?} in {text:?}; use ms, s, m or h")),
    };
    std::time::Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("{text:?} is out of range"))
        .and_then(|d| if d.is_zero() { Err(format!("{text:?} is zero")) } else { Ok(d) })
}

/// Parses a byte count: `524288`, `512k`, `512KiB`, `4m`, `4MiB`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a byte count; write e.g. 524288, 512k or 4m"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown unit {other:?} in {text:?}; use k, m or g")),
    };
    n.checked_shl(shift)
        .filter(|v| *v > 0 && v >> shift == n)
        .ok_or_else(|| format!("{text:?} is zero or too large"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn byte_counts() {
        assert_eq!(super::parse_bytes("524288"), Ok(524_288));
        assert_eq!(super::parse_bytes("512k"), Ok(524_288));
        assert_eq!(super::parse_bytes("4MiB"), Ok(4 << 20));
        assert!(super::parse_bytes("0").is_err());
        assert!(super::parse_bytes("12 parsecs").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(super::parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(super::parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(super::parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(super::parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(super::parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(super::parse_duration("10 parsecs").unwrap_err().contains("unknown unit"));
        assert!(super::parse_duration("0s").is_err());
        assert!(super::parse_duration("fast").is_err());
    }
}
