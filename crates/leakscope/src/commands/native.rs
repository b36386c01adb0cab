//! `leakscope native [OPTIONS] -- COMMAND...`: run a program with the sampling malloc profiler
//! preloaded and report the native allocation sites whose live bytes grow.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use leakscope_native::{Dump, Site, SiteOptions, Symbolizer, parse, rank_sites, usable_dumps};
use leakscope_trend::{Verdict, format_bytes, format_rate};
use serde::Serialize;

use crate::cli::{parse_bytes, parse_duration};
use crate::{interrupt, ui};

/// The preload library's file name.
const SAMPLER: &str = "libleakscope_malloc_sampler.so";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Time between dumps of the live samples: 500ms, 1s, 10s…
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub every: Duration,
    /// Stop the program after this long (default: run until it exits or Ctrl-C)
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Mean bytes allocated between samples (512k like tcmalloc; smaller is more precise and
    /// slower)
    #[arg(long, default_value = "512k", value_parser = parse_bytes)]
    pub sample_bytes: u64,
    /// Write the sites as JSON to FILE (- for stdout)
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Sites to print
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Frames to print per site
    #[arg(long, default_value_t = 8)]
    pub frames: usize,
    /// Keep the sampler's raw dumps in DIR (native-PID.txt per process)
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// The preload library (default: next to the leakscope binary, or
    /// $LEAKSCOPE_MALLOC_SAMPLER)
    #[arg(long, value_name = "PATH")]
    pub sampler: Option<PathBuf>,
    /// The program and its arguments
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Serialize)]
struct Report {
    command: Vec<String>,
    pid: u32,
    exit: Option<i32>,
    sample_bytes: u64,
    duration_s: f64,
    dumps: usize,
    live_samples: u64,
    dropped_samples: u64,
    note: Option<String>,
    sites: Vec<Site>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if !cfg!(target_os = "linux") {
        bail!(
            "leakscope native preloads a malloc sampler with LD_PRELOAD, which needs Linux with glibc"
        );
    }
    let sampler = find_sampler(args.sampler.as_deref())?;
    let temp;
    let dir = match &args.keep {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            d.clone()
        }
        None => {
            temp = tempfile::Builder::new().prefix("leakscope-native-").tempdir()?;
            temp.path().to_owned()
        }
    };
    let fifo = dir.join(format!("control-{}", std::process::id()));
    make_fifo(&fifo)?;
    interrupt::install();
    let started = Instant::now();
    let mut child = spawn(args, &sampler, &dir, &fifo)?;
    let pid = child.id();
    let live = args.json.as_deref() != Some(Path::new("-")) && std::io::stderr().is_terminal();
    let output = dir.join(format!("native-{pid}.txt"));
    let exit = loop {
        if let Some(status) = child.try_wait()? {
            break status.code();
        }
        let out_of_time = args.duration.is_some_and(|d| started.elapsed() >= d);
        if out_of_time || interrupt::requested() {
            request_final_dump(&fifo, &output);
            stop(&mut child);
            break None;
        }
        if live {
            eprint!(
                "\r\x1b[K{:>5.0}s  pid {pid}  rss {}",
                started.elapsed().as_secs_f64(),
                rss(pid)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if live {
        eprintln!();
    }
    let _ = std::fs::remove_file(&fifo);
    let text = std::fs::read_to_string(&output).with_context(|| {
        format!(
            "the sampler wrote nothing for process {pid} ({}): the program may be statically \
             linked or not use glibc, which LD_PRELOAD cannot reach",
            output.display()
        )
    })?;
    let rec = parse(&text).with_context(|| format!("cannot read {}", output.display()))?;
    let (dumps, mut note) = usable_dumps(&rec);
    let others = other_processes(&dir, pid);
    if others > 0 {
        let more = format!(
            "{others} child process(es) were sampled too (native-PID.txt files; keep them with \
             --keep DIR); this report is on process {pid}"
        );
        note = Some(note.map_or(more.clone(), |n| format!("{n}; {more}")));
    }
    let sites = rank_sites(&rec, dumps, &mut Symbolizer::new(), &SiteOptions::default());
    let report = build_report(args, pid, exit, dumps, rec.sample_bytes, note, sites);
    match &args.json {
        Some(p) if p.as_os_str() == "-" => println!("{}", serde_json::to_string_pretty(&report)?),
        Some(p) => {
            std::fs::write(p, serde_json::to_vec_pretty(&report)?)
                .with_context(|| format!("cannot write {}", p.display()))?;
            print_text(&report, args);
        }
        None => print_text(&report, args),
    }
    Ok(ExitCode::SUCCESS)
}

fn build_report(
    args: &Args,
    pid: u32,
    exit: Option<i32>,
    dumps: &[Dump],
    sample_bytes: u64,
    note: Option<String>,
    sites: Vec<Site>,
) -> Report {
    let last = dumps.last();
    Report {
        command: args.command.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        pid,
        exit,
        sample_bytes,
        duration_s: last.map_or(0.0, |d| d.t_s),
        dumps: dumps.len(),
        note,
        live_samples: last.map_or(0, |d| d.live_samples),
        dropped_samples: last.map_or(0, |d| d.dropped),
        sites,
    }
}

/// How many other processes (children that inherited LD_PRELOAD) wrote dumps.
fn other_processes(dir: &Path, pid: u32) -> usize {
    let own = format!("native-{pid}.txt");
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("native-") && name.ends_with(".txt") && name != own
            })
            .count()
    })
}

/// The preload library: `--sampler`, `$LEAKSCOPE_MALLOC_SAMPLER`, next to this binary, or in
/// `../lib` or `../lib/leakscope` beside it.
fn find_sampler(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given
        .map(Path::to_owned)
        .or_else(|| std::env::var_os("LEAKSCOPE_MALLOC_SAMPLER").map(PathBuf::from))
    {
        if p.is_file() {
            return Ok(std::fs::canonicalize(&p).unwrap_or(p));
        }
        bail!("the sampler library {} does not exist", p.display());
    }
    let exe = std::env::current_exe().context("cannot find the leakscope binary")?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    for candidate in [
        dir.join(SAMPLER),
        dir.join("../lib").join(SAMPLER),
        dir.join("../lib/leakscope").join(SAMPLER),
    ] {
        if candidate.is_file() {
            return Ok(std::fs::canonicalize(&candidate).unwrap_or(candidate));
        }
    }
    bail!(
        "cannot find {SAMPLER} next to {}; build it with `cargo build --release -p \
         leakscope-malloc-sampler`, or name it with --sampler PATH",
        exe.display()
    )
}

fn make_fifo(path: &Path) -> anyhow::Result<()> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())?;
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("cannot create {}", path.display()));
    }
    Ok(())
}

fn spawn(args: &Args, sampler: &Path, dir: &Path, fifo: &Path) -> anyhow::Result<Child> {
    let (program, rest) = args.command.split_first().context("no command to run")?;
    let mut preload = sampler.as_os_str().to_owned();
    if let Some(old) = std::env::var_os("LD_PRELOAD").filter(|o| !o.is_empty()) {
        preload.push(":");
        preload.push(old);
    }
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest)
        .env("LD_PRELOAD", preload)
        .env("LEAKSCOPE_NATIVE_OUT", dir)
        .env("LEAKSCOPE_NATIVE_CONTROL", fifo)
        .env("LEAKSCOPE_NATIVE_PARENT", std::process::id().to_string())
        .env("LEAKSCOPE_NATIVE_SAMPLE_BYTES", args.sample_bytes.to_string())
        .env("LEAKSCOPE_NATIVE_INTERVAL_MS", args.every.as_millis().max(1).to_string())
        // Ctrl-C reaches leakscope only, which asks for a last dump before stopping the
        // program.
        .process_group(0);
    cmd.spawn().with_context(|| format!("cannot run {}", program.to_string_lossy()))
}

/// Asks the sampler for a dump and waits (up to 10 s) until it is complete.
fn request_final_dump(fifo: &Path, output: &Path) {
    let ends = || std::fs::read_to_string(output).map_or(0, |t| t.matches("\nend ").count());
    let before = ends();
    let opened = std::fs::OpenOptions::new().write(true).custom_flags_nonblock().open(fifo);
    if let Ok(mut f) = opened {
        let _ = std::io::Write::write_all(&mut f, b"d");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline && ends() <= before {
        std::thread::sleep(Duration::from_millis(20));
    }
}

trait NonBlock {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonBlock for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(self, libc::O_NONBLOCK)
    }
}

/// SIGTERM to the program's process group, SIGKILL after 5 s.
fn stop(child: &mut Child) {
    let Ok(pid) = i32::try_from(child.id()) else { return };
    // SAFETY: signalling the process group we created for the child.
    unsafe {
        libc::kill(-pid, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let _ = child.wait();
}

fn rss(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or_else(|| "?".to_owned(), |kb| ui::bytes(kb * 1024))
}

fn print_text(r: &Report, args: &Args) {
    println!(
        "{} (pid {}): {} dumps over {:.1} s, one sample per {} allocated on average{}",
        r.command.join(" "),
        r.pid,
        r.dumps,
        r.duration_s,
        format_bytes(f64::from(u32::try_from(r.sample_bytes).unwrap_or(u32::MAX))),
        r.exit.map(|c| format!(", exit code {c}")).unwrap_or_default()
    );
    let total: f64 = r.sites.iter().map(|s| s.live_bytes_estimate).sum();
    println!(
        "live sampled allocations: {} (estimated {} live)",
        r.live_samples,
        format_bytes(total)
    );
    if let Some(note) = &r.note {
        println!("note: {note}");
    }
    if r.dropped_samples > 0 {
        println!(
            "warning: {} samples were dropped (tables full); use a larger --sample-bytes",
            r.dropped_samples
        );
    }
    if r.sites.is_empty() {
        println!("no sampled allocation is live");
        return;
    }
    println!();
    println!(
        "{:>3}  {:>22}  {:>7}  {:>16}  {:<12}  site (innermost frame first)",
        "#", "live (estimate ± 1 SE)", "samples", "trend", "verdict"
    );
    for (i, s) in r.sites.iter().take(args.top).enumerate() {
        let verdict = if s.verdict == Verdict::Leak { "GROWS" } else { s.verdict.as_str() };
        let mut frames = s.frames.iter().take(args.frames);
        println!(
            "{:>3}  {:>22}  {:>7}  {:>16}  {:<12}  {}",
            i + 1,
            format!(
                "{} ± {}",
                format_bytes(s.live_bytes_estimate),
                format_bytes(s.live_bytes_error)
            ),
            s.samples,
            format_rate(s.growth_bytes_per_hour),
            verdict,
            frames.next().map_or("", String::as_str)
        );
        for f in frames {
            println!("{:>79}{f}", "");
        }
    }
    if r.sites.len() > args.top {
        println!("... {} more sites (--top N, or --json FILE for all)", r.sites.len() - args.top);
    }
}
