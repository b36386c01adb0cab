//! `cargo xtask bench`: load and analysis throughput and peak RSS of the release binary on a
//! large real snapshot, made with node on first use (about 370 MB, 4.2 M nodes), of `leaks`
//! and `diff` on three large snapshots of one process (about 330, 350 and 380 MB), and on a core
//! dump of a node process holding 1.5 M class instances (about 315 MB).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// One measured command: `{snap}` stands for the big snapshot.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
}

/// `summary --timings` reports load and each analysis phase on stderr as `timing PHASE SECONDS`.
const CASES: &[Case] = &[
    Case { name: "info (load)", args: &["info", "--json", "{snap}"] },
    Case { name: "summary", args: &["summary", "--json", "--timings", "{snap}"] },
    Case { name: "top", args: &["top", "--json", "{snap}"] },
    Case { name: "retainers --class", args: &["retainers", "--json", "--class", "Item", "{snap}"] },
    Case { name: "objects", args: &["objects", "--json", "{snap}"] },
];

/// Measured on three snapshots of one process (`{s1}`, `{s2}`, `{s3}`).
const THREE_CASES: &[Case] = &[
    Case { name: "diff (s1 → s3)", args: &["diff", "--json", "{s1}", "{s3}"] },
    Case {
        name: "leaks s1 s2 s3",
        args: &["leaks", "--json", "--timings", "{s1}", "{s2}", "{s3}"],
    },
];

/// Measured on a core dump (`{core}`) of a process holding 1.5 M class instances; `{out}` is a
/// scratch file beside it.
const CORE_CASES: &[Case] = &[
    Case { name: "core objects", args: &["core", "objects", "--json", "{core}"] },
    Case { name: "core convert", args: &["core", "convert", "{core}", "-o", "{out}"] },
];

/// Objects in the benchmark core (the research note's llnode comparison: 23.4 s, 1.13 GB).
const CORE_ITEMS: u64 = 1_500_000;

const RUNS: usize = 3;

struct Measure {
    wall: Duration,
    max_rss_bytes: u64,
    /// User + system CPU time: on a busy machine, steadier than the wall time.
    cpu: Duration,
    /// `timing PHASE SECONDS` lines the command printed on stderr.
    phases: Vec<(String, f64)>,
}

/// Runs a command and measures its wall time and its own peak RSS (from `wait4`).
fn measure(program: &Path, args: &[String]) -> anyhow::Result<Measure> {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let mut stderr = child.stderr.take().context("stderr")?;
    // Drain stderr while the child runs so it can never block on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let pid = i32::try_from(child.id())?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unreaped child; status and usage are valid for writes.
    let r = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    let wall = start.elapsed();
    let stderr = reader.join().unwrap_or_default();
    if r != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{} {} failed (status {status}): {stderr}", program.display(), args.join(" "));
    }
    let phases = stderr
        .lines()
        .filter_map(|l| {
            let mut words = l.strip_prefix("timing ")?.split(' ');
            Some((words.next()?.to_owned(), words.next()?.parse().ok()?))
        })
        .collect();
    let tv = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    Ok(Measure { wall, max_rss_bytes: u64::try_from(usage.ru_maxrss)? * 1024, cpu, phases })
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

/// Three snapshots of one process for `leaks`: an array that grows by 100 k items between
/// them and a bounded cache that churns.
fn three_snapshots(root: &Path) -> anyhow::Result<[PathBuf; 3]> {
    let dir = root.join("target/bench");
    let paths = ["s1", "s2", "s3"].map(|s| dir.join(format!("three-{s}.heapsnapshot")));
    if paths.iter().all(|p| p.exists()) {
        return Ok(paths);
    }
    std::fs::create_dir_all(&dir)?;
    eprintln!("making three snapshots in {} with node (takes about a minute)", dir.display());
    let partial = ["s1", "s2", "s3"].map(|s| dir.join(format!("partial-{s}.heapsnapshot")));
    let mut args =
        vec!["--max-old-space-size=8000".to_owned(), "bench/make-big-snapshots.js".to_owned()];
    for p in &partial {
        args.push(p.to_str().context("non-UTF-8 path")?.to_owned());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::run(root, "node", &args, &[])?;
    for (from, to) in partial.iter().zip(&paths) {
        std::fs::rename(from, to)?;
    }
    Ok(paths)
}

/// A kernel core of node holding `items` objects, made on first use in target/bench.
fn big_core(root: &Path, items: u64) -> anyhow::Result<PathBuf> {
    let dir = root.join(format!("target/bench/core-{items}"));
    let path = dir.join("core");
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir)?;
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    if pattern.trim() != "core" {
        bail!(
            "kernel.core_pattern is {:?}; the core benchmark needs `core` (cores in the cwd)",
            pattern.trim()
        );
    }
    eprintln!("making {} with node ({items} objects; takes a few seconds)", path.display());
    let script = root.join("bench/make-big-core.js");
    let shell = format!(
        "ulimit -c unlimited; exec node --max-old-space-size=8000 '{}' {items}",
        script.display()
    );
    // node aborts on purpose: the status is the signal, the core is the result.
    let _ = Command::new("sh").arg("-c").arg(shell).current_dir(&dir).status()?;
    if !path.exists() {
        bail!("node did not leave a core in {}", dir.display());
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
    println!("snapshot: {} ({:.1} MB)", snap.display(), megabytes(&snap)?);
    println!(
        "{:<22} {:>14} {:>10} {:>12} {:>11} {:>9}",
        "command", "wall (best/3)", "cpu", "throughput", "peak RSS", "RSS/file"
    );
    run_cases(&bin, CASES, &[("{snap}", &snap)])?;
    let [s1, s2, s3] = three_snapshots(root)?;
    println!();
    for s in [&s1, &s2, &s3] {
        println!("snapshot: {} ({:.1} MB)", s.display(), megabytes(s)?);
    }
    run_cases(&bin, THREE_CASES, &[("{s1}", &s1), ("{s2}", &s2), ("{s3}", &s3)])?;
    let core = big_core(root, CORE_ITEMS)?;
    println!(
        "\ncore: {} ({:.1} MB, {CORE_ITEMS} class instances)",
        core.display(),
        megabytes(&core)?
    );
    run_cases(&bin, CORE_CASES, &[("{core}", &core)])
}

fn megabytes(p: &Path) -> anyhow::Result<f64> {
    #[allow(clippy::cast_precision_loss)] // display only
    Ok(std::fs::metadata(p)?.len() as f64 / 1e6)
}

/// Runs each case `RUNS` times on its inputs (each named by a placeholder in the arguments)
/// and prints the best wall time with its CPU time and phases, and the peak RSS; throughput
/// and RSS per MB count every input a case reads.
fn run_cases(bin: &Path, cases: &[Case], inputs: &[(&str, &Path)]) -> anyhow::Result<()> {
    let out = inputs[0].1.with_extension("converted.heapsnapshot");
    for case in cases {
        let mut mb = 0.0;
        let mut args = Vec::new();
        for a in case.args {
            match inputs.iter().find(|(name, _)| name == a) {
                Some((_, p)) => {
                    mb += megabytes(p)?;
                    args.push(p.display().to_string());
                }
                None if *a == "{out}" => args.push(out.display().to_string()),
                None => args.push((*a).to_owned()),
            }
        }
        let mut best = Duration::MAX;
        let mut rss = 0;
        let mut phases = Vec::new();
        let mut cpu = Duration::ZERO;
        for _ in 0..RUNS {
            let m = measure(bin, &args)?;
            if m.wall < best {
                best = m.wall;
                cpu = m.cpu;
                phases = m.phases;
            }
            rss = rss.max(m.max_rss_bytes);
        }
        #[allow(clippy::cast_precision_loss)] // display only
        let (rss_mb, ratio) = (rss as f64 / 1e6, rss as f64 / 1e6 / mb);
        println!(
            "{:<22} {:>12.3} s {:>8.3} s {:>7.0} MB/s {:>8.0} MB {:>9.2}",
            case.name,
            best.as_secs_f64(),
            cpu.as_secs_f64(),
            mb / best.as_secs_f64(),
            rss_mb,
            ratio
        );
        // The phases of the fastest run (the dominators run beside distances, shallow sizes
        // and classes on a second thread, so phases overlap).
        for (phase, seconds) in &phases {
            println!("    {phase:<18} {seconds:>12.3} s");
        }
    }
    Ok(())
}
