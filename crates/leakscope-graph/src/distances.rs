//! Distances from the roots, as Chrome DevTools computes them.
//!
//! A breadth-first search from the user roots (`global`) gives each object it reaches its
//! depth; a second search from the root reaches the rest, which only system roots (handles,
//! caches, the stack…) hold: those get `BASE_SYSTEM_DISTANCE + depth`. Weak edges never count.
//! Like DevTools, the searches also skip a native context's `sloppy_function_map`, the shared
//! slots of `(map descriptors)` arrays, and the first edge of each WeakMap entry to reach its
//! value, so a value's distance comes from the later of its key and its table.

use crate::fxhash::FxHashSet;
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress, Ticker};
use crate::types::{EdgeIndex, EdgeName, EdgeType, NodeIndex, NodeType};
use crate::v8names::{self, EphemeronNames, SpecialNames};

/// DevTools' distance of a node no search reached.
pub const NO_DISTANCE: i32 = -5;
/// DevTools adds this to the depth of nodes only system roots reach.
pub const BASE_SYSTEM_DISTANCE: i32 = 100_000_000;

/// How far an object is from the roots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Distance {
    /// Reached from the user roots (`global`) in this many steps; the user roots are at 1.
    User(u32),
    /// Reached only from the system roots (handles, caches, the stack) in this many steps.
    System(u32),
    /// Not reached at all: only weak edges (or none) lead to it.
    Unreachable,
}

impl Distance {
    /// Reads one of DevTools' distance numbers.
    #[must_use]
    pub fn from_devtools(code: i32) -> Self {
        match code {
            c if c < 0 => Self::Unreachable,
            c if c >= BASE_SYSTEM_DISTANCE => Self::System(c.abs_diff(BASE_SYSTEM_DISTANCE)),
            c => Self::User(c.unsigned_abs()),
        }
    }

    /// The depth DevTools shows in its Distance column, which shows "−" for the others.
    #[must_use]
    pub fn user(self) -> Option<u32> {
        match self {
            Self::User(d) => Some(d),
            _ => None,
        }
    }
}

/// Every node's distance, as DevTools' numbers (see [`Distance::from_devtools`]).
#[derive(Clone, Debug)]
pub struct Distances {
    codes: Vec<i32>,
}

impl Distances {
    /// Computes the distances of every node of `g`.
    #[must_use]
    pub fn compute(g: &HeapGraph, progress: Progress<'_>) -> Self {
        let names = *g.special_names();
        let n = g.node_count();
        let mut codes = vec![NO_DISTANCE; n];
        let mut queue: Vec<u32> = Vec::with_capacity(n);
        let mut filter = Filter::new(g, names, Pairs::Second);
        let mut ticker = progress.phase(Phase::Distances, n);

        for user_root in v8names::user_roots(g, &names) {
            codes[user_root.index()] = 1;
            queue.push(user_root.0);
        }
        let has_user_roots = !queue.is_empty();
        let visited = bfs(g, &mut codes, &mut queue, 0, &mut filter, &mut ticker, 0);

        let root = g.root();
        codes[root.index()] = if has_user_roots { BASE_SYSTEM_DISTANCE } else { 0 };
        let start = queue.len();
        queue.push(root.0);
        bfs(g, &mut codes, &mut queue, start, &mut filter, &mut ticker, visited);
        ticker.finish();
        Self { codes }
    }

    /// A node's distance.
    #[must_use]
    pub fn get(&self, n: NodeIndex) -> Distance {
        Distance::from_devtools(self.codes[n.index()])
    }

    /// A node's distance as DevTools' number: depth for user-reachable nodes,
    /// `BASE_SYSTEM_DISTANCE + depth` for system-only ones, `NO_DISTANCE` for the rest.
    #[must_use]
    pub fn devtools(&self, n: NodeIndex) -> i32 {
        self.codes[n.index()]
    }

    /// Every node's DevTools distance number, by node ordinal.
    #[must_use]
    pub fn as_devtools(&self) -> &[i32] {
        &self.codes
    }
}

/// Which edges the searches may follow, beyond "not weak".
pub(crate) struct Filter<'g> {
    names: SpecialNames,
    ephemerons: EphemeronNames,
    /// How the two edges to a WeakMap value count.
    pairs: Pairs,
    /// WeakMap pairs whose first edge was seen: the second one is the edge that counts.
    pending_pairs: FxHashSet<&'g str>,
}

/// Which of a WeakMap entry's two edges to its value (from the key, from the table) a search
/// follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pairs {
    /// The second one it meets, as DevTools' distances do.
    Second,
    /// The key's: the key is what the program holds; the table holds the value only while the
    /// key lives.
    Key,
}

impl<'g> Filter<'g> {
    pub fn new(g: &HeapGraph, names: SpecialNames, pairs: Pairs) -> Self {
        Self {
            names,
            ephemerons: EphemeronNames::new(g),
            pairs,
            pending_pairs: FxHashSet::default(),
        }
    }

    /// DevTools' distance filter for an edge from `from` to a node not yet reached. It is
    /// stateful (WeakMap pairs): call it only for such edges, in search order.
    pub fn follow(&mut self, g: &'g HeapGraph, from: NodeIndex, e: EdgeIndex) -> bool {
        let from_type = g.node_type(from);
        if from_type == NodeType::HIDDEN
            && SpecialNames::is(g.node_name_id(from), self.names.native_context)
            && matches!(g.edge_name(e), EdgeName::Str(v8names::SLOPPY_FUNCTION_MAP))
        {
            return false;
        }
        if from_type == NodeType::ARRAY
            && SpecialNames::is(g.node_name_id(from), self.names.map_descriptors)
        {
            // Maps may share descriptor arrays, so the descriptor slots (3k + 4, as the edge
            // name's number) need not belong to this map (crbug.com/413608).
            let index = match g.edge_name(e) {
                EdgeName::Index(i) => Some(i64::from(i)),
                EdgeName::Str(s) => v8names::js_parse_int(s),
            };
            return index.is_none_or(|i| i < 2 || i % 3 != 1);
        }
        if let Some(pair) = self.ephemerons.get(g, e) {
            match self.pairs {
                // The first edge of a pair is skipped, the second followed (crbug.com/1290800).
                Pairs::Second => {
                    if !self.pending_pairs.remove(pair.pair) {
                        self.pending_pairs.insert(pair.pair);
                        return false;
                    }
                }
                Pairs::Key => return pair.table_id != u64::from(g.node_id(from)),
            }
        }
        true
    }
}

/// Breadth-first search from `queue[start..]`, whose distances are set; returns the number of
/// nodes dequeued so far, for progress.
fn bfs<'g>(
    g: &'g HeapGraph,
    codes: &mut [i32],
    queue: &mut Vec<u32>,
    start: usize,
    filter: &mut Filter<'g>,
    ticker: &mut Ticker<'_>,
    mut visited: usize,
) -> usize {
    let mut head = start;
    while let Some(&node) = queue.get(head) {
        head += 1;
        visited += 1;
        ticker.tick(visited);
        let from = NodeIndex(node);
        let next = codes[from.index()] + 1;
        for e in g.edges(from) {
            if g.edge_type(e) == EdgeType::Weak {
                continue;
            }
            let to = g.edge_to(e);
            if codes[to.index()] != NO_DISTANCE || !filter.follow(g, from, e) {
                continue;
            }
            codes[to.index()] = next;
            queue.push(to.0);
        }
    }
    visited
}
