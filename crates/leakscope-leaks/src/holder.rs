//! Who holds a group of leaked objects: the last edge a program could name before them.
//!
//! The holder is read off one example's retainer path, backwards from the leaked object:
//!
//! 1. If objects of the leaked class come up again a few steps earlier (a linked list, or the
//!    `replaceThing` chain `originalThing → someMethod → context → originalThing`), the walk
//!    goes back to the first of them: the chain is the leak, its entry is where it hangs.
//! 2. Then back past what no program names: array indexes, Map and Set slots, the `table` or
//!    `elements` behind a collection, internal and hidden edges, prototypes, keys of
//!    dictionary-like objects. The first property or closure variable met is the holder edge.
//! 3. The holder object is what that edge points at (the Map, the array) or, when it points
//!    at the chain's entry itself, the object it starts from.
//!
//! The name joins the edges up to the holder edge as a program would write them
//! (`bus._events.tick`, `managers[3].cache`), stopping at a variable or a global.

use leakscope_graph::{EdgeName, EdgeType, HeapGraph, NodeIndex, NodeType, PathStep, edge_text};

use crate::shapes::{DICTIONARY_EDGES, MAX_PERIOD, is_key};

/// The holder of an object, from its retainer path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// The edges that name it: `recentlySeen`, `bus._events.tick`.
    pub name: String,
    /// The object that holds the leaked ones (the Map, the array; for a chain, the object
    /// whose property starts it).
    pub object: NodeIndex,
    /// Where on the path the holder edge is.
    pub step: usize,
    /// Whether the leaked objects hang one from the other (a linked chain).
    pub chain: bool,
    /// Whether the holder edge points at a container of the leaked objects (a Map, an array)
    /// rather than at the first of them.
    pub container: bool,
}

/// The holder of the object `steps` leads to; `same_class` tells objects of its class.
#[must_use]
pub fn find(g: &HeapGraph, steps: &[PathStep], same_class: impl Fn(NodeIndex) -> bool) -> Holder {
    let Some(last) = steps.len().checked_sub(1) else {
        return Holder {
            name: "(root)".to_owned(),
            object: g.root(),
            step: 0,
            chain: false,
            container: false,
        };
    };
    let mut entry = last;
    while let Some(j) =
        (entry.saturating_sub(MAX_PERIOD)..entry).rev().find(|&j| same_class(steps[j].to))
    {
        entry = j;
    }
    let held_by = (0..=entry).rev().find(|&j| names_a_holder(g, steps, j));
    let chain = entry < last;
    let Some(h) = held_by else {
        // Only V8's own edges lead here (handles, the stack, a compilation cache): name the
        // system root the path comes through, else the edge into the chain.
        let name = (0..=entry)
            .rev()
            .map(|j| steps[j].from)
            .find(|&n| g.node_type(n) == NodeType::SYNTHETIC && !g.node_name(n).is_empty())
            .map_or_else(|| edge_text(g, steps[entry].edge), |n| g.node_name(n).to_owned());
        return Holder { name, object: steps[entry].from, step: entry, chain, container: false };
    };
    let object = if h == entry { steps[h].from } else { steps[h].to };
    Holder { name: name(g, steps, h), object, step: h, chain, container: h != entry }
}

/// Whether step `j` is an edge a program names: a property or a closure variable, not a key.
fn names_a_holder(g: &HeapGraph, steps: &[PathStep], j: usize) -> bool {
    let s = steps[j];
    match g.edge_type(s.edge) {
        EdgeType::Context => true,
        EdgeType::Property => {
            !is_key(g, s.edge)
                && g.edge_name(s.edge) != EdgeName::Str("__proto__")
                && !is_dictionary(g, steps, j)
        }
        _ => false,
    }
}

/// Whether the object step `j` starts from keeps its properties as a dictionary of keys (the
/// global object, whose properties are variables, never does).
fn is_dictionary(g: &HeapGraph, steps: &[PathStep], j: usize) -> bool {
    j > 0 && !is_user_root(g, steps, j) && g.out_degree(steps[j].from) > DICTIONARY_EDGES
}

/// Whether step `j` starts at a user root (`global`).
fn is_user_root(g: &HeapGraph, steps: &[PathStep], j: usize) -> bool {
    j == 1
        && g.node_type(steps[0].from) == NodeType::SYNTHETIC
        && g.node_type(steps[1].from) != NodeType::SYNTHETIC
}

/// `a.b.c` or `list[3].cache`: the holder edge and up to two edges before it, as long as they
/// go through plain properties and indexes.
fn name(g: &HeapGraph, steps: &[PathStep], h: usize) -> String {
    const MAX_PARTS: usize = 3;
    let mut parts: Vec<(bool, String)> = Vec::new(); // (indexed, text), last edge first
    let mut j = h;
    loop {
        let s = steps[j];
        let keyed = is_key(g, s.edge) || is_dictionary(g, steps, j);
        let text = match g.edge_name(s.edge) {
            EdgeName::Index(i) => i.to_string(),
            EdgeName::Str(t) => t.to_owned(),
        };
        parts.push((keyed, text));
        let variable = g.edge_type(s.edge) == EdgeType::Context;
        if variable || j <= 1 || is_user_root(g, steps, j) || parts.len() == MAX_PARTS {
            break;
        }
        j -= 1;
        if !matches!(
            g.edge_type(steps[j].edge),
            EdgeType::Property | EdgeType::Element | EdgeType::Context
        ) || g.edge_name(steps[j].edge) == EdgeName::Str("__proto__")
        {
            break;
        }
    }
    let mut out = String::new();
    for (i, (keyed, text)) in parts.iter().rev().enumerate() {
        match (i, keyed) {
            (_, true) => {
                out.push('[');
                out.push_str(text);
                out.push(']');
            }
            (0, false) => out.push_str(text),
            (_, false) => {
                out.push('.');
                out.push_str(text);
            }
        }
    }
    out
}
