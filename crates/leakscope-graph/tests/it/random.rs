//! The dominator tree, retained sizes and the retainer paths' search order on random graphs (cycles, weak edges, self edges,
//! islands nothing reaches, objects only weakly held), against a plain fixpoint reference.

use std::collections::BTreeSet;

use leakscope_graph::{
    DominatorTree, EdgeType, GraphBuilder, HeapGraph, NodeIndex, NodeType, Progress, RetainerPaths,
    ShallowSizes, detached_natives,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct RandomGraph {
    sizes: Vec<u64>,
    /// (from, to, type); node 0 is the root.
    edges: Vec<(usize, usize, EdgeType)>,
}

fn edge_type() -> impl Strategy<Value = EdgeType> {
    prop_oneof![
        4 => Just(EdgeType::Property),
        2 => Just(EdgeType::Element),
        2 => Just(EdgeType::Internal),
        1 => Just(EdgeType::Context),
        2 => Just(EdgeType::Weak),
        1 => Just(EdgeType::Shortcut),
    ]
}

fn random_graph() -> impl Strategy<Value = RandomGraph> {
    (2usize..40).prop_flat_map(|n| {
        let sizes = proptest::collection::vec(0u64..100, n);
        let edges = proptest::collection::vec((0..n, 0..n, edge_type()), 0..n * 3);
        let root_edges = proptest::collection::vec(
            (1..n, prop_oneof![Just(EdgeType::Shortcut), Just(EdgeType::Element)]),
            1..4,
        );
        (sizes, edges, root_edges).prop_map(|(sizes, mut edges, root_edges)| {
            edges.extend(root_edges.into_iter().map(|(to, t)| (0, to, t)));
            RandomGraph { sizes, edges }
        })
    })
}

fn build(r: &RandomGraph) -> HeapGraph {
    let mut b = GraphBuilder::new();
    for (i, &size) in r.sizes.iter().enumerate() {
        let (t, size) = if i == 0 { (NodeType::SYNTHETIC, 0) } else { (NodeType::OBJECT, size) };
        b.add_node(t, &format!("N{i}"), u32::try_from(2 * i + 1).unwrap(), size);
    }
    for (k, &(from, to, t)) in r.edges.iter().enumerate() {
        let (from, to) = (NodeIndex(from as u32), NodeIndex(to as u32));
        if t.has_index_name() {
            b.add_index_edge(from, t, k as u32, to);
        } else {
            b.add_edge(from, t, &format!("e{k}"), to);
        }
    }
    b.build().unwrap()
}

/// The reference: DevTools' rules written plainly, then dominator sets by fixpoint.
fn reference(r: &RandomGraph) -> (Vec<usize>, Vec<u64>) {
    let n = r.sizes.len();
    let sizes: Vec<u64> = (0..n).map(|i| if i == 0 { 0 } else { r.sizes[i] }).collect();
    // What the page owns: everything the root's shortcut targets reach over non-weak edges.
    let mut page = vec![false; n];
    let mut stack: Vec<usize> =
        r.edges.iter().filter(|e| e.0 == 0 && e.2 == EdgeType::Shortcut).map(|e| e.1).collect();
    for &s in &stack {
        page[s] = true;
    }
    while let Some(v) = stack.pop() {
        for &(from, to, t) in &r.edges {
            if from == v && t != EdgeType::Weak && !page[to] {
                page[to] = true;
                stack.push(to);
            }
        }
    }
    let essential: Vec<(usize, usize)> = r
        .edges
        .iter()
        .filter(|&&(from, to, t)| {
            t != EdgeType::Weak
                && from != to
                && (from == 0 || t != EdgeType::Shortcut)
                && (from == 0 || page[from] || !page[to])
        })
        .map(|&(from, to, _)| (from, to))
        .collect();
    // Nodes without an essential retainer hang under the root.
    let mut preds: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for &(from, to) in &essential {
        preds[to].insert(from);
    }
    for p in preds.iter_mut().skip(1).filter(|p| p.is_empty()) {
        p.insert(0);
    }
    let mut reach = vec![false; n];
    reach[0] = true;
    let mut changed = true;
    while changed {
        changed = false;
        for v in 1..n {
            if !reach[v] && preds[v].iter().any(|&p| reach[p]) {
                reach[v] = true;
                changed = true;
            }
        }
    }
    let all: BTreeSet<usize> = (0..n).collect();
    let mut dom: Vec<BTreeSet<usize>> =
        (0..n).map(|v| if v == 0 { BTreeSet::from([0]) } else { all.clone() }).collect();
    changed = true;
    while changed {
        changed = false;
        for v in (1..n).filter(|&v| reach[v]) {
            let mut d: Option<BTreeSet<usize>> = None;
            for &p in preds[v].iter().filter(|&&p| reach[p]) {
                d = Some(match d {
                    None => dom[p].clone(),
                    Some(d) => d.intersection(&dom[p]).copied().collect(),
                });
            }
            let mut d = d.unwrap_or_default();
            d.insert(v);
            if d != dom[v] {
                dom[v] = d;
                changed = true;
            }
        }
    }
    // Unreached cycles hang directly under the root.
    for v in (1..n).filter(|&v| !reach[v]) {
        dom[v] = BTreeSet::from([0, v]);
    }
    let idom: Vec<usize> = (0..n)
        .map(|v| {
            if v == 0 {
                return 0;
            }
            // The strict dominator that all others dominate: the one with the most dominators.
            dom[v].iter().filter(|&&d| d != v).copied().max_by_key(|&d| dom[d].len()).unwrap()
        })
        .collect();
    let retained: Vec<u64> =
        (0..n).map(|v| (0..n).filter(|&u| dom[u].contains(&v)).map(|u| sizes[u]).sum()).collect();
    (idom, retained)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn dominators_match_the_fixpoint_reference(r in random_graph()) {
        let g = build(&r);
        let tree = DominatorTree::compute(&g, Progress::none());
        let shallow = ShallowSizes::compute(&g, &detached_natives(&g), Progress::none());
        let retained = tree.retained_sizes(&shallow, Progress::none());
        let (idom, want_retained) = reference(&r);
        let got: Vec<usize> = g.nodes().map(|v| tree.dominator(v).index()).collect();
        prop_assert_eq!(got, idom);
        prop_assert_eq!(retained, want_retained);
        // The children lists are the dominator relation turned around.
        for v in g.nodes() {
            for &c in tree.children(v) {
                prop_assert_eq!(tree.dominator(NodeIndex(c)), v);
            }
        }
        let listed: usize = g.nodes().map(|v| tree.children(v).len()).sum();
        prop_assert_eq!(listed, g.node_count() - 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_search_order_puts_each_object_after_its_paths_previous_one(r in random_graph()) {
        let g = build(&r);
        let paths = RetainerPaths::compute(&g, Progress::none());
        let mut position = vec![usize::MAX; g.node_count()];
        for (i, v) in paths.order().enumerate() {
            prop_assert_eq!(position[v.index()], usize::MAX, "{:?} listed twice", v);
            position[v.index()] = i;
        }
        prop_assert_eq!(paths.order().next(), Some(g.root()));
        for v in g.nodes() {
            prop_assert_eq!(position[v.index()] != usize::MAX, paths.reaches(&g, v));
            match paths.via(v) {
                Some(e) => {
                    prop_assert_eq!(g.edge_to(e), v);
                    prop_assert!(position[g.edge_from(e).index()] < position[v.index()]);
                }
                None => prop_assert!(v == g.root() || !paths.reaches(&g, v)),
            }
        }
    }
}
