//! `leakscope info`.

use std::io::Write as _;
use std::process::Stdio;

use leakscope_testkit::{node, scratch};

use crate::support::{arg, leakscope, run, run_json, stderr};

const PROGRAM: &str = r"
class Order { constructor(i) { this.id = i; this.items = [i, i + 1]; } }
globalThis.orders = Array.from({length: 2500}, (_, i) => new Order(i));
";

#[test]
fn info_json_agrees_with_json_parse() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "orders", PROGRAM);
    let want = node.json_parse_counts(&snap);
    let got = run_json(&["info", arg(&snap)]);
    assert_eq!(got["nodes"], want["node_count"]);
    assert_eq!(got["edges"], want["edge_count"]);
    assert_eq!(got["strings"], want["string_count"]);
    assert_eq!(got["total_self_size"], want["total_self_size"]);
    for t in got["node_types"].as_array().unwrap() {
        assert_eq!(t["count"], want["nodes_by_type"][t["type"].as_str().unwrap()], "{t}");
    }
    assert_eq!(got["layout"]["node_fields"], want["node_fields"]);
    assert!(got["load_seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn info_reads_stdin() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "orders", PROGRAM);
    let mut child = leakscope()
        .args(["info", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(&snap).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["nodes"], node.json_parse_counts(&snap)["node_count"]);
}

#[test]
fn text_output_names_the_counts() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "orders", PROGRAM);
    let out = run(&["info", arg(&snap)]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("nodes") && text.contains("node type") && text.contains("MB/s"),
        "{text}"
    );
}

#[test]
fn bad_inputs_exit_2_with_one_clear_line() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "orders", PROGRAM);
    let bytes = std::fs::read(&snap).unwrap();
    let cut = dir.path().join("cut.heapsnapshot");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let empty = dir.path().join("empty.heapsnapshot");
    std::fs::write(&empty, "").unwrap();
    let package = dir.path().join("package.json");
    std::fs::write(&package, r#"{"name":"x","version":"1.0.0"}"#).unwrap();
    let missing = dir.path().join("missing.heapsnapshot");
    for (file, expect) in [
        (&cut, "truncated snapshot: the input ends at byte"),
        (&empty, "the input is empty"),
        (&package, "not a V8 heap snapshot"),
        (&missing, "No such file or directory"),
    ] {
        let out = run(&["info", arg(file)]);
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        let err = stderr(&out);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") && first.contains(expect),
            "{}: {err}",
            file.display()
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = run(&["info", arg(dir.path())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("directory"), "{}", stderr(&out));
}
