//! Broken input: each gives a clear error with an offset, never a panic, a hang or a huge
//! allocation.

use leakscope_graph::{EdgeName, NodeIndex, NodeType};
use leakscope_snapshot::Error;
use proptest::prelude::*;

use crate::{read_bytes, read_stream};

const META: &str = r#"{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape","wasm object"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"],"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]},"#;

/// A three-node snapshot in V8's exact layout: root -shortcut "global"-> Foo -property "x"->
/// "hello".
fn tiny(node_count: u64, edge_count: u64, nodes: &str, edges: &str, strings: &str) -> String {
    format!(
        "{{\"snapshot\":{META}\"node_count\":{node_count},\"edge_count\":{edge_count},\"trace_function_count\":0}},\n\"nodes\":[{nodes}],\n\"edges\":[{edges}],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n\"locations\":[14,1,2,3],\n\"strings\":[{strings}]}}"
    )
}

const NODES: &str = "9,1,1,0,1,0,0\n,3,2,3,16,1,0,0\n,2,3,5,24,0,0,0";
const EDGES: &str = "5,4,7\n,2,5,14";
const STRINGS: &str = "\"<dummy>\",\n\"\",\n\"Foo\",\n\"hello\",\n\"global\",\n\"x\"";

fn good() -> String {
    tiny(3, 2, NODES, EDGES, STRINGS)
}

fn err(text: &str) -> Error {
    match read_bytes(text.as_bytes()) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

fn message(text: &str) -> String {
    err(text).to_string()
}

#[test]
fn the_tiny_snapshot_loads() {
    for snap in [read_bytes(good().as_bytes()).unwrap(), read_stream(good().as_bytes()).unwrap()] {
        let g = &snap.graph;
        assert_eq!((g.node_count(), g.edge_count()), (3, 2));
        let foo = NodeIndex(1);
        assert_eq!(
            (g.node_name(foo), g.node_type(foo), g.node_id(foo), g.self_size(foo)),
            ("Foo", NodeType::OBJECT, 3, 16)
        );
        let e = g.edges(foo).next().unwrap();
        assert_eq!((g.edge_name(e), g.node_name(g.edge_to(e))), (EdgeName::Str("x"), "hello"));
        assert_eq!(
            g.location(NodeIndex(2)).map(|l| (l.script_id, l.line, l.column)),
            Some((1, 2, 3))
        );
    }
}

#[test]
fn empty_input() {
    assert!(matches!(err(""), Error::Empty));
    assert!(matches!(err(" \n\t "), Error::Empty));
}

#[test]
fn json_that_is_not_a_snapshot() {
    let m = message("[1,2,3]");
    assert!(m.contains("not a V8 heap snapshot") && m.contains("byte 0"), "{m}");
    let m = message(r#"{"name":"leakscope","version":"1.0.0"}"#);
    assert!(m.contains("no \"snapshot\" header") && m.contains("name, version"), "{m}");
    let m = message(r#"{"snapshot":{"title":"x"}}"#);
    assert!(m.contains("unsupported snapshot header") && m.contains("meta"), "{m}");
    let m = message(r#"{"nodes":[1,2,3]}"#);
    assert!(m.contains("before the \"snapshot\" header"), "{m}");
    let m = message("PK\u{3}\u{4}binary");
    assert!(m.contains("not a V8 heap snapshot"), "{m}");
}

#[test]
fn header_counts_that_disagree_with_the_arrays() {
    let m = message(&tiny(4, 2, NODES, EDGES, STRINGS));
    assert!(m.contains("node_count is 4, but the nodes array holds 3 nodes"), "{m}");
    let m = message(&tiny(2, 2, NODES, EDGES, STRINGS));
    assert!(m.contains("more than the 2 nodes"), "{m}");
    let m = message(&tiny(3, 3, NODES, EDGES, STRINGS));
    assert!(m.contains("edge_count is 3, but the nodes' edge counts add up to 2"), "{m}");
    let m = message(&tiny(3, 2, "9,1,1,0,1,0,0\n,3,2,3,16,1,0,0\n,2,3,5,24,0,0", EDGES, STRINGS));
    assert!(m.contains("middle of a row"), "{m}");
    let m = message(&tiny(3, 2, NODES, "5,4,7\n,2,5", STRINGS));
    assert!(m.contains("edges array holds 5 values"), "{m}");
    // Every error names a byte offset.
    assert!(err(&tiny(4, 2, NODES, EDGES, STRINGS)).offset().is_some());
}

#[test]
fn edges_that_point_outside_the_nodes() {
    let m = message(&tiny(3, 2, NODES, "5,4,7\n,2,5,21", STRINGS));
    assert!(m.contains("edge 1 points to node index 21, past the end of the 3 nodes"), "{m}");
    let m = message(&tiny(3, 2, NODES, "5,4,7\n,2,5,15", STRINGS));
    assert!(m.contains("not a multiple of the 7 node fields"), "{m}");
    let offset = err(&tiny(3, 2, NODES, "5,4,7\n,2,5,21", STRINGS)).offset().unwrap();
    let text = tiny(3, 2, NODES, "5,4,7\n,2,5,21", STRINGS);
    assert!(text[offset as usize..].starts_with("2,5,21"), "the offset points at the row");
}

#[test]
fn unknown_type_values() {
    let m =
        message(&tiny(3, 2, "9,1,1,0,1,0,0\n,99,2,3,16,1,0,0\n,2,3,5,24,0,0,0", EDGES, STRINGS));
    assert!(m.contains("node 1 has type 99, but snapshot.meta lists 16 node types"), "{m}");
    let m = message(&tiny(3, 2, NODES, "5,4,7\n,7,5,14", STRINGS));
    assert!(m.contains("edge 1 has type 7, but snapshot.meta lists 7 edge types"), "{m}");
}

#[test]
fn names_past_the_string_table() {
    let m =
        message(&tiny(3, 2, "9,1,1,0,1,0,0\n,3,42,3,16,1,0,0\n,2,3,5,24,0,0,0", EDGES, STRINGS));
    assert!(
        m.contains("node 1 (id 3) is named by string 42, but the strings array holds 6"),
        "{m}"
    );
    let m = message(&tiny(3, 2, NODES, "5,4,7\n,2,50,14", STRINGS));
    assert!(m.contains("edge 1 is named by string 50"), "{m}");
}

#[test]
fn bad_syntax_inside_arrays() {
    for (nodes, what) in [
        ("9,1,1,0,1,0,0\n,3,2,3,16,1,0,0\n,2,3,5,24,0,0,x", "found 'x'"),
        ("9,1,1,0,1,0,0\n,3,2,3,16,1,0,0\n,2,3,5,24,0,0,", "expected a number"),
        ("9,1,1,0,1,0,0\n,3,2,3,16,1,0,0\n,2,3,5,24,0,0 0", "missing ','"),
        ("9,1,1,0,1,0,0\n,3,2,3,16,1,0,0\n,2,3,5,-24,0,0,0", "found '-'"),
        ("9,1,1,0,1,0,0\n,3,2,3,99999999999999999999,1,0,0\n,2,3,5,24,0,0,0", "number too large"),
        ("9,1,1,0,1,0,0\n,3,2,3,16,1,0,0\n,,2,3,5,24,0,0,0", "expected a number"),
    ] {
        let m = message(&tiny(3, 2, nodes, EDGES, STRINGS));
        assert!(m.contains("malformed snapshot at byte") && m.contains(what), "{what}: {m}");
    }
    let m = message(&format!("{} trailing", good()));
    assert!(m.contains("after the end of the snapshot"), "{m}");
    let m =
        message(&tiny(3, 2, NODES, EDGES, "\"<dummy>\",\"\",\"Foo\",\"a\\qb\",\"global\",\"x\""));
    assert!(m.contains("bad escape"), "{m}");
}

#[test]
fn ids_and_names_past_32_bits() {
    let m = message(&tiny(
        3,
        2,
        "9,1,1,0,1,0,0\n,3,2,4294967297,16,1,0,0\n,2,3,5,24,0,0,0",
        EDGES,
        STRINGS,
    ));
    assert!(m.contains("node id 4294967297 does not fit in 32 bits"), "{m}");
    // self_size may pass 4 GiB (a big ArrayBuffer's backing store).
    let big = read_bytes(
        tiny(3, 2, "9,1,1,0,1,0,0\n,3,2,3,5368709120,1,0,0\n,2,3,5,24,0,0,0", EDGES, STRINGS)
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(big.graph.self_size(NodeIndex(1)), 5_368_709_120);
}

#[test]
fn every_truncation_is_an_error() {
    let text = good();
    for cut in 0..text.len() {
        let prefix = &text.as_bytes()[..cut];
        for result in [read_bytes(prefix), read_stream(prefix)] {
            let e = result.expect_err("a cut snapshot must not load");
            assert!(
                matches!(e, Error::Empty | Error::Truncated { .. } | Error::NotASnapshot { .. }),
                "cut at {cut}: {e}"
            );
        }
    }
}

#[test]
fn lying_header_counts_do_not_allocate_the_lie() {
    // A header that claims 10^12 nodes must fail on the data, not try to reserve terabytes.
    let text = tiny(1_000_000_000_000, 2, NODES, EDGES, STRINGS);
    for result in [read_bytes(text.as_bytes()), read_stream(text.as_bytes())] {
        assert!(result.unwrap_err().to_string().contains("node_count is 1000000000000"));
    }
}

#[test]
fn lenient_strings() {
    let strings = r#""<dummy>","","Foo","sign\uD800writing \uF600 pair \uD83D\uDE00 low \uDC00 end \uD800\n","global","x""#;
    let snap = read_bytes(tiny(3, 2, NODES, EDGES, strings).as_bytes()).unwrap();
    assert_eq!(
        snap.graph.node_name(NodeIndex(2)),
        "sign\u{FFFD}writing \u{F600} pair \u{1F600} low \u{FFFD} end \u{FFFD}\n"
    );
}

#[test]
fn newer_v8_types_load() {
    // A node type this version of leakscope does not know keeps its name.
    let text = good()
        .replace("\"wasm object\"]", "\"wasm object\",\"future thing\"]")
        .replace(",2,3,5,24,", ",16,3,5,24,");
    let snap = read_bytes(text.as_bytes()).unwrap();
    let t = snap.graph.node_type(NodeIndex(2));
    assert_eq!(snap.graph.type_name(t), "future thing");
    // An unknown edge type loads as a retaining edge, with a warning.
    let text =
        good().replace("\"weak\"]", "\"weak\",\"future edge\"]").replace("\n,2,5,14", "\n,7,5,14");
    let snap = read_bytes(text.as_bytes()).unwrap();
    assert_eq!(snap.warnings.len(), 1, "{:?}", snap.warnings);
}

#[test]
fn fields_found_by_name_not_position() {
    // Chrome and older V8 order or omit fields differently: swap two columns and drop two.
    let text = good()
        .replace(
            r#"["type","name","id","self_size","edge_count","trace_node_id","detachedness"]"#,
            r#"["name","type","id","self_size","edge_count"]"#,
        )
        .replace(
            r#","string","number","number","number","number","number"]"#,
            r#","number","number","number"]"#,
        )
        .replace(r#""node_types":[["hidden""#, r#""node_types":["string",["hidden""#);
    let nodes = "1,9,1,0,1\n,2,3,3,16,1\n,3,2,5,24,0";
    let edges = "5,4,5\n,2,5,10";
    let text = text.replace(NODES, nodes).replace(EDGES, edges).replace("[14,1,2,3]", "[10,1,2,3]");
    let snap = read_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let g = &snap.graph;
    assert_eq!((g.node_name(NodeIndex(1)), g.node_type(NodeIndex(1))), ("Foo", NodeType::OBJECT));
    assert!(!g.has_trace_node_ids() && !g.has_detachedness());
    assert_eq!(g.node_name(g.edge_to(g.edges(NodeIndex(1)).next().unwrap())), "hello");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Any mutation of a valid snapshot loads or fails cleanly: no panic, no hang.
    #[test]
    fn mutated_tiny_snapshots_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = good().into_bytes();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = read_bytes(&bytes);
        let _ = read_stream(&bytes);
    }
}
