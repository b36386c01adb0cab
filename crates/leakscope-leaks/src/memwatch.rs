//! node-memwatch's `HeapDiff.end()` result, from two snapshots, for tools written against it.
//!
//! The shape is memwatch's exactly (`@airbnb/node-memwatch` 3.0, the same in every fork):
//!
//! ```json
//! { "before": { "nodes": 42307, "size_bytes": 3197255, "size": "3.05 mb" },
//!   "after":  { "nodes": 52336, "size_bytes": 3599215, "size": "3.43 mb" },
//!   "change": { "size_bytes": 401960, "size": "392.54 kb", "freed_nodes": 78,
//!               "allocated_nodes": 10107,
//!               "details": [ { "what": "LeakingClass", "size_bytes": 320000,
//!                              "size": "312.5 kb", "+": 10000, "-": 0 } ] } }
//! ```
//!
//! and so is its grouping: `nodes` counts every node, `size_bytes` sums the shallow sizes of
//! the nodes reachable from the root (through any edge, not into objects named `HeapDiff`);
//! details group the nodes added and freed by constructor name for objects, `Array` for V8's
//! internal arrays, `String` (flat strings), `Code`, `Closure`, `RegExp`, `Number`, `Native`,
//! and leave out the other types; they come sorted by `what` (C++ `std::map` order), sizes as
//! memwatch's `niceSize` prints them.
//!
//! Where we differ on purpose: sizes do not wrap at 2 GiB (memwatch sums in an `int`); nodes
//! without stable ids (embedder nodes, `smi number`s) are compared by count per `what`, so
//! `Native +69 -69` noise is gone; with the later snapshot's analysis, each detail also has the
//! `retained_size` of what was added and the `retainer_path` of its largest added object.

use leakscope_graph::{
    Analysis, BitSet, HeapGraph, NodeIndex, NodeType, ResolvedStep, RetainerPaths, resolve,
};
use serde::Serialize;

use crate::ids::has_stable_id;

/// `HeapDiff.end()`'s result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemwatchDiff {
    /// The earlier snapshot.
    pub before: MemwatchTotals,
    /// The later snapshot.
    pub after: MemwatchTotals,
    /// What changed.
    pub change: MemwatchChange,
}

/// One snapshot's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemwatchTotals {
    /// Nodes in the snapshot.
    pub nodes: u64,
    /// Shallow size of the nodes reachable from the root.
    pub size_bytes: i64,
    /// The same, for people (`3.05 mb`).
    pub size: String,
}

/// The change between the snapshots.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemwatchChange {
    /// `after.size_bytes - before.size_bytes`.
    pub size_bytes: i64,
    /// The same, for people.
    pub size: String,
    /// Reachable nodes only the earlier snapshot has.
    pub freed_nodes: u64,
    /// Reachable nodes only the later snapshot has.
    pub allocated_nodes: u64,
    /// Per group, sorted by `what`.
    pub details: Vec<MemwatchDetail>,
}

/// One group of nodes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemwatchDetail {
    /// The constructor name, or `Array`, `String`, `Code`, `Closure`, `RegExp`, `Number`,
    /// `Native`.
    pub what: String,
    /// Shallow size added minus shallow size freed.
    pub size_bytes: i64,
    /// The same, for people.
    pub size: String,
    /// Nodes added.
    #[serde(rename = "+")]
    pub added: u64,
    /// Nodes freed.
    #[serde(rename = "-")]
    pub freed: u64,
    /// What the added nodes retain, each counted once (with the later snapshot's analysis).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retained_size: Option<u64>,
    /// The path of the added node retaining the most (with the later snapshot's analysis).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retainer_path: Option<Vec<ResolvedStep>>,
}

/// memwatch's `HeapDiff.end()` of `before` and `after`.
#[must_use]
pub fn memwatch_diff(before: &HeapGraph, after: &HeapGraph) -> MemwatchDiff {
    compare(before, after, None)
}

/// [`memwatch_diff`] with each detail's `retained_size` and `retainer_path`, from the later
/// snapshot's analysis and retainer paths.
#[must_use]
pub fn memwatch_diff_explained(
    before: &HeapGraph,
    after: &HeapGraph,
    analysis: &Analysis,
    paths: &RetainerPaths,
) -> MemwatchDiff {
    compare(before, after, Some((analysis, paths)))
}

/// memwatch's group of a node, `None` for the types it leaves out.
fn what(g: &HeapGraph, n: NodeIndex) -> Option<&str> {
    Some(match g.node_type(n) {
        NodeType::ARRAY => "Array",
        NodeType::STRING => "String",
        NodeType::OBJECT => g.node_name(n),
        NodeType::CODE => "Code",
        NodeType::CLOSURE => "Closure",
        NodeType::REGEXP => "RegExp",
        NodeType::NUMBER => "Number",
        NodeType::NATIVE => "Native",
        _ => return None,
    })
}

/// The nodes memwatch's walk reaches: every edge from the root, not into (nor through) an
/// object named `HeapDiff`.
fn reachable(g: &HeapGraph) -> BitSet {
    let mut seen = BitSet::new(g.node_count());
    let mut stack = vec![g.root()];
    seen.set(g.root().index());
    while let Some(v) = stack.pop() {
        for e in g.edges(v) {
            let to = g.edge_to(e);
            if seen.get(to.index()) {
                continue;
            }
            if g.node_type(to) == NodeType::OBJECT && g.node_name(to) == "HeapDiff" {
                continue;
            }
            seen.set(to.index());
            stack.push(to);
        }
    }
    seen
}

#[derive(Default)]
struct Group {
    added: u64,
    freed: u64,
    size: i64,
    /// Nodes without stable ids: (count, size) before and after.
    unstable: [(u64, i64); 2],
    added_nodes: Vec<NodeIndex>,
}

fn compare(
    before: &HeapGraph,
    after: &HeapGraph,
    explain: Option<(&Analysis, &RetainerPaths)>,
) -> MemwatchDiff {
    let reach = [reachable(before), reachable(after)];
    let graphs = [before, after];
    let total = |i: usize| -> i64 {
        let g = graphs[i];
        g.nodes().filter(|n| reach[i].get(n.index())).map(|n| signed(g.self_size(n))).sum()
    };
    let totals = |i: usize| MemwatchTotals {
        nodes: graphs[i].node_count() as u64,
        size_bytes: total(i),
        size: nice_size(total(i)),
    };
    let (before_totals, after_totals) = (totals(0), totals(1));

    let mut groups: std::collections::BTreeMap<String, Group> = std::collections::BTreeMap::new();
    let mut sorted: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    let mut unstable_counts: std::collections::BTreeMap<(u8, String), [u64; 2]> =
        std::collections::BTreeMap::new();
    for (i, g) in graphs.iter().enumerate() {
        for n in g.nodes().filter(|n| reach[i].get(n.index())) {
            if has_stable_id(g, n) {
                sorted[i].push((u64::from(g.node_id(n)) << 32) | u64::from(n.0));
                continue;
            }
            unstable_counts.entry((g.node_type(n).0, g.node_name(n).to_owned())).or_default()[i] +=
                1;
            if let Some(w) = what(g, n) {
                let slot = &mut groups.entry(w.to_owned()).or_default().unstable[i];
                slot.0 += 1;
                slot.1 += signed(g.self_size(n));
            }
        }
        sorted[i].sort_unstable();
    }
    let mut freed_nodes = 0u64;
    let mut allocated_nodes = 0u64;
    let node = |packed: u64| NodeIndex((packed & 0xFFFF_FFFF) as u32);
    let mut note =
        |groups: &mut std::collections::BTreeMap<String, Group>, side: usize, n: NodeIndex| {
            let g = graphs[side];
            if side == 0 {
                freed_nodes += 1;
            } else {
                allocated_nodes += 1;
            }
            let Some(w) = what(g, n) else { return };
            let grp = groups.entry(w.to_owned()).or_default();
            let size = signed(g.self_size(n));
            if side == 0 {
                grp.freed += 1;
                grp.size -= size;
            } else {
                grp.added += 1;
                grp.size += size;
                grp.added_nodes.push(n);
            }
        };
    let (b, a) = (&sorted[0], &sorted[1]);
    let (mut i, mut j) = (0, 0);
    while i < b.len() || j < a.len() {
        let (x, y) = (b.get(i).map(|&p| p >> 32), a.get(j).map(|&p| p >> 32));
        match (x, y) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                note(&mut groups, 0, node(b[i]));
                i += 1;
            }
            (Some(_), None) => {
                note(&mut groups, 0, node(b[i]));
                i += 1;
            }
            _ => {
                note(&mut groups, 1, node(a[j]));
                j += 1;
            }
        }
    }
    for [cb, ca] in unstable_counts.values() {
        freed_nodes += cb.saturating_sub(*ca);
        allocated_nodes += ca.saturating_sub(*cb);
    }

    let details = groups
        .into_iter()
        .filter_map(|(what, mut grp)| {
            let [(cb, sb), (ca, sa)] = grp.unstable;
            grp.added += ca.saturating_sub(cb);
            grp.freed += cb.saturating_sub(ca);
            grp.size += sa - sb;
            if grp.added == 0 && grp.freed == 0 {
                return None;
            }
            let (retained_size, retainer_path) = match explain {
                Some((analysis, paths)) => {
                    let (retained, largest) = retained(after, analysis, &grp.added_nodes);
                    let path = largest
                        .and_then(|n| paths.path(after, n))
                        .map(|steps| resolve(after, analysis.classes(), &steps));
                    (Some(retained), path)
                }
                None => (None, None),
            };
            Some(MemwatchDetail {
                what,
                size_bytes: grp.size,
                size: nice_size(grp.size),
                added: grp.added,
                freed: grp.freed,
                retained_size,
                retainer_path,
            })
        })
        .collect();
    let change = after_totals.size_bytes - before_totals.size_bytes;
    MemwatchDiff {
        before: before_totals,
        after: after_totals,
        change: MemwatchChange {
            size_bytes: change,
            size: nice_size(change),
            freed_nodes,
            allocated_nodes,
            details,
        },
    }
}

/// What `nodes` retain, each node counted unless another of them dominates it, and the one
/// retaining the most. One walk down the dominator tree, as DevTools' `maxRet`.
fn retained(g: &HeapGraph, a: &Analysis, nodes: &[NodeIndex]) -> (u64, Option<NodeIndex>) {
    let mut mine = BitSet::new(g.node_count());
    for n in nodes {
        mine.set(n.index());
    }
    let tree = a.dominator_tree();
    let mut total = 0;
    // (node, whether a node of `nodes` is at or above it)
    let mut stack = vec![(tree.root(), false)];
    while let Some((v, covered)) = stack.pop() {
        let counts = !covered && mine.get(v.index());
        if counts {
            total += a.retained_size(v);
        }
        stack.extend(tree.children(v).iter().map(|&c| (NodeIndex(c), covered || counts)));
    }
    let largest = nodes.iter().copied().max_by_key(|&n| (a.retained_size(n), std::cmp::Reverse(n)));
    (total, largest)
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// memwatch's `niceSize`: `N bytes` up to 1024, then `kb` and `mb` rounded to two decimals
/// and printed as a C++ stream prints a double (six significant digits, no trailing zeros).
#[must_use]
pub fn nice_size(bytes: i64) -> String {
    #[allow(clippy::cast_precision_loss)] // display only
    let b = bytes as f64;
    if bytes.unsigned_abs() > 1024 * 1024 {
        format!("{} mb", stream_double((b / (1024.0 * 1024.0 / 100.0)).round() / 100.0))
    } else if bytes.unsigned_abs() > 1024 {
        format!("{} kb", stream_double((b / (1024.0 / 100.0)).round() / 100.0))
    } else {
        format!("{bytes} bytes")
    }
}

/// A double as `std::ostream << double` prints it: `%g` with six significant digits.
fn stream_double(v: f64) -> String {
    const PRECISION: i32 = 6;
    if v == 0.0 {
        return "0".to_owned();
    }
    // The exponent after rounding to six significant digits, as %g decides.
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, v);
    let exponent: i32 = scientific.split('e').nth(1).and_then(|e| e.parse().ok()).unwrap_or(0);
    if !(-4..PRECISION).contains(&exponent) {
        let (mantissa, _) = scientific.split_once('e').unwrap_or((&scientific, ""));
        let mantissa = trim_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = usize::try_from(PRECISION - 1 - exponent).unwrap_or(0);
    trim_zeros(&format!("{v:.decimals$}")).to_owned()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_memwatch() {
        // From memwatch's own output (research/memwatch-and-node.md §2.3).
        assert_eq!(nice_size(3_197_255), "3.05 mb");
        assert_eq!(nice_size(3_599_215), "3.43 mb");
        assert_eq!(nice_size(401_960), "392.54 kb");
        assert_eq!(nice_size(320_000), "312.5 kb");
        assert_eq!(nice_size(80_000), "78.13 kb");
        assert_eq!(nice_size(1264), "1.23 kb");
        assert_eq!(nice_size(24), "24 bytes");
        assert_eq!(nice_size(0), "0 bytes");
        assert_eq!(nice_size(1024), "1024 bytes");
        assert_eq!(nice_size(2048), "2 kb");
        assert_eq!(nice_size(-401_960), "-392.54 kb");
        // Six significant digits, then scientific notation, as C++ streams print doubles.
        assert_eq!(nice_size(12_345_678_901), "11773.8 mb");
        assert_eq!(nice_size(2_000_000_000_000), "1.90735e+06 mb");
    }
}
