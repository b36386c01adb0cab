//! Helpers for leakscope's tests: find Node, run it on a script, write a real heap snapshot,
//! and cross-check a snapshot with `JSON.parse` in Node itself.
//!
//! Tests never use canned snapshots: they make them at test time with the Node found here
//! (`LEAKSCOPE_NODE`, else `node` on `PATH`), and with each extra Node listed in
//! `LEAKSCOPE_TEST_NODES` (colon-separated paths; `cargo xtask ci` installs 18, 22 and 24).
#![allow(clippy::missing_panics_doc, clippy::print_stderr)]

pub mod browser;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use tempfile::TempDir;

/// A Node binary and its major version.
#[derive(Clone, Debug)]
pub struct Node {
    /// The executable.
    pub path: PathBuf,
    /// The major version (18, 20…).
    pub major: u32,
    /// The full version (`v20.20.2`).
    pub version: String,
}

impl Node {
    /// Probes a Node binary.
    ///
    /// # Panics
    /// When it does not run or is older than 18.
    #[must_use]
    pub fn at(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let out = Command::new(&path)
            .arg("--version")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}; install Node >= 18", path.display()));
        let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let major: u32 = version
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        assert!(major >= 18, "{} is Node {version}; the tests need Node >= 18", path.display());
        Self { path, major, version }
    }

    /// A command running this Node.
    #[must_use]
    pub fn command(&self) -> Command {
        Command::new(&self.path)
    }

    /// Runs `script` (written to `dir/name.js`) with `args`, and panics with its output when
    /// it fails or runs longer than `timeout`.
    #[must_use]
    pub fn run_script(
        &self,
        dir: &Path,
        name: &str,
        script: &str,
        args: &[&str],
        timeout: Duration,
    ) -> Output {
        let file = dir.join(format!("{name}.js"));
        std::fs::write(&file, script).expect("write script");
        let mut cmd = self.command();
        cmd.arg(&file).args(args).current_dir(dir);
        let out = run_with_timeout(&mut cmd, timeout);
        assert!(
            out.status.success(),
            "node {name}.js failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs `body` in Node, then writes a heap snapshot of that heap to `dir/name.heapsnapshot`.
    /// `body` may use `v8` and leave what it wants kept on `globalThis`.
    #[must_use]
    pub fn write_snapshot(&self, dir: &Path, name: &str, body: &str) -> PathBuf {
        self.write_snapshot_with(dir, name, body, "{}")
    }

    /// [`Self::write_snapshot`] with `v8.writeHeapSnapshot` options, a JavaScript object such
    /// as `{exposeInternals: true, exposeNumericValues: true}`.
    #[must_use]
    pub fn write_snapshot_with(
        &self,
        dir: &Path,
        name: &str,
        body: &str,
        options: &str,
    ) -> PathBuf {
        let file = dir.join(format!("{name}.heapsnapshot"));
        let script = format!(
            "const v8 = require('v8');\n{body}\n;v8.writeHeapSnapshot(process.argv[2], {options});\n"
        );
        let _ = self.run_script(
            dir,
            name,
            &script,
            &[file.to_str().expect("utf-8 path")],
            Duration::from_secs(120),
        );
        file
    }

    /// Runs a program that writes three snapshots of itself, `s1`, `s2` and `s3.heapsnapshot`
    /// in `dir`, and returns their paths. `body` is JavaScript that calls
    /// `threeSnapshots(unit, {warmup, reps})` ([`THREE_SNAPSHOTS`]): `unit(i)` runs `warmup`
    /// times (default 200), then S1 is written, `reps` more times (default 1000), S2, `reps`
    /// more, S3.
    #[must_use]
    pub fn three_snapshots(&self, dir: &Path, name: &str, body: &str) -> [PathBuf; 3] {
        let script = format!("{THREE_SNAPSHOTS}\n{body}\n");
        let _ = self.run_script(dir, name, &script, &[], Duration::from_secs(120));
        ["s1", "s2", "s3"].map(|s| dir.join(format!("{s}.heapsnapshot")))
    }

    /// Parses a snapshot with Node's own `JSON.parse` and returns independent counts:
    /// `{node_count, edge_count, string_count, total_self_size, nodes_by_type: {type: n},
    /// nodes_by_name: {name: n} (object nodes only), node_fields, edge_fields}`.
    #[must_use]
    pub fn json_parse_counts(&self, snapshot: &Path) -> serde_json::Value {
        const SCRIPT: &str = r"
const s = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
const m = s.snapshot.meta, F = m.node_fields.length, types = m.node_types[m.node_fields.indexOf('type')];
const ti = m.node_fields.indexOf('type'), ni = m.node_fields.indexOf('name'), si = m.node_fields.indexOf('self_size');
const byType = {}, byName = {}; let total = 0;
for (let i = 0; i < s.nodes.length; i += F) {
  const t = types[s.nodes[i + ti]];
  byType[t] = (byType[t] || 0) + 1;
  total += s.nodes[i + si];
  if (t === 'object') { const n = s.strings[s.nodes[i + ni]]; byName[n] = (byName[n] || 0) + 1; }
}
console.log(JSON.stringify({ node_count: s.nodes.length / F, edge_count: s.edges.length / m.edge_fields.length,
  string_count: s.strings.length, total_self_size: total, nodes_by_type: byType, nodes_by_name: byName,
  node_fields: m.node_fields, edge_fields: m.edge_fields }));
";
        let out = run_with_timeout(
            self.command().args(["--max-old-space-size=8192", "-e", SCRIPT]).arg(snapshot),
            Duration::from_secs(300),
        );
        assert!(
            out.status.success(),
            "JSON.parse cross-check failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("cross-check JSON")
    }
}

/// The three-snapshot technique as a test program does it: `threeSnapshots(unit, {warmup,
/// reps})` runs `unit(i)` (awaited) `warmup` times, then writes `s1.heapsnapshot`, runs it
/// `reps` more times, writes `s2`, runs it `reps` more times, writes `s3`, all in the current
/// directory; it returns a promise. Objects allocated by the `reps` units between S1 and S2
/// are the window of `leakscope leaks`.
pub const THREE_SNAPSHOTS: &str = r"'use strict';
const v8 = require('v8');
async function threeSnapshots(unit, { warmup = 200, reps = 1000 } = {}) {
  let i = 0;
  for (; i < warmup; i++) await unit(i);
  for (const name of ['s1', 's2', 's3']) {
    v8.writeHeapSnapshot(`${name}.heapsnapshot`);
    if (name === 's3') break;
    for (let k = 0; k < reps; k++, i++) await unit(i);
  }
}
";

/// The Node the tests use by default: `LEAKSCOPE_NODE`, else `node` on `PATH`.
#[must_use]
pub fn node() -> Node {
    Node::at(
        std::env::var_os("LEAKSCOPE_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from),
    )
}

/// The default Node plus every extra one named in `LEAKSCOPE_TEST_NODES`, oldest first.
#[must_use]
pub fn all_nodes() -> Vec<Node> {
    let mut nodes = vec![node()];
    if let Some(extra) = std::env::var_os("LEAKSCOPE_TEST_NODES") {
        for p in std::env::split_paths(&extra) {
            if !p.as_os_str().is_empty() {
                nodes.push(Node::at(p));
            }
        }
    } else {
        eprintln!("note: LEAKSCOPE_TEST_NODES is not set; testing only {}", nodes[0].version);
    }
    nodes.sort_by_key(|n| n.major);
    nodes.dedup_by_key(|n| n.version.clone());
    nodes
}

/// Runs a command to completion, killing it (and panicking) after `timeout`.
#[must_use]
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let start = Instant::now();
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut v);
        v
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            let err = err_thread.join().unwrap_or_default();
            panic!(
                "{cmd:?} did not finish within {timeout:?}; stderr:\n{}",
                String::from_utf8_lossy(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_thread.join().unwrap_or_default(),
        stderr: err_thread.join().unwrap_or_default(),
    }
}

/// Chrome DevTools' heap snapshot worker as a command-line oracle (`tools/devtools-oracle`):
/// the path of its `oracle.cjs`, built into `target/devtools-oracle/` on first use (that
/// installs two pinned npm packages), or `LEAKSCOPE_DEVTOOLS_ORACLE` when set.
///
/// # Panics
/// When the build fails (no npm, no registry).
#[must_use]
pub fn devtools_oracle() -> PathBuf {
    if let Some(p) = std::env::var_os("LEAKSCOPE_DEVTOOLS_ORACLE") {
        return PathBuf::from(p);
    }
    let root = workspace_root();
    let cache = root.join("target/devtools-oracle");
    let oracle = cache.join("oracle.cjs");
    std::fs::create_dir_all(&cache).expect("create target/devtools-oracle");
    // Test binaries run at the same time: one builds, the others wait for it.
    let lock = std::fs::File::create(cache.join(".lock")).expect("oracle lock file");
    lock.lock().expect("lock the oracle build");
    let script = root.join("tools/devtools-oracle/build.sh");
    let stale = |built: &Path| {
        let Ok(built) = std::fs::metadata(built).and_then(|m| m.modified()) else { return true };
        ["build.sh", "bundle.cjs", "entry.js"].iter().any(|f| {
            std::fs::metadata(root.join("tools/devtools-oracle").join(f))
                .and_then(|m| m.modified())
                .is_ok_and(|m| m > built)
        })
    };
    if stale(&oracle) {
        eprintln!("building the DevTools oracle into {}", cache.display());
        let out = run_with_timeout(
            Command::new("bash").arg(&script).arg(&cache),
            Duration::from_secs(600),
        );
        assert!(
            out.status.success() && oracle.exists(),
            "building the DevTools oracle failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    oracle
}

/// DevTools' Comparison view of `file` against `base` (the oracle's `--compare`): `{"diff":
/// [{"class", "key", "added", "removed", "count_delta", "added_size", "removed_size",
/// "size_delta"}]}`.
///
/// # Panics
/// When the oracle fails.
#[must_use]
pub fn run_devtools_comparison(node: &Node, base: &Path, file: &Path) -> serde_json::Value {
    let compare = [std::ffi::OsStr::new("--compare"), base.as_os_str()];
    run_oracle(node, file, "comparison.json", &compare)
}

/// Runs the DevTools oracle on a snapshot with `node` and returns its JSON: the census
/// (`classes`: `class`, `key`, `count`, `shallow_size`, `retained_size`, `distance`) and, with
/// `all_nodes`, every node's `retained_size`, `dominator_id`, `self_size` and `distance`.
///
/// # Panics
/// When the oracle fails.
#[must_use]
pub fn run_devtools_oracle(node: &Node, snapshot: &Path, all_nodes: bool) -> serde_json::Value {
    let args: &[&std::ffi::OsStr] =
        if all_nodes { &[std::ffi::OsStr::new("--all-nodes")] } else { &[] };
    run_oracle(node, snapshot, "devtools.json", args)
}

/// Runs the oracle on `snapshot` with `args`, its output in a file beside it.
fn run_oracle(
    node: &Node,
    snapshot: &Path,
    extension: &str,
    args: &[&std::ffi::OsStr],
) -> serde_json::Value {
    let oracle = devtools_oracle();
    let out_file = snapshot.with_extension(extension);
    let mut cmd = node.command();
    cmd.arg("--max-old-space-size=8192").arg(&oracle).arg(snapshot).args(args);
    cmd.arg("--out").arg(&out_file);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(300));
    assert!(
        out.status.success(),
        "DevTools oracle {args:?} failed on {}: {}",
        snapshot.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read(&out_file).expect("oracle output");
    serde_json::from_slice(&text).expect("oracle JSON")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the testkit lives in crates/leakscope-testkit")
        .to_owned()
}

/// A fresh temporary directory for one test.
#[must_use]
pub fn scratch() -> TempDir {
    tempfile::Builder::new().prefix("leakscope-test-").tempdir().expect("tempdir")
}

/// How a test core was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoreKind {
    /// Written by the kernel when the process aborted.
    Kernel,
    /// Written by `gcore` from a running process.
    Gcore,
}

/// A core dump of a Node process, deleted with its directory.
#[derive(Debug)]
pub struct Core {
    /// The core file.
    pub path: PathBuf,
    /// How it was made.
    pub kind: CoreKind,
}

/// Whether `gcore` (from gdb) is installed.
#[must_use]
pub fn has_gcore() -> bool {
    Command::new("gcore")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

impl Node {
    /// Runs `body` and dumps the process's core into `dir`: the kernel writes it when the
    /// script calls `process.abort()` with the core size limit raised; where the kernel does
    /// not write cores into the working directory (a `core_pattern` pipe or path), `gcore`
    /// dumps the running process instead, and the test output says so.
    #[must_use]
    pub fn core_dump(&self, dir: &Path, body: &str) -> Core {
        let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
        let pattern = pattern.trim();
        if pattern == "core" || pattern.starts_with("core.") && !pattern.contains('/') {
            let script = format!("{body}\n;process.abort();\n");
            std::fs::write(dir.join("fixture.js"), script).expect("write script");
            let shell = format!("ulimit -c unlimited; exec '{}' fixture.js", self.path.display());
            let _ = run_with_timeout(
                Command::new("sh").arg("-c").arg(shell).current_dir(dir),
                Duration::from_secs(120),
            );
            let found =
                std::fs::read_dir(dir).expect("read dir").flatten().map(|e| e.path()).find(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("core"))
                });
            if let Some(path) = found {
                return Core { path, kind: CoreKind::Kernel };
            }
            eprintln!("note: the kernel wrote no core (core_pattern {pattern:?}); using gcore");
        } else {
            eprintln!("note: core_pattern is {pattern:?}, not a file in the cwd; using gcore");
        }
        assert!(has_gcore(), "no kernel core and no gcore: install gdb");
        let child = self.spawn_idle(dir, body);
        let path = dir.join("core");
        let out = run_with_timeout(
            Command::new("gcore").arg("-o").arg(&path).arg(child.pid().to_string()),
            Duration::from_secs(120),
        );
        assert!(out.status.success(), "gcore failed: {}", String::from_utf8_lossy(&out.stderr));
        let written = dir.join(format!("core.{}", child.pid()));
        drop(child);
        Core { path: written, kind: CoreKind::Gcore }
    }

    /// Runs `body` in a Node process that then idles until dropped; returns once the body ran.
    #[must_use]
    pub fn spawn_idle(&self, dir: &Path, body: &str) -> Idle {
        let script = format!("{body}\n;console.log('ready');setInterval(() => {{}}, 1000);\n");
        let file = dir.join("idle.js");
        std::fs::write(&file, script).expect("write script");
        let mut child = self
            .command()
            .arg(&file)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn node");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut stdout, &mut line);
        assert_eq!(line.trim(), "ready", "the idle fixture did not start");
        Idle { child }
    }
}

/// A Node process running a fixture; killed when dropped.
#[derive(Debug)]
pub struct Idle {
    child: std::process::Child,
}

impl Idle {
    /// Its process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running (not exited, not killed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Idle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
