//! Shallow sizes as DevTools shows them: the internals an object owns alone count as its own.
//!
//! V8 reports a JS object's property and element stores (`array` nodes) and other VM internals
//! (`hidden` nodes) as separate nodes. DevTools moves the size of each such node that exactly
//! one "real" node reaches (through other internals only) onto that owner and sets its own to
//! zero, so an `Array`'s shallow size includes its elements. Nodes reached from several owners
//! keep their size. Snapshots taken with `exposeInternals` (no user roots) are left alone.

use crate::bits::BitSet;
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress};
use crate::types::{EdgeType, NodeIndex, NodeType};
use crate::v8names::{self, SpecialNames};

const UNVISITED: u32 = u32::MAX;
const MULTIPLE_OWNERS: u32 = u32::MAX - 1;

/// Every node's shallow size after the transfer, by node ordinal.
#[derive(Clone, Debug)]
pub struct ShallowSizes {
    sizes: Vec<u64>,
    transferred: bool,
}

impl ShallowSizes {
    /// Computes the sizes; `detached` are the native nodes DevTools renames `Detached …`
    /// ([`crate::detached_natives`]).
    #[must_use]
    pub fn compute(g: &HeapGraph, detached: &BitSet, progress: Progress<'_>) -> Self {
        let names = *g.special_names();
        let mut sizes = g.self_sizes().to_vec();
        if v8names::user_roots(g, &names).is_empty() {
            return Self { sizes, transferred: false };
        }
        let n = g.node_count();
        let mut ticker = progress.phase(Phase::ShallowSizes, n);
        let owned_kind = |v: NodeIndex| {
            let t = g.node_type(v);
            t == NodeType::HIDDEN
                || t == NodeType::ARRAY
                || (t == NodeType::NATIVE
                    && !detached.get(v.index())
                    && SpecialNames::is(g.node_name_id(v), names.external_string_data))
        };
        let mut owners = vec![UNVISITED; n];
        let mut work: Vec<u32> = Vec::with_capacity(n);
        for v in g.nodes() {
            if !owned_kind(v) {
                owners[v.index()] = v.0;
                work.push(v.0);
            }
        }
        let mut done = 0usize;
        while let Some(v) = work.pop() {
            done += 1;
            ticker.tick(done);
            let owner = owners[v as usize];
            for e in g.edges(NodeIndex(v)) {
                if g.edge_type(e) == EdgeType::Weak {
                    continue;
                }
                let t = g.edge_to(e).0;
                let current = owners[t as usize];
                if current == UNVISITED {
                    owners[t as usize] = owner;
                    work.push(t);
                } else if current != t && current != owner && current != MULTIPLE_OWNERS {
                    owners[t as usize] = MULTIPLE_OWNERS;
                    work.push(t);
                }
            }
        }
        for (i, &owner) in owners.iter().enumerate() {
            if owner == UNVISITED || owner == MULTIPLE_OWNERS || owner as usize == i {
                continue;
            }
            let o = NodeIndex(owner);
            if o == g.root() || g.node_type(o) == NodeType::SYNTHETIC {
                continue;
            }
            let size = std::mem::take(&mut sizes[i]);
            sizes[o.index()] += size;
        }
        ticker.finish();
        Self { sizes, transferred: true }
    }

    /// A node's shallow size as DevTools shows it.
    #[must_use]
    pub fn get(&self, n: NodeIndex) -> u64 {
        self.sizes[n.index()]
    }

    /// Every node's shallow size, by node ordinal.
    #[must_use]
    pub fn as_slice(&self) -> &[u64] {
        &self.sizes
    }

    /// Whether sizes were moved (false for `exposeInternals` snapshots, which have no user roots).
    #[must_use]
    pub fn transferred(&self) -> bool {
        self.transferred
    }
}
