//! `leakscope leaks S1 S2 [S3]`: the three-snapshot technique, clustered and ranked.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use leakscope_graph::{HeapGraph, Progress};
use leakscope_leaks::{
    Baseline, Finding, LeakOptions, LeakReport, Target, find_leaks, find_new_objects,
};

use crate::cli::{HtmlArg, OutputArgs};
use crate::{analyze, load, pages, ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The snapshots of one process, oldest first: S1 (the baseline, after a warm-up), S2
    /// (after repeating the action you suspect), S3 (after more of it). With two, what S2
    /// gained, marked less certain.
    #[arg(value_name = "SNAP", num_args = 2..=3, required = true)]
    pub snapshots: Vec<PathBuf>,
    /// Do not report groups retaining less than SIZE, e.g. 0, 64kB, 1MB
    #[arg(long, value_name = "SIZE", value_parser = ui::parse_size, default_value = "10kB")]
    pub min_size: u64,
    /// Exit with status 1 when a leak is found (for CI)
    #[arg(long)]
    pub fail_on_leak: bool,
    /// How many leaks to show in text
    #[arg(short = 'n', long = "top", value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Print how long loading and each phase took, on stderr
    #[arg(long)]
    pub timings: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub html: HtmlArg,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let quiet = args.output.json;
    let options = LeakOptions { min_size: args.min_size };
    let (report, timings) = find(&args.snapshots, &options, quiet)?;
    if args.timings {
        for (what, d) in &timings {
            eprintln_timing(what, *d);
        }
    }
    if let Some(path) = &args.html.html {
        pages::write(path, pages::leaks::page(&args.snapshots, &report))?;
    }
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&args.snapshots, &report, args.top);
    }
    let leak = !report.leaks.is_empty();
    Ok(if leak && args.fail_on_leak { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[allow(clippy::print_stderr)]
fn eprintln_timing(what: &str, d: Duration) {
    eprintln!("timing {what} {:.3}", d.as_secs_f64());
}

/// Runs the finder on two or three snapshot files of one process, oldest first: S1 and S2
/// are read and reduced on one thread while S3 (the last) is read and analysed on this one.
/// Also what `run` and `watch` call on the snapshots they capture.
pub fn find(
    paths: &[PathBuf],
    options: &LeakOptions,
    quiet: bool,
) -> anyhow::Result<(LeakReport, Vec<(String, Duration)>)> {
    let start = Instant::now();
    if !(2..=3).contains(&paths.len()) {
        anyhow::bail!("give two or three snapshots of one process, oldest first");
    }
    let (last, earlier) = paths.split_last().context("give two or three snapshots")?;
    let mut timings = Vec::new();
    let report = std::thread::scope(|s| -> anyhow::Result<LeakReport> {
        let reduce = s.spawn(|| reduce_earlier(earlier));
        let loaded = load::snapshot_of_one_process(last, quiet)?;
        let g = &loaded.snapshot.graph;
        let a = analyze::analysis(g, quiet);
        timings.push(("last-snapshot".to_owned(), start.elapsed()));
        let (baseline, target, times) =
            reduce.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?;
        timings.extend(times);
        let found = match &target {
            Some(t) => find_leaks(g, &a, &baseline, t, options, Progress::none()),
            None => find_new_objects(g, &a, &baseline, options, Progress::none()),
        };
        found.with_context(|| names(paths))
    })?;
    timings.push(("total".to_owned(), start.elapsed()));
    Ok((report, timings))
}

type Earlier = (Baseline, Option<Target>, Vec<(String, Duration)>);

/// What the finder keeps of S1 (and S2), each graph dropped once reduced.
fn reduce_earlier(paths: &[PathBuf]) -> anyhow::Result<Earlier> {
    let start = Instant::now();
    let mut times = Vec::new();
    let first = load_quiet(&paths[0])?;
    let baseline = if paths.len() == 1 {
        Baseline::with_shapes(&first, Progress::none())
    } else {
        Baseline::new(&first)
    };
    drop(first);
    times.push(("first-snapshot".to_owned(), start.elapsed()));
    let target = match paths.get(1) {
        Some(p) => {
            let second = load_quiet(p)?;
            let t =
                Target::new(&second, &baseline, Progress::none()).with_context(|| names(paths))?;
            drop(second);
            times.push(("second-snapshot".to_owned(), start.elapsed()));
            Some(t)
        }
        None => None,
    };
    Ok((baseline, target, times))
}

fn load_quiet(path: &Path) -> anyhow::Result<HeapGraph> {
    Ok(load::snapshot_of_one_process(path, true)?.snapshot.graph)
}

fn names(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    format!("comparing {}", names.join(", "))
}

fn print_text(paths: &[PathBuf], r: &LeakReport, top: usize) {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    println!("{}", names.join(" → "));
    if let Some(ids) = &r.ids {
        println!(
            "{} objects allocated between S1 and S2, {} still alive in S3 ({} recycled ids set aside)",
            ids.new_in_target,
            ids.still_alive,
            ids.recycled_in_target + ids.recycled_later
        );
    }
    println!("{}", r.message);
    for (i, leak) in r.leaks.iter().take(top).enumerate() {
        println!();
        print_finding(i + 1, leak, r.snapshots);
    }
    if r.leaks.len() > top {
        println!();
        println!("  … {} more leaks (--top N)", r.leaks.len() - top);
    }
    let d = &r.dismissed_total;
    if d.groups > 0 {
        println!();
        println!(
            "not reported: {} group{} of {} objects, {} retained (growth within noise: bounded \
             caches, churn, or below --min-size)",
            d.groups,
            if d.groups == 1 { "" } else { "s" },
            d.objects,
            ui::bytes(d.retained_size)
        );
    }
    if r.snapshots == 2 && !r.leaks.is_empty() {
        println!();
        println!(
            "two snapshots only: these objects are new and their groups grew, but nothing shows \
             they stay; take a third snapshot after more of the same work to be sure"
        );
    }
}

fn print_finding(rank: usize, f: &Finding, snapshots: usize) {
    let what = match &f.name {
        Some(name) => format!("{name} ({})", f.class),
        None => f.class.clone(),
    };
    println!(
        "{rank}. {what} ×{}: retained {} (shallow {})",
        f.count,
        ui::bytes(f.retained_size),
        ui::bytes(f.shallow_size)
    );
    let chain = if f.chain { ", as a chain of objects holding one another" } else { "" };
    println!("   held by {} ({} @{}){chain}", f.holder, f.holder_class, f.holder_id);
    for also in &f.also {
        let what = match &also.name {
            Some(name) => format!("{name} ({})", also.class),
            None => also.class.clone(),
        };
        println!(
            "   and {what} ×{} ({}) in the same container",
            also.count,
            ui::bytes(also.retained_size)
        );
    }
    println!("   {}", f.path);
    if let Some(sample) = &f.sample {
        println!("   e.g. {sample:?}");
    }
    if let Some(location) = &f.location {
        println!("   at {location}");
    }
    let counts: Vec<String> = f.counts.iter().flatten().map(u64::to_string).collect();
    let last_two = if snapshots == 3 { "S2 → S3" } else { "S1 → S2" };
    let mut growth = format!("   grows: {} objects of its path, {last_two}", counts.join(" → "));
    if let Some(s) = f.survival {
        growth.push_str(&format!("; {:.0} % of what it gained from S1 to S2 survived", s * 100.0));
    }
    println!("{growth}");
}
