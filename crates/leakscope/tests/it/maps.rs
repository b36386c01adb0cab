//! `leakscope maps` on real Node processes: one whose native memory grows, one that is flat.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use leakscope_testkit::{node, scratch};

use crate::support::{arg, run, stderr};

/// zlib streams created and never closed: each holds ~256 KiB of zlib state in malloc.
const GROWS: &str = r"
const zlib = require('zlib');
const kept = [];
const chunk = Buffer.alloc(16 * 1024, 'abcdefgh');
setInterval(() => {
  for (let i = 0; i < 4; i++) { const z = zlib.createDeflate(); z.write(chunk); kept.push(z); }
}, 100);
";

/// Steady work whose memory is all freed: objects, JSON and Buffers that become garbage.
const FLAT: &str = r"
let sink = 0;
setInterval(() => {
  for (let i = 0; i < 200; i++) {
    const o = { id: i, name: 'item' + i, tags: ['a', 'b', String(i)] };
    sink += JSON.parse(JSON.stringify(o)).id;
    sink += Buffer.allocUnsafeSlow(4096).length;
  }
}, 20);
";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &std::path::Path, name: &str, script: &str) -> Killed {
    let file = dir.join(format!("{name}.js"));
    std::fs::write(&file, script).unwrap();
    Killed(
        Command::new(&node().path)
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// `maps --json` and `--html` on a process: the report and the HTML page.
fn maps_json(pid: u32, out: &std::path::Path) -> (serde_json::Value, String) {
    let pid = pid.to_string();
    let html = out.with_extension("html");
    let o = run(&[
        "maps",
        &pid,
        "--every",
        "500ms",
        "--duration",
        "20s",
        "--json",
        arg(out),
        "--html",
        arg(&html),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("pmap -x style"), "{text}");
    let report = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    (report, std::fs::read_to_string(html).unwrap())
}

fn growing_kinds(report: &serde_json::Value) -> Vec<String> {
    report["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["verdict"] == "leak")
        .map(|k| k["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn maps_names_the_growing_kind_and_nothing_for_a_flat_program() {
    let dir = scratch();
    let grows = start(dir.path(), "grows", GROWS);
    let flat = start(dir.path(), "flat", FLAT);
    // Let the flat program warm up (JIT, arenas of the first threads) before watching it.
    std::thread::sleep(Duration::from_secs(3));
    let (gp, fp) = (grows.0.id(), flat.0.id());
    let (go, fo) = (dir.path().join("grows.json"), dir.path().join("flat.json"));
    let go2 = go.clone();
    let watcher = std::thread::spawn(move || maps_json(gp, &go2));
    let (flat_report, flat_html) = maps_json(fp, &fo);
    let (grow_report, grow_html) = watcher.join().unwrap();

    let kinds = growing_kinds(&grow_report);
    assert!(kinds.contains(&"malloc".to_owned()), "{kinds:?}\n{grow_report:#}");
    // malloc grows fastest of all kinds.
    let rate = |r: &serde_json::Value, k: &str| {
        r["kinds"].as_array().unwrap().iter().find(|x| x["kind"] == k).unwrap()["growth_bytes_per_hour"]
            .as_f64()
            .unwrap()
    };
    for other in ["v8-heap", "stack", "code", "file", "anon"] {
        assert!(rate(&grow_report, "malloc") > 5.0 * rate(&grow_report, other), "{other}");
    }
    // ~1 MB/s of zlib state: far above 1 GB/hour.
    assert!(rate(&grow_report, "malloc") > 1e9, "{}", rate(&grow_report, "malloc"));
    let top = &grow_report["growth"][0];
    assert_eq!(top["kind"], "malloc", "{grow_report:#}");
    assert!(grow_report["samples"].as_array().unwrap().len() >= 30);
    // Reading /proc/PID/mem of a sibling needs ptrace permission: root, or no Yama restriction.
    let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").unwrap_or_default();
    let is_root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    if is_root || matches!(yama.trim(), "" | "0") {
        assert_eq!(grow_report["large_malloc_blocks_recognized"], true);
    }
    assert_eq!(growing_kinds(&flat_report), Vec::<String>::new(), "{flat_report:#}");
    assert!(
        flat_report["growth"].as_array().unwrap().iter().all(|g| g["kind"] != "malloc"),
        "{flat_report:#}"
    );

    // The HTML reports: the verdict, a chart line per kind and RSS, every diff line.
    assert!(grow_html.contains("<strong>Growth</strong> Over "), "growth verdict");
    assert!(grow_html.contains("malloc grows"));
    assert!(flat_html.contains("<strong>Nothing grows</strong>"));
    for html in [&grow_html, &flat_html] {
        assert_eq!(html.matches("<polyline").count(), 7, "RSS and six kinds");
    }
    let tables = crate::report::tables(&grow_html);
    let diff = tables.last().unwrap();
    assert_eq!(diff.len(), grow_report["diff"].as_array().unwrap().len());
}

#[test]
fn maps_errors_are_one_clear_line() {
    // Above the kernel's pid_max, so never a process.
    let out = run(&["maps", "4294967294", "--duration", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("error: no process with id 4294967294"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    let out = run(&["maps", "1", "--every", "10 parsecs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown unit"), "{}", stderr(&out));
}

/// Reading another user's process: a clear error and what to run. As root, the test drops to
/// `nobody` with setpriv; otherwise it reads init's smaps, which belongs to root.
#[test]
fn maps_permission_error_says_what_to_run() {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    let mut sleeper = None;
    let out = if is_root {
        if Command::new("setpriv").arg("--version").output().is_err() {
            eprintln!("note: setpriv not found; permission test skipped");
            return;
        }
        let child = Killed(Command::new("sleep").arg("30").spawn().unwrap());
        let pid = child.0.id().to_string();
        sleeper = Some(child);
        let exe = env!("CARGO_BIN_EXE_leakscope");
        leakscope_testkit::run_with_timeout(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", exe, "maps", &pid])
                .args(["--duration", "1s"]),
            Duration::from_secs(60),
        )
    } else {
        run(&["maps", "1", "--duration", "1s"])
    };
    drop(sleeper);
    let err = stderr(&out);
    if err.contains("Permission denied") && err.contains("setpriv") || err.contains("cannot run") {
        eprintln!("note: cannot run as nobody here: {err}");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: no permission to read /proc/"), "{err}");
    assert!(err.contains("belongs to uid 0"), "{err}");
    assert!(err.contains("hint: run leakscope as the user that owns the process"), "{err}");
}
