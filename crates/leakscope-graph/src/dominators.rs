//! The dominator tree and retained sizes, as Chrome DevTools computes them.
//!
//! An object's dominator is the object every path from the root to it passes through; its
//! retained size is what would be freed with it: its own size plus that of every object it
//! dominates. Like DevTools, only *essential* edges count:
//! - no weak edges, no self edges;
//! - no shortcut edges except the root's (those mark the user roots);
//! - no edge from an object the page does not own into one it owns (a debugger or DevTools
//!   handle must not become the dominator of page objects);
//! - of a WeakMap entry's two edges to its value, the key's counts, not the table's.
//!
//! Objects without an essential retainer (only weak ones, say) hang under the root as if the
//! root pointed at them; what is still unreached after that (cycles that only hold each other)
//! hangs directly under the root. The tree comes from the semi-dominators of Lengauer–Tarjan
//! with path compression, then each immediate dominator as the nearest common ancestor
//! (Semi-NCA): the same tree DevTools' Lengauer–Tarjan gives, in one pass less.

use crate::bits::BitSet;
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress};
use crate::shallow::ShallowSizes;
use crate::types::{EdgeIndex, EdgeType, NodeIndex, NodeType};
use crate::v8names::{EphemeronNames, SpecialNames};

const NONE: u32 = u32::MAX;

/// The dominator tree of a heap graph.
#[derive(Debug)]
pub struct DominatorTree {
    root: NodeIndex,
    /// Per node: its immediate dominator (the root's is the root).
    idom: Vec<u32>,
    /// Who each node dominates.
    children: Children,
}

/// The children of each node in compressed rows: node `v`'s are
/// `nodes[starts[v]..starts[v + 1]]`.
#[derive(Debug)]
struct Children {
    starts: Vec<u32>,
    nodes: Vec<u32>,
}

impl DominatorTree {
    /// Computes the dominator tree of `g` over its essential edges.
    #[must_use]
    pub fn compute(g: &HeapGraph, progress: Progress<'_>) -> Self {
        let page = page_objects(g, progress);
        let (essential, in_degree) = essential_edges(g, &page);
        drop(page);
        let n = g.node_count();
        let mut ticker = progress.phase(Phase::Dominators, n * 2);
        let root = g.root();

        // Depth-first numbering (preorder) from the root, then from each orphan (a node
        // without essential retainers), as if the root pointed at it. Every edge the search
        // scans leads to a node numbered before or right then, so the search also files each
        // essential edge as a predecessor of its target, by preorder numbers: `w`'s are
        // `preds[pred_end[w]..pred_end[w + 1]]`, filled from each slot range's end down.
        // Slots left `NONE` are edges from nodes no search reaches, which cannot change the
        // dominators of reached ones.
        let mut num = vec![NONE; n];
        let mut vertex: Vec<u32> = Vec::with_capacity(n);
        let mut parent: Vec<u32> = Vec::with_capacity(n);
        let mut pred_end: Vec<u32> = Vec::with_capacity(n + 1);
        let total: u32 = in_degree.iter().sum();
        let mut preds = vec![NONE; total as usize];
        let mut filed = 0u32;
        let mut stack: Vec<(u32, u32)> = Vec::new();
        let mut number = |w: NodeIndex, p: u32, num: &mut [u32], pred_end: &mut Vec<u32>| {
            num[w.index()] = to_u32(vertex.len());
            vertex.push(w.0);
            parent.push(p);
            filed += in_degree[w.index()];
            pred_end.push(filed);
        };
        let mut dfs = |start: NodeIndex, start_parent: u32, num: &mut [u32]| {
            number(start, start_parent, num, &mut pred_end);
            stack.push((start.0, to_u32(g.edge_range(start).start)));
            while let Some(top) = stack.last_mut() {
                let (v, mut cursor) = *top;
                let pv = num[v as usize];
                let end = to_u32(g.edge_range(NodeIndex(v)).end);
                let mut next = None;
                while cursor < end {
                    let e = EdgeIndex(cursor);
                    cursor += 1;
                    if !essential.get(e.index()) {
                        continue;
                    }
                    let w = g.edge_to(e);
                    let fresh = num[w.index()] == NONE;
                    if fresh {
                        number(w, pv, num, &mut pred_end);
                    }
                    let slot = &mut pred_end[num[w.index()] as usize];
                    *slot -= 1;
                    preds[*slot as usize] = pv;
                    if fresh {
                        next = Some(w);
                        break;
                    }
                }
                top.1 = cursor;
                if let Some(w) = next {
                    stack.push((w.0, to_u32(g.edge_range(w).start)));
                } else {
                    stack.pop();
                }
            }
        };
        dfs(root, NONE, &mut num);
        for v in g.nodes() {
            if num[v.index()] == NONE && v != root && in_degree[v.index()] == 0 {
                dfs(v, 0, &mut num);
            }
        }
        drop(stack);
        drop(essential);
        drop(in_degree);
        pred_end.push(total);
        let reached = vertex.len();
        ticker.tick(reached / 2);

        // What no search reached: cycles kept alive only by each other.
        let unreached: Vec<u32> = if reached < n {
            g.nodes().filter(|v| num[v.index()] == NONE).map(|v| v.0).collect()
        } else {
            Vec::new()
        };
        drop(num);

        // Semi-dominators, processing in reverse preorder. Vertices above `w` are the ones
        // already linked into the forest, so "linked" is a comparison, not a lookup; `best[v]`
        // is the smallest semi on v's compressed forest path (LT's `semi[label[v]]`).
        let mut semi: Vec<u32> = (0..to_u32(reached)).collect();
        let mut best: Vec<u32> = vec![0; reached];
        let mut ancestor: Vec<u32> = parent.clone();
        let mut compress_stack: Vec<u32> = Vec::new();
        for w in (1..reached).rev() {
            let w32 = to_u32(w);
            let mut orphan = true;
            let mut s = w32;
            for &v in &preds[pred_end[w] as usize..pred_end[w + 1] as usize] {
                if v == NONE {
                    continue;
                }
                orphan = false;
                let candidate = if v < w32 {
                    v
                } else {
                    eval(v, w32, &mut ancestor, &mut best, &mut compress_stack)
                };
                s = s.min(candidate);
            }
            // An orphan's only predecessor is the root.
            let s = if orphan { 0 } else { s };
            semi[w] = s;
            best[w] = s;
            if w % 4096 == 0 {
                ticker.tick(reached / 2 + (reached - w) / 2);
            }
        }
        drop((pred_end, preds, best, compress_stack));

        // Immediate dominators: the nearest ancestor of the parent at or above the semi.
        let mut idom_pre = ancestor;
        idom_pre[0] = 0;
        for w in 1..reached {
            let mut d = parent[w];
            while d > semi[w] {
                d = idom_pre[d as usize];
            }
            idom_pre[w] = d;
        }
        drop((semi, parent));

        let mut idom = vec![root.0; n];
        for (w, &d) in idom_pre.iter().enumerate() {
            idom[vertex[w] as usize] = vertex[d as usize];
        }
        drop(idom_pre);
        // The unreached hang directly under the root, as in DevTools.
        let mut order = vertex;
        order.extend(unreached);
        let children = Children::build(root, &idom, &order);
        ticker.finish();
        Self { root, idom, children }
    }

    /// The root of the tree (the graph's root).
    #[must_use]
    pub fn root(&self) -> NodeIndex {
        self.root
    }

    /// A node's immediate dominator; the root's is the root.
    #[must_use]
    pub fn dominator(&self, n: NodeIndex) -> NodeIndex {
        NodeIndex(self.idom[n.index()])
    }

    /// Every node's immediate dominator, by node ordinal.
    #[must_use]
    pub fn dominators(&self) -> &[u32] {
        &self.idom
    }

    /// The nodes `n` immediately dominates.
    #[must_use]
    pub fn children(&self, n: NodeIndex) -> &[u32] {
        let c = &self.children;
        &c.nodes[c.starts[n.index()] as usize..c.starts[n.index() + 1] as usize]
    }

    /// Every node once, each after its dominator: the tree breadth first from the root.
    #[must_use]
    pub fn top_down(&self) -> Vec<u32> {
        let mut order = Vec::with_capacity(self.idom.len());
        order.push(self.root.0);
        let mut head = 0;
        while let Some(&v) = order.get(head) {
            head += 1;
            order.extend_from_slice(self.children(NodeIndex(v)));
        }
        order
    }

    /// Retained sizes over this tree: each node's shallow size plus those of all it dominates.
    #[must_use]
    pub fn retained_sizes(&self, shallow: &ShallowSizes, progress: Progress<'_>) -> Vec<u64> {
        let order = self.top_down();
        let mut ticker = progress.phase(Phase::RetainedSizes, order.len());
        let mut retained = shallow.as_slice().to_vec();
        for (i, &v) in order.iter().enumerate().rev() {
            if v != self.root.0 {
                let d = self.idom[v as usize] as usize;
                retained[d] += retained[v as usize];
            }
            ticker.tick(order.len() - i);
        }
        ticker.finish();
        retained
    }
}

impl Children {
    /// The children lists of the tree `idom`, each in the order the nodes come in `order`.
    fn build(root: NodeIndex, idom: &[u32], order: &[u32]) -> Self {
        let n = idom.len();
        // Counts, then each node's end; filling from the back moves each end to its start.
        let mut starts = vec![0u32; n + 1];
        for (v, &d) in idom.iter().enumerate() {
            if v != root.index() {
                starts[d as usize] += 1;
            }
        }
        let mut total = 0;
        for s in &mut starts {
            total += *s;
            *s = total;
        }
        let mut nodes = vec![0u32; total as usize];
        for &v in order.iter().rev() {
            if v != root.0 {
                let d = idom[v as usize] as usize;
                starts[d] -= 1;
                nodes[starts[d] as usize] = v;
            }
        }
        Self { starts, nodes }
    }
}

fn to_u32(i: usize) -> u32 {
    // HeapGraph guarantees node and edge counts fit u32.
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// LT's `eval` with iterative path compression: the smallest semi on the forest path from the
/// linked vertex `v` (a vertex is linked when it is above `w`, the vertex being processed).
#[inline]
fn eval(v: u32, w: u32, ancestor: &mut [u32], best: &mut [u32], stack: &mut Vec<u32>) -> u32 {
    let mut x = v;
    while ancestor[x as usize] > w {
        stack.push(x);
        x = ancestor[x as usize];
    }
    // `x` hangs from an unlinked vertex; shorten every path below it to end there too.
    while let Some(y) = stack.pop() {
        let a = ancestor[y as usize] as usize;
        if best[a] < best[y as usize] {
            best[y as usize] = best[a];
        }
        ancestor[y as usize] = ancestor[a];
    }
    best[v as usize]
}

/// What the page owns: everything the root's shortcut children (the user roots) and Chrome's
/// `(Document DOM trees)` reach over non-weak edges.
#[must_use]
pub fn page_objects(g: &HeapGraph, progress: Progress<'_>) -> BitSet {
    let names = *g.special_names();
    let mut ticker = progress.phase(Phase::PageObjects, g.node_count());
    let mut page = BitSet::new(g.node_count());
    let mut stack = Vec::new();
    for e in g.edges(g.root()) {
        let to = g.edge_to(e);
        let seed = match g.edge_type(e) {
            EdgeType::Shortcut => true,
            EdgeType::Element => {
                g.node_type(to) == NodeType::SYNTHETIC
                    && SpecialNames::is(g.node_name_id(to), names.document_dom_trees)
            }
            _ => false,
        };
        if seed {
            page.set(to.index());
            stack.push(to.0);
        }
    }
    let mut done = 0;
    while let Some(v) = stack.pop() {
        done += 1;
        ticker.tick(done);
        for e in g.edges(NodeIndex(v)) {
            let to = g.edge_to(e);
            if !page.get(to.index()) && g.edge_type(e) != EdgeType::Weak {
                page.set(to.index());
                stack.push(to.0);
            }
        }
    }
    ticker.finish();
    page
}

/// The edges that count for dominators (see the module documentation), and each node's number
/// of essential retainers.
fn essential_edges(g: &HeapGraph, page: &BitSet) -> (BitSet, Vec<u32>) {
    let mut essential = BitSet::new(g.edge_count());
    let mut in_degree = vec![0u32; g.node_count()];
    let mut ephemerons = EphemeronNames::new(g);
    let root = g.root();
    for u in g.nodes() {
        let u_page = page.get(u.index());
        let u_id = u64::from(g.node_id(u));
        for e in g.edges(u) {
            let t = g.edge_type(e);
            let to = g.edge_to(e);
            let keep = match t {
                EdgeType::Weak => false,
                _ if to == u => false,
                EdgeType::Internal => ephemerons.get(g, e).is_none_or(|p| p.table_id != u_id),
                EdgeType::Shortcut if u != root => false,
                _ => true,
            } && (u == root || u_page || !page.get(to.index()));
            if keep {
                essential.set(e.index());
                in_degree[to.index()] += 1;
            }
        }
    }
    (essential, in_degree)
}
