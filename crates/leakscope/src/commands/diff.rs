//! `leakscope diff BEFORE AFTER`: per class, what was added and removed (DevTools' Comparison
//! view, node-memwatch's `HeapDiff`).
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use leakscope_graph::{HeapGraph, Progress};
use leakscope_leaks::{ClassChange, ClassDiff, DiffInput, diff, memwatch_diff};

use crate::cli::HtmlArg;
use crate::ui::{self, Align, Table};
use crate::{load, pages};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier snapshot
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,
    /// The later snapshot, of the same process
    #[arg(value_name = "AFTER")]
    pub after: PathBuf,
    /// Output: a table, JSON, or node-memwatch's `HeapDiff.end()` JSON
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print JSON on stdout (same as --format json)
    #[arg(long)]
    pub json: bool,
    /// How many classes to show in the table
    #[arg(short = 'n', long = "top", value_name = "N", default_value_t = 25)]
    pub top: usize,
    #[command(flatten)]
    pub html: HtmlArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Memwatch,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let format = if args.json { Format::Json } else { args.format };
    let quiet = format != Format::Text;
    let (before, after) = load_both(&args.before, &args.after, quiet)?;
    if format == Format::Memwatch {
        println!("{}", serde_json::to_string_pretty(&memwatch_diff(&before, &after))?);
    }
    if format == Format::Memwatch && args.html.html.is_none() {
        return Ok(ExitCode::SUCCESS);
    }
    let changes = class_diff(&before, &after);
    if let Some(path) = &args.html.html {
        pages::write(path, pages::diff::page(&args.before, &args.after, &changes))?;
    }
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&changes)?),
        Format::Text => print_table(args, &changes),
        Format::Memwatch => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn class_diff(before: &HeapGraph, after: &HeapGraph) -> ClassDiff {
    let input = DiffInput::compute(before, after, Progress::none());
    let (b, a) = input.sides(before, after);
    diff(&b, &a)
}

/// Both snapshots, read on two threads (the earlier one quietly).
fn load_both(before: &Path, after: &Path, quiet: bool) -> anyhow::Result<(HeapGraph, HeapGraph)> {
    std::thread::scope(|s| {
        let earlier = s.spawn(|| load::snapshot_of_one_process(before, true));
        let later = load::snapshot_of_one_process(after, quiet)?.snapshot.graph;
        let earlier = earlier.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?;
        Ok((earlier.snapshot.graph, later))
    })
}

fn print_table(args: &Args, d: &ClassDiff) {
    println!("{} → {}", args.before.display(), args.after.display());
    if d.classes.is_empty() {
        println!("no class gained or lost objects");
        return;
    }
    let mut table = Table::new(&[
        ("size Δ", Align::Right),
        ("count Δ", Align::Right),
        ("added", Align::Right),
        ("removed", Align::Right),
        ("added size", Align::Right),
        ("removed size", Align::Right),
        ("class", Align::Left),
    ]);
    let signed_bytes = |v: i64| {
        let text = ui::bytes(v.unsigned_abs());
        if v < 0 { format!("−{text}") } else { format!("+{text}") }
    };
    let signed = |v: i64| if v < 0 { format!("−{}", v.unsigned_abs()) } else { format!("+{v}") };
    let shown: Vec<&ClassChange> = d.classes.iter().take(args.top).collect();
    for c in &shown {
        table.row(vec![
            signed_bytes(c.size_delta),
            signed(c.count_delta),
            c.added.to_string(),
            c.removed.to_string(),
            ui::bytes(c.added_size),
            ui::bytes(c.removed_size),
            c.class.clone(),
        ]);
    }
    print!("{}", table.render("  "));
    if d.classes.len() > shown.len() {
        println!("  … {} more classes (--top N)", d.classes.len() - shown.len());
    }
    let (added, removed): (i64, i64) = d
        .classes
        .iter()
        .fold((0, 0), |(a, r), c| (a + c.size_delta.max(0), r + c.size_delta.min(0)));
    println!();
    println!(
        "  objects matched by V8 id; sizes are shallow (DevTools' Comparison view); classes that \
         grew: {}, shrank: {}",
        signed_bytes(added),
        signed_bytes(removed)
    );
}
