//! `cargo xtask bench`: load and analysis throughput and peak RSS of the release binary on a
//! large real snapshot, made with node on first use (about 370 MB, 4.2 M nodes).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// One measured command: `{snap}` stands for the big snapshot.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
}

const CASES: &[Case] = &[Case { name: "info (load)", args: &["info", "--json", "{snap}"] }];

const RUNS: usize = 3;

struct Measure {
    wall: Duration,
    max_rss_bytes: u64,
}

/// Runs a command and measures its wall time and its own peak RSS (from `wait4`).
fn measure(program: &Path, args: &[String]) -> anyhow::Result<Measure> {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let pid = i32::try_from(child.id())?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unreaped child; status and usage are valid for writes.
    let r = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let wall = start.elapsed();
    if r != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{} {} failed (status {status})", program.display(), args.join(" "));
    }
    Ok(Measure { wall, max_rss_bytes: u64::try_from(usage.ru_maxrss)? * 1024 })
}

fn big_snapshot(root: &Path, items: u64) -> anyhow::Result<PathBuf> {
    let dir = root.join("target/bench");
    let path = dir.join(format!("big-{items}.heapsnapshot"));
    if !path.exists() {
        std::fs::create_dir_all(&dir)?;
        eprintln!("making {} with node ({items} items; takes about 20 s)", path.display());
        let tmp = dir.join("partial.heapsnapshot");
        crate::run(
            root,
            "node",
            &[
                "--max-old-space-size=8000",
                "bench/make-big-snapshot.js",
                tmp.to_str().context("non-UTF-8 path")?,
                &items.to_string(),
            ],
            &[],
        )?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(path)
}

pub fn run(root: &Path, args: Vec<String>) -> anyhow::Result<()> {
    let mut snapshot = None;
    let mut items = 1_400_000u64;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--snapshot" => snapshot = Some(PathBuf::from(it.next().context("--snapshot FILE")?)),
            "--items" => items = it.next().context("--items N")?.parse()?,
            _ => bail!("usage: cargo xtask bench [--snapshot FILE] [--items N]"),
        }
    }
    crate::run(root, "cargo", &["build", "--release", "--quiet", "-p", "leakscope"], &[])?;
    let bin = root.join("target/release/leakscope");
    let snap = match snapshot {
        Some(s) => s,
        None => big_snapshot(root, items)?,
    };
    let size = std::fs::metadata(&snap)?.len();
    #[allow(clippy::cast_precision_loss)] // display only
    let mb = size as f64 / 1e6;
    println!("snapshot: {} ({mb:.1} MB)", snap.display());
    println!(
        "{:<22} {:>14} {:>12} {:>11} {:>9}",
        "command", "wall (best/3)", "throughput", "peak RSS", "RSS/file"
    );
    for case in CASES {
        let args: Vec<String> = case
            .args
            .iter()
            .map(|a| if *a == "{snap}" { snap.display().to_string() } else { (*a).to_owned() })
            .collect();
        let mut best = Duration::MAX;
        let mut rss = 0;
        for _ in 0..RUNS {
            let m = measure(&bin, &args)?;
            best = best.min(m.wall);
            rss = rss.max(m.max_rss_bytes);
        }
        #[allow(clippy::cast_precision_loss)] // display only
        let (rss_mb, ratio) = (rss as f64 / 1e6, rss as f64 / size as f64);
        println!(
            "{:<22} {:>12.3} s {:>7.0} MB/s {:>8.0} MB {:>9.2}",
            case.name,
            best.as_secs_f64(),
            mb / best.as_secs_f64(),
            rss_mb,
            ratio
        );
    }
    Ok(())
}
