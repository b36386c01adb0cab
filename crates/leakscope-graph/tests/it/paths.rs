//! Retainer paths on small graphs whose answer is known.

use leakscope_graph::{
    Analysis, EdgeType, GraphBuilder, HeapGraph, NodeIndex, NodeType, Progress, RetainerPaths,
    group_by_shape, path_text,
};

struct Heap {
    g: HeapGraph,
    ids: Vec<(&'static str, NodeIndex)>,
}

impl Heap {
    fn node(&self, name: &str) -> NodeIndex {
        self.ids.iter().find(|(n, _)| *n == name).unwrap().1
    }

    fn path(&self, name: &str) -> Option<String> {
        let a = Analysis::new(&self.g, Progress::none());
        let paths = RetainerPaths::compute(&self.g, Progress::none());
        paths.path(&self.g, self.node(name)).map(|s| path_text(&self.g, a.classes(), &s))
    }
}

/// `global` holds `list` (two `Item`s) and a WeakMap whose only value `V` is keyed by `K`,
/// which `keys` holds; the system roots hold `Handle`, a code object holds `Constant`, and only
/// a weak edge leads to `Weakling`.
fn heap() -> Heap {
    let mut b = GraphBuilder::new();
    let mut ids = Vec::new();
    let mut id = 1;
    let mut add = |b: &mut GraphBuilder, name: &'static str, t: NodeType, class: &str| {
        let n = b.add_node(t, class, id, 16);
        id += 2;
        ids.push((name, n));
        n
    };
    let root = add(&mut b, "root", NodeType::SYNTHETIC, "");
    let gc_roots = add(&mut b, "gc", NodeType::SYNTHETIC, "(GC roots)");
    let handles = add(&mut b, "handles", NodeType::SYNTHETIC, "(Global handles)");
    let global = add(&mut b, "global", NodeType::OBJECT, "global");
    let list = add(&mut b, "list", NodeType::OBJECT, "Array");
    let item0 = add(&mut b, "item0", NodeType::OBJECT, "Item");
    let item1 = add(&mut b, "item1", NodeType::OBJECT, "Item");
    let wm = add(&mut b, "wm", NodeType::OBJECT, "WeakMap");
    let table = add(&mut b, "table", NodeType::ARRAY, "");
    let keys = add(&mut b, "keys", NodeType::OBJECT, "Array");
    let key = add(&mut b, "K", NodeType::OBJECT, "Key");
    let value = add(&mut b, "V", NodeType::OBJECT, "Value");
    let handle = add(&mut b, "Handle", NodeType::OBJECT, "Handle");
    let code = add(&mut b, "code", NodeType::CODE, "(code)");
    let constant = add(&mut b, "Constant", NodeType::OBJECT, "Constant");
    let weakling = add(&mut b, "Weakling", NodeType::OBJECT, "Weakling");
    b.add_index_edge(root, EdgeType::Element, 1, gc_roots);
    b.add_edge(root, EdgeType::Shortcut, "global", global);
    b.add_index_edge(gc_roots, EdgeType::Element, 1, handles);
    b.add_edge(handles, EdgeType::Internal, "handle", handle);
    // The WeakMap comes first, so a plain search would reach the value through the table.
    b.add_edge(global, EdgeType::Property, "wm", wm);
    b.add_edge(global, EdgeType::Property, "list", list);
    b.add_edge(global, EdgeType::Property, "keys", keys);
    b.add_edge(global, EdgeType::Property, "fn", code);
    b.add_edge(global, EdgeType::Weak, "weak", weakling);
    b.add_index_edge(list, EdgeType::Element, 0, item0);
    b.add_index_edge(list, EdgeType::Element, 1, item1);
    b.add_edge(wm, EdgeType::Internal, "table", table);
    let pair = format!(
        " / part of key (Key @{}) -> value (Value @{}) pair in WeakMap (table @{})",
        21, 23, 17
    );
    b.add_edge(table, EdgeType::Internal, &format!("1{pair}"), value);
    b.add_index_edge(keys, EdgeType::Element, 0, key);
    b.add_edge(key, EdgeType::Internal, &format!("2{pair}"), value);
    b.add_edge(code, EdgeType::Internal, "constant", constant);
    let g = b.build().unwrap();
    assert_eq!(g.node_id(table), 17, "the ephemeron names above use these ids");
    assert_eq!((g.node_id(key), g.node_id(value)), (21, 23));
    Heap { g, ids }
}

#[test]
fn paths_go_through_global_and_name_each_edge() {
    let h = heap();
    assert_eq!(h.path("item1").unwrap(), "global → list → [1] → Item @13");
    assert_eq!(h.path("global").unwrap(), "global @7");
    assert_eq!(h.path("Handle").unwrap(), "(GC roots) → (Global handles) → handle → Handle @25");
}

#[test]
fn weakmap_values_are_explained_by_their_keys() {
    let h = heap();
    assert_eq!(h.path("V").unwrap(), "global → keys → [0] → (WeakMap value) → Value @23");
}

#[test]
fn code_paths_are_a_last_resort_and_weak_edges_never_count() {
    let h = heap();
    assert_eq!(h.path("Constant").unwrap(), "global → fn → constant → Constant @29");
    assert_eq!(h.path("Weakling"), None);
}

#[test]
fn paths_of_one_shape_form_one_group() {
    let h = heap();
    let a = Analysis::new(&h.g, Progress::none());
    let paths = RetainerPaths::compute(&h.g, Progress::none());
    let nodes = [h.node("item0"), h.node("item1"), h.node("Handle"), h.node("Weakling")];
    let (groups, unreached) = group_by_shape(&h.g, a.classes(), &paths, &nodes);
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].nodes, [h.node("item0"), h.node("item1")]);
    assert_eq!(groups[1].nodes, [h.node("Handle")]);
    assert_eq!(unreached, [h.node("Weakling")]);
}

#[test]
fn handle_scopes_are_the_last_resort_among_roots() {
    // `Job` is held by a stack frame's context (three steps from the GC roots) and, while the
    // snapshot was taken, by a handle scope (two steps): the path goes through the context.
    // `Temp` only the handle scope holds.
    let mut b = GraphBuilder::new();
    let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
    let gc = b.add_node(NodeType::SYNTHETIC, "(GC roots)", 3, 0);
    let stack = b.add_node(NodeType::SYNTHETIC, "(Stack roots)", 5, 0);
    let handles = b.add_node(NodeType::SYNTHETIC, "(Handle scope)", 7, 0);
    let context = b.add_node(NodeType::OBJECT, "system / Context", 9, 16);
    let job = b.add_node(NodeType::OBJECT, "Job", 11, 16);
    let temp = b.add_node(NodeType::OBJECT, "Temp", 13, 16);
    b.add_index_edge(root, EdgeType::Element, 1, gc);
    b.add_index_edge(gc, EdgeType::Element, 1, handles);
    b.add_index_edge(gc, EdgeType::Element, 2, stack);
    b.add_index_edge(handles, EdgeType::Element, 0, job);
    b.add_index_edge(handles, EdgeType::Element, 1, temp);
    b.add_index_edge(stack, EdgeType::Element, 0, context);
    b.add_edge(context, EdgeType::Context, "job", job);
    let g = b.build().unwrap();
    let a = Analysis::new(&g, Progress::none());
    let paths = RetainerPaths::compute(&g, Progress::none());
    let text = |n| path_text(&g, a.classes(), &paths.path(&g, n).unwrap());
    assert_eq!(text(job), "(GC roots) → (Stack roots) → [0] → job → Job @11");
    assert_eq!(text(temp), "(GC roots) → (Handle scope) → [1] → Temp @13");
}

#[test]
fn the_inspectors_global_reads_as_global() {
    // Over the inspector, Node names its global object `global / ` (no url after the slash).
    let mut b = GraphBuilder::new();
    let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
    let global = b.add_node(NodeType::OBJECT, "global / ", 3, 16);
    let item = b.add_node(NodeType::OBJECT, "Item", 5, 16);
    b.add_edge(root, EdgeType::Shortcut, "global", global);
    b.add_edge(global, EdgeType::Property, "keep", item);
    let g = b.build().unwrap();
    let a = Analysis::new(&g, Progress::none());
    let paths = RetainerPaths::compute(&g, Progress::none());
    assert_eq!(
        path_text(&g, a.classes(), &paths.path(&g, item).unwrap()),
        "global → keep → Item @5"
    );
}
