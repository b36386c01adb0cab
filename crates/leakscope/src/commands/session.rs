//! What `run` and `watch` share: their options, the live output, the report.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context as _;
use leakscope_live::detect::{DetectOptions, LeakEvent};
use leakscope_live::monitor::{Observer, Options, Status};
use leakscope_live::report::{Findings, Report, SeriesReport, StopReason};
use leakscope_live::snapshot::Progress;
use leakscope_trend::{Verdict, format_bytes, format_rate};

use crate::ui;

/// Options of `run` and `watch`.
#[derive(Debug, clap::Args)]
pub struct SessionArgs {
    /// Stop after this long (e.g. 90s, 10m, 2h) [run: 60s; watch: until Ctrl-C]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Force a full GC in every isolate this often, for clean baselines and faster verdicts
    /// (never more than 1 % of the time) [run: 2s; watch: off]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "no_gc")]
    pub gc_every: Option<Duration>,
    /// Never force a GC (only the program's own GCs are sampled)
    #[arg(long)]
    pub no_gc: bool,
    /// Ignore the first part of the session (start-up growth) [run: 5s; watch: 0s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Decide over the last DURATION of samples
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10m")]
    pub window: Duration,
    /// Snapshots to capture when a leak is confirmed (3 are needed to name the culprit)
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_snapshots: usize,
    /// Capture no snapshots
    #[arg(long)]
    pub no_snapshots: bool,
    /// Where to write snapshots [default: the --json file's directory, else .]
    #[arg(long, value_name = "DIR")]
    pub snapshot_dir: Option<PathBuf>,
    /// Stop once a leak is confirmed and its snapshots are captured
    #[arg(long)]
    pub stop_on_leak: bool,
    /// Do not watch worker threads
    #[arg(long)]
    pub no_workers: bool,
    /// Write the report as JSON to FILE
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the report as one self-contained HTML file: the verdict, memory over time with
    /// the fitted trend and the snapshots, the statistics, the culprit and its retainer path
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// No live status line
    #[arg(short, long)]
    pub quiet: bool,
}

/// A duration as `cli::parse_duration` reads it, or zero (`0`, `0s`: no warm-up).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if s.trim().trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse::<f64>() == Ok(0.0) {
        return Ok(Duration::ZERO);
    }
    crate::cli::parse_duration(s)
}

/// Defaults that differ between `run` and `watch`.
pub struct Defaults {
    pub duration: Option<Duration>,
    pub gc_every: Option<Duration>,
    pub warmup: Duration,
}

impl SessionArgs {
    pub fn options(&self, defaults: &Defaults) -> anyhow::Result<Options> {
        let snapshot_dir = match (&self.snapshot_dir, &self.json) {
            (Some(d), _) => d.clone(),
            (None, Some(json)) => json
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_owned),
            (None, None) => PathBuf::from("."),
        };
        if !snapshot_dir.is_dir() {
            anyhow::bail!("the snapshot directory {} does not exist", snapshot_dir.display());
        }
        let warmup = self.warmup.unwrap_or(defaults.warmup);
        Ok(Options {
            gc_every: if self.no_gc { None } else { self.gc_every.or(defaults.gc_every) },
            duration: self.duration.or(defaults.duration),
            detect: DetectOptions {
                window_s: self.window.as_secs_f64(),
                warmup_s: warmup.as_secs_f64(),
                ..DetectOptions::default()
            },
            max_snapshots: if self.no_snapshots { 0 } else { self.max_snapshots },
            snapshot_dir,
            stop_on_leak: self.stop_on_leak,
            workers: !self.no_workers,
        })
    }
}

/// Ctrl-C (or SIGTERM) ends the session cleanly (the report is still written, `run` stops its
/// program); a second one kills leakscope as usual.
pub fn stop_flag() -> &'static AtomicBool {
    crate::interrupt::install();
    crate::interrupt::flag()
}

/// Prints the live output on stderr.
pub struct TextObserver {
    tty: bool,
    quiet: bool,
    status_shown: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl TextObserver {
    pub fn new(quiet: bool) -> Self {
        Self { tty: std::io::stderr().is_terminal(), quiet, status_shown: false, bar: None }
    }

    fn clear_status(&mut self) {
        if self.status_shown {
            eprint!("\r\x1b[K");
            self.status_shown = false;
        }
    }

    fn line(&mut self, text: &str) {
        self.clear_status();
        eprintln!("leakscope: {text}");
    }
}

impl Observer for TextObserver {
    fn status(&mut self, s: &Status) {
        if !self.tty || self.quiet || self.bar.is_some() {
            return;
        }
        let mut parts = vec![format!("{:>4.0}s", s.elapsed_s)];
        for (name, stats, verdict, slope) in &s.isolates {
            #[allow(clippy::cast_precision_loss)] // display only
            let base = stats.current_base as f64;
            parts.push(format!(
                "{name}: base {} ({}, trend {:+.1}%) {} full/{} minor GCs, {}",
                format_bytes(base),
                format_rate(*slope),
                stats.usage_trend,
                stats.num_full_gc,
                stats.num_inc_gc,
                verdict.as_str()
            ));
        }
        parts.push(format!("rss {}", ui::bytes(s.rss)));
        let mut text = parts.join(" | ");
        let width = 160;
        if text.len() > width {
            text.truncate(text.char_indices().nth(width).map_or(text.len(), |(i, _)| i));
        }
        eprint!("\r\x1b[K{text}");
        let _ = std::io::stderr().flush();
        self.status_shown = true;
    }

    fn leak(&mut self, e: &LeakEvent) {
        self.line(&format!("leak: {} (from {:.0} s to {:.0} s)", e.reason, e.start_s, e.end_s));
    }

    fn cleared(&mut self, what: &str) {
        self.line(&format!("{what} stopped growing"));
    }

    fn note(&mut self, message: &str) {
        if !self.quiet {
            self.line(message);
        }
    }

    fn snapshot_progress(&mut self, path: &Path, p: Progress) {
        if self.quiet {
            return;
        }
        if self.bar.is_none() {
            self.clear_status();
            self.bar = ui::snapshot_progress(false, &format!("snapshot {}", path.display()));
        }
        ui::update_snapshot_progress(self.bar.as_ref(), p);
    }

    fn snapshot_done(&mut self, path: &Path, bytes: u64) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.line(&format!("wrote {} ({})", path.display(), ui::bytes(bytes)));
    }

    fn analyse(&mut self, snapshots: &[PathBuf]) -> Findings {
        crate::commands::leak_finder::findings(snapshots)
    }
}

impl Drop for TextObserver {
    fn drop(&mut self) {
        self.clear_status();
    }
}

/// Writes the JSON (if asked), prints the text report, and returns the exit code.
pub fn finish(report: &Report, args: &SessionArgs, what: &str) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(report)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        crate::pages::write(path, crate::pages::live::page(report, what, &stop_text(report)))?;
    }
    print_report(report, what);
    Ok(if report.verdict == Verdict::Leak { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn series_line(name: &str, s: &SeriesReport) -> String {
    format!(
        "  {name:<18} {:<12} {:>16}  {} -> {}  {}",
        s.verdict.as_str(),
        format_rate(s.growth_bytes_per_hour),
        format_bytes(s.baseline_start),
        format_bytes(s.baseline_end),
        s.reason
    )
}

/// Why the session stopped, in words.
fn stop_text(r: &Report) -> String {
    match r.stop_reason {
        StopReason::Duration => "the --duration elapsed".to_owned(),
        StopReason::Interrupted => "interrupted (Ctrl-C)".to_owned(),
        StopReason::Exited => match &r.exit {
            Some(e) => format!("the program exited ({e})"),
            None => "the program exited".to_owned(),
        },
        StopReason::Leak => "a leak was confirmed (--stop-on-leak)".to_owned(),
        StopReason::Disconnected => "the inspector connection was lost".to_owned(),
    }
}

fn print_report(r: &Report, what: &str) {
    println!(
        "leakscope: {} in process {} ({what}), watched {:.0} s, {} GCs",
        r.verdict.as_str(),
        r.pid,
        r.duration_s,
        r.gc_count
    );
    for iso in &r.isolates {
        let name = format!("JS heap ({})", iso.isolate);
        println!("{}", series_line(&name, &iso.heap));
    }
    println!("{}", series_line("native memory", &r.native));
    println!("{}", series_line("RSS", &r.rss));
    if let Some(main) = r.isolates.first() {
        println!("{}", series_line("external (main)", &main.external));
    }
    if r.grows.is_empty() {
        println!("  grows: nothing steadily");
    } else {
        println!("  grows: {}", r.grows.join(", "));
    }
    for iso in &r.isolates {
        let s = &iso.stats;
        println!(
            "  memwatch stats ({}): current_base {}, estimated_base {}, usage_trend {:+.1} %, min {}, max {}, num_full_gc {}, num_inc_gc {}, heap_compactions {}",
            iso.isolate,
            ui::bytes(s.current_base),
            ui::bytes(s.estimated_base),
            s.usage_trend,
            ui::bytes(s.min),
            ui::bytes(s.max),
            s.num_full_gc,
            s.num_inc_gc,
            s.heap_compactions
        );
    }
    for e in &r.leak_events {
        println!("  leak at {:.0} s: {}", e.end_s, e.reason);
    }
    if !r.snapshots.is_empty() {
        let names: Vec<String> = r.snapshots.iter().map(|p| p.display().to_string()).collect();
        println!("  snapshots: {}", names.join(", "));
    }
    if r.verdict == Verdict::Leak || !r.snapshots.is_empty() {
        if r.findings.status == "ok" {
            println!("  findings: {}", r.findings.message);
            for l in &r.findings.leaks {
                println!(
                    "    {} x{}, retaining {}, held by {} ({})",
                    l["class"].as_str().unwrap_or("?"),
                    l["count"],
                    ui::bytes(l["retained_size"].as_u64().unwrap_or(0)),
                    l["holder"].as_str().unwrap_or("?"),
                    l["holder_class"].as_str().unwrap_or("?")
                );
                println!("      {}", l["path"].as_str().unwrap_or(""));
                if let Some(at) = l["location"].as_str() {
                    println!("      defined at {at}");
                }
            }
        } else {
            println!("  findings {}: {}", r.findings.status, r.findings.message);
        }
    }
    println!("  stopped: {}", stop_text(r));
    for w in &r.warnings {
        println!("  warning: {w}");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_duration;

    #[test]
    fn durations_and_zero() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
