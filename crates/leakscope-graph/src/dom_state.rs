//! Which embedder (`native`) nodes DevTools calls "Detached": the ones V8's embedder marked
//! detached, and the native nodes they reach that nothing attached reaches.
//!
//! DevTools renames those nodes `Detached <name>`, which changes their class. Node marks a few
//! of its own embedder objects detached (`Node / ContextifyScript`…): that says nothing about
//! leaks, but the class names must still match DevTools'.

use crate::bits::BitSet;
use crate::graph::HeapGraph;
use crate::types::{EdgeType, NodeIndex, NodeType};

const ATTACHED: u8 = 1;
const DETACHED: u8 = 2;

/// The native nodes DevTools shows as `Detached …`.
#[must_use]
pub fn detached_natives(g: &HeapGraph) -> BitSet {
    let n = g.node_count();
    let mut detached = BitSet::new(n);
    if !g.has_detachedness() || g.nodes().all(|v| g.detachedness(v) == 0) {
        return detached;
    }
    let mut state: Vec<u8> = g.nodes().map(|v| g.detachedness(v) & 3).collect();
    let mut visited = BitSet::new(n);
    let mut attached_list = Vec::new();
    let mut detached_list = Vec::new();
    // Only native nodes take a state: the propagation stops at JavaScript objects.
    let mut process = |v: NodeIndex,
                       new_state: u8,
                       state: &mut [u8],
                       attached_list: &mut Vec<u32>,
                       detached_list: &mut Vec<u32>| {
        if !visited.insert(v.index()) || g.node_type(v) != NodeType::NATIVE {
            return;
        }
        state[v.index()] = new_state;
        if new_state == ATTACHED {
            attached_list.push(v.0);
        } else if new_state == DETACHED {
            detached.set(v.index());
            detached_list.push(v.0);
        }
    };
    for v in g.nodes() {
        let s = state[v.index()];
        if s != 0 {
            process(v, s, &mut state, &mut attached_list, &mut detached_list);
        }
    }
    let propagates = |t: EdgeType| !matches!(t, EdgeType::Hidden | EdgeType::Weak);
    while let Some(v) = attached_list.pop() {
        for e in g.edges(NodeIndex(v)) {
            if propagates(g.edge_type(e)) {
                process(g.edge_to(e), ATTACHED, &mut state, &mut attached_list, &mut detached_list);
            }
        }
    }
    while let Some(v) = detached_list.pop() {
        if state[v as usize] == ATTACHED {
            continue;
        }
        for e in g.edges(NodeIndex(v)) {
            if propagates(g.edge_type(e)) {
                process(g.edge_to(e), DETACHED, &mut state, &mut attached_list, &mut detached_list);
            }
        }
    }
    detached
}
