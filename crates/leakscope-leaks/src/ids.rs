//! Which objects two snapshots share: V8's ids, checked against id recycling.
//!
//! V8 gives every heap object an odd id the first time a snapshot sees it, and keeps it while
//! the object lives (moves included), so an id present in two snapshots of one process names
//! one object. Two exceptions: embedder (`native`) nodes get even ids derived from pointers,
//! and `smi number` nodes get a fresh id in every snapshot; neither is compared by id.
//!
//! V8 also keys its id table by address: an object allocated right where a dead one lived
//! (without a move the profiler sees) inherits the dead object's id. Between two snapshots of
//! a service about one churned object in twenty comes back that way. So an id is taken as the
//! same object only when the node's type and name (constructor, function name, string text)
//! agree in both snapshots; [`NodeKeys`] gives each node that key.

use leakscope_graph::{HeapGraph, NodeIndex, NodeType, StringId};

/// Whether a node's id names the same object in every snapshot of its process.
#[must_use]
pub fn has_stable_id(g: &HeapGraph, n: NodeIndex) -> bool {
    g.node_id(n) % 2 == 1 && !(g.node_type(n) == NodeType::NUMBER && g.node_name(n) == "smi number")
}

/// A 32-bit digest of a node's type and name, equal in every snapshot for one object.
#[derive(Debug)]
pub struct NodeKeys<'g> {
    g: &'g HeapGraph,
    /// Digest of each string's text, 0 until needed.
    names: Vec<u32>,
}

impl<'g> NodeKeys<'g> {
    /// Keys for the nodes of `g`.
    #[must_use]
    pub fn new(g: &'g HeapGraph) -> Self {
        Self { g, names: vec![0; g.strings().len()] }
    }

    /// The key of `n`.
    pub fn of(&mut self, n: NodeIndex) -> u32 {
        let name = self.name(self.g.node_name_id(n));
        name ^ u32::from(self.g.node_type(n).0).wrapping_mul(0x9E37_79B9)
    }

    fn name(&mut self, id: StringId) -> u32 {
        let slot = &mut self.names[id.index()];
        if *slot == 0 {
            // Never 0, so 0 can mean "not yet".
            *slot = digest(self.g.string(id).as_bytes()) | 1;
        }
        *slot
    }
}

/// FNV-1a: the same text gives the same digest in every snapshot and every run.
pub(crate) fn digest(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h
}

/// The heap objects of one snapshot with stable ids: `(id, key)` sorted by id.
#[derive(Clone, Debug, Default)]
pub struct IdTable {
    /// `id << 32 | key`, ascending.
    entries: Vec<u64>,
    max_id: u32,
}

impl IdTable {
    /// The objects of `g` for which `keep` holds.
    #[must_use]
    pub fn of(g: &HeapGraph, mut keep: impl FnMut(NodeIndex) -> bool) -> Self {
        let mut keys = NodeKeys::new(g);
        let mut entries: Vec<u64> = g
            .nodes()
            .filter(|&n| has_stable_id(g, n) && keep(n))
            .map(|n| (u64::from(g.node_id(n)) << 32) | u64::from(keys.of(n)))
            .collect();
        entries.sort_unstable();
        entries.dedup_by_key(|e| *e >> 32);
        Self { entries, max_id: g.max_js_object_id() }
    }

    /// A table of `id << 32 | key` entries already sorted by id.
    pub(crate) fn from_sorted(entries: Vec<u64>, max_id: u32) -> Self {
        debug_assert!(entries.windows(2).all(|w| w[0] >> 32 < w[1] >> 32));
        Self { entries, max_id }
    }

    /// The largest heap object id of the snapshot (of all its objects, kept or not).
    #[must_use]
    pub fn max_id(&self) -> u32 {
        self.max_id
    }

    /// How many objects the table holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The key of the object with this id.
    #[must_use]
    pub fn get(&self, id: u32) -> Option<u32> {
        let i = self.entries.partition_point(|&e| (e >> 32) < u64::from(id));
        self.entries
            .get(i)
            .filter(|&&e| (e >> 32) == u64::from(id))
            .map(|&e| (e & 0xFFFF_FFFF) as u32)
    }

    /// Every `(id, key)`, by id.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.entries.iter().map(|&e| ((e >> 32) as u32, (e & 0xFFFF_FFFF) as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leakscope_graph::{EdgeType, GraphBuilder};

    #[test]
    fn tables_keep_stable_ids_sorted_with_their_keys() {
        let mut b = GraphBuilder::new();
        let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
        let late = b.add_node(NodeType::OBJECT, "Session", 41, 32);
        let early = b.add_node(NodeType::STRING, "user-1", 7, 24);
        let native = b.add_node(NodeType::NATIVE, "Node / TCPWrap", 1_700_000_000, 0);
        let smi = b.add_node(NodeType::NUMBER, "smi number", 43, 0);
        for n in [late, early, native, smi] {
            b.add_edge(root, EdgeType::Property, "x", n);
        }
        let g = b.build().unwrap();
        let t = IdTable::of(&g, |_| true);
        let ids: Vec<u32> = t.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, [1, 7, 41], "no even ids, no smi numbers");
        assert_eq!(t.max_id(), 43);
        let mut keys = NodeKeys::new(&g);
        assert_eq!(t.get(41), Some(keys.of(late)));
        assert_ne!(keys.of(late), keys.of(early));
        assert_eq!(t.get(9), None);
    }

    #[test]
    fn keys_depend_on_type_and_name_only() {
        let mut b = GraphBuilder::new();
        let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
        let a = b.add_node(NodeType::OBJECT, "Foo", 3, 10);
        let same = b.add_node(NodeType::OBJECT, "Foo", 5, 99);
        let other_type = b.add_node(NodeType::CLOSURE, "Foo", 7, 10);
        for n in [a, same, other_type] {
            b.add_edge(root, EdgeType::Property, "x", n);
        }
        let g = b.build().unwrap();
        let mut keys = NodeKeys::new(&g);
        assert_eq!(keys.of(a), keys.of(same));
        assert_ne!(keys.of(a), keys.of(other_type));
        assert_eq!(digest(b"Foo"), digest(b"Foo"));
    }
}
