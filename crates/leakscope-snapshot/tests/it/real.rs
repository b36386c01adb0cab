//! Real snapshots, written by Node at test time, checked against Node's own `JSON.parse`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use leakscope_graph::{HeapGraph, NodeType};
use leakscope_snapshot::ReadOptions;
use leakscope_testkit::{Node, all_nodes, node, scratch};
use serde_json::{Value, json};

use crate::{read_bytes, read_stream};

/// Objects of known counts and the strings V8 writes as lone surrogates.
const FIXTURE: &str = r"
class Widget { constructor(i) { this.id = i; this.label = 'widget-' + i; } }
globalThis.widgets = Array.from({length: 3000}, (_, i) => new Widget(i));
globalThis.plain = Array.from({length: 500}, (_, i) => ({ host: 'h' + i, port: i }));
globalThis.closures = Array.from({length: 200}, (_, i) => () => i);
globalThis.map = new Map(Array.from({length: 100}, (_, i) => ['k' + i, { v: i }]));
globalThis.buffers = Array.from({length: 10}, () => Buffer.alloc(64 * 1024, 1));
globalThis.astral = ['sign\u{1D800}writing \u{1F600} smile'].join('');
globalThis.lone = ['a\uD800b'].join('');
";

/// The same counts as `Node::json_parse_counts`, from our graph.
fn our_counts(g: &HeapGraph) -> Value {
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_name: BTreeMap<String, u64> = BTreeMap::new();
    let mut total = 0u64;
    for n in g.nodes() {
        *by_type.entry(g.type_name(g.node_type(n)).to_owned()).or_default() += 1;
        if g.node_type(n) == NodeType::OBJECT {
            *by_name.entry(g.node_name(n).to_owned()).or_default() += 1;
        }
        total += g.self_size(n);
    }
    json!({
        "node_count": g.node_count(),
        "edge_count": g.edge_count(),
        "string_count": g.strings().len(),
        "total_self_size": total,
        "nodes_by_type": by_type,
        "nodes_by_name": by_name,
    })
}

fn expected(node: &Node, path: &Path) -> Value {
    let mut v = node.json_parse_counts(path);
    let obj = v.as_object_mut().unwrap();
    obj.remove("node_fields");
    obj.remove("edge_fields");
    // serde_json's maps are ordered, like our BTreeMaps.
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn counts_match_json_parse_on_every_node_version() {
    for node in all_nodes() {
        let dir = scratch();
        let path = node.write_snapshot(dir.path(), "fixture", FIXTURE);
        let want = expected(&node, &path);
        let bytes = std::fs::read(&path).unwrap();
        let from_file = ReadOptions::new().open(&path).unwrap();
        assert_eq!(our_counts(&from_file.graph), want, "Node {}: parallel file read", node.version);
        assert_eq!(from_file.json_bytes, bytes.len() as u64);
        for (how, snap) in [
            ("sequential", read_bytes(&bytes).unwrap()),
            ("stream", read_stream(&bytes).unwrap()),
            ("gzip", read_stream(&gzip(&bytes)).unwrap()),
        ] {
            assert_eq!(our_counts(&snap.graph), want, "Node {}: {how}", node.version);
        }
        assert_eq!(want["nodes_by_name"]["Widget"], 3000, "Node {}", node.version);
        // Node 24 dropped trace_node_id; the layout says what each version has.
        assert_eq!(
            from_file.graph.has_trace_node_ids(),
            from_file.layout.node_fields.iter().any(|f| f == "trace_node_id")
        );
    }
}

#[test]
fn gzip_file_on_disk() {
    let node = node();
    let dir = scratch();
    let path = node.write_snapshot(dir.path(), "fixture", FIXTURE);
    let gz = dir.path().join("fixture.heapsnapshot.gz");
    std::fs::write(&gz, gzip(&std::fs::read(&path).unwrap())).unwrap();
    let mut last = None;
    let snap = ReadOptions::new().on_progress(|p| last = Some(p)).open(&gz).unwrap();
    assert_eq!(our_counts(&snap.graph), expected(&node, &path));
    let last = last.expect("progress was reported");
    assert_eq!(Some(last.read), last.total, "progress ends at the compressed size");
}

#[test]
fn astral_and_lone_surrogate_strings_load() {
    let node = node();
    let dir = scratch();
    let path = node.write_snapshot(dir.path(), "fixture", FIXTURE);
    let text = std::fs::read_to_string(&path).unwrap();
    // What V8 wrote: code points truncated to 16 bits, so a lone surrogate escape.
    assert!(text.contains(r#""sign\uD800writing \uF600 smile""#));
    let g = ReadOptions::new().open(&path).unwrap().graph;
    let names: Vec<&str> =
        g.nodes().filter(|&n| g.node_type(n) == NodeType::STRING).map(|n| g.node_name(n)).collect();
    assert!(names.contains(&"sign\u{FFFD}writing \u{F600} smile"));
    // Invalid UTF-16 in a JS string comes out as '?' per byte.
    assert!(names.contains(&"a???b"));
}

#[test]
fn allocation_traces() {
    let node = node();
    let dir = scratch();
    let script =
        format!("const v8 = require('v8');\n{FIXTURE}\nv8.writeHeapSnapshot(process.argv[2]);");
    let path = dir.path().join("traced.heapsnapshot");
    std::fs::write(dir.path().join("traced.js"), &script).unwrap();
    let widget_line = 1 + script.lines().position(|l| l.contains("new Widget")).unwrap() as u32;
    let out = leakscope_testkit::run_with_timeout(
        node.command()
            .arg("--track-heap-objects")
            .arg("traced.js")
            .arg(&path)
            .current_dir(dir.path()),
        std::time::Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cross = node.run_script(
        dir.path(),
        "count-trace",
        r"const s = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
          let n = 0; (function walk(a) { for (let i = 0; i < a.length; i += 5) { n++; walk(a[i + 4]); } })(s.trace_tree);
          console.log(JSON.stringify([s.snapshot.trace_function_count, n]));",
        &[path.to_str().unwrap()],
        std::time::Duration::from_secs(60),
    );
    let [functions, tree_nodes]: [usize; 2] = serde_json::from_slice(&cross.stdout).unwrap();
    let g = ReadOptions::new().open(&path).unwrap().graph;
    let traces = g.traces().expect("a --track-heap-objects snapshot has traces");
    assert_eq!((traces.functions.len(), traces.nodes.len()), (functions, tree_nodes));
    assert!(tree_nodes > 10);
    // A Widget was allocated by the arrow function on the line that says `new Widget`.
    let widget = g
        .nodes()
        .find(|&n| g.node_type(n) == NodeType::OBJECT && g.node_name(n) == "Widget")
        .unwrap();
    let stack = traces.stack(g.trace_node_id(widget));
    let top = stack.first().expect("a Widget has an allocation stack");
    assert!(g.string(top.script_name).ends_with("traced.js"), "{}", g.string(top.script_name));
    assert_eq!(top.line, widget_line);
    assert_eq!(g.string(stack.last().unwrap().name), "(root)");
}

/// A real snapshot made once for the mutation tests (a few MB). Its directory is removed at
/// once: statics are never dropped, so a `TempDir` kept here would outlive the test run.
fn real_bytes() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = scratch();
        let path = node().write_snapshot(
            dir.path(),
            "fuzz",
            "globalThis.xs = Array.from({length: 100}, (_, i) => ({i}));",
        );
        std::fs::read(&path).unwrap()
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// A real snapshot cut anywhere is an error, never a panic; with a few bytes changed it
    /// loads or fails cleanly.
    #[test]
    fn real_snapshot_cut_or_mutated(
        cut in proptest::prelude::any::<proptest::sample::Index>(),
        edits in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..8),
    ) {
        let bytes = real_bytes();
        let at = cut.index(bytes.len());
        proptest::prop_assert!(read_bytes(&bytes[..at]).is_err());
        let mut mutated = bytes.to_vec();
        for (i, b) in edits {
            let i = i.index(mutated.len());
            mutated[i] = b;
        }
        let _ = read_bytes(&mutated);
        let _ = read_stream(&mutated);
    }
}

#[test]
fn cut_files_on_disk_fail_cleanly() {
    // Plain files take the two-thread path: cut them in each section, and inside the
    // boundary between nodes and edges that the second thread jumps to.
    let bytes = real_bytes();
    let text = String::from_utf8_lossy(bytes);
    let edges = text.find("\"edges\":").unwrap();
    let strings = text.find("\"strings\":").unwrap();
    let dir = scratch();
    let mut cuts: Vec<usize> = (1..40).map(|k| bytes.len() * k / 40).collect();
    cuts.extend([edges - 2, edges - 1, edges, edges + 5, edges + 9, strings + 3]);
    for cut in cuts {
        let path = dir.path().join(format!("cut-{cut}.heapsnapshot"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = ReadOptions::new().open(&path).expect_err("a cut file must not load");
        assert!(e.offset().is_some(), "cut at {cut}: {e}");
    }
    // Damage inside the edges (second thread) is reported with its offset.
    let mut broken = bytes.to_vec();
    let at = edges + 200;
    broken[at] = b'x';
    let path = dir.path().join("broken.heapsnapshot");
    std::fs::write(&path, &broken).unwrap();
    let e = ReadOptions::new().open(&path).expect_err("damaged edges");
    assert!(e.to_string().contains("found 'x'"), "{e}");
    assert_eq!(e.offset(), Some(at as u64));
}
