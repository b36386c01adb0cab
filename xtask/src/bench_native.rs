//! `cargo xtask bench-native`: the slowdown of a busy Node HTTP server under
//! `leakscope native` (requests per second with and without the sampler), measured by a load
//! generator in a second process. Loopback only; every run is bounded in time.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

const SECONDS: u32 = 10;
const CONNECTIONS: u32 = 32;
const ROUNDS: usize = 3;

struct Server {
    child: Child,
    port: u16,
}

/// Starts the server (under `leakscope native` when `sampled`) and waits for its port.
fn start(root: &Path, sampled: bool, sample_bytes: &str) -> anyhow::Result<Server> {
    let script = root.join("bench/http-server.js");
    let mut cmd = if sampled {
        let mut c = Command::new(root.join("target/release/leakscope"));
        c.args([
            "native",
            "--sample-bytes",
            sample_bytes,
            "--every",
            "1s",
            "--duration",
            "60s",
            "--",
        ]);
        c.arg("node");
        c
    } else {
        Command::new("node")
    };
    let mut child =
        cmd.arg(&script).arg("0").stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let port = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .with_context(|| format!("the server did not start: {line:?}"))?;
    Ok(Server { child, port })
}

fn load(root: &Path, port: u16) -> anyhow::Result<f64> {
    let out = Command::new("node")
        .arg(root.join("bench/http-client.js"))
        .args([port.to_string(), SECONDS.to_string(), CONNECTIONS.to_string()])
        .output()?;
    if !out.status.success() {
        bail!("the load generator failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    v["rps"].as_f64().context("no rps in the client's output")
}

fn stop(mut s: Server) -> anyhow::Result<()> {
    let pid = i32::try_from(s.child.id())?;
    // SAFETY: signalling our own child; SIGINT makes leakscope take its last dump and report.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    for _ in 0..300 {
        if s.child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    s.child.kill()?;
    s.child.wait()?;
    Ok(())
}

/// The node process serving: the server itself, or leakscope's child.
fn node_pid(s: &Server, sampled: bool) -> anyhow::Result<u32> {
    let pid = s.child.id();
    if !sampled {
        return Ok(pid);
    }
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))?;
    children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .context("leakscope has no child")
}

/// User + system CPU seconds of a process so far (all its threads).
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = stat.rsplit_once(") ").context("bad /proc stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    #[allow(clippy::cast_precision_loss)]
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    // utime and stime are fields 14 and 15 (1-based), 11 and 12 after the command.
    Ok((ticks(11) + ticks(12)) / hz)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let sample_bytes = match args {
        [] => "512k".to_owned(),
        [flag, v] if flag == "--sample-bytes" => v.clone(),
        _ => bail!("usage: cargo xtask bench-native [--sample-bytes N]"),
    };
    crate::run(
        root,
        "cargo",
        &["build", "--release", "--quiet", "-p", "leakscope", "-p", "leakscope-malloc-sampler"],
        &[],
    )?;
    println!(
        "node bench/http-server.js, {CONNECTIONS} keep-alive connections for {SECONDS} s from a \
         second node process, {ROUNDS} rounds, median; sampler: one sample per {sample_bytes}"
    );
    // requests/s, and the server's CPU microseconds per request (steadier when other work
    // shares the machine).
    let (mut plain, mut sampled) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for with in [false, true] {
            let server = start(root, with, &sample_bytes)?;
            // Warm up the JIT before measuring.
            let _ = load(root, server.port);
            let node = node_pid(&server, with)?;
            let cpu0 = cpu_seconds(node)?;
            let rps = load(root, server.port)?;
            let cpu_us = (cpu_seconds(node)? - cpu0) * 1e6 / (rps * f64::from(SECONDS));
            stop(server)?;
            let name = if with { "leakscope native" } else { "plain node" };
            println!(
                "  round {} {name:<18} {rps:>8.0} requests/s {cpu_us:>7.1} CPU us/request",
                round + 1
            );
            if with { sampled.push((rps, cpu_us)) } else { plain.push((rps, cpu_us)) }
        }
    }
    let summary = |v: &[(f64, f64)]| {
        (median(v.iter().map(|x| x.0).collect()), median(v.iter().map(|x| x.1).collect()))
    };
    let ((p, pc), (s, sc)) = (summary(&plain), summary(&sampled));
    println!("{:<24} {p:>8.0} requests/s {pc:>7.1} CPU us/request", "plain node");
    println!("{:<24} {s:>8.0} requests/s {sc:>7.1} CPU us/request", "under leakscope native");
    println!(
        "slowdown {:.1} % in requests/s, {:.1} % more CPU per request",
        (1.0 - s / p) * 100.0,
        (sc / pc - 1.0) * 100.0
    );
    Ok(())
}
