//! The writer: a real snapshot written back and read again gives the same graph.

use leakscope_graph::HeapGraph;
use leakscope_snapshot::{ReadOptions, write_snapshot};

use crate::read_bytes;

fn assert_same(a: &HeapGraph, b: &HeapGraph) {
    assert_eq!(a.node_count(), b.node_count());
    assert_eq!(a.edge_count(), b.edge_count());
    for n in a.nodes() {
        assert_eq!(a.node_type(n), b.node_type(n), "type of node {n:?}");
        assert_eq!(a.node_name(n), b.node_name(n), "name of node {n:?}");
        assert_eq!(a.node_id(n), b.node_id(n));
        assert_eq!(a.self_size(n), b.self_size(n));
        assert_eq!(a.out_degree(n), b.out_degree(n));
        for (ea, eb) in a.edges(n).zip(b.edges(n)) {
            assert_eq!(a.edge_type(ea), b.edge_type(eb));
            assert_eq!(a.edge_name(ea), b.edge_name(eb));
            assert_eq!(a.edge_to(ea), b.edge_to(eb));
        }
    }
    assert_eq!(a.locations(), b.locations());
}

#[test]
fn real_snapshot_round_trips() {
    let node = leakscope_testkit::node();
    let dir = leakscope_testkit::scratch();
    let body = "class Leaky { constructor(i) { this.i = i; this.s = 'é\\n\"' + i + '😀'; } }\n\
                globalThis.keep = Array.from({ length: 500 }, (_, i) => new Leaky(i));";
    let path = node.write_snapshot(dir.path(), "fixture", body);
    let original = ReadOptions::new().open(&path).unwrap();
    let mut bytes = Vec::new();
    write_snapshot(&original.graph, &mut bytes).unwrap();
    let again = read_bytes(&bytes).unwrap();
    assert_same(&original.graph, &again.graph);
}
