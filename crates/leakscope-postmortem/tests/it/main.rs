//! Real core dumps of Node 18–24 processes holding known objects, made at test time.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests fail loudly on purpose

mod errors;

use leakscope_graph::{EdgeName, EdgeType, HeapGraph, NodeIndex, NodeType};
use leakscope_postmortem::{Dump, DumpGraph, ObjectGroup, ValueView};
use leakscope_testkit::{CoreKind, all_nodes, node, scratch};

/// Known objects: counts, shapes, strings, collections, a closure, an array grown past its
/// length, a dictionary-mode object.
pub const FIXTURE: &str = r"
class LeakyThing { constructor(i) { this.id = i; this.payload = 'x' + i; this.tags = [i]; } }
class OtherThing { constructor(i) { this.name = 'other' + i; this.when = i + 0.5; this.nested = { depth: i, label: 'n' + i }; } }
function Legacy(a) { this.a = a; this.b = 'legacy'; }
globalThis.leaks = [];
for (let i = 0; i < 10000; i++) leaks.push(new LeakyThing(i));
globalThis.others = [];
for (let i = 0; i < 500; i++) others.push(new OtherThing(i));
globalThis.legacies = [];
for (let i = 0; i < 250; i++) legacies.push(new Legacy(i));
globalThis.plain = [];
for (let i = 0; i < 300; i++) plain.push({ k: i, v: 'v' + i });
const m = new Map(); for (let i = 0; i < 20; i++) m.set('key' + i, { entry: i });
const dict = { keep: 1, drop: 2, also: 'yes' }; delete dict.drop;
const long = 'L'.repeat(5000) + String(process.pid % 1);
globalThis.holder = {
  theOne: leaks[42], cons: 'abc'.repeat(5) + String(process.pid % 1), map: m,
  set: new Set(['alpha', 'beta']), two: '€uro' + 'x'.repeat(3), long, sliced: long.slice(4990, 5001),
  dict, nums: [1.5, 2.5],
  // Internalized in place when used as a key: a thin string where V8 can.
  thin: (() => { const k = 'dyn' + String(process.pid % 1) + 'amic'; const o = {}; o[k] = 1; return k; })(),
  // Builtin sources are external strings; a function's source text is cut from one.
  external: require('fs').readFileSync.toString(),
};
globalThis.makeCounter = (function () { const captured = { secret: 'kept-by-closure' }; return function counter() { return captured; }; })();
";

pub fn group<'a>(
    groups: &'a [ObjectGroup],
    class: &str,
    props: &[&str],
) -> Option<&'a ObjectGroup> {
    groups.iter().find(|g| g.class == class && g.properties == props)
}

/// The node a global variable holds.
pub fn global(g: &HeapGraph, name: &str) -> NodeIndex {
    let global = g
        .edges(g.root())
        .find(|&e| g.edge_type(e) == EdgeType::Shortcut)
        .map(|e| g.edge_to(e))
        .expect("root has a global shortcut");
    g.edges(global)
        .find(|&e| g.edge_name(e) == EdgeName::Str(name))
        .map(|e| g.edge_to(e))
        .unwrap_or_else(|| panic!("no global variable {name}"))
}

fn prop<'a>(view: &'a leakscope_postmortem::ObjectView, name: &str) -> &'a ValueView {
    &view.properties.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no .{name}")).1
}

fn object_address(v: &ValueView) -> u64 {
    match v {
        ValueView::Object(a, _) => *a,
        other => panic!("expected an object, got {other:?}"),
    }
}

fn check_fixture(dump: &Dump, graph: &DumpGraph, label: &str) {
    let groups = dump.object_groups();
    let count = |class: &str, props: &[&str]| group(&groups, class, props).map_or(0, |g| g.count);
    assert_eq!(count("LeakyThing", &["id", "payload", "tags"]), 10_000, "{label}");
    assert_eq!(count("OtherThing", &["name", "nested", "when"]), 500, "{label}");
    assert_eq!(count("Legacy", &["a", "b"]), 250, "{label}");
    // 300 objects plus the literal's boilerplate V8 keeps for the allocation site.
    assert_eq!(count("Object", &["k", "v"]), 301, "{label}");
    assert_eq!(dump.instances("LeakyThing").len(), 10_000, "{label}");
    assert_eq!(dump.instances("Legacy").len(), 250, "{label}");

    let g = &graph.graph;
    let holder = dump.inspect(graph.address(global(g, "holder")), 50).unwrap();
    assert_eq!(holder.class, "Object");
    let string = |name: &str| match prop(&holder, name) {
        ValueView::String(s, len) => (s.clone(), *len),
        other => panic!("{label}: .{name} is {other:?}"),
    };
    assert_eq!(string("cons"), ("abcabcabcabcabc0".to_owned(), 16), "{label}");
    assert_eq!(string("two"), ("€uroxxx".to_owned(), 7), "{label}");
    assert_eq!(string("sliced"), ("LLLLLLLLLL0".to_owned(), 11), "{label}");
    assert_eq!(string("thin"), ("dyn0amic".to_owned(), 8), "{label}");
    let (external, _) = string("external");
    assert!(
        external.starts_with("function readFileSync(path, options) {"),
        "{label}: {external:?}"
    );
    let (long, long_len) = string("long");
    assert_eq!((long.len(), long_len), (1024, 5001), "{label}: cut like V8's snapshot names");

    let the_one = dump.inspect(object_address(prop(&holder, "theOne")), 50).unwrap();
    assert_eq!(the_one.class, "LeakyThing");
    assert_eq!(prop(&the_one, "id"), &ValueView::Smi(42));
    assert!(matches!(prop(&the_one, "payload"), ValueView::String(s, 3) if s == "x42"));
    let tags = dump.inspect(object_address(prop(&the_one, "tags")), 50).unwrap();
    assert_eq!((tags.class.as_str(), tags.length), ("Array", Some(1)));
    assert_eq!(tags.elements, vec![(0, ValueView::Smi(42))]);

    let legacies = dump.inspect(graph.address(global(g, "legacies")), 1000).unwrap();
    assert_eq!(legacies.length, Some(250), "{label}: the length, not the capacity");
    assert_eq!(legacies.elements.len(), 250);

    let map = dump.inspect(object_address(prop(&holder, "map")), 100).unwrap();
    assert_eq!(map.class, "Map");
    assert_eq!(map.entries.len(), 20);
    assert!(matches!(&map.entries[3].0, ValueView::String(s, _) if s == "key3"));
    let set = dump.inspect(object_address(prop(&holder, "set")), 100).unwrap();
    let members: Vec<_> = set.entries.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        members,
        vec![ValueView::String("alpha".into(), 5), ValueView::String("beta".into(), 4)]
    );

    let dict = dump.inspect(object_address(prop(&holder, "dict")), 10).unwrap();
    let mut keys: Vec<_> = dict.properties.iter().map(|(n, _)| n.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["also", "keep"], "{label}: dictionary-mode object");
    let nums = dump.inspect(object_address(prop(&holder, "nums")), 10).unwrap();
    assert_eq!(nums.elements, vec![(0, ValueView::Number(1.5)), (1, ValueView::Number(2.5))]);

    let counter = dump.inspect(graph.address(global(g, "makeCounter")), 10).unwrap();
    let function = counter.function.as_ref().expect("a function");
    let (name, vars) = (&function.name, &function.context);
    assert_eq!(name, "counter", "{label}");
    assert!(
        function
            .script
            .as_deref()
            .is_some_and(|s| s.ends_with("fixture.js") || s.ends_with("idle.js")),
        "{label}: {:?}",
        function.script
    );
    assert_eq!(vars.len(), 1);
    assert_eq!(vars[0].0, "captured");

    // refs of leaks[42]: its array slot and holder.theOne; a path from the global `leaks`.
    let target = graph.node_at(the_one.address).unwrap();
    let leaks = global(g, "leaks");
    let holder_node = global(g, "holder");
    let retainers: Vec<_> = g.retainers().of(target).collect();
    assert!(
        retainers.iter().any(|&(from, e)| from == leaks && g.edge_name(e) == EdgeName::Index(42)),
        "{label}: leaks[42]"
    );
    assert!(
        retainers
            .iter()
            .any(|&(from, e)| from == holder_node && g.edge_name(e) == EdgeName::Str("theOne"))
    );
    assert_eq!(g.node_name(target), "LeakyThing");
    assert_eq!(g.node_type(target), NodeType::OBJECT);
    // The closure's captured object is a context variable.
    let captured = object_address(&vars[0].1);
    let captured_node = graph.node_at(captured).unwrap();
    assert!(
        g.retainers().of(captured_node).any(|(_, e)| g.edge_type(e) == EdgeType::Context
            && g.edge_name(e) == EdgeName::Str("captured"))
    );
}

#[test]
fn kernel_cores_of_every_node_version() {
    for node in all_nodes() {
        let dir = scratch();
        let core = node.core_dump(dir.path(), FIXTURE);
        let label = format!("{} ({:?} core)", node.version, core.kind);
        let dump = Dump::open_core(&core.path, None).unwrap_or_else(|e| panic!("{label}: {e}"));
        let graph = dump.graph().unwrap();
        check_fixture(&dump, &graph, &label);
        eprintln!("{label}: {} objects, {} edges", dump.info().objects, graph.graph.edge_count());
    }
}

/// The census of a core matches a heap snapshot of the same process taken just before.
#[test]
fn core_census_matches_a_heap_snapshot() {
    let node = node();
    let dir = scratch();
    let snap = dir.path().join("before.heapsnapshot");
    let body = format!("{FIXTURE}\nrequire('v8').writeHeapSnapshot({:?});", snap.to_str().unwrap());
    let core = node.core_dump(dir.path(), &body);
    let dump = Dump::open_core(&core.path, None).unwrap();
    let ours = dump.graph().unwrap();
    let theirs = leakscope_snapshot::ReadOptions::new().open(&snap).unwrap().graph;
    let count = |g: &HeapGraph, name: &str| {
        g.nodes().filter(|&n| g.node_type(n) == NodeType::OBJECT && g.node_name(n) == name).count()
    };
    for class in ["LeakyThing", "OtherThing", "Legacy", "Map", "Set"] {
        assert_eq!(count(&ours.graph, class), count(&theirs, class), "{class}");
    }
    // Every JS array the snapshot holds is in the core (which may also hold garbage).
    let (a, b) = (count(&ours.graph, "Array"), count(&theirs, "Array"));
    assert!(a >= b && a <= b + 10, "arrays: core {a}, snapshot {b}");
}

/// `gcore` of a running process: the process keeps running and the core reads the same.
#[test]
fn gcore_of_a_running_process() {
    if !leakscope_testkit::has_gcore() {
        eprintln!("note: gcore not installed; skipping the gcore test (.ci/run installs gdb)");
        return;
    }
    let node = node();
    let dir = scratch();
    let mut child = node.spawn_idle(dir.path(), FIXTURE);
    let path = dir.path().join("core");
    let out = leakscope_testkit::run_with_timeout(
        std::process::Command::new("gcore").arg("-o").arg(&path).arg(child.pid().to_string()),
        std::time::Duration::from_secs(120),
    );
    assert!(out.status.success(), "gcore: {}", String::from_utf8_lossy(&out.stderr));
    assert!(child.is_running(), "gcore must not kill the process");
    let core = dir.path().join(format!("core.{}", child.pid()));
    let dump = Dump::open_core(&core, None).unwrap();
    let graph = dump.graph().unwrap();
    check_fixture(&dump, &graph, "gcore");
    let _ = CoreKind::Gcore;
}

/// A live process read through /proc/PID/mem while stopped, then let go.
#[test]
fn live_process() {
    let node = node();
    let dir = scratch();
    let mut child = node.spawn_idle(dir.path(), FIXTURE);
    let live = leakscope_postmortem::LiveProcess::attach(child.pid()).unwrap();
    assert!(child.is_running());
    let exe = live.executable().unwrap().to_owned();
    let mappings = live.executable_mappings().to_vec();
    let dump =
        Dump::from_memory(Box::new(live), &mappings, exe.as_ref(), "live".into(), None).unwrap();
    let graph = dump.graph().unwrap();
    check_fixture(&dump, &graph, "live");
    assert!(child.is_running());
}
