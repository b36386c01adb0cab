//! [`Analysis`]: everything DevTools computes when it opens a snapshot, computed once.

use std::time::{Duration, Instant};

use crate::census::{ClassSummary, census};
use crate::classes::{ClassId, Classes};
use crate::distances::{Distance, Distances};
use crate::dom_state::detached_natives;
use crate::dominators::DominatorTree;
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress, Timings};
use crate::shallow::ShallowSizes;
use crate::types::NodeIndex;

/// Shallow sizes, distances, the dominator tree, retained sizes and classes of one graph.
///
/// ```
/// use leakscope_graph::{Analysis, EdgeType, GraphBuilder, NodeType, Progress};
///
/// let mut b = GraphBuilder::new();
/// let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
/// let global = b.add_node(NodeType::OBJECT, "global", 3, 40);
/// let list = b.add_node(NodeType::OBJECT, "Array", 5, 32);
/// let item = b.add_node(NodeType::OBJECT, "Item", 7, 24);
/// b.add_edge(root, EdgeType::Shortcut, "global", global);
/// b.add_edge(global, EdgeType::Property, "items", list);
/// b.add_index_edge(list, EdgeType::Element, 0, item);
/// let g = b.build()?;
/// let a = Analysis::new(&g, Progress::none());
/// assert_eq!(a.retained_size(global), 96);
/// assert_eq!(a.dominator(item), list);
/// assert_eq!(a.class_name(item), "Item");
/// # Ok::<(), leakscope_graph::GraphError>(())
/// ```
#[derive(Debug)]
pub struct Analysis {
    shallow: ShallowSizes,
    distances: Distances,
    tree: DominatorTree,
    retained: Vec<u64>,
    classes: Classes,
    timings: Timings,
}

impl Analysis {
    /// Runs every analysis on `g`; the dominator tree is built on a second thread while the
    /// distances, shallow sizes and classes are computed on this one.
    #[must_use]
    pub fn new(g: &HeapGraph, progress: Progress<'_>) -> Self {
        let mut timings = Timings::default();
        let (tree, tree_time, (distances, shallow, classes)) = std::thread::scope(|s| {
            let dominators = s.spawn(|| {
                let start = Instant::now();
                let tree = DominatorTree::compute(g, progress);
                (tree, start.elapsed())
            });
            let detached = detached_natives(g);
            let distances =
                timed(&mut timings, Phase::Distances, || Distances::compute(g, progress));
            let shallow = timed(&mut timings, Phase::ShallowSizes, || {
                ShallowSizes::compute(g, &detached, progress)
            });
            let classes =
                timed(&mut timings, Phase::Classes, || Classes::compute(g, &detached, progress));
            // A panic on the other thread is a bug: let it surface as one.
            let (tree, time) = dominators.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (tree, time, (distances, shallow, classes))
        });
        timings.phases.push((Phase::Dominators, tree_time));
        let retained =
            timed(&mut timings, Phase::RetainedSizes, || tree.retained_sizes(&shallow, progress));
        Self { shallow, distances, tree, retained, classes, timings }
    }

    /// The per-class census (DevTools' Summary), largest retained size first.
    #[must_use]
    pub fn census(&mut self, g: &HeapGraph, progress: Progress<'_>) -> Vec<ClassSummary> {
        let start = Instant::now();
        let rows = census(g, self, progress);
        self.timings.phases.push((Phase::Census, start.elapsed()));
        rows
    }

    /// A node's shallow size as DevTools shows it (owned internals included).
    #[must_use]
    pub fn shallow_size(&self, n: NodeIndex) -> u64 {
        self.shallow.get(n)
    }

    /// A node's retained size: its shallow size plus that of every node it dominates.
    #[must_use]
    pub fn retained_size(&self, n: NodeIndex) -> u64 {
        self.retained[n.index()]
    }

    /// A node's immediate dominator (the root's is the root).
    #[must_use]
    pub fn dominator(&self, n: NodeIndex) -> NodeIndex {
        self.tree.dominator(n)
    }

    /// A node's distance from the roots.
    #[must_use]
    pub fn distance(&self, n: NodeIndex) -> Distance {
        self.distances.get(n)
    }

    /// A node's class.
    #[must_use]
    pub fn class_of(&self, n: NodeIndex) -> ClassId {
        self.classes.of(n)
    }

    /// The name of a node's class.
    #[must_use]
    pub fn class_name(&self, n: NodeIndex) -> &str {
        self.classes.name(self.classes.of(n))
    }

    /// The total size: the root's retained size, i.e. the sum of all shallow sizes.
    #[must_use]
    pub fn total_size(&self) -> u64 {
        self.retained[self.tree.root().index()]
    }

    /// The shallow sizes.
    #[must_use]
    pub fn shallow_sizes(&self) -> &ShallowSizes {
        &self.shallow
    }

    /// Every node's retained size, by node ordinal.
    #[must_use]
    pub fn retained_sizes(&self) -> &[u64] {
        &self.retained
    }

    /// The distances.
    #[must_use]
    pub fn distances(&self) -> &Distances {
        &self.distances
    }

    /// The dominator tree.
    #[must_use]
    pub fn dominator_tree(&self) -> &DominatorTree {
        &self.tree
    }

    /// The classes.
    #[must_use]
    pub fn classes(&self) -> &Classes {
        &self.classes
    }

    /// How long each phase took.
    #[must_use]
    pub fn timings(&self) -> &Timings {
        &self.timings
    }
}

fn timed<T>(timings: &mut Timings, phase: Phase, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    let elapsed: Duration = start.elapsed();
    timings.phases.push((phase, elapsed));
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EdgeType, GraphBuilder, NodeType};

    #[test]
    fn a_lone_root_and_an_unreachable_cycle() {
        let mut b = GraphBuilder::new();
        let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
        let g = b.build().unwrap();
        let mut a = Analysis::new(&g, Progress::none());
        assert_eq!(a.dominator(root), root);
        assert_eq!(a.total_size(), 0);
        assert!(a.census(&g, Progress::none()).is_empty());

        // Two objects that only hold each other hang under the root, each retaining itself.
        let mut b = GraphBuilder::new();
        let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
        let x = b.add_node(NodeType::OBJECT, "X", 3, 10);
        let y = b.add_node(NodeType::OBJECT, "Y", 5, 20);
        b.add_edge(x, EdgeType::Property, "y", y);
        b.add_edge(y, EdgeType::Property, "x", x);
        let g = b.build().unwrap();
        let a = Analysis::new(&g, Progress::none());
        assert_eq!((a.dominator(x), a.dominator(y)), (root, root));
        assert_eq!((a.retained_size(x), a.retained_size(y)), (10, 20));
        assert_eq!(a.total_size(), 30);
        assert_eq!(a.distance(x), Distance::Unreachable);
    }
}
