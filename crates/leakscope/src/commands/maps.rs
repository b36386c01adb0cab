//! `leakscope maps PID`: memory mappings over time, which kinds and mappings grow, and a
//! pmap -x style diff of the first and last samples.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use leakscope_procfs::{
    ByKind, Kind, KindTrend, ProcfsError, Sample, Sampler, TrackedMapping, Tracker, trends_by_kind,
};
use leakscope_trend::{Assessment, TrendOptions, Verdict, assess, format_bytes, format_rate};
use serde::Serialize;

use crate::cli::{HtmlArg, parse_duration};
use crate::{interrupt, pages, ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The process to watch
    pub pid: u32,
    /// Time between samples: 500ms, 10s, 1m…
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub every: Duration,
    /// Stop after this long (default: when the process exits or on Ctrl-C)
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Write the samples and the growth as JSON to FILE (- for stdout)
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Mappings to list in the growth table and the diff
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    #[command(flatten)]
    pub html: HtmlArg,
}

/// The growth of one tracked mapping.
#[derive(Serialize)]
pub(crate) struct MappingGrowth {
    pub(crate) mapping: String,
    pub(crate) kind: Kind,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) rss_first: u64,
    pub(crate) rss_last: u64,
    pub(crate) growth_bytes_per_hour: f64,
    pub(crate) verdict: Verdict,
    pub(crate) confidence: f64,
}

/// One line of the first/last diff.
#[derive(Serialize)]
pub(crate) struct DiffLine {
    pub(crate) mapping: String,
    pub(crate) kind: Kind,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) size: u64,
    pub(crate) rss: u64,
    pub(crate) dirty: u64,
    pub(crate) rss_change: i64,
    pub(crate) status: &'static str,
}

#[derive(Serialize)]
pub(crate) struct Report {
    pub(crate) pid: u32,
    pub(crate) interval_s: f64,
    pub(crate) samples: Vec<Sample>,
    pub(crate) kinds: Vec<KindTrend>,
    pub(crate) growth: Vec<MappingGrowth>,
    pub(crate) diff: Vec<DiffLine>,
    pub(crate) stopped_because: String,
    /// Whether large malloc blocks (their own mappings) could be recognised; that needs
    /// /proc/PID/mem.
    pub(crate) large_malloc_blocks_recognized: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut sampler = Sampler::new(args.pid)?;
    interrupt::install();
    let started = Instant::now();
    let live =
        args.json.as_deref() != Some(std::path::Path::new("-")) && std::io::stderr().is_terminal();
    if live {
        eprintln!(
            "sampling /proc/{}/smaps every {:?}{}; Ctrl-C to stop and report",
            args.pid,
            args.every,
            args.duration.map(|d| format!(" for {d:?}")).unwrap_or_default()
        );
    }
    let mut samples: Vec<Sample> = Vec::new();
    let mut tracker = Tracker::new();
    let mut next = started;
    let stopped_because = loop {
        match sampler.sample() {
            Ok(s) => {
                tracker.add(s.t_s, &s.mappings);
                if live {
                    status_line(samples.first(), &s);
                }
                // Only the first and last samples keep their mappings (for the diff).
                if samples.len() >= 2
                    && let Some(last) = samples.last_mut()
                {
                    last.mappings = Vec::new();
                }
                samples.push(s);
            }
            Err(ProcfsError::NoSuchProcess { .. }) if !samples.is_empty() => {
                break format!("process {} exited", args.pid);
            }
            Err(e) => return Err(e.into()),
        }
        next += args.every;
        if args.duration.is_some_and(|d| next > started + d) {
            break "the duration ended".to_owned();
        }
        if !interrupt::sleep_until(next) {
            break "interrupted".to_owned();
        }
    };
    if live {
        eprintln!();
    }
    let mut report = analyze(args, &samples, &tracker, stopped_because);
    report.large_malloc_blocks_recognized = sampler.memory_readable();
    if let Some(path) = &args.html.html {
        pages::write(path, pages::maps::page(&report))?;
    }
    match &args.json {
        Some(path) if path.as_os_str() == "-" => {
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Some(path) => {
            std::fs::write(path, serde_json::to_vec_pretty(&report)?)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            print_text(&report, args.top);
        }
        None => print_text(&report, args.top),
    }
    Ok(ExitCode::SUCCESS)
}

fn status_line(first: Option<&Sample>, s: &Sample) {
    let base = first.unwrap_or(s);
    let parts: Vec<String> = Kind::ALL
        .into_iter()
        .map(|k| {
            #[allow(clippy::cast_precision_loss)] // display only
            let change = s.by_kind[k] as f64 - base.by_kind[k] as f64;
            format!("{} {}", k.as_str(), signed(change))
        })
        .collect();
    eprint!("\r\x1b[K{:>5.0}s  rss {}  {}", s.t_s, ui::bytes(s.rss), parts.join("  "));
}

fn signed(bytes: f64) -> String {
    if bytes > 0.0 { format!("+{}", format_bytes(bytes)) } else { format_bytes(bytes) }
}

#[allow(clippy::cast_precision_loss)] // sizes as f64 for the statistics
fn series(times: &[f64], values: impl Iterator<Item = u64>) -> Vec<(f64, f64)> {
    times.iter().copied().zip(values.map(|v| v as f64)).collect()
}

fn analyze(args: &Args, samples: &[Sample], tracker: &Tracker, stopped: String) -> Report {
    let options = TrendOptions::default();
    let times = tracker.times();
    let by_kind: Vec<(f64, ByKind)> =
        times.iter().copied().zip(samples.iter().map(|s| s.by_kind)).collect();
    let kinds = trends_by_kind(&by_kind, &options);
    let last = times.len().saturating_sub(1);
    let mut growth: Vec<(MappingGrowth, Assessment)> = tracker
        .mappings()
        .iter()
        .filter(|m| m.present_at(last))
        .map(|m| {
            let a = assess(&series(times, (0..times.len()).map(|i| m.rss_at(i))), &options);
            (mapping_growth(m, last, &a), a)
        })
        .filter(|(_, a)| a.verdict == Verdict::Leak)
        .collect();
    growth.sort_by(|a, b| b.1.slope_bytes_per_hour.total_cmp(&a.1.slope_bytes_per_hour));
    Report {
        pid: args.pid,
        interval_s: args.every.as_secs_f64(),
        samples: samples.to_vec(),
        kinds,
        growth: growth.into_iter().map(|(g, _)| g).collect(),
        diff: diff(tracker, last),
        stopped_because: stopped,
        large_malloc_blocks_recognized: false,
    }
}

fn mapping_growth(m: &TrackedMapping, last: usize, a: &Assessment) -> MappingGrowth {
    MappingGrowth {
        mapping: m.name.clone(),
        kind: m.kind,
        start: m.last_range.0,
        end: m.last_range.1,
        rss_first: m.rss_at(0),
        rss_last: m.rss_at(last),
        growth_bytes_per_hour: a.slope_bytes_per_hour,
        verdict: a.verdict,
        confidence: a.confidence,
    }
}

/// Mappings whose resident size differs between the first and the last sample, largest
/// change first.
fn diff(tracker: &Tracker, last: usize) -> Vec<DiffLine> {
    let mut lines: Vec<DiffLine> = tracker
        .mappings()
        .iter()
        .filter_map(|m| {
            let (before, after) = (m.rss_at(0), m.rss_at(last));
            let (was, is) = (m.present_at(0), m.present_at(last));
            let status = match (was, is) {
                (false, true) => "new",
                (true, false) => "gone",
                (true, true) if before != after => "changed",
                _ => return None,
            };
            let at = |series: &[u64]| {
                if is {
                    last.checked_sub(m.first_sample).and_then(|j| series.get(j)).copied()
                } else {
                    None
                }
            };
            let range = if is { m.last_range } else { m.first_range };
            Some(DiffLine {
                mapping: if m.parts > 1 {
                    format!("{} ({} mappings)", m.name, m.parts)
                } else {
                    m.name.clone()
                },
                kind: m.kind,
                start: range.0,
                end: range.1,
                size: at(&m.size).unwrap_or(0),
                rss: after,
                dirty: at(&m.dirty).unwrap_or(0),
                rss_change: i64::try_from(after).unwrap_or(i64::MAX)
                    - i64::try_from(before).unwrap_or(i64::MAX),
                status,
            })
        })
        .collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.rss_change.unsigned_abs()));
    lines
}

fn print_text(r: &Report, top: usize) {
    let (Some(first), Some(last)) = (r.samples.first(), r.samples.last()) else { return };
    println!(
        "process {}: {} samples over {:.0} s, every {} s ({})",
        r.pid,
        r.samples.len(),
        last.t_s - first.t_s,
        r.interval_s,
        r.stopped_because
    );
    println!("rss {} -> {}", ui::bytes(first.rss), ui::bytes(last.rss));
    if !r.large_malloc_blocks_recognized {
        println!(
            "note: cannot read /proc/{}/mem, so malloc blocks with mappings of their own count as \
             anon; run as root or as the process's user with ptrace allowed to tell them apart",
            r.pid
        );
    }
    println!();
    println!(
        "{:<8} {:>10} {:>10} {:>11} {:>16}  verdict",
        "kind", "first", "last", "change", "trend"
    );
    for k in &r.kinds {
        #[allow(clippy::cast_precision_loss)] // display only
        let change = k.end as f64 - k.start as f64;
        let verdict = if k.verdict == Verdict::Leak { "GROWS" } else { k.verdict.as_str() };
        println!(
            "{:<8} {:>10} {:>10} {:>11} {:>16}  {verdict}: {}",
            k.kind.as_str(),
            ui::bytes(k.start),
            ui::bytes(k.end),
            signed(change),
            format_rate(k.growth_bytes_per_hour),
            k.reason
        );
    }
    println!();
    if r.growth.is_empty() {
        println!("no mapping grew steadily");
    } else {
        println!("mappings that grew steadily (largest trend first):");
        println!(
            "  {:<29} {:<8} {:>10} {:>11} {:>16}  mapping",
            "address", "kind", "rss", "change", "trend"
        );
        for g in r.growth.iter().take(top) {
            #[allow(clippy::cast_precision_loss)] // display only
            let change = g.rss_last as f64 - g.rss_first as f64;
            println!(
                "  {:012x}-{:012x}     {:<8} {:>10} {:>11} {:>16}  {}",
                g.start,
                g.end,
                g.kind.as_str(),
                ui::bytes(g.rss_last),
                signed(change),
                format_rate(g.growth_bytes_per_hour),
                g.mapping
            );
        }
    }
    println!();
    println!("first -> last sample, changed mappings (pmap -x style, sizes in kB):");
    println!(
        "{:<16} {:>10} {:>10} {:>10} {:>10} {:<7} {:<8} mapping",
        "Address", "Kbytes", "RSS", "Dirty", "dRSS", "status", "kind"
    );
    for l in r.diff.iter().take(top) {
        println!(
            "{:016x} {:>10} {:>10} {:>10} {:>+10} {:<7} {:<8} {}",
            l.start,
            l.size / 1024,
            l.rss / 1024,
            l.dirty / 1024,
            l.rss_change / 1024,
            l.status,
            l.kind.as_str(),
            l.mapping
        );
    }
    if r.diff.len() > top {
        println!("... {} more (--top N, or --json FILE for all)", r.diff.len() - top);
    }
    let sum = |s: &Sample, f: fn(&leakscope_procfs::Mapping) -> u64| {
        s.mappings.iter().map(f).sum::<u64>() / 1024
    };
    println!(
        "total kB (first) {:>10} {:>10} {:>10}",
        sum(first, leakscope_procfs::Mapping::size),
        first.rss / 1024,
        sum(first, |m| m.private_dirty)
    );
    println!(
        "total kB (last)  {:>10} {:>10} {:>10}",
        sum(last, leakscope_procfs::Mapping::size),
        last.rss / 1024,
        sum(last, |m| m.private_dirty)
    );
}
