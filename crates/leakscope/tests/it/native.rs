//! `leakscope native` on a C program with a planted leak and on a Node program.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use leakscope_testkit::{all_nodes, scratch};

use crate::support::{arg, run, stderr};

/// Builds the preload library (in its own target directory: the outer cargo holds the lock
/// of the main one while tests run).
fn sampler() -> &'static str {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    let path = PATH.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let target = root.join("target/sampler-test");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "leakscope-malloc-sampler", "--target-dir"])
            .arg(&target)
            .current_dir(&root)
            .status()
            .unwrap();
        assert!(status.success(), "cannot build the sampler");
        target.join("debug/libleakscope_malloc_sampler.so")
    });
    arg(path)
}

const LEAK_C: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define N 16384
#define SIZE 4096
static void *keep[N];
void *volatile last;
__attribute__((noinline)) void *leak_here(size_t n) { void *p = malloc(n); memset(p, 1, n); return p; }
__attribute__((noinline)) void churn(size_t n) { last = malloc(n); memset(last, 2, 64); free(last); }
int main(void) {
  for (int i = 0; i < N; i++) { keep[i] = leak_here(SIZE); for (int j = 0; j < 4; j++) churn(SIZE); }
  printf("%d\n", N * SIZE);
  return 0;
}
"#;

fn sites(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["sites"].as_array().unwrap()
}

fn frames(site: &serde_json::Value) -> Vec<&str> {
    site["frames"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect()
}

#[test]
fn native_finds_the_planted_leak_in_a_c_program() {
    let dir = scratch();
    let src = dir.path().join("leak.c");
    std::fs::write(&src, LEAK_C).unwrap();
    let exe = dir.path().join("leak");
    let cc = Command::new("cc").args(["-O1", "-g", "-o"]).arg(&exe).arg(&src).status().unwrap();
    assert!(cc.success());
    let json = dir.path().join("native.json");
    let out = run(&[
        "native",
        "--sampler",
        sampler(),
        "--sample-bytes",
        "128k",
        "--json",
        arg(&json),
        "--",
        arg(&exe),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("leak_here"), "{text}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["exit"], 0);
    let top = &sites(&report)[0];
    assert_eq!(frames(top)[..2], ["leak_here", "main"], "{report:#}");
    let truth = 16384.0 * 4096.0;
    let estimate = top["live_bytes_estimate"].as_f64().unwrap();
    assert!((estimate / truth - 1.0).abs() < 0.3, "estimate {estimate} vs {truth}");
    // The standard error is about 1/sqrt(512 samples) of the estimate.
    let error = top["live_bytes_error"].as_f64().unwrap();
    assert!(error > 0.02 * estimate && error < 0.1 * estimate, "{error}");
    // churn() freed everything: it is not reported.
    assert!(sites(&report).iter().all(|s| !frames(s).contains(&"churn")), "{report:#}");
}

const LEAK_JS: &str = r"
const zlib = require('zlib');
const kept = [];
let n = 0;
const t = setInterval(() => {
  for (let i = 0; i < 8; i++) kept.push(Buffer.alloc(64 * 1024));   // leak: 512 KiB per tick
  for (let i = 0; i < 8; i++) zlib.createDeflate().close();         // churn: zlib state freed on close
  if (++n === 80) { clearInterval(t); console.log(kept.length * 64 * 1024); }
}, 50);
";

#[test]
fn native_finds_kept_buffers_in_node_programs() {
    for node in all_nodes() {
        let dir = scratch();
        let script = dir.path().join("leak.js");
        std::fs::write(&script, LEAK_JS).unwrap();
        let json = dir.path().join("native.json");
        let out = run(&[
            "native",
            "--sampler",
            sampler(),
            "--sample-bytes",
            "128k",
            "--every",
            "250ms",
            "--json",
            arg(&json),
            "--",
            arg(&node.path),
            arg(&script),
        ]);
        assert!(out.status.success(), "{}: {}", node.version, stderr(&out));
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        let top = &sites(&report)[0];
        let f = frames(top);
        // Buffer.alloc zero-fills: V8 asks node's allocator for zeroed memory (calloc).
        assert_eq!(
            f[0], "node::NodeArrayBufferAllocator::Allocate",
            "{}: {report:#}",
            node.version
        );
        assert_eq!(f.last(), Some(&"[JavaScript]"), "{}: {f:?}", node.version);
        let truth = 80.0 * 8.0 * 65536.0;
        let estimate = top["live_bytes_estimate"].as_f64().unwrap();
        assert!((estimate / truth - 1.0).abs() < 0.3, "{}: {estimate} vs {truth}", node.version);
        assert_eq!(top["verdict"], "leak", "{}: {top:#}", node.version);
        // The zlib streams were closed: their state is not reported as live.
        let zlib: f64 = sites(&report)
            .iter()
            .filter(|s| frames(s).iter().any(|n| n.contains("deflate") || n.contains("Zlib")))
            .map(|s| s["live_bytes_estimate"].as_f64().unwrap())
            .sum();
        assert!(zlib < 0.05 * estimate, "{}: zlib {zlib} vs leak {estimate}", node.version);
        let note = report["note"].as_str().unwrap_or_default();
        assert!(note.contains("exiting"), "{}: {report:#}", node.version);
    }
}

#[test]
fn native_errors() {
    let out = run(&["native", "--sampler", "/nonexistent/lib.so", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
    let out = run(&["native", "--sampler", sampler(), "--", "/nonexistent/program"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: cannot run /nonexistent/program"), "{}", stderr(&out));
}

/// A program that never ends: leakscope asks the sampler for a last dump over its FIFO, then
/// stops the program.
#[test]
fn native_stops_a_server_after_duration_with_a_fresh_dump() {
    let dir = scratch();
    let script = dir.path().join("server.js");
    std::fs::write(
        &script,
        "const kept = []; setInterval(() => kept.push(Buffer.alloc(256 * 1024)), 20);",
    )
    .unwrap();
    let json = dir.path().join("native.json");
    let node = leakscope_testkit::node();
    let out = run(&[
        "native",
        "--sampler",
        sampler(),
        "--duration",
        "3s",
        "--every",
        "400ms",
        "--json",
        arg(&json),
        "--keep",
        arg(dir.path()),
        "--",
        arg(&node.path),
        arg(&script),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["exit"], serde_json::Value::Null, "stopped, not exited: {report:#}");
    let pid = report["pid"].as_u64().unwrap();
    let raw = std::fs::read_to_string(dir.path().join(format!("native-{pid}.txt"))).unwrap();
    assert!(raw.contains(" request\n"), "no requested dump:\n{raw}");
    let top = &sites(&report)[0];
    assert_eq!(top["verdict"], "leak", "{report:#}");
    // ~150 Buffers of 256 KiB in 3 s: about 39 MB, give or take the start-up time.
    let estimate = top["live_bytes_estimate"].as_f64().unwrap();
    assert!(estimate > 15e6 && estimate < 60e6, "{estimate}");
}

/// Without leakscope: LEAKSCOPE_NATIVE_SIGNAL=USR2 makes `kill -USR2` write a dump.
#[test]
fn sampler_dumps_on_its_signal() {
    let dir = scratch();
    let src = dir.path().join("sig.c");
    std::fs::write(
        &src,
        "#include <signal.h>\n#include <stdlib.h>\n#include <unistd.h>\n\
         void *volatile keep;\n\
         int main(void) { for (int i = 0; i < 30; i++) { keep = malloc(1 << 20); \
         if (i == 15) raise(SIGUSR2); usleep(2000); } return 0; }\n",
    )
    .unwrap();
    let exe = dir.path().join("sig");
    assert!(Command::new("cc").arg("-o").arg(&exe).arg(&src).status().unwrap().success());
    let out = leakscope_testkit::run_with_timeout(
        Command::new(&exe)
            .env("LD_PRELOAD", sampler())
            .env("LEAKSCOPE_NATIVE_OUT", dir.path())
            .env("LEAKSCOPE_NATIVE_SIGNAL", "USR2"),
        std::time::Duration::from_secs(30),
    );
    assert!(out.status.success(), "killed by its own SIGUSR2? {:?}", out.status);
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("native-"))
        .unwrap();
    let raw = std::fs::read_to_string(file).unwrap();
    let dumps: Vec<&str> = raw.lines().filter(|l| l.starts_with("dump ")).collect();
    assert_eq!(dumps.len(), 2, "{raw}");
    assert!(dumps[0].ends_with(" request") && dumps[1].ends_with(" exit"), "{raw}");
}
