//! [`GraphBuilder`]: make a [`HeapGraph`] node by node, for sources that discover edges in any
//! order (core dumps) and for tests.

use std::collections::HashMap;

use crate::error::GraphError;
use crate::graph::{GraphColumns, HeapGraph};
use crate::strings::StringTable;
use crate::types::{EdgeType, Location, NodeIndex, NodeType, StringId};

/// Builds a [`HeapGraph`]; strings are interned, edges may be added in any order.
///
/// ```
/// use leakscope_graph::{EdgeType, GraphBuilder, NodeType};
///
/// let mut b = GraphBuilder::new();
/// let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
/// let global = b.add_node(NodeType::OBJECT, "global", 3, 40);
/// let foo = b.add_node(NodeType::OBJECT, "Foo", 5, 24);
/// b.add_edge(root, EdgeType::Shortcut, "global", global);
/// b.add_edge(global, EdgeType::Property, "leak", foo);
/// let g = b.build()?;
/// assert_eq!(g.node_name(g.edge_to(g.edges(global).next().unwrap())), "Foo");
/// # Ok::<(), leakscope_graph::GraphError>(())
/// ```
#[derive(Debug)]
pub struct GraphBuilder {
    strings: StringTable,
    interned: HashMap<String, StringId>,
    node_types: Vec<NodeType>,
    node_names: Vec<StringId>,
    node_ids: Vec<u32>,
    self_sizes: Vec<u64>,
    /// (from, type, name, to) in the order added.
    edges: Vec<(u32, EdgeType, u32, u32)>,
    locations: Vec<Location>,
}

impl Default for GraphBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl GraphBuilder {
    /// An empty builder; the first node added is the root.
    #[must_use]
    pub fn new() -> Self {
        let mut b = Self {
            strings: StringTable::new(),
            interned: HashMap::new(),
            node_types: Vec::new(),
            node_names: Vec::new(),
            node_ids: Vec::new(),
            self_sizes: Vec::new(),
            edges: Vec::new(),
            locations: Vec::new(),
        };
        // V8's string table starts with a placeholder; keep ids aligned with real snapshots.
        b.intern("<dummy>");
        b
    }

    /// The id of `s` in the table, adding it if new.
    pub fn intern(&mut self, s: &str) -> StringId {
        if let Some(&id) = self.interned.get(s) {
            return id;
        }
        let id = self.strings.push(s);
        self.interned.insert(s.to_owned(), id);
        id
    }

    /// Adds a node and returns its index.
    ///
    /// # Panics
    /// When the graph already has `u32::MAX` nodes.
    pub fn add_node(&mut self, ty: NodeType, name: &str, id: u32, self_size: u64) -> NodeIndex {
        let name = self.intern(name);
        let index = NodeIndex(u32::try_from(self.node_types.len()).expect("too many nodes"));
        self.node_types.push(ty);
        self.node_names.push(name);
        self.node_ids.push(id);
        self.self_sizes.push(self_size);
        index
    }

    /// The number of nodes added so far.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.node_types.len()
    }

    /// Adds an edge with a string name (any type but element and hidden).
    pub fn add_edge(&mut self, from: NodeIndex, ty: EdgeType, name: &str, to: NodeIndex) {
        let name =
            if ty.has_index_name() { name.parse().unwrap_or(0) } else { self.intern(name).0 };
        self.edges.push((from.0, ty, name, to.0));
    }

    /// Adds an element or hidden edge with an index as its name.
    pub fn add_index_edge(&mut self, from: NodeIndex, ty: EdgeType, index: u32, to: NodeIndex) {
        let name = if ty.has_index_name() { index } else { self.intern(&index.to_string()).0 };
        self.edges.push((from.0, ty, name, to.0));
    }

    /// Records a source location for a node.
    pub fn set_location(&mut self, node: NodeIndex, script_id: u32, line: u32, column: u32) {
        self.locations.push(Location { node, script_id, line, column });
    }

    /// Makes the graph. Edges keep the order they were added in, per source node.
    ///
    /// # Errors
    /// When there are no nodes, more than `u32::MAX` edges, or an edge names a node that was
    /// never added.
    pub fn build(self) -> Result<HeapGraph, GraphError> {
        let n = self.node_types.len();
        let mut first_edge = vec![0u32; n + 1];
        for &(from, ..) in &self.edges {
            if from as usize >= n {
                return Err(GraphError::EdgeTarget { edge: 0, to: from, nodes: n });
            }
            first_edge[from as usize + 1] += 1;
        }
        for i in 0..n {
            first_edge[i + 1] += first_edge[i];
        }
        let mut fill = first_edge.clone();
        let m = self.edges.len();
        let mut edge_types = vec![EdgeType::Element; m];
        let mut edge_names = vec![0u32; m];
        let mut edge_to = vec![0u32; m];
        for (from, ty, name, to) in self.edges {
            let slot = fill[from as usize] as usize;
            fill[from as usize] += 1;
            edge_types[slot] = ty;
            edge_names[slot] = name;
            edge_to[slot] = to;
        }
        HeapGraph::from_columns(GraphColumns {
            node_types: self.node_types,
            node_names: self.node_names,
            node_ids: self.node_ids,
            self_sizes: self.self_sizes,
            first_edge,
            trace_node_ids: None,
            detachedness: None,
            edge_types,
            edge_names,
            edge_to,
            strings: self.strings,
            type_names: NodeType::KNOWN_NAMES.iter().map(|s| (*s).to_owned()).collect(),
            locations: self.locations,
            root: NodeIndex(0),
            traces: None,
        })
    }
}
