//! Our numbers are DevTools' numbers: the census, every node's shallow and retained size,
//! dominator and distance, compared with Chrome DevTools' own heap snapshot worker (the
//! oracle in `tools/devtools-oracle`) on snapshots of different shapes, on every Node we have.

use std::collections::HashMap;
use std::path::Path;

use leakscope_graph::{Analysis, HeapGraph, Progress};
use leakscope_snapshot::ReadOptions;
use leakscope_testkit::{Node, all_nodes, node, run_devtools_oracle, scratch};
use serde_json::Value;

/// Plain objects of several shapes, classes (two with the same name), closures, WeakMaps,
/// Maps, Sets, cons and sliced strings, typed arrays, a WeakRef, and a cycle that only holds
/// itself through a weak reference.
const SHAPES: &str = r"
class Item { constructor(i) { this.i = i; this.label = 'item-' + i; this.payload = { v: i }; } }
const Dup1 = (() => class Dup { constructor() { this.a = []; } })();
const Dup2 = (() => class Dup { constructor() { this.b = {}; } })();
globalThis.items = Array.from({length: 3000}, (_, i) => new Item(i));
globalThis.dups = [new Dup1(), new Dup1(), new Dup2()];
globalThis.plain = Array.from({length: 400}, (_, i) => ({x: i, y: 'y' + i, z: {w: i}}));
globalThis.points = Array.from({length: 300}, (_, i) => i % 2 ? {x: i, y: i} : {y: i, x: i, extra: [i]});
const wm = new WeakMap(); const keys = [];
for (let i = 0; i < 200; i++) { const k = {key: i}; keys.push(k); wm.set(k, {value: i, blob: new Array(20).fill(i)}); }
globalThis.keys = keys; globalThis.wm = wm;
const lostKeys = new WeakMap();
for (let i = 0; i < 50; i++) lostKeys.set({gone: i}, {orphan: i});
globalThis.lostKeys = lostKeys;
globalThis.map = new Map(Array.from({length: 500}, (_, i) => ['k' + i, {a: i, b: [i]}]));
globalThis.set = new Set(Array.from({length: 100}, (_, i) => 's' + i));
function makeClosure(x) { const big = new Array(50).fill(x); return () => big.length; }
globalThis.fns = Array.from({length: 80}, (_, i) => makeClosure(i));
globalThis.text = Array.from({length: 200}, (_, i) => 'x'.repeat(300) + i);
globalThis.slices = Array.from({length: 50}, (_, i) => ('s'.repeat(100) + i + 'tail'.repeat(20)).slice(5, 90));
globalThis.typed = Array.from({length: 10}, () => new Float64Array(1024));
globalThis.refs = Array.from({length: 20}, (_, i) => new WeakRef({held: i}));
globalThis.regexps = [/a+b/g, /c?d/];
";

fn load(path: &Path) -> HeapGraph {
    ReadOptions::new().open(path).unwrap().graph
}

/// Everything that differs between us and the oracle, as readable lines.
fn compare(g: &HeapGraph, oracle: &Value) -> Vec<String> {
    let mut a = Analysis::new(g, Progress::none());
    let census = a.census(g, Progress::none());
    let mut diffs = Vec::new();
    if oracle["node_count"] != g.node_count() {
        diffs.push(format!("node count {} vs {}", g.node_count(), oracle["node_count"]));
    }
    if oracle["total_size"] != a.total_size() {
        diffs.push(format!("total size {} vs {}", a.total_size(), oracle["total_size"]));
    }

    let theirs: HashMap<&str, &Value> = oracle["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap(), c))
        .collect();
    let mut seen = 0;
    for row in &census {
        let info = a.classes().info(row.class);
        let key = info.devtools_key();
        let Some(t) = theirs.get(key.as_str()) else {
            diffs.push(format!("class {key:?} ({} objects) missing in DevTools", row.count));
            continue;
        };
        seen += 1;
        let ours = [
            ("count", row.count),
            ("shallow_size", row.shallow_size),
            ("retained_size", row.retained_size),
        ];
        for (field, value) in ours {
            if t[field] != value {
                diffs.push(format!("class {key:?}: {field} {value} vs DevTools {}", t[field]));
            }
        }
        if t["distance"] != row.devtools_distance {
            diffs.push(format!(
                "class {key:?}: distance {} vs DevTools {}",
                row.devtools_distance, t["distance"]
            ));
        }
    }
    if seen != theirs.len() {
        let ours: std::collections::HashSet<String> =
            census.iter().map(|r| a.classes().info(r.class).devtools_key()).collect();
        for key in theirs.keys().filter(|k| !ours.contains(**k)) {
            diffs.push(format!("DevTools class {key:?} missing in ours"));
        }
    }

    let nodes = oracle["nodes"].as_object().unwrap();
    let mut node_diffs = 0;
    for n in g.nodes() {
        let id = g.node_id(n).to_string();
        let Some(t) = nodes.get(&id) else {
            continue;
        };
        let dom = g.node_id(a.dominator(n));
        let ours = [
            ("retained_size", a.retained_size(n)),
            ("self_size", a.shallow_size(n)),
            ("dominator_id", u64::from(dom)),
        ];
        let mut bad: Vec<String> = ours
            .iter()
            .filter(|(field, value)| t[*field] != *value)
            .map(|(field, value)| format!("{field} {value} vs {}", t[*field]))
            .collect();
        if t["distance"] != a.distances().devtools(n) {
            bad.push(format!("distance {} vs {}", a.distances().devtools(n), t["distance"]));
        }
        if !bad.is_empty() {
            node_diffs += 1;
            if node_diffs <= 20 {
                diffs.push(format!("node @{id} ({}): {}", t["name"], bad.join(", ")));
            }
        }
    }
    if node_diffs > 20 {
        diffs.push(format!("… {node_diffs} nodes differ in all"));
    }
    diffs
}

fn check(node: &Node, oracle_node: &Node, name: &str, program: &str, options: &str) {
    let dir = scratch();
    let snap = node.write_snapshot_with(dir.path(), name, program, options);
    let oracle = run_devtools_oracle(oracle_node, &snap, true);
    let g = load(&snap);
    let diffs = compare(&g, &oracle);
    assert!(
        diffs.is_empty(),
        "Node {} {name}: {} differences:\n{}",
        node.version,
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn shapes_match_devtools_on_every_node() {
    let oracle_node = node();
    for n in all_nodes() {
        check(&n, &oracle_node, "shapes", SHAPES, "{}");
    }
}

#[test]
fn minimal_heap_matches_devtools() {
    let oracle_node = node();
    check(&oracle_node, &oracle_node, "minimal", "", "{}");
}

/// With internals exposed the root has no user roots: no size transfer, distances from the
/// root. With numeric values, Smis become nodes of size 0.
#[test]
fn exposed_internals_and_numbers_match_devtools() {
    let oracle_node = node();
    for n in all_nodes() {
        check(&n, &oracle_node, "internals", SHAPES, "{exposeInternals: true}");
        check(&n, &oracle_node, "numbers", SHAPES, "{exposeNumericValues: true}");
    }
}

/// The one difference we keep: objects named `Function` without a constructor location (made
/// by `Object.create(Function.prototype)`) and the closures share the class name `Function`.
/// DevTools keys the two groups by two different string indexes, turns both into the key
/// `",Function"`, and its census keeps only the later group: the thousands of closures vanish.
/// We count both in one class; the per-node numbers still agree.
#[test]
fn function_named_objects_join_the_closures_where_devtools_drops_them() {
    let oracle_node = node();
    let dir = scratch();
    let program = "globalThis.fnLike = [Object.create(Function.prototype), Object.create(Function.prototype)];";
    let snap = oracle_node.write_snapshot(dir.path(), "fnlike", program);
    let oracle = run_devtools_oracle(&oracle_node, &snap, true);
    let g = load(&snap);

    let theirs: Vec<&Value> =
        oracle["classes"].as_array().unwrap().iter().filter(|c| c["key"] == ",Function").collect();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["count"], 2, "DevTools' census keeps only the two objects");

    // What DevTools' own per-node data says the class holds.
    let members: Vec<&Value> = oracle["nodes"]
        .as_object()
        .unwrap()
        .values()
        .filter(|n| n["class"] == "Function" && n["self_size"].as_u64() > Some(0))
        .collect();
    let shallow: u64 = members.iter().map(|n| n["self_size"].as_u64().unwrap()).sum();
    assert!(members.len() > 1000, "the closures are there: {}", members.len());

    let mut a = Analysis::new(&g, Progress::none());
    let census = a.census(&g, Progress::none());
    let ours: Vec<_> =
        census.iter().filter(|r| a.classes().info(r.class).devtools_key() == ",Function").collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].count, members.len() as u64);
    assert_eq!(ours[0].shallow_size, shallow);

    // Everything else is equal.
    let diffs = compare(&g, &oracle);
    assert!(diffs.iter().all(|d| d.starts_with("class \",Function\"")), "{}", diffs.join("\n"));
}
