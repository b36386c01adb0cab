//! `cargo xtask bench-live`: what `leakscope run`/`watch` cost and how fast they decide.
//!
//! 1. Time to a correct verdict for a steady leak of 1 MB/s and of 10 KB/s
//!    (`examples/steady-leak.js`), with `run`'s defaults (`--gc-every 2s`, `--warmup 5s`).
//! 2. Overhead of `watch` without snapshots on a busy HTTP server (`bench/http-server.js`)
//!    under loopback load from a second process (`bench/http-client.js`): requests/s and the
//!    server's CPU time per request without and with the watcher, alternated so that drift
//!    cancels out.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// Seconds of load per measurement.
const LOAD_S: u32 = 10;
/// Off/on pairs.
const ROUNDS: usize = 5;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let only = args.first().map(String::as_str);
    crate::run(root, "cargo", &["build", "--release", "--quiet", "-p", "leakscope"], &[])?;
    let bin = root.join("target/release/leakscope");
    if only.is_none_or(|o| o == "verdict") {
        println!("time to a correct verdict (leakscope run, default options)");
        for (label, rate) in [("1 MB/s", "1000000"), ("10 KB/s", "10000")] {
            let (wall, first) = time_to_verdict(root, &bin, rate)?;
            println!(
                "  {label:>8} leak: leak line after {first:.1} s of session, verdict in {wall:.1} s wall"
            );
        }
    }
    if only.is_none_or(|o| o == "overhead") {
        overhead(root, &bin)?;
    }
    Ok(())
}

fn time_to_verdict(root: &Path, bin: &Path, rate: &str) -> anyhow::Result<(f64, f64)> {
    let dir = std::env::temp_dir().join(format!("leakscope-bench-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let json = dir.join("verdict.json");
    let start = Instant::now();
    let status = Command::new(bin)
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--stop-on-leak",
            "--no-snapshots",
            "--duration",
            "300s",
            "--json",
        ])
        .arg(&json)
        .args(["--", "node", "examples/steady-leak.js", "--rate", rate])
        .stdout(Stdio::null())
        .status()?;
    let wall = start.elapsed().as_secs_f64();
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json)?)?;
    let _ = std::fs::remove_dir_all(&dir);
    if status.code() != Some(1) || report["verdict"] != "leak" {
        bail!("no leak verdict for a {rate} B/s leak within 300 s: {}", report["heap"]["reason"]);
    }
    let first = report["leak_events"][0]["end_s"].as_f64().context("no leak event")?;
    Ok((wall, first))
}

fn start_server(root: &Path) -> anyhow::Result<(Killed, u16, u32)> {
    let mut child = Command::new("node")
        .current_dir(root)
        .args(["bench/http-server.js", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start node")?;
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let port = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .with_context(|| format!("the server did not start: {line:?}"))?;
    Ok((Killed(child), port, pid))
}

/// The server's CPU time (user + system), in seconds, from /proc.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').context("stat")?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat, counted after the command name.
    let ticks: f64 =
        f.get(11).context("utime")?.parse::<f64>()? + f.get(12).context("stime")?.parse::<f64>()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok(ticks / hz)
}

/// Load for `seconds`: requests per second, and the server's CPU microseconds per request.
fn load(root: &Path, port: u16, pid: u32, seconds: u32) -> anyhow::Result<(f64, f64)> {
    let cpu0 = cpu_seconds(pid)?;
    let out = Command::new("node")
        .current_dir(root)
        .args(["bench/http-client.js", &port.to_string(), &seconds.to_string(), "16"])
        .output()?;
    let cpu = cpu_seconds(pid)? - cpu0;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("load output")?;
    let requests = v["requests"].as_f64().context("requests")?;
    if requests < 1.0 {
        bail!("the server answered no request (did it die?)");
    }
    Ok((v["rps"].as_f64().context("rps")?, cpu / requests * 1e6))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn overhead(root: &Path, bin: &Path) -> anyhow::Result<()> {
    let (_server, port, pid) = start_server(root)?;
    println!(
        "watch overhead on a busy HTTP server (pid {pid}, {LOAD_S} s of loopback load per run)"
    );
    load(root, port, pid, 5)?; // warm up the JIT
    let mut rps_ratio = Vec::new();
    let mut cpu_ratio = Vec::new();
    for round in 1..=ROUNDS {
        let (off_rps, off_cpu) = load(root, port, pid, LOAD_S)?;
        let mut watcher = Killed(
            Command::new(bin)
                .args(["watch", &pid.to_string(), "--quiet", "--no-snapshots"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        );
        std::thread::sleep(Duration::from_secs(2)); // attached and sampling
        let (on_rps, on_cpu) = load(root, port, pid, LOAD_S)?;
        // Ctrl-C: the watcher detaches and closes the inspector.
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(i32::try_from(watcher.0.id())?, libc::SIGINT) };
        let _ = watcher.0.wait();
        println!(
            "  round {round}: {off_rps:>7.0} req/s, {off_cpu:>5.1} us CPU/req without; \
             {on_rps:>7.0} req/s, {on_cpu:>5.1} us CPU/req watched"
        );
        rps_ratio.push(on_rps / off_rps);
        cpu_ratio.push(on_cpu / off_cpu);
    }
    println!(
        "  median over {ROUNDS} rounds: throughput {:+.2} %, server CPU per request {:+.2} % \
         (the machine is shared: single rounds swing by 10-30 %)",
        (median(rps_ratio) - 1.0) * 100.0,
        (median(cpu_ratio) - 1.0) * 100.0
    );
    Ok(())
}
