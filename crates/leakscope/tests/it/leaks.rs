//! `leaks` and `diff` on real programs: each writes its own three snapshots around a planted
//! leak (or around work that must not be reported), and the finder must name the planted class
//! and holder, with exact counts.

use std::path::{Path, PathBuf};

use leakscope_testkit::{Node, all_nodes, node, run_devtools_comparison, scratch};
use serde_json::Value;

use crate::support::{arg, edges, run, run_json, stderr};

/// Objects allocated by the units between S1 and S2 (the harness's default `reps`).
const WINDOW: u64 = 1000;

fn snapshots(node: &Node, dir: &Path, name: &str, body: &str) -> [PathBuf; 3] {
    node.three_snapshots(dir, name, body)
}

/// `leaks --json` on the three snapshots a program writes.
fn leaks_of(node: &Node, name: &str, body: &str) -> Value {
    let dir = scratch();
    let [s1, s2, s3] = snapshots(node, dir.path(), name, body);
    run_json(&["leaks", arg(&s1), arg(&s2), arg(&s3)])
}

/// The first finding, which must exist.
fn top<'a>(report: &'a Value, node: &Node) -> &'a Value {
    assert_eq!(report["verdict"], "leak", "Node {}: {report:#}", node.version);
    &report["leaks"][0]
}

fn classes_on_path(finding: &Value) -> Vec<&str> {
    finding["retainer_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["class"].as_str().unwrap())
        .collect()
}

/// What every finding of a planted leak must show: exactly the window's objects, all of them
/// still there, a group that grew by as many again, and a path through the holder.
fn assert_planted(f: &Value, class: &str, holder: &str, node: &Node) {
    let v = &node.version;
    assert_eq!(f["class"], class, "Node {v}: {f:#}");
    assert_eq!(f["count"], WINDOW, "Node {v}: {f:#}");
    assert_eq!(f["holder"], holder, "Node {v}: {f:#}");
    assert_eq!(f["survival"], 1.0, "Node {v}: {f:#}");
    assert_eq!(f["confidence"], "high");
    let counts: Vec<u64> =
        f["counts"].as_array().unwrap()[1..].iter().map(|c| c.as_u64().unwrap()).collect();
    assert_eq!(counts[1] - counts[0], WINDOW, "the group grew by one window of units, Node {v}");
    let last_edge = holder.rsplit(['.', '[']).next().unwrap().trim_end_matches(']');
    assert!(
        edges(&f["retainer_path"]).iter().any(|e| e == last_edge),
        "Node {v}: the path goes through {holder}: {f:#}"
    );
    assert!(f["retained_size"].as_u64().unwrap() >= f["shallow_size"].as_u64().unwrap());
    let path = f["retainer_path"].as_array().unwrap();
    assert_eq!(path.last().unwrap()["id"], f["example_id"]);
    assert_eq!(f["example"]["id"], f["example_id"], "the example as `show` prints it");
}

/// The 1-based line of the first occurrence of `needle` in a program (harness included).
fn line_of(body: &str, needle: &str) -> usize {
    let script = format!("{}\n{body}\n", leakscope_testkit::THREE_SNAPSHOTS);
    script[..script.find(needle).unwrap()].matches('\n').count() + 1
}

const ARRAY: &str = r#"
class Job { constructor(i) { this.id = i; this.name = "job-" + i; this.steps = [i, i + 1, i + 2]; } }
const registry = [];
threeSnapshots((i) => { registry.push(new Job(i)); });
"#;

#[test]
fn an_array_that_only_grows() {
    for node in all_nodes() {
        let r = leaks_of(&node, "array", ARRAY);
        let f = top(&r, &node);
        assert_planted(f, "Job", "registry", &node);
        assert_eq!(f["holder_class"], "Array");
        assert_eq!(r["leaks"].as_array().unwrap().len(), 1, "Node {}: {r:#}", node.version);
        // Each Job owns its name string and its steps array: folded under it, not listed.
        let location = f["location"].as_str().unwrap();
        let line = line_of(ARRAY, "class Job");
        assert!(location.contains(&format!("array.js:{line}:")), "{location}");
    }
}

const LISTENERS: &str = r#"
const EventEmitter = require("events");
class RequestContext { constructor(i) { this.id = i; this.headers = { host: "h" + i }; } }
const bus = new EventEmitter();
bus.setMaxListeners(0);
threeSnapshots((i) => {
  const ctx = new RequestContext(i);
  bus.on("tick", function onTick() { return ctx.id; });
});
"#;

#[test]
fn listeners_added_per_request_and_never_removed() {
    for node in all_nodes() {
        let r = leaks_of(&node, "listeners", LISTENERS);
        let f = top(&r, &node);
        assert_planted(f, "Function", "bus._events.tick", &node);
        assert_eq!(f["name"], "onTick");
        assert_eq!(f["holder_class"], "Array");
        assert!(edges(&f["retainer_path"]).contains(&"_events".to_owned()));
        // The closure keeps its context and the RequestContext: more than its own size.
        assert!(f["retained_size"].as_u64() > f["shallow_size"].as_u64());
    }
}

const MAP_CACHE: &str = r#"
const cache = new Map();
threeSnapshots((i) => {
  cache.set("key-" + i, { host: "example.com", accept: "text/html", path: "/item/" + i });
});
"#;

#[test]
fn a_map_used_as_a_cache_without_eviction() {
    for node in all_nodes() {
        let r = leaks_of(&node, "map-cache", MAP_CACHE);
        let f = top(&r, &node);
        assert_planted(f, "{host, accept, path}", "cache", &node);
        assert_eq!(f["holder_class"], "Map");
        // Its keys leak with it: one finding for the one Map.
        assert_eq!(f["also"][0]["class"], "(string)");
        assert_eq!(f["also"][0]["count"], WINDOW);
        assert_eq!(r["leaks"].as_array().unwrap().len(), 1);
    }
}

const TIMERS: &str = r#"
class Poller { constructor(i) { this.id = i; this.url = "http://svc/" + i; } poll() { return this.url; } }
threeSnapshots((i) => {
  const p = new Poller(i);
  setInterval(() => p.poll(), 3600 * 1000);
}).then(() => process.exit(0));
"#;

#[test]
fn timers_never_cleared() {
    for node in all_nodes() {
        let r = leaks_of(&node, "timers", TIMERS);
        let f = top(&r, &node);
        let v = &node.version;
        assert_eq!(f["class"], "Timeout", "Node {v}: {f:#}");
        assert_eq!(f["count"], WINDOW, "Node {v}: {f:#}");
        // Node keeps timers of one duration in a linked list: one finding, held by the list.
        assert_eq!(f["holder_class"], "TimersList", "Node {v}: {f:#}");
        assert_eq!(f["chain"], true);
        assert!(classes_on_path(f).contains(&"TimersList"));
        assert!(f["holder"].as_str().unwrap().starts_with("timerListMap[3600000]"), "{f:#}");
        assert_eq!(r["leaks"].as_array().unwrap().len(), 1, "Node {v}: {r:#}");
    }
}

const REPLACE_THING: &str = r#"
let theThing = null;
function replaceThing() {
  const originalThing = theThing;
  const unused = function () { if (originalThing) return "hi"; };
  theThing = { longStr: new Array(1000).join("*") + Math.random(), someMethod: function () { return 1; } };
}
threeSnapshots(() => replaceThing());
"#;

#[test]
fn closures_that_share_a_context() {
    for node in all_nodes() {
        let r = leaks_of(&node, "replace-thing", REPLACE_THING);
        let f = top(&r, &node);
        assert_planted(f, "{longStr, someMethod}", "theThing", &node);
        // Each object holds the previous one through a closure's context: one chain.
        assert_eq!(f["chain"], true);
        assert!(edges(&f["retainer_path"]).contains(&"originalThing".to_owned()));
        // The chain retains each object's string and closure, far more than the objects.
        assert!(f["retained_size"].as_u64() > Some(10 * f["shallow_size"].as_u64().unwrap()));
    }
}

const PROMISES: &str = r#"
class Request { constructor(i) { this.id = i; this.body = "body of " + i; } }
const inflight = new Set();
function send(i) {
  // The reply never comes: the promise never settles, so it is never deleted.
  const p = new Promise((resolve) => { new Request(i); });
  inflight.add(p);
  p.then(() => inflight.delete(p));
  return p;
}
threeSnapshots((i) => { send(i); });
"#;

#[test]
fn promises_that_never_settle() {
    for node in all_nodes() {
        let r = leaks_of(&node, "promises", PROMISES);
        let f = top(&r, &node);
        assert_planted(f, "Promise", "inflight", &node);
        assert_eq!(f["holder_class"], "Set");
    }
}

const BUFFERS: &str = r#"
const chunks = [];
threeSnapshots((i) => { chunks.push(Buffer.alloc(2048, i % 256)); });
"#;

#[test]
fn retained_buffers() {
    for node in all_nodes() {
        let r = leaks_of(&node, "buffers", BUFFERS);
        let f = top(&r, &node);
        assert_planted(f, "Buffer", "chunks", &node);
        // Their memory is outside the heap, in the backing stores they retain.
        assert!(f["retained_size"].as_u64().unwrap() >= WINDOW * 2048, "{f:#}");
    }
}

const STRINGS: &str = r#"
const lines = [];
threeSnapshots((i) => { lines.push(["GET /item/", i, " HTTP/1.1 ", "x".repeat(100)].join("")); });
"#;

#[test]
fn retained_strings_come_with_a_sample() {
    for node in all_nodes() {
        let r = leaks_of(&node, "strings", STRINGS);
        let f = top(&r, &node);
        assert_planted(f, "(string)", "lines", &node);
        let sample = f["sample"].as_str().unwrap();
        assert!(sample.starts_with("GET /item/") && sample.contains(" HTTP/1.1 xxx"), "{sample}");
    }
}

const LRU: &str = r#"
class LruCache {
  constructor(limit) { this.limit = limit; this.map = new Map(); }
  get(k) { const v = this.map.get(k); if (v !== undefined) { this.map.delete(k); this.map.set(k, v); } return v; }
  set(k, v) { this.map.delete(k); this.map.set(k, v); if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value); }
}
class Page { constructor(i) { this.id = i; this.html = "<p>" + i + "</p>".repeat(4); } }
const pages = new LruCache(500);
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const visit = () => { const k = Math.floor(random() * 3000); if (!pages.get(k)) pages.set(k, new Page(k)); };
// Still filling at S1, full from S2 on, churning throughout.
threeSnapshots(visit);
"#;

const SAWTOOTH: &str = r#"
let sink = 0;
threeSnapshots((i) => {
  const rows = [];
  for (let k = 0; k < 200; k++) rows.push({ k, text: "row " + k + " of " + i, cells: [k, i] });
  sink += rows.length;
});
"#;

const WEAKMAP: &str = r#"
const meta = new WeakMap();
threeSnapshots((i) => { const req = { id: i }; meta.set(req, { seen: Date.now(), tags: new Array(50).fill(i) }); });
"#;

#[test]
fn bounded_caches_garbage_and_weak_maps_are_no_leak() {
    for node in all_nodes() {
        for (name, body) in [("lru", LRU), ("sawtooth", SAWTOOTH), ("weakmap", WEAKMAP)] {
            let r = leaks_of(&node, name, body);
            assert_eq!(r["verdict"], "no-leak", "{name}, Node {}: {r:#}", node.version);
            assert!(r["leaks"].as_array().unwrap().is_empty());
            assert!(r["message"].as_str().unwrap().starts_with("no leak found"), "{r:#}");
        }
    }
}

#[test]
fn the_leaky_server_leaks_sessions_into_recently_seen() {
    for node in all_nodes() {
        let dir = scratch();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/leaky-server.js");
        let _ = leakscope_testkit::run_with_timeout(
            node.command().arg(&example).arg("--snapshots").arg(dir.path()),
            std::time::Duration::from_secs(120),
        );
        let s: Vec<PathBuf> = ["s1", "s2", "s3"]
            .iter()
            .map(|n| dir.path().join(format!("{n}.heapsnapshot")))
            .collect();
        let r = run_json(&["leaks", arg(&s[0]), arg(&s[1]), arg(&s[2])]);
        let f = top(&r, &node);
        let v = &node.version;
        assert_eq!(f["class"], "Session", "Node {v}: {f:#}");
        assert_eq!(f["count"], 2000, "one per request between S1 and S2, Node {v}");
        assert_eq!(f["holder"], "recentlySeen");
        assert_eq!(f["holder_class"], "Map");
        assert!(f["location"].as_str().unwrap().contains("leaky-server.js:"));
        // The bounded page cache and the per-request garbage are not leaks.
        assert_eq!(r["leaks"].as_array().unwrap().len(), 1, "Node {v}: {r:#}");
        let dismissed = r["dismissed"].as_array().unwrap();
        assert!(
            dismissed.iter().all(|d| !d["holder"].as_str().unwrap().contains("pageCache")
                || d["dismissed"].as_str().unwrap().starts_with("does not grow")),
            "{r:#}"
        );
    }
}

#[test]
fn two_holders_are_two_findings() {
    let node = node();
    let body = r#"
class Session { constructor(i) { this.id = i; this.user = "user-" + i; } }
const byId = new Map();
const audit = [];
threeSnapshots((i) => { byId.set(i, new Session(i)); audit.push(new Session(-i)); });
"#;
    let r = leaks_of(&node, "two-holders", body);
    let found = r["leaks"].as_array().unwrap();
    let mut holders: Vec<&str> = found.iter().map(|f| f["holder"].as_str().unwrap()).collect();
    holders.sort_unstable();
    assert_eq!(holders, ["audit", "byId"], "{r:#}");
    for f in found {
        assert_eq!(f["class"], "Session");
        assert_eq!(f["count"], WINDOW);
    }
}

#[test]
fn two_snapshots_report_what_grew_as_less_certain() {
    let node = node();
    let dir = scratch();
    let [s1, s2, _] = snapshots(&node, dir.path(), "array", ARRAY);
    let r = run_json(&["leaks", arg(&s1), arg(&s2)]);
    assert_eq!(r["snapshots"], 2);
    let f = top(&r, &node);
    assert_eq!(f["class"], "Job");
    assert_eq!(f["count"], WINDOW);
    assert_eq!(f["holder"], "registry");
    assert_eq!(f["confidence"], "low");
    assert_eq!(f["survival"], Value::Null);
    assert_eq!(f["counts"], serde_json::json!([200, 1200]));
    // A bounded cache that is full at S1 is still no leak. (One still filling up grows like a
    // leak: without a third snapshot nothing tells them apart, hence "less certain".)
    let dir = scratch();
    let full_at_s1 =
        LRU.replace("threeSnapshots(visit);", "threeSnapshots(visit, { warmup: 3000 });");
    let [s1, s2, _] = snapshots(&node, dir.path(), "lru", &full_at_s1);
    let r = run_json(&["leaks", arg(&s1), arg(&s2)]);
    assert_eq!(r["verdict"], "no-leak", "{r:#}");
}

#[test]
fn results_are_identical_from_run_to_run_and_fail_on_leak_sets_the_exit_code() {
    let node = node();
    let dir = scratch();
    let [s1, s2, s3] = snapshots(&node, dir.path(), "listeners", LISTENERS);
    let args = ["leaks", arg(&s1), arg(&s2), arg(&s3), "--json"];
    let first = run(&args);
    let second = run(&args);
    assert!(first.status.success());
    assert_eq!(first.stdout, second.stdout);
    let out = run(&["leaks", arg(&s1), arg(&s2), arg(&s3), "--fail-on-leak"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 leak found") && text.contains("held by bus._events.tick"), "{text}");

    let dir = scratch();
    let [s1, s2, s3] = snapshots(&node, dir.path(), "weakmap", WEAKMAP);
    let out = run(&["leaks", arg(&s1), arg(&s2), arg(&s3), "--fail-on-leak"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no leak found"));
}

#[test]
fn snapshots_out_of_order_and_core_dumps_are_refused() {
    let node = node();
    let dir = scratch();
    let [s1, s2, s3] = snapshots(&node, dir.path(), "array", ARRAY);
    let out = run(&["leaks", arg(&s2), arg(&s1), arg(&s3)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("snapshot 2 is not newer than snapshot 1") && err.contains("oldest first"),
        "{err}"
    );
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");

    // A core dump numbers objects by address: no ids to compare.
    let core = dir.path().join("core.1234");
    std::fs::write(&core, b"\x7fELF\x02\x01\x01\0not really a core").unwrap();
    for args in
        [["leaks", arg(&core), arg(&s2), arg(&s3)], ["diff", arg(&s1), arg(&core), "--json"]]
    {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.contains("is a core dump") && err.contains("core diff"), "{err}");
    }
}

/// Classes whose objects have no stable ids (embedder objects), which DevTools shows as all
/// added and all removed and we compare by count.
fn unstable_class(name: &str) -> bool {
    name.starts_with("Node / ") || name.starts_with("Detached ") || name == "(synthetic)"
}

#[test]
fn diff_is_devtools_comparison_view() {
    for node in all_nodes() {
        let dir = scratch();
        let [s1, s2, _] = snapshots(&node, dir.path(), "map-cache", MAP_CACHE);
        let ours = run_json(&["diff", arg(&s1), arg(&s2)]);
        // The oracle needs a current Node, whichever wrote the snapshots.
        let devtools = run_devtools_comparison(&leakscope_testkit::node(), &s1, &s2);
        let rows = |v: &Value, key: &str| -> std::collections::BTreeMap<String, Value> {
            v[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["class"].as_str().unwrap().to_owned(), r.clone()))
                .collect()
        };
        let (ours, devtools) = (rows(&ours, "classes"), rows(&devtools, "diff"));
        let zero = serde_json::json!({"count_delta": 0, "size_delta": 0});
        for class in ours.keys().chain(devtools.keys()) {
            let (a, b) = (ours.get(class).unwrap_or(&zero), devtools.get(class).unwrap_or(&zero));
            // The net change is DevTools' for every class…
            for field in ["count_delta", "size_delta"] {
                assert_eq!(a[field], b[field], "{class} {field}, Node {}", node.version);
            }
            // …and so are the objects added and removed, but where ids are not stable.
            if !unstable_class(class) {
                for field in ["added", "removed", "added_size", "removed_size"] {
                    assert_eq!(a[field], b[field], "{class} {field}, Node {}", node.version);
                }
            }
        }
        let planted = &ours["{host, accept, path}"];
        assert_eq!(
            (planted["added"].as_u64(), planted["removed"].as_u64()),
            (Some(WINDOW), Some(0))
        );
    }
}

#[test]
fn diff_in_memwatch_format_has_heapdiffs_shape() {
    let node = node();
    let dir = scratch();
    let body = r#"
class LeakingClass { constructor(i) { this.i = i; this.tag = "t" + i; } }
globalThis.leaks = [];
threeSnapshots((i) => { leaks.push(new LeakingClass(i)); }, { warmup: 0, reps: 10000 });
"#;
    let [s1, s2, _] = snapshots(&node, dir.path(), "memwatch", body);
    let out = run(&["diff", arg(&s1), arg(&s2), "--format", "memwatch"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let d: Value = serde_json::from_str(&text).unwrap();
    // Keys in memwatch's order.
    let in_order = |keys: &[&str]| {
        let mut at = 0;
        for k in keys {
            let found = text[at..].find(&format!("\"{k}\":"));
            at +=
                found.unwrap_or_else(|| panic!("{k} missing or out of order in {keys:?}: {text}"));
        }
    };
    in_order(&["before", "nodes", "size_bytes", "size", "after", "change"]);
    in_order(&["change", "size_bytes", "size", "freed_nodes", "allocated_nodes", "details"]);
    in_order(&["details", "what", "size_bytes", "size", "+", "-"]);
    let details = d["change"]["details"].as_array().unwrap();
    let keys: Vec<&String> = details[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    let whats: Vec<&str> = details.iter().map(|x| x["what"].as_str().unwrap()).collect();
    let mut sorted = whats.clone();
    sorted.sort_unstable();
    assert_eq!(whats, sorted, "details come in std::map order");
    let info = run_json(&["info", arg(&s2)]);
    assert_eq!(d["after"]["nodes"], info["nodes"]);
    let leaking = details.iter().find(|x| x["what"] == "LeakingClass").unwrap();
    assert_eq!((leaking["+"].as_u64(), leaking["-"].as_u64()), (Some(10000), Some(0)));
    let summary = run_json(&["summary", arg(&s2), "--class", "LeakingClass"]);
    let each = summary["classes"][0]["shallow_size"].as_u64().unwrap() / 10000;
    assert_eq!(leaking["size_bytes"].as_u64(), Some(10000 * each));
    assert_eq!(
        d["change"]["size_bytes"].as_i64().unwrap(),
        d["after"]["size_bytes"].as_i64().unwrap() - d["before"]["size_bytes"].as_i64().unwrap()
    );
    // memwatch's size text: kb and mb with two decimals at most.
    let size = leaking["size"].as_str().unwrap();
    assert!(size.ends_with(" kb") || size.ends_with(" mb"), "{size}");
}
