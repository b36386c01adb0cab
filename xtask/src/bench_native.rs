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
    let (mut plain, mut sampled) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for with in [false, true] {
            let server = start(root, with, &sample_bytes)?;
            // Warm up the JIT before measuring.
            let _ = load(root, server.port);
            let rps = load(root, server.port)?;
            stop(server)?;
            println!(
                "  round {} {:<22} {rps:>9.0} requests/s",
                round + 1,
                if with { "leakscope native" } else { "plain node" }
            );
            if with { sampled.push(rps) } else { plain.push(rps) }
        }
    }
    let (p, s) = (median(plain), median(sampled));
    println!("{:<24} {:>9.0} requests/s", "plain node", p);
    println!("{:<24} {:>9.0} requests/s", "under leakscope native", s);
    println!("slowdown {:.1} %", (1.0 - s / p) * 100.0);
    Ok(())
}
