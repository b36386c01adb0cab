//! `leakscope run`, `watch` and `snapshot` on real Node processes running the programs in
//! `examples/`, each with a known behaviour: a steady leak of a named class, a bounded cache,
//! a sawtooth, retained Buffers, a leaking worker thread, a program that dies.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use leakscope_testkit::{Node, all_nodes, node, scratch};
use serde_json::Value;

use crate::support::{arg, leakscope, stderr};

/// SIGUSR1 opens port 9229 unless the program chose another: tests that rely on the default
/// port take turns.
static DEFAULT_PORT: Mutex<()> = Mutex::new(());

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}

/// Runs `leakscope ARGS --json DIR/report.json --snapshot-dir DIR` (at most `limit`) and
/// returns its output and the report.
fn session(dir: &Path, args: &[&str], limit: Duration) -> (Output, Value) {
    let json = dir.join("report.json");
    let mut all: Vec<&str> = vec!["--json", arg(&json), "--snapshot-dir", arg(dir), "--quiet"];
    // The session's options go before `--` (for run) or after the pid (for watch).
    let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    let mut full: Vec<&str> = args[..split].to_vec();
    full.append(&mut all);
    full.extend_from_slice(&args[split..]);
    let start = Instant::now();
    let out = leakscope_testkit::run_with_timeout(leakscope().args(&full), limit);
    let report: Value = std::fs::read(&json)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| {
            panic!("no report from leakscope {full:?} ({:?}):\n{}", start.elapsed(), stderr(&out))
        });
    (out, report)
}

fn grows(report: &Value) -> Vec<&str> {
    report["grows"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect()
}

fn node_path() -> String {
    node().path.to_string_lossy().into_owned()
}

#[test]
fn run_names_a_steady_leak_and_captures_three_snapshots() {
    let dir = scratch();
    let script = example("steady-leak.js");
    let node = node_path();
    let (out, r) = session(
        dir.path(),
        &["run", "--stop-on-leak", "--duration", "60s", "--", &node, arg(&script)],
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(r["verdict"], "leak", "{r:#}");
    assert_eq!(r["stop_reason"], "leak");
    assert_eq!(grows(&r).first().copied(), Some("js-heap (main)"));
    // 1 MB/s planted; allow for the Invoices' real size and the scheduler.
    let rate = r["heap"]["growth_bytes_per_hour"].as_f64().unwrap();
    assert!((2.0e9..6.0e9).contains(&rate), "rate {rate}");
    assert!(r["heap"]["confidence"].as_f64().unwrap() > 0.99);
    let event = &r["leak_events"][0];
    let reason = event["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("heap (main) grew ") && reason.contains("steady (p < 0.001)"),
        "{reason}"
    );
    assert!(event["end_s"].as_f64().unwrap() < 60.0);
    assert!(stderr(&out).contains("leakscope: leak: heap (main) grew"), "{}", stderr(&out));
    // Three private snapshots in which the planted class keeps growing.
    let snaps: Vec<PathBuf> = r["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| PathBuf::from(p.as_str().unwrap()))
        .collect();
    assert_eq!(snaps.len(), 3);
    let counts: Vec<u64> = snaps
        .iter()
        .map(|s| {
            assert_eq!(std::fs::metadata(s).unwrap().permissions().mode() & 0o777, 0o600);
            let census = crate::support::run_json(&["summary", arg(s), "--class", "Invoice"]);
            census["classes"][0]["count"].as_u64().unwrap()
        })
        .collect();
    assert!(counts[0] + 2000 < counts[1] && counts[1] + 2000 < counts[2], "Invoices: {counts:?}");
    // The leak finder on them names the planted class and what holds it.
    assert_eq!(r["findings"]["status"], "ok", "{:#}", r["findings"]);
    let culprit = &r["leaks"][0];
    assert_eq!(culprit["class"], "Invoice", "{:#}", r["leaks"]);
    assert!(culprit["holder"].as_str().unwrap().contains("archive"), "{culprit:#}");
    assert!(culprit["count"].as_u64().unwrap() > 2000, "{culprit:#}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Invoice x"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Samples after every GC, with the fields the contract names.
    let majors: Vec<&Value> =
        r["samples"].as_array().unwrap().iter().filter(|s| s["kind"] == "major").collect();
    assert!(majors.len() >= 8, "{} major GCs", majors.len());
    for key in ["heap_used", "heap_total", "external", "array_buffers", "rss", "duration_ms"] {
        assert!(majors[0][key].is_number(), "{key} in {}", majors[0]);
    }
    assert!(r["isolates"][0]["stats"]["num_full_gc"].as_u64().unwrap() >= 8);
}

#[test]
fn run_bounded_cache_levels_off_and_is_no_leak() {
    let dir = scratch();
    let script = example("bounded-cache.js");
    let node = node_path();
    let (out, r) = session(
        dir.path(),
        &["run", "--duration", "45s", "--", &node, arg(&script)],
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(r["verdict"], "no-leak", "{r:#}");
    assert_eq!(r["stop_reason"], "duration");
    assert!(grows(&r).is_empty(), "{r:#}");
    assert!(r["snapshots"].as_array().unwrap().is_empty());
    // It did grow (the cache filled) — the verdict is about the shape, not the size.
    assert!(
        r["isolates"][0]["stats"]["max"].as_u64().unwrap() > 15_000_000,
        "{}",
        r["isolates"][0]["stats"]
    );
}

#[test]
fn run_sawtooth_is_no_leak() {
    let dir = scratch();
    let script = example("sawtooth.js");
    let node = node_path();
    let (out, r) = session(
        dir.path(),
        &["run", "--duration", "40s", "--", &node, arg(&script)],
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(r["verdict"], "no-leak", "{r:#}");
    let stats = &r["isolates"][0]["stats"];
    // A large sawtooth: post-GC baselines swing by tens of MB.
    assert!(
        stats["max"].as_u64().unwrap() > stats["min"].as_u64().unwrap() + 10_000_000,
        "{stats}"
    );
}

#[test]
fn run_tells_retained_buffers_from_js_heap_growth() {
    let dir = scratch();
    let script = example("native-growth.js");
    let node = node_path();
    let (out, r) = session(
        dir.path(),
        &[
            "run",
            "--stop-on-leak",
            "--no-snapshots",
            "--duration",
            "50s",
            "--",
            &node,
            arg(&script),
        ],
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(r["verdict"], "leak", "{r:#}");
    assert_eq!(grows(&r), ["external (main)"], "{r:#}");
    assert_eq!(r["stop_reason"], "leak");
    assert_ne!(r["heap"]["verdict"], "leak");
    assert!(
        r["native_growth_bytes_per_hour"].as_f64().unwrap() > 1e9,
        "{}",
        r["native_growth_bytes_per_hour"]
    );
    // The mappings say where: malloc (Buffers' memory), not V8's heap pages. (256 KiB Buffers
    // are mmapped malloc blocks: counted as malloc when their headers can be read, else anon.)
    let kind = |k: &str| r["mappings"].as_array().unwrap().iter().find(|m| m["kind"] == k).unwrap();
    assert!(
        kind("malloc")["verdict"] == "leak" || kind("anon")["verdict"] == "leak",
        "{:#}",
        r["mappings"]
    );
    assert_ne!(kind("v8-heap")["verdict"], "leak", "{:#}", r["mappings"]);
    assert!(r["mapping_samples"].as_array().unwrap().len() >= 8);
}

#[test]
fn run_watches_worker_threads_separately() {
    let dir = scratch();
    let script = example("worker-leak.js");
    let node = node_path();
    let (out, r) = session(
        dir.path(),
        &[
            "run",
            "--stop-on-leak",
            "--no-snapshots",
            "--duration",
            "55s",
            "--",
            &node,
            arg(&script),
        ],
        Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(r["stop_reason"], "leak");
    let isolates = r["isolates"].as_array().unwrap();
    assert_eq!(isolates.len(), 2, "{r:#}");
    assert_eq!(isolates[0]["isolate"], "main");
    assert_ne!(isolates[0]["verdict"], "leak");
    assert!(isolates[1]["isolate"].as_str().unwrap().starts_with("worker "));
    assert_eq!(isolates[1]["verdict"], "leak", "{r:#}");
    assert!(grows(&r)[0].starts_with("js-heap (worker "), "{r:#}");
}

#[test]
fn run_reports_a_program_that_crashes_midway() {
    let dir = scratch();
    let script = example("dies-midway.js");
    let node = node_path();
    let start = Instant::now();
    let (out, r) = session(
        dir.path(),
        &["run", "--no-snapshots", "--", &node, arg(&script), "--how", "crash", "--after", "25"],
        Duration::from_secs(90),
    );
    assert!(start.elapsed() < Duration::from_secs(45), "took {:?}", start.elapsed());
    assert_eq!(r["stop_reason"], "exited", "{r:#}");
    assert_eq!(r["exit"]["code"], 1);
    // What was seen before it died is in the report: it was leaking.
    assert_eq!(r["verdict"], "leak", "{r:#}");
    let err = stderr(&out);
    assert!(err.contains("dies-midway: giving up"), "{err}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("stopped: the program exited (exit code 1)")
    );
}

#[test]
fn run_lets_a_finished_program_exit_instead_of_waiting_for_the_debugger() {
    let dir = scratch();
    let script = example("dies-midway.js");
    let node = node_path();
    let start = Instant::now();
    let (out, r) = session(
        dir.path(),
        &["run", "--no-snapshots", "--", &node, arg(&script), "--how", "end", "--after", "3"],
        Duration::from_secs(60),
    );
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(r["stop_reason"], "exited");
    assert_eq!(r["exit"]["code"], 0);
    assert_eq!(r["verdict"], "inconclusive");
    assert!(!stderr(&out).contains("Waiting for the debugger"), "{}", stderr(&out));
}

/// A Node program started by the test, killed when dropped.
struct Target {
    child: Child,
}

impl Target {
    fn start(node: &Node, args: &[&str]) -> Self {
        let child = node
            .command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until its script runs (it prints a line when ready).
        let mut t = Self { child };
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(t.child.stdout.as_mut().unwrap()),
            &mut line,
        )
        .unwrap();
        assert!(!line.is_empty(), "the program printed nothing");
        t
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listening(pid: u32) -> Vec<u16> {
    leakscope_live::procfs::listening_ports(pid).unwrap()
}

#[test]
fn watch_leaves_the_program_running_with_its_inspector_closed() {
    let _port = DEFAULT_PORT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let node = node();
    let script = example("steady-leak.js");
    let mut target = Target::start(&node, &[arg(&script), "--rate", "300000"]);
    let pid = target.pid().to_string();
    let dir = scratch();
    let (out, r) = session(
        dir.path(),
        &["watch", &pid, "--duration", "30s", "--gc-every", "1s", "--no-snapshots"],
        Duration::from_secs(90),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(r["verdict"], "leak", "{r:#}");
    assert_eq!(r["stop_reason"], "duration");
    assert!(!stderr(&out).contains("stopped growing"), "{}", stderr(&out));
    assert!(target.alive(), "watch must leave the program running");
    assert!(
        listening(target.pid()).is_empty(),
        "inspector still open: {:?}",
        listening(target.pid())
    );
    // The agent removed itself: a second watch starts from a clean process.
    let (_, again) = session(
        dir.path(),
        &["watch", &pid, "--duration", "3s", "--gc-every", "1s", "--no-snapshots"],
        Duration::from_secs(60),
    );
    assert_eq!(again["isolates"].as_array().unwrap().len(), 1);
    assert!(target.alive());
    assert!(listening(target.pid()).is_empty());
}

const MARKERS: &str = r"
class Marker { constructor(i) { this.i = i; } }
globalThis.markers = Array.from({ length: 3210 }, (_, i) => new Marker(i));
console.log(`markers pid ${process.pid}`);
setInterval(() => {}, 1000);
";

#[test]
fn snapshot_of_running_processes_on_every_node() {
    let dir = scratch();
    let script = dir.path().join("markers.js");
    std::fs::write(&script, MARKERS).unwrap();
    for node in all_nodes() {
        // --inspect-port=0: SIGUSR1 then opens a random port, found through /proc.
        let mut target = Target::start(&node, &["--inspect-port=0", arg(&script)]);
        let file = dir.path().join(format!("node{}.heapsnapshot", node.major));
        let out = crate::support::run(&["snapshot", &target.pid().to_string(), "-o", arg(&file)]);
        assert!(out.status.success(), "{}: {}", node.version, stderr(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("wrote "),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        let counts = node.json_parse_counts(&file);
        assert_eq!(counts["nodes_by_name"]["Marker"], 3210, "{}", node.version);
        let info = crate::support::run_json(&["info", arg(&file)]);
        assert_eq!(info["nodes"], counts["node_count"]);
        assert!(target.alive());
        assert!(listening(target.pid()).is_empty(), "{}: inspector left open", node.version);
    }
}

#[test]
fn snapshot_keeps_an_inspector_that_was_already_open() {
    let node = node();
    let dir = scratch();
    let script = dir.path().join("markers.js");
    std::fs::write(&script, MARKERS).unwrap();
    let mut target = Target::start(&node, &["--inspect=127.0.0.1:0", arg(&script)]);
    let before = listening(target.pid());
    assert_eq!(before.len(), 1);
    let file = dir.path().join("open.heapsnapshot");
    let out = crate::support::run(&["snapshot", &target.pid().to_string(), "-o", arg(&file)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("opened the inspector"));
    assert!(target.alive());
    assert_eq!(listening(target.pid()), before);
}

fn first_error_line(out: &Output) -> String {
    stderr(out).lines().find(|l| l.starts_with("error: ")).unwrap_or_default().to_owned()
}

#[test]
fn snapshot_errors_are_clear() {
    let _port = DEFAULT_PORT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let node = node();
    let dir = scratch();
    let file = dir.path().join("x.heapsnapshot");
    // No such process.
    let out = crate::support::run(&["snapshot", "4000000", "-o", arg(&file)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(first_error_line(&out), "error: no process with pid 4000000");
    // Not Node: never signalled (SIGUSR1 would kill it).
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    let out = crate::support::run(&["snapshot", &sleeper.id().to_string(), "-o", arg(&file)]);
    assert!(
        first_error_line(&out).contains("is not a Node process (its executable is /"),
        "{}",
        stderr(&out)
    );
    assert!(sleeper.try_wait().unwrap().is_none(), "sleep was signalled");
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    // Port 9229 taken by someone else: SIGUSR1 cannot open the inspector.
    let holder = std::net::TcpListener::bind("127.0.0.1:9229");
    let script = dir.path().join("markers.js");
    std::fs::write(&script, MARKERS).unwrap();
    let mut target = Target::start(&node, &[arg(&script)]);
    let out = crate::support::run(&["snapshot", &target.pid().to_string(), "-o", arg(&file)]);
    assert_eq!(out.status.code(), Some(2));
    let line = first_error_line(&out);
    assert!(
        line.contains("could not open its inspector: port 9229 is taken by"),
        "{}",
        stderr(&out)
    );
    if holder.is_ok() {
        assert!(line.contains(&format!("process {}", std::process::id())), "{line}");
    }
    assert!(stderr(&out).contains("hint: "), "{}", stderr(&out));
    assert!(target.alive());
    assert!(!file.exists());
}

#[test]
fn snapshot_of_a_process_that_dies_midway_fails_cleanly() {
    let node = node();
    let dir = scratch();
    let script = dir.path().join("big.js");
    // A heap big enough that the snapshot takes a while.
    std::fs::write(
        &script,
        "globalThis.big = Array.from({ length: 1500000 }, (_, i) => ({ i, s: 'x' + i }));\n\
         console.log(`big pid ${process.pid}`);\nsetInterval(() => {}, 1000);\n",
    )
    .unwrap();
    let target = Target::start(&node, &["--inspect-port=0", arg(&script)]);
    let pid = target.pid();
    let file = dir.path().join("cut.heapsnapshot");
    let mut child = leakscope()
        .args(["snapshot", &pid.to_string(), "-o", arg(&file)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the target once the snapshot file has started to fill.
    let start = Instant::now();
    while !file.exists() && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: plain kill(2) on the pid of our own child.
    unsafe { libc::kill(i32::try_from(pid).unwrap(), libc::SIGKILL) };
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "leakscope snapshot hung after the target died");
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(2), "{}", stderr(&out));
    assert!(
        first_error_line(&out).contains(&format!("process {pid} exited during the snapshot")),
        "{}",
        stderr(&out)
    );
    assert!(!file.exists(), "partial snapshot left behind");
    drop(target);
}

#[test]
fn run_samples_gcs_on_every_node() {
    let script = example("steady-leak.js");
    for node in all_nodes() {
        let dir = scratch();
        let path = node.path.to_string_lossy().into_owned();
        let (out, r) = session(
            dir.path(),
            &[
                "run",
                "--duration",
                "8s",
                "--gc-every",
                "1s",
                "--warmup",
                "0s",
                "--no-snapshots",
                "--",
                &path,
                arg(&script),
            ],
            Duration::from_secs(60),
        );
        assert!(out.status.code().is_some_and(|c| c <= 1), "{}: {}", node.version, stderr(&out));
        assert_eq!(r["stop_reason"], "duration", "{}", node.version);
        let forced = r["samples"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "major" && s["baseline"].is_u64())
            .count();
        assert!(forced >= 5, "{}: {forced} major GCs with baselines", node.version);
        assert!(r["isolates"][0]["stats"]["current_base"].as_u64().unwrap() > 1_000_000);
    }
}

#[test]
fn run_on_ctrl_c_reports_and_stops_the_program() {
    let dir = scratch();
    let json = dir.path().join("report.json");
    let script = example("steady-leak.js");
    let mut child = leakscope()
        .args([
            "run",
            "--quiet",
            "--no-snapshots",
            "--json",
            arg(&json),
            "--",
            &node_path(),
            arg(&script),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let pid: u32 = line.trim().rsplit(' ').next().unwrap().parse().unwrap();
    std::thread::sleep(Duration::from_secs(4));
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "leakscope run did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    }
    let r: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(r["stop_reason"], "interrupted");
    assert_eq!(r["pid"], pid);
    assert!(!leakscope_live::procfs::is_alive(pid), "run must stop the program it started");
}

/// Regression: detaching from a server under load once crashed it with a segmentation fault
/// (our socket was torn down while the inspector was closing and still writing to it).
#[test]
fn watch_detaches_from_a_busy_server_without_harming_it() {
    let _port = DEFAULT_PORT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let node = node();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut server = Target::start(&node, &[arg(&root.join("bench/http-server.js")), "0"]);
    let port = *listening(server.pid()).first().unwrap();
    let load = |seconds: &str| -> Value {
        let out = node
            .command()
            .args([arg(&root.join("bench/http-client.js")), &port.to_string(), seconds, "16"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let dir = scratch();
    let json = dir.path().join("report.json");
    for round in 0..2 {
        let watcher = leakscope()
            .args([
                "watch",
                &server.pid().to_string(),
                "--quiet",
                "--no-snapshots",
                "--json",
                arg(&json),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let during = load("12");
        assert!(during["requests"].as_u64().unwrap() > 1000, "round {round}: {during}");
        // Ctrl-C: detach while the target is still busy answering the last requests.
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(i32::try_from(watcher.id()).unwrap(), libc::SIGINT) };
        let out = watcher.wait_with_output().unwrap();
        assert!(out.status.code().is_some_and(|c| c <= 1), "{}", stderr(&out));
        let r: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
        assert_eq!(r["stop_reason"], "interrupted");
        assert!(r["gc_count"].as_u64().unwrap() > 10, "{r:#}");
        std::thread::sleep(Duration::from_millis(300));
        assert!(server.alive(), "round {round}: the server died after watch detached");
        let after = load("1");
        assert!(
            after["requests"].as_u64().unwrap() > 100,
            "round {round}: the server stopped serving: {after}"
        );
        assert!(listening(server.pid()) == [port], "inspector left open");
    }
}
