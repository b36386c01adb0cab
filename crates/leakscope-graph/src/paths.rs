//! Shortest retainer paths: why is this object alive?
//!
//! One breadth-first search from the roots records, for every object, the edge that first
//! reached it; the path of any object is then read backwards in time proportional to its
//! length. The search starts at the user roots (`global`), then goes on from the root for what
//! only system roots hold, so a path goes through `global` whenever one does, as DevTools'
//! distances do. It follows only edges that explain retention: not weak edges, not the
//! edges DevTools' distances skip (a native context's `sloppy_function_map`, shared descriptor
//! slots, the first edge of a WeakMap entry), and no edge into compiled code, feedback cells or
//! scope infos, which hold objects for the VM's caches. Objects that only such edges reach get
//! a path in a second search that allows them; objects that only weak edges reach get none.
//! The roots that hold what V8's C++ code happened to hold while the snapshot was taken
//! ([`TRANSIENT_ROOTS`]: handle scopes, strong roots such as the snapshot generator's own
//! identity maps) are searched last: they explain nothing about why an object stays, so a path
//! goes through them only when nothing else reaches the object.

use serde::Serialize;

use crate::classes::{ClassId, Classes};
use crate::distances::{Filter, Pairs};
use crate::fxhash::FxHashMap;
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress};
use crate::types::{EdgeIndex, EdgeName, EdgeType, NodeIndex, NodeType};
use crate::v8names;

const NONE: u32 = u32::MAX;

/// The first edge to reach each object in a search from the roots.
#[derive(Clone, Debug)]
pub struct RetainerPaths {
    via: Vec<u32>,
    /// Every object reached, in the order the search reached it: each after the object its
    /// path comes from, the root's children first.
    order: Vec<u32>,
}

/// One step of a retainer path: the edge from one object to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathStep {
    /// The edge.
    pub edge: EdgeIndex,
    /// The object it starts at.
    pub from: NodeIndex,
    /// The object it points at.
    pub to: NodeIndex,
}

impl RetainerPaths {
    /// Searches `g` from its roots.
    #[must_use]
    pub fn compute<'g>(g: &'g HeapGraph, progress: Progress<'_>) -> Self {
        let n = g.node_count();
        let mut ticker = progress.phase(Phase::RetainerPaths, n);
        let mut via = vec![NONE; n];
        let mut seen = crate::bits::BitSet::new(n);
        let mut queue: Vec<u32> = Vec::with_capacity(n);
        let root = g.root();
        let names = *g.special_names();
        seen.set(root.index());
        for e in g.edges(root) {
            let to = g.edge_to(e);
            if v8names::is_user_root(g, to, &names) && seen.insert(to.index()) {
                via[to.index()] = e.0;
                queue.push(to.0);
            }
        }
        // Searched once everything else has been.
        let transient = transient_roots(g);
        for &(_, h) in &transient {
            seen.set(h.index());
        }
        let mut filter = Filter::new(g, names, Pairs::Key);
        let meaningful = |g: &HeapGraph, to: NodeIndex| g.node_type(to) != NodeType::CODE;
        let mut head = 0;
        let mut search = |queue: &mut Vec<u32>,
                          head: &mut usize,
                          via: &mut [u32],
                          strict: bool,
                          filter: &mut Filter<'g>| {
            while let Some(&v) = queue.get(*head) {
                *head += 1;
                ticker.tick(*head);
                let from = NodeIndex(v);
                for e in g.edges(from) {
                    let to = g.edge_to(e);
                    if g.edge_type(e) == EdgeType::Weak || seen.get(to.index()) || to == from {
                        continue;
                    }
                    if strict && (!meaningful(g, to) || !filter.follow(g, from, e)) {
                        continue;
                    }
                    seen.set(to.index());
                    via[to.index()] = e.0;
                    queue.push(to.0);
                }
            }
        };
        search(&mut queue, &mut head, &mut via, true, &mut filter);
        queue.push(root.0);
        search(&mut queue, &mut head, &mut via, true, &mut filter);
        for (e, h) in transient {
            via[h.index()] = e.0;
            queue.push(h.0);
        }
        search(&mut queue, &mut head, &mut via, true, &mut filter);
        // Again from everything reached, now through code and caches too.
        head = 0;
        search(&mut queue, &mut head, &mut via, false, &mut filter);
        ticker.finish();
        // The search starts at the user roots and reaches the root's other children later: put
        // all of the root's children first, so every object comes after its path's previous one.
        let from_root = g.edge_range(root);
        let child_of_root = |v: u32| from_root.contains(&(via[v as usize] as usize));
        let mut order = Vec::with_capacity(queue.len());
        order.push(root.0);
        order.extend(queue.iter().copied().filter(|&v| child_of_root(v)));
        order.extend(queue.iter().copied().filter(|&v| v != root.0 && !child_of_root(v)));
        drop(queue);
        Self { via, order }
    }

    /// The path from the root to `n` (empty for the root), or `None` when no strong path
    /// reaches `n`: it is only weakly held, or garbage.
    #[must_use]
    pub fn path(&self, g: &HeapGraph, n: NodeIndex) -> Option<Vec<PathStep>> {
        let mut steps = Vec::new();
        let mut at = n;
        while at != g.root() {
            let e = *self.via.get(at.index())?;
            if e == NONE || steps.len() > g.node_count() {
                return None;
            }
            let edge = EdgeIndex(e);
            let from = g.edge_from(edge);
            steps.push(PathStep { edge, from, to: at });
            at = from;
        }
        steps.reverse();
        Some(steps)
    }

    /// The edge that ends `n`'s path (its last step), or `None` for the root and for objects
    /// no strong path reaches.
    #[must_use]
    pub fn via(&self, n: NodeIndex) -> Option<EdgeIndex> {
        self.via.get(n.index()).filter(|&&e| e != NONE).map(|&e| EdgeIndex(e))
    }

    /// Every object a strong path reaches, the root first, each after the object its path
    /// comes from: walking this order, the previous step of every path is known.
    pub fn order(&self) -> impl ExactSizeIterator<Item = NodeIndex> + '_ {
        self.order.iter().map(|&v| NodeIndex(v))
    }

    /// Whether a strong path reaches `n`.
    #[must_use]
    pub fn reaches(&self, g: &HeapGraph, n: NodeIndex) -> bool {
        n == g.root() || self.via.get(n.index()).is_some_and(|&e| e != NONE)
    }
}

/// The V8 roots (under `(GC roots)`) that hold what C++ code holds for a moment.
pub const TRANSIENT_ROOTS: [&str; 3] = ["(Handle scope)", "(Strong roots)", "(Relocatable)"];

/// The transient roots, each with the edge from `(GC roots)` to it.
fn transient_roots(g: &HeapGraph) -> Vec<(EdgeIndex, NodeIndex)> {
    let synthetic = |n: NodeIndex| g.node_type(n) == NodeType::SYNTHETIC;
    g.edges(g.root())
        .map(|e| g.edge_to(e))
        .filter(|&r| synthetic(r))
        .flat_map(|r| g.edges(r))
        .filter(|&e| {
            synthetic(g.edge_to(e)) && TRANSIENT_ROOTS.contains(&g.node_name(g.edge_to(e)))
        })
        .map(|e| (e, g.edge_to(e)))
        .collect()
}

/// An edge's name: a string, or an element/hidden index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum EdgeLabel {
    /// An element or hidden edge's index.
    Index(u32),
    /// Any other edge's name.
    Name(String),
}

impl EdgeLabel {
    /// The label of an edge.
    #[must_use]
    pub fn of(g: &HeapGraph, e: EdgeIndex) -> Self {
        match g.edge_name(e) {
            EdgeName::Index(i) => Self::Index(i),
            EdgeName::Str(s) => Self::Name(s.to_owned()),
        }
    }
}

/// An edge as people read it in a path: `name`, `[3]` for elements and numbered internal
/// slots, `{name}` for hidden edges, `[[name]]` for weak ones, `(WeakMap value)` for the edge
/// from a WeakMap key to its value.
#[must_use]
pub fn edge_text(g: &HeapGraph, e: EdgeIndex) -> String {
    label_text(g.edge_type(e), &EdgeLabel::of(g, e))
}

/// [`edge_text`] of an edge known by its type and label (a [`ResolvedStep`]'s).
#[must_use]
pub fn label_text(edge_type: EdgeType, label: &EdgeLabel) -> String {
    match (edge_type, label) {
        (EdgeType::Internal, EdgeLabel::Name(name)) if v8names::parse_ephemeron(name).is_some() => {
            "(WeakMap value)".to_owned()
        }
        (EdgeType::Weak, EdgeLabel::Index(i)) => format!("[[{i}]]"),
        (EdgeType::Weak, EdgeLabel::Name(name)) => format!("[[{name}]]"),
        (EdgeType::Hidden, EdgeLabel::Index(i)) => format!("{{{i}}}"),
        (EdgeType::Hidden, EdgeLabel::Name(name)) => format!("{{{name}}}"),
        (_, EdgeLabel::Index(i)) => format!("[{i}]"),
        (_, EdgeLabel::Name(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            format!("[{s}]")
        }
        (_, EdgeLabel::Name(s)) => s.clone(),
    }
}

/// One step of a path as the output contracts fix it: the edge into an object, and the object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedStep {
    /// The edge's name or index.
    pub edge: EdgeLabel,
    /// The edge's type (`property`, `element`, `context`, `internal`…).
    pub edge_type: &'static str,
    /// The object's class.
    pub class: String,
    /// The object's V8 id.
    pub id: u32,
}

/// A path with names, for output.
#[must_use]
pub fn resolve(g: &HeapGraph, classes: &Classes, steps: &[PathStep]) -> Vec<ResolvedStep> {
    steps
        .iter()
        .map(|s| ResolvedStep {
            edge: EdgeLabel::of(g, s.edge),
            edge_type: g.edge_type(s.edge).name(),
            class: classes.name(classes.of(s.to)).to_owned(),
            id: g.node_id(s.to),
        })
        .collect()
}

/// A path on one line: `global → leakyData → [4711] → SimpleClass @12345`. The first object
/// is named, then each edge, then the object's class and id.
#[must_use]
pub fn path_text(g: &HeapGraph, classes: &Classes, steps: &[PathStep]) -> String {
    let Some(first) = steps.first() else { return String::from("(root)") };
    let mut out = if steps.len() == 1 {
        String::new()
    } else {
        let mut s = node_text(g, classes, first.to);
        s.push_str(" → ");
        s
    };
    for step in steps.iter().skip(1) {
        // System roots are known by name: `(GC roots) → (Global handles) → …`.
        if g.node_type(step.to) == NodeType::SYNTHETIC {
            out.push_str(g.node_name(step.to));
        } else {
            out.push_str(&edge_text(g, step.edge));
        }
        out.push_str(" → ");
    }
    let last = steps.last().map_or(first.to, |s| s.to);
    out.push_str(&format!("{} @{}", classes.name(classes.of(last)), g.node_id(last)));
    out
}

/// How a path's first object is named: the name of synthetic roots and user roots
/// (`(GC roots)`, `global`), the class otherwise. Snapshots taken over the inspector name the
/// global object `global / ` (the embedder's `name / url` with no url); DevTools keeps that as
/// the class, but a path reads `global → …`.
fn node_text(g: &HeapGraph, classes: &Classes, n: NodeIndex) -> String {
    match g.node_type(n) {
        NodeType::SYNTHETIC => g.node_name(n).to_owned(),
        _ => root_name(classes.name(classes.of(n))).to_owned(),
    }
}

/// The first object of a path, named as paths name it: the global object taken over the
/// inspector is the class `global / `, read `global`.
#[must_use]
pub fn root_name(class: &str) -> &str {
    class.strip_suffix(" / ").unwrap_or(class)
}

/// What makes two paths "the same": each step's edge type, edge name (numbers folded, so
/// `[1]` and `[2]` are alike, and WeakMap entries too) and the class it leads to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathShape(Vec<(EdgeType, u32, ClassId)>);

impl PathShape {
    const NUMBER: u32 = u32::MAX;
    const WEAKMAP_VALUE: u32 = u32::MAX - 1;

    /// The shape of a path.
    #[must_use]
    pub fn of(g: &HeapGraph, classes: &Classes, steps: &[PathStep]) -> Self {
        Self(
            steps
                .iter()
                .map(|s| {
                    let name = match g.edge_name(s.edge) {
                        EdgeName::Index(_) => Self::NUMBER,
                        EdgeName::Str(n) if n.bytes().all(|b| b.is_ascii_digit()) => Self::NUMBER,
                        EdgeName::Str(n) if v8names::parse_ephemeron(n).is_some() => {
                            Self::WEAKMAP_VALUE
                        }
                        EdgeName::Str(_) => g.edge_name_raw(s.edge),
                    };
                    (g.edge_type(s.edge), name, classes.of(s.to))
                })
                .collect(),
        )
    }
}

/// Objects whose paths have one shape.
#[derive(Clone, Debug)]
pub struct PathGroup {
    /// The path of the first object (by node order) in the group.
    pub example: Vec<PathStep>,
    /// The objects.
    pub nodes: Vec<NodeIndex>,
}

/// Groups `nodes` by the shape of their paths, most objects first; `unreached` are the ones
/// without a strong path.
#[must_use]
pub fn group_by_shape(
    g: &HeapGraph,
    classes: &Classes,
    paths: &RetainerPaths,
    nodes: &[NodeIndex],
) -> (Vec<PathGroup>, Vec<NodeIndex>) {
    let mut groups: Vec<PathGroup> = Vec::new();
    let mut by_shape: FxHashMap<PathShape, usize> = FxHashMap::default();
    let mut unreached = Vec::new();
    for &n in nodes {
        let Some(steps) = paths.path(g, n) else {
            unreached.push(n);
            continue;
        };
        let shape = PathShape::of(g, classes, &steps);
        match by_shape.get(&shape) {
            Some(&i) => groups[i].nodes.push(n),
            None => {
                by_shape.insert(shape, groups.len());
                groups.push(PathGroup { example: steps, nodes: vec![n] });
            }
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.nodes.len()));
    (groups, unreached)
}
