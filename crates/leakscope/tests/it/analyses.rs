//! `summary`, `top`, `retainers`, `show` and `objects` on real snapshots with planted
//! structure: exact counts, holders that retain what they must, paths that name the variable.

use leakscope_testkit::{all_nodes, node, scratch};
use serde_json::Value;

use crate::support::{arg, edges, run, run_json, stderr};

/// One holder with 10,000 instances of a class, each owning its own flat 1 KB string; a
/// closure that keeps a cache alive through a captured variable; a WeakMap whose values only
/// their keys keep alive.
const PLANTED: &str = r"
class Leaky { constructor(i) { this.payload = ['x'.repeat(1024), i].join(''); this.n = i; } }
globalThis.holder = { leakyData: Array.from({length: 10000}, (_, i) => new Leaky(i)) };
class Entry { constructor(i) { this.key = 'entry-' + i; this.blob = new Array(16).fill(i); } }
function makeHandler() {
  const entryCache = Array.from({length: 300}, (_, i) => new Entry(i));
  return function handler() { return entryCache.length; };
}
globalThis.handlers = [makeHandler()];
const weak = new WeakMap();
globalThis.weakKeys = Array.from({length: 50}, (_, i) => ({weakKey: i}));
for (const k of weakKeys) weak.set(k, {weakValue: 'v' + k.weakKey, data: [k.weakKey]});
globalThis.weak = weak;
";

const LEAKY: u64 = 10_000;

fn class<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == name)
        .unwrap_or_else(|| panic!("class {name} missing"))
}

#[test]
fn summary_counts_are_exact_and_holders_retain_their_objects() {
    for node in all_nodes() {
        let dir = scratch();
        let snap = node.write_snapshot(dir.path(), "planted", PLANTED);
        let s = run_json(&["summary", arg(&snap)]);
        let leaky = class(&s, "Leaky");
        assert_eq!(leaky["count"], LEAKY, "Node {}", node.version);
        assert_eq!(class(&s, "Entry")["count"], 300, "Node {}", node.version);
        // Each instance owns a flat string of 1024 + digits characters, one byte each.
        let retained = leaky["retained_size"].as_u64().unwrap();
        assert!(retained >= LEAKY * (1024 + 16), "Leaky retains only {retained}");
        assert_eq!(leaky["distance"], 4, "global 1 → holder 2 → leakyData 3 → Leaky 4");
        let total = s["snapshot"]["total_size"].as_u64().unwrap();
        let sizes: Vec<u64> = s["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["retained_size"].as_u64().unwrap())
            .collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "sorted by retained size");
        assert!(sizes[0] <= total);

        // The holder's array retains every instance and its string.
        let top = run_json(&["top", arg(&snap), "-n", "5"]);
        let array = top["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| {
                o["class"] == "Array" && edges(&o["retainer_path"]).contains(&"leakyData".into())
            })
            .expect("the leakyData array is among the 5 largest objects");
        assert!(array["retained_size"].as_u64().unwrap() >= retained);
    }
}

#[test]
fn top_walks_down_the_dominator_tree() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "planted", PLANTED);
    let top = run_json(&["top", arg(&snap), "-n", "3", "--depth", "2", "--children", "2"]);
    let objects = top["objects"].as_array().unwrap();
    // Tree order: each object at depth d > 0 is dominated by the nearest object above it at
    // depth d - 1, and retains no more than it.
    let mut parents: Vec<&Value> = Vec::new();
    let mut roots = 0;
    for o in objects {
        let depth = usize::try_from(o["depth"].as_u64().unwrap()).unwrap();
        assert!(depth <= 2);
        parents.truncate(depth);
        if let Some(parent) = parents.last() {
            assert_eq!(o["dominator_id"], parent["id"], "{o}");
            assert!(o["retained_size"].as_u64() <= parent["retained_size"].as_u64());
        } else {
            roots += 1;
        }
        parents.push(o);
    }
    assert_eq!(roots, 3);
    assert!(objects.len() > 3, "children listed");
}

#[test]
fn summary_filters_and_sorts() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "planted", PLANTED);
    let s = run_json(&["summary", arg(&snap), "--class", "Leaky", "--class", "Entry"]);
    let names: Vec<&str> =
        s["classes"].as_array().unwrap().iter().map(|c| c["class"].as_str().unwrap()).collect();
    assert_eq!(names, ["Leaky", "Entry"]);

    let by_count = run_json(&["summary", arg(&snap), "--sort", "count", "-n", "5"]);
    let counts: Vec<u64> = by_count["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts.len(), 5);
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");

    let big = run_json(&["summary", arg(&snap), "--min-size", "1MB"]);
    assert!(
        big["classes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["retained_size"].as_u64() >= Some(1_000_000))
    );
    assert!(big["classes"].as_array().unwrap().iter().any(|c| c["class"] == "Leaky"));

    let text = run(&["summary", arg(&snap), "-n", "3"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("retained") && text.contains("3 of "), "{text}");
}

#[test]
fn retainer_paths_name_the_holding_variables() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "planted", PLANTED);
    let objects = run_json(&["objects", arg(&snap), "--class", "Leaky"]);
    let group = &objects["objects"][0];
    assert_eq!(group["count"], LEAKY);
    assert_eq!(group["properties"], serde_json::json!(["payload"]), "n is a Smi: no edge");
    let example = group["example"].as_str().unwrap();

    let r = run_json(&["retainers", arg(&snap), example]);
    let path = edges(&r["retainer_path"]);
    assert_eq!(r["retainer_path"][0]["class"], "global");
    assert_eq!(r["retainer_path"][0]["edge_type"], "shortcut");
    assert_eq!(path[1..3], ["holder", "leakyData"], "{path:?}");
    assert_eq!(path.len(), 4, "{path:?}");
    let last = r["retainer_path"].as_array().unwrap().last().unwrap();
    assert_eq!(last["class"], "Leaky");
    assert_eq!(last["edge_type"], "element");
    assert_eq!(format!("@{}", last["id"]), example);
    assert!(r["retainers"].as_array().unwrap().iter().any(|x| x["class"] == "Array"));

    // Who refers to the example: the array (by element) and its element store.
    let refs = run_json(&["objects", arg(&snap), "--class", "Leaky", "--refs"]);
    let referrers = refs["objects"][0]["referrers"].as_array().unwrap();
    assert!(referrers.iter().any(|r| r["name"] == "Array" && r["edge_type"] == "element"));

    // The text form reads as one line from the root.
    let out = run(&["retainers", arg(&snap), example]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("global → holder → leakyData → ["), "{text}");

    // Every instance has the same kind of path: one group of 10,000.
    let by_class = run_json(&["retainers", arg(&snap), "--class", "Leaky"]);
    assert_eq!(by_class["count"], LEAKY);
    assert_eq!(by_class["groups"].as_array().unwrap().len(), 1);
    assert_eq!(by_class["groups"][0]["count"], LEAKY);

    // A closure's captured variable is named as such.
    let entries = run_json(&["retainers", arg(&snap), "--class", "Entry"]);
    let steps = entries["groups"][0]["retainer_path"].as_array().unwrap();
    assert!(
        steps.iter().any(|s| s["edge"] == "entryCache" && s["edge_type"] == "context"),
        "{steps:?}"
    );

    // WeakMap values are held by their keys.
    let weak = run_json(&["retainers", arg(&snap), "--class", "{weakValue, data}"]);
    let steps = weak["groups"][0]["retainer_path"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["edge"] == "weakKeys"), "{steps:?}");
}

#[test]
fn show_prints_values_and_nesting() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "planted", PLANTED);
    let objects = run_json(&["objects", arg(&snap), "--class", "Entry"]);
    let example = objects["objects"][0]["example"].as_str().unwrap().to_owned();
    let v = run_json(&["show", arg(&snap), &example, "--elements", "4"]);
    assert_eq!(v["class"], "Entry");
    let props = v["properties"].as_array().unwrap();
    let key = props.iter().find(|p| p["name"] == "key").unwrap();
    assert_eq!(key["value"]["kind"], "string");
    assert!(key["value"]["text"].as_str().unwrap().starts_with("entry-"));
    let blob = props.iter().find(|p| p["name"] == "blob").unwrap();
    assert_eq!(blob["value"]["kind"], "object");
    assert_eq!(blob["value"]["class"], "Array");

    // The closure: where it is, and what it captures.
    let r = run_json(&["retainers", arg(&snap), "--class", "Entry"]);
    let steps = r["groups"][0]["retainer_path"].as_array().unwrap();
    let closure = steps.iter().find(|s| s["class"] == "Function").unwrap();
    let f = run_json(&["show", arg(&snap), &format!("@{}", closure["id"])]);
    assert!(f["location"].as_str().unwrap().contains("planted.js:"), "{f}");
    assert!(f["context"].as_array().unwrap().iter().any(|m| m["name"] == "entryCache"), "{f}");

    // Text: jsprint-like, strings cut, nested objects indented.
    let out = run(&["show", arg(&snap), &example, "--max-string", "3"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("Entry {example}")), "{text}");
    assert!(text.contains("key: \"ent\"…"), "{text}");
    assert!(text.contains("blob: Array @"), "{text}");
}

#[test]
fn circular_objects_are_marked() {
    let node = node();
    let dir = scratch();
    let program = "class Ring { constructor() { this.self = this; this.other = { back: this }; } }\n\
                   globalThis.ring = new Ring();";
    let snap = node.write_snapshot(dir.path(), "ring", program);
    let objects = run_json(&["objects", arg(&snap), "--class", "Ring"]);
    let id = objects["objects"][0]["example"].as_str().unwrap().to_owned();
    let v = run_json(&["show", arg(&snap), &id, "--depth", "3"]);
    let props = v["properties"].as_array().unwrap();
    let own = props.iter().find(|p| p["name"] == "self").unwrap();
    assert_eq!(own["value"]["kind"], "circular");
    let other = props.iter().find(|p| p["name"] == "other").unwrap();
    assert_eq!(other["value"]["properties"][0]["value"]["kind"], "circular");
}

#[test]
fn unknown_ids_and_classes_are_clear_errors() {
    let node = node();
    let dir = scratch();
    let snap = node.write_snapshot(dir.path(), "planted", PLANTED);
    for args in [
        vec!["show", arg(&snap), "@4294967295"],
        vec!["retainers", arg(&snap), "@4294967295"],
        vec!["retainers", arg(&snap), "--class", "NoSuchClassAnywhere"],
        vec!["summary", arg(&snap), "--class", "NoSuchClassAnywhere"],
        vec!["show", arg(&snap), "@abc"],
        vec!["summary", arg(&snap), "--min-size", "3 parsecs"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.lines().next().unwrap_or_default().starts_with("error"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// The README's demo: the bundled leaky service keeps every `Session` in a Map named
/// `recentlySeen`; the retainer path says so, and the Map is among the largest objects.
#[test]
fn leaky_server_sessions_are_held_by_recently_seen() {
    let node = node();
    let dir = scratch();
    let server =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/leaky-server.js");
    let out = leakscope_testkit::run_with_timeout(
        node.command().arg(&server).arg("--snapshots").arg(dir.path()),
        std::time::Duration::from_secs(120),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let snap = dir.path().join("s3.heapsnapshot");
    let r = run_json(&["retainers", arg(&snap), "--class", "Session"]);
    assert_eq!(r["groups"].as_array().unwrap().len(), 1, "{r}");
    let path = edges(&r["groups"][0]["retainer_path"]);
    let at = path.iter().position(|e| e == "recentlySeen").expect("path names recentlySeen");
    assert_eq!(r["groups"][0]["retainer_path"][at]["class"], "Map");
    assert_eq!(r["groups"][0]["count"], r["count"]);

    let top = run_json(&["top", arg(&snap), "-n", "10"]);
    let map = top["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["class"] == "Map")
        .expect("the Map is among the 10 largest objects");
    assert!(edges(&map["retainer_path"]).contains(&"recentlySeen".to_owned()));
    let sessions = run_json(&["summary", arg(&snap), "--class", "Session"]);
    assert!(map["retained_size"].as_u64() >= sessions["classes"][0]["retained_size"].as_u64());
}

#[test]
fn show_lists_map_entries() {
    let node = node();
    let dir = scratch();
    let program = "globalThis.cache = new Map([['alpha', {v: 'one'}], ['beta', {v: 'two'}]]);";
    let snap = node.write_snapshot(dir.path(), "map", program);
    let r = run_json(&["retainers", arg(&snap), "--class", "{v}"]);
    let steps = r["groups"][0]["retainer_path"].as_array().unwrap();
    let map = steps.iter().find(|s| s["class"] == "Map").expect("the path goes through the Map");
    let v = run_json(&["show", arg(&snap), &format!("@{}", map["id"])]);
    assert_eq!(v["entry_count"], 4, "two keys, two values: {v}");
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries[0]["value"]["text"], "alpha");
    assert_eq!(entries[1]["value"]["class"], "{v}");
    assert_eq!(entries[1]["value"]["properties"][0]["value"]["text"], "one");
    assert_eq!(entries[2]["value"]["text"], "beta");
}
