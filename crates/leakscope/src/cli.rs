//! The command line: one `Args` struct per command; the doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// Find, explain and prove the fix of memory leaks in Node.js programs.
///
/// leakscope reads V8 heap snapshots (.heapsnapshot, .heapsnapshot.gz, or - for stdin) and core
/// dumps of node processes, and tells what is in them and what grows between them.
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
    /// Class census: count, shallow and retained size, distance per class (DevTools' Summary)
    ///
    /// Groups every object by class as Chrome DevTools' Memory panel does (constructor name;
    /// plain objects by their inferred shape such as {x, y}; `(string)`, `(system)`,
    /// `(compiled code)`… for V8's internals) and prints, per class: how many objects, their
    /// shallow size, the retained size (what freeing the class's outermost objects would free;
    /// objects nested under another of their class are not counted twice), and the smallest
    /// distance from `global`. The numbers are DevTools' numbers, checked against its own code
    /// in the tests. Where leakscope differs on purpose: shallow sizes over 4 GiB are kept whole
    /// (DevTools keeps their low 32 bits), and objects of one name without a constructor
    /// location are one class even when V8 names them differently inside (an object named
    /// `Function` and the closures: DevTools' census then loses one of the two groups).
    Summary(commands::summary::Args),
    /// The objects that retain the most memory, down the dominator tree
    ///
    /// Lists the objects with the largest retained size (what freeing the object would free:
    /// itself and everything only it keeps alive), each with its class, id and shortest path
    /// from the roots. With --depth, lists under each object the largest objects it dominates.
    /// Owned internals (property and element stores) count as part of their owner and are not
    /// listed on their own, as in DevTools.
    Top(commands::top::Args),
    /// Why an object is alive: its shortest path from the roots and its retainers
    ///
    /// The path skips weak references and the edges that never explain retention (compiled
    /// code, feedback cells, scope infos, a WeakMap entry's first edge) when another path
    /// exists, and goes through `global` when it can. With --class, every object of the class
    /// is traced and objects whose paths have the same shape are shown once with their count.
    Retainers(commands::retainers::Args),
    /// Print one object with its properties and values, like mdb_v8's ::jsprint
    ///
    /// Shows the class, id and sizes, the properties with their values (strings, numbers when
    /// the snapshot has them, true/false/null/undefined, nested objects to --depth,
    /// [Circular] for an object already being shown), array elements, the variables a closure
    /// captures and where a closure is in the source.
    Show(commands::show::Args),
    /// Group objects by constructor and property names, like mdb_v8's ::findjsobjects
    ///
    /// Counts the objects of each constructor and set of own property names, with an example
    /// id for each group to pass to `show` or `retainers`; --refs lists who refers to the
    /// example. Heap snapshots record a property only when it holds a heap value: properties
    /// holding small integers do not appear.
    Objects(commands::objects::Args),
    /// Post-mortem analysis of a core dump of a node process (or of a running one, by PID)
    ///
    /// Take a core with `gcore PID` (the process keeps running) or from a crash
    /// (`node --abort-on-uncaught-exception`, `ulimit -c unlimited`), then analyse it offline
    /// with the same node binary. Objects are those present in memory when the dump was taken:
    /// live ones and garbage not yet collected.
    Core(commands::core::Args),
    /// Per class, what was added and removed between two snapshots (DevTools' Comparison view)
    ///
    /// Objects are matched by V8's ids, which stay with an object for its life: per class, the
    /// objects only AFTER has were added, those only BEFORE has were removed; sizes are shallow
    /// (owned internals count in their owner, as in DevTools). Classes are named alike in both
    /// snapshots (BEFORE takes AFTER's plain-object shapes, as DevTools does). Objects whose
    /// ids are not stable (embedder objects, small integers) are compared by count.
    /// --format memwatch prints node-memwatch's HeapDiff.end() result instead.
    Diff(commands::diff::Args),
    /// Leaked objects: what was allocated between S1 and S2 and is still alive in S3
    ///
    /// The three-snapshot technique. Take S1 after a warm-up, S2 after repeating the action you
    /// suspect, S3 after more of it, all from one process. leakscope takes the objects S2
    /// gained since S1 that S3 still has (V8's ids, checked against id recycling), folds what
    /// they own under them (a Session's strings, arrays and closures), groups them by the
    /// shape of their retainer path and by holder, and reports a group only when it keeps
    /// growing: a bounded cache that churns, or a few survivors of a sawtooth, are not leaks.
    /// Each leak is ranked by the memory it retains and comes with its holder (the variable,
    /// property, Map or closure context that keeps it), an example path and the source
    /// location of its class. Counts and sizes are exact. With two snapshots, the objects S2
    /// gained in groups that grew, marked less certain.
    Leaks(commands::leaks::Args),
    /// Heap snapshot of a running Node process, taken from outside
    ///
    /// Sends SIGUSR1 to open the process's inspector (Node always listens on 127.0.0.1:9229
    /// then, or process.debugPort), takes a heap snapshot over the DevTools protocol, streams
    /// it to FILE (mode 0600: a heap holds secrets), and closes the inspector again if it was
    /// closed. The program is not changed or restarted.
    Snapshot(commands::snapshot::Args),
    /// Launch a Node program, watch its memory, decide leak or not, name the culprit
    ///
    /// Starts `node --inspect=127.0.0.1:0 app.js ...`, samples every GC of every isolate (main
    /// thread and workers) through the inspector without changing the program, forces a full
    /// GC every --gc-every for clean baselines, and decides with a robust trend (Theil-Sen slope
    /// and Mann-Kendall test of the post-GC baseline over time) whether the JS heap or native
    /// memory leaks. When a leak is confirmed it captures three snapshots spaced by further
    /// growth for the leak finder. Stops at --duration, on Ctrl-C, or when the program exits,
    /// then stops the program and prints the report. Exit code 1 on a leak.
    Run(commands::run::Args),
    /// Watch a running Node process: the same as `run`, attached with SIGUSR1
    ///
    /// The inspector is closed again at the end and the program keeps running. GCs are not
    /// forced unless --gc-every is given.
    Watch(commands::watch::Args),
}

/// What every command that reads one snapshot takes.
#[derive(Debug, Args)]
pub struct SnapshotArg {
    /// The heap snapshot: a .heapsnapshot file, gzip-compressed or not, or - for stdin; or a
    /// core dump of a node process (recognised by its ELF magic)
    #[arg(value_name = "SNAP")]
    pub path: PathBuf,
    /// For a core dump: the node binary that made it (default: the one the core names)
    #[arg(long, value_name = "PATH")]
    pub binary: Option<PathBuf>,
}

/// `--html FILE`, for the commands whose results people share.
#[derive(Debug, Args)]
pub struct HtmlArg {
    /// Also write the results as one self-contained HTML report to FILE (charts and sortable
    /// tables; it loads nothing from the network)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
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
