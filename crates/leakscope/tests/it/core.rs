//! `leakscope core …` and `info CORE` on a real kernel core made at test time.

use leakscope_testkit::{node, scratch};

use crate::support::{arg, run, run_json, stderr};

const PROGRAM: &str = r"
class Session { constructor(i) { this.id = i; this.user = 'user' + i; this.data = [i, i]; } }
globalThis.recentlySeen = new Map();
for (let i = 0; i < 3000; i++) recentlySeen.set('s' + i, new Session(i));
globalThis.favourite = recentlySeen.get('s7');
";

#[test]
fn core_commands_end_to_end() {
    let node = node();
    let dir = scratch();
    let core = node.core_dump(dir.path(), PROGRAM);
    let core_arg = arg(&core.path);

    let objects = run_json(&["core", "objects", core_arg]);
    let session = objects["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["class"] == "Session")
        .expect("a Session group");
    assert_eq!(session["count"], 3000);
    assert_eq!(session["properties"], serde_json::json!(["data", "id", "user"]));

    let instances = run_json(&["core", "instances", core_arg, "Session"]);
    assert_eq!(instances["count"], 3000);

    // The favourite: held by the global variable and by the Map's entry "s7".
    let text = run(&["core", "objects", core_arg, "--class", "Session"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("present in memory"));
    let by_name = run_json(&["core", "show", core_arg, "global.favourite"]);
    let favourite = by_name["address"].as_str().unwrap();
    assert!(instances["addresses"].as_array().unwrap().iter().any(|a| a == favourite));
    let shown = run_json(&["core", "show", core_arg, favourite, "--depth", "1"]);
    assert_eq!(shown["class"], "Session");
    let id = shown["properties"].as_array().unwrap().iter().find(|p| p["name"] == "id").unwrap();
    assert_eq!(id["value"], 7);
    let user =
        shown["properties"].as_array().unwrap().iter().find(|p| p["name"] == "user").unwrap();
    assert_eq!(user["value"]["string"], "user7");
    let data =
        shown["properties"].as_array().unwrap().iter().find(|p| p["name"] == "data").unwrap();
    assert_eq!(data["value"]["length"], 2);

    let refs = run_json(&["core", "refs", core_arg, favourite]);
    let how: Vec<&str> = refs["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert!(how.contains(&"global variable favourite"), "{how:?}");
    assert!(how.contains(&"entry s7"), "the Map entry s7: {how:?}");
    let map_entry =
        refs["referrers"].as_array().unwrap().iter().find(|r| r["reference"] == "entry s7");
    assert!(map_entry.unwrap()["from"].as_str().unwrap().starts_with("Map 0x"));
    assert_eq!(map_entry.unwrap()["reached_from_global"], true);
    assert_eq!(refs["reached_from_global"], true);
    assert!(!refs["retainer_path"].as_array().unwrap().is_empty());

    // convert: the snapshot loads in our reader with the same classes.
    let snap = dir.path().join("core.heapsnapshot");
    let out = run(&["core", "convert", core_arg, "-o", arg(&snap)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let info = run_json(&["info", arg(&snap)]);
    let core_info = run_json(&["info", core_arg]);
    assert_eq!(info["nodes"], core_info["nodes"]);
    assert_eq!(info["edges"], core_info["edges"]);

    // Every SNAP command takes a core: the class census of the core's graph.
    let summary = run_json(&["summary", core_arg]);
    let row = summary["classes"].as_array().unwrap().iter().find(|c| c["class"] == "Session");
    assert_eq!(row.expect("Session in the census")["count"], 3000);

    // diff of a core with itself: nothing grew.
    let diff = run_json(&["core", "diff", core_arg, core_arg]);
    assert_eq!(diff["classes"], serde_json::json!([]));
}

#[test]
fn core_diff_shows_growth() {
    let node = node();
    let (d1, d2) = (scratch(), scratch());
    let c1 = node.core_dump(d1.path(), &PROGRAM.replace("3000", "1000"));
    let c2 = node.core_dump(d2.path(), PROGRAM);
    let diff = run_json(&["core", "diff", arg(&c1.path), arg(&c2.path)]);
    let top = &diff["classes"][0];
    assert_eq!(top["class"], "Session");
    assert_eq!(top["count_delta"], 2000);
}

#[test]
fn core_errors_are_one_clear_line() {
    let dir = scratch();
    let text = dir.path().join("not-a-core");
    std::fs::write(&text, "\u{7f}ELF but not really").unwrap();
    let out = run(&["core", "objects", arg(&text)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: "), "{}", stderr(&out));
    let out = run(&["core", "show", arg(&text), "zzz"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A converted core opens in Chrome DevTools' own snapshot code (the oracle in
/// shared/tools/devtools-oracle, when it has been built).
#[test]
fn converted_core_opens_in_devtools() {
    let oracle = std::env::var_os("HOME")
        .map(|h| std::path::PathBuf::from(h).join(".cache/devtools-oracle/oracle.cjs"))
        .filter(|p| p.exists());
    let Some(oracle) = oracle else {
        eprintln!(
            "note: devtools-oracle not built (shared/tools/devtools-oracle/build.sh); skipping"
        );
        return;
    };
    let node = node();
    let dir = scratch();
    let core = node.core_dump(dir.path(), PROGRAM);
    let snap = dir.path().join("core.heapsnapshot");
    let out = run(&["core", "convert", arg(&core.path), "-o", arg(&snap)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = leakscope_testkit::run_with_timeout(
        node.command().arg(&oracle).arg(&snap).args(["--top", "5"]),
        std::time::Duration::from_secs(300),
    );
    assert!(out.status.success(), "oracle: {}", String::from_utf8_lossy(&out.stderr));
    let devtools: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours = run_json(&["info", arg(&snap)]);
    assert_eq!(devtools["node_count"], ours["nodes"]);
    let sessions = devtools["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "Session")
        .expect("DevTools sees the Session class");
    assert_eq!(sessions["count"], 3000);
}

/// Reading a process one may not ptrace: a clear, actionable error (run as `nobody` on a
/// process of root, when the tests run as root and `setpriv` exists).
#[test]
fn live_process_without_permission() {
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    let setpriv = std::process::Command::new("setpriv").arg("--version").output();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" || setpriv.is_err() {
        eprintln!("note: needs root and setpriv to run leakscope as another user; skipping");
        return;
    }
    let dir = scratch();
    let child = node().spawn_idle(dir.path(), "globalThis.x = [1];");
    let out = leakscope_testkit::run_with_timeout(
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_leakscope"))
            .args(["core", "objects", &child.pid().to_string()]),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no permission to read the memory of process"), "{err}");
    assert!(err.contains("ptrace"), "{err}");
}
