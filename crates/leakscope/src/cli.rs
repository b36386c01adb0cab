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
