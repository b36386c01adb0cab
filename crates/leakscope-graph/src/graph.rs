//! [`HeapGraph`]: the nodes and edges of one heap, in columns.

use std::ops::Range;
use std::sync::OnceLock;

use crate::error::GraphError;
use crate::strings::StringTable;
use crate::traces::AllocationTraces;
use crate::types::{EdgeIndex, EdgeName, EdgeType, Location, NodeIndex, NodeType, StringId};
use crate::v8names::SpecialNames;

/// The columns a source hands over to make a [`HeapGraph`].
///
/// Edges are grouped by source node: the edges of node `i` are
/// `first_edge[i]..first_edge[i + 1]`. [`HeapGraph::from_columns`] checks every invariant, so a
/// source can fill these straight from its input and still never build a broken graph.
#[derive(Clone, Debug, Default)]
pub struct GraphColumns {
    /// Per node: its type.
    pub node_types: Vec<NodeType>,
    /// Per node: its name.
    pub node_names: Vec<StringId>,
    /// Per node: V8's id for it.
    pub node_ids: Vec<u32>,
    /// Per node: its shallow size in bytes.
    pub self_sizes: Vec<u64>,
    /// `node_count + 1` entries: where each node's edges start, then the edge count.
    pub first_edge: Vec<u32>,
    /// Per node: its allocation trace node, when the source has them.
    pub trace_node_ids: Option<Vec<u32>>,
    /// Per node: 0 unknown, 1 attached, 2 detached, when the source has it.
    pub detachedness: Option<Vec<u8>>,
    /// Per edge: its type.
    pub edge_types: Vec<EdgeType>,
    /// Per edge: an index for element and hidden edges, a [`StringId`] otherwise.
    pub edge_names: Vec<u32>,
    /// Per edge: the node it points to.
    pub edge_to: Vec<u32>,
    /// Every string the graph names.
    pub strings: StringTable,
    /// Names of the node types, indexed by [`NodeType`]; at least the 16 known ones.
    pub type_names: Vec<String>,
    /// Source locations of closures and objects, in any order.
    pub locations: Vec<Location>,
    /// The root node (V8 puts it first).
    pub root: NodeIndex,
    /// The allocation traces of a `--track-heap-objects` snapshot.
    pub traces: Option<AllocationTraces>,
}

/// The nodes and edges of one heap, in struct-of-arrays columns.
///
/// Nodes are addressed by [`NodeIndex`] (their ordinal), edges by [`EdgeIndex`]; a node's
/// outgoing edges are contiguous. The reverse index (who retains a node) and the id lookup are
/// built on first use.
#[derive(Debug)]
pub struct HeapGraph {
    node_types: Vec<NodeType>,
    node_names: Vec<StringId>,
    node_ids: Vec<u32>,
    self_sizes: Vec<u64>,
    first_edge: Vec<u32>,
    trace_node_ids: Option<Vec<u32>>,
    detachedness: Option<Vec<u8>>,
    edge_types: Vec<EdgeType>,
    edge_names: Vec<u32>,
    edge_to: Vec<u32>,
    strings: StringTable,
    type_names: Vec<String>,
    locations: Vec<Location>,
    root: NodeIndex,
    traces: Option<AllocationTraces>,
    retainers: OnceLock<Retainers>,
    ids_sorted: OnceLock<Vec<(u32, u32)>>,
    special_names: OnceLock<SpecialNames>,
    columns: OptionalColumns,
}

/// Which optional columns the source had (all-zero ones are not kept).
#[derive(Clone, Copy, Debug)]
struct OptionalColumns {
    trace_node_ids: bool,
    detachedness: bool,
}

/// Who points at each node: the reverse of the edge columns, built by counting sort.
#[derive(Debug)]
pub struct Retainers {
    /// `node_count + 1` entries: where each node's retainers start.
    first: Vec<u32>,
    /// Per slot: the retaining edge.
    edges: Vec<u32>,
    /// Per slot: the retaining node.
    nodes: Vec<u32>,
}

impl HeapGraph {
    /// Builds a graph from columns after checking that they agree with each other.
    ///
    /// # Errors
    /// When column lengths differ, edge ranges are not increasing, an edge points past the
    /// nodes, or a name is not in the string table.
    pub fn from_columns(mut c: GraphColumns) -> Result<Self, GraphError> {
        let n = c.node_types.len();
        let e = c.edge_types.len();
        for (column, len) in [
            ("node_names", c.node_names.len()),
            ("node_ids", c.node_ids.len()),
            ("self_sizes", c.self_sizes.len()),
        ] {
            if len != n {
                return Err(GraphError::ColumnLength { column, len, expected: n });
            }
        }
        if c.first_edge.len() != n + 1 {
            return Err(GraphError::ColumnLength {
                column: "first_edge",
                len: c.first_edge.len(),
                expected: n + 1,
            });
        }
        if let Some(col) = &c.trace_node_ids
            && col.len() != n
        {
            return Err(GraphError::ColumnLength {
                column: "trace_node_ids",
                len: col.len(),
                expected: n,
            });
        }
        if let Some(col) = &c.detachedness
            && col.len() != n
        {
            return Err(GraphError::ColumnLength {
                column: "detachedness",
                len: col.len(),
                expected: n,
            });
        }
        for (column, len) in [("edge_names", c.edge_names.len()), ("edge_to", c.edge_to.len())] {
            if len != e {
                return Err(GraphError::ColumnLength { column, len, expected: e });
            }
        }
        if n == 0 {
            return Err(GraphError::Empty);
        }
        if u32::try_from(n).is_err() {
            return Err(GraphError::TooLarge { nodes: n });
        }
        if c.root.index() >= n {
            return Err(GraphError::RootOutOfRange { root: c.root.0, nodes: n });
        }
        if c.first_edge[0] != 0 || c.first_edge[n] as usize != e {
            return Err(GraphError::EdgeRanges { node: 0 });
        }
        if let Some(i) = c.first_edge.windows(2).position(|w| w[0] > w[1]) {
            return Err(GraphError::EdgeRanges { node: i });
        }
        if let Some(i) = c.edge_to.iter().position(|&to| to as usize >= n) {
            return Err(GraphError::EdgeTarget { edge: i, to: c.edge_to[i], nodes: n });
        }
        let strings = c.strings.len();
        if let Some(i) = c.node_names.iter().position(|s| s.index() >= strings) {
            return Err(GraphError::NodeName { node: i, name: c.node_names[i].0, strings });
        }
        if let Some(i) = c
            .edge_types
            .iter()
            .zip(&c.edge_names)
            .position(|(t, &name)| !t.has_index_name() && name as usize >= strings)
        {
            return Err(GraphError::EdgeName { edge: i, name: c.edge_names[i], strings });
        }
        if let Some(t) = c.node_types.iter().find(|t| usize::from(t.0) >= c.type_names.len()) {
            return Err(GraphError::NodeType { value: t.0, known: c.type_names.len() });
        }
        if let Some(l) = c.locations.iter().find(|l| l.node.index() >= n) {
            return Err(GraphError::LocationNode { node: l.node.0, nodes: n });
        }
        c.locations.sort_by_key(|l| l.node);
        // Without allocation tracking or DOM state these columns hold only zeros: on a big
        // heap they are tens of MB that the analyses would carry for nothing.
        let columns = OptionalColumns {
            trace_node_ids: c.trace_node_ids.is_some(),
            detachedness: c.detachedness.is_some(),
        };
        if c.trace_node_ids.as_ref().is_some_and(|t| t.iter().all(|&v| v == 0)) {
            c.trace_node_ids = None;
        }
        if c.detachedness.as_ref().is_some_and(|d| d.iter().all(|&v| v == 0)) {
            c.detachedness = None;
        }
        Ok(Self {
            node_types: c.node_types,
            node_names: c.node_names,
            node_ids: c.node_ids,
            self_sizes: c.self_sizes,
            first_edge: c.first_edge,
            trace_node_ids: c.trace_node_ids,
            detachedness: c.detachedness,
            edge_types: c.edge_types,
            edge_names: c.edge_names,
            edge_to: c.edge_to,
            strings: c.strings,
            type_names: c.type_names,
            locations: c.locations,
            root: c.root,
            traces: c.traces,
            retainers: OnceLock::new(),
            ids_sorted: OnceLock::new(),
            special_names: OnceLock::new(),
            columns,
        })
    }

    /// The number of nodes.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.node_types.len()
    }

    /// The number of edges.
    #[must_use]
    pub fn edge_count(&self) -> usize {
        self.edge_types.len()
    }

    /// All node indexes, in order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = NodeIndex> + use<> {
        #[allow(clippy::cast_possible_truncation)] // from_columns: node count fits edge_to (u32)
        (0..self.node_count() as u32).map(NodeIndex)
    }

    /// The root node.
    #[must_use]
    pub fn root(&self) -> NodeIndex {
        self.root
    }

    /// A node's type.
    #[must_use]
    pub fn node_type(&self, n: NodeIndex) -> NodeType {
        self.node_types[n.index()]
    }

    /// The name of a node type (`"object"`, `"concatenated string"`…).
    #[must_use]
    pub fn type_name(&self, t: NodeType) -> &str {
        self.type_names.get(usize::from(t.0)).map_or("unknown", String::as_str)
    }

    /// The names of all node types, indexed by [`NodeType`].
    #[must_use]
    pub fn type_names(&self) -> &[String] {
        &self.type_names
    }

    /// A node's name: the constructor for objects, the content for strings…
    #[must_use]
    pub fn node_name(&self, n: NodeIndex) -> &str {
        self.strings.get(self.node_names[n.index()])
    }

    /// The string id of a node's name.
    #[must_use]
    pub fn node_name_id(&self, n: NodeIndex) -> StringId {
        self.node_names[n.index()]
    }

    /// V8's id of a node (odd for heap objects, stable across snapshots of one isolate).
    #[must_use]
    pub fn node_id(&self, n: NodeIndex) -> u32 {
        self.node_ids[n.index()]
    }

    /// A node's shallow size in bytes, as the source gave it.
    #[must_use]
    pub fn self_size(&self, n: NodeIndex) -> u64 {
        self.self_sizes[n.index()]
    }

    /// Every node's shallow size, indexed by node ordinal.
    #[must_use]
    pub fn self_sizes(&self) -> &[u64] {
        &self.self_sizes
    }

    /// A node's allocation trace node id (0 when unknown or without traces).
    #[must_use]
    pub fn trace_node_id(&self, n: NodeIndex) -> u32 {
        self.trace_node_ids.as_ref().map_or(0, |t| t[n.index()])
    }

    /// Whether the source had a `trace_node_id` column.
    #[must_use]
    pub fn has_trace_node_ids(&self) -> bool {
        self.columns.trace_node_ids
    }

    /// A node's detachedness: 0 unknown, 1 attached, 2 detached.
    #[must_use]
    pub fn detachedness(&self, n: NodeIndex) -> u8 {
        self.detachedness.as_ref().map_or(0, |d| d[n.index()])
    }

    /// Whether the source had a `detachedness` column.
    #[must_use]
    pub fn has_detachedness(&self) -> bool {
        self.columns.detachedness
    }

    /// The range of a node's outgoing edges.
    #[must_use]
    pub fn edge_range(&self, n: NodeIndex) -> Range<usize> {
        self.first_edge[n.index()] as usize..self.first_edge[n.index() + 1] as usize
    }

    /// A node's outgoing edges.
    pub fn edges(&self, n: NodeIndex) -> impl ExactSizeIterator<Item = EdgeIndex> + use<> {
        #[allow(clippy::cast_possible_truncation)] // edge indexes come from u32 first_edge
        self.edge_range(n).map(|e| EdgeIndex(e as u32))
    }

    /// The number of a node's outgoing edges.
    #[must_use]
    pub fn out_degree(&self, n: NodeIndex) -> usize {
        self.edge_range(n).len()
    }

    /// An edge's type.
    #[must_use]
    pub fn edge_type(&self, e: EdgeIndex) -> EdgeType {
        self.edge_types[e.index()]
    }

    /// An edge's raw name field: an index for element and hidden edges, a string id otherwise.
    #[must_use]
    pub fn edge_name_raw(&self, e: EdgeIndex) -> u32 {
        self.edge_names[e.index()]
    }

    /// An edge's name.
    #[must_use]
    pub fn edge_name(&self, e: EdgeIndex) -> EdgeName<'_> {
        let raw = self.edge_names[e.index()];
        if self.edge_types[e.index()].has_index_name() {
            EdgeName::Index(raw)
        } else {
            EdgeName::Str(self.strings.get(StringId(raw)))
        }
    }

    /// The node an edge points to.
    #[must_use]
    pub fn edge_to(&self, e: EdgeIndex) -> NodeIndex {
        NodeIndex(self.edge_to[e.index()])
    }

    /// The node an edge starts from (a binary search over the edge ranges).
    #[must_use]
    pub fn edge_from(&self, e: EdgeIndex) -> NodeIndex {
        let i = self.first_edge.partition_point(|&first| first <= e.0);
        #[allow(clippy::cast_possible_truncation)] // i <= node_count, which fits u32
        NodeIndex(i.saturating_sub(1) as u32)
    }

    /// The string table.
    #[must_use]
    pub fn strings(&self) -> &StringTable {
        &self.strings
    }

    /// The string with this id.
    #[must_use]
    pub fn string(&self, id: StringId) -> &str {
        self.strings.get(id)
    }

    /// Every source location, sorted by node.
    #[must_use]
    pub fn locations(&self) -> &[Location] {
        &self.locations
    }

    /// The source location of a node, where the source has one.
    #[must_use]
    pub fn location(&self, n: NodeIndex) -> Option<Location> {
        let i = self.locations.partition_point(|l| l.node < n);
        self.locations.get(i).filter(|l| l.node == n).copied()
    }

    /// The allocation traces, for snapshots taken with allocation tracking.
    #[must_use]
    pub fn traces(&self) -> Option<&AllocationTraces> {
        self.traces.as_ref()
    }

    /// The node with this V8 id.
    #[must_use]
    pub fn find_by_id(&self, id: u32) -> Option<NodeIndex> {
        let sorted = self.ids_sorted.get_or_init(|| {
            let mut v: Vec<(u32, u32)> = self.node_ids.iter().copied().zip(0..).collect();
            v.sort_unstable();
            v
        });
        let i = sorted.partition_point(|&(nid, _)| nid < id);
        sorted.get(i).filter(|&&(nid, _)| nid == id).map(|&(_, n)| NodeIndex(n))
    }

    /// The ids of the names the analyses treat specially, found on first use.
    pub(crate) fn special_names(&self) -> &SpecialNames {
        self.special_names.get_or_init(|| SpecialNames::of(self))
    }

    /// The reverse index: who retains each node. Built on first use.
    pub fn retainers(&self) -> &Retainers {
        self.retainers.get_or_init(|| Retainers::build(self))
    }

    /// The largest odd (JS heap object) id; 0 when there is none.
    #[must_use]
    pub fn max_js_object_id(&self) -> u32 {
        self.node_ids.iter().copied().filter(|id| id % 2 == 1).max().unwrap_or(0)
    }
}

impl Retainers {
    fn build(g: &HeapGraph) -> Self {
        let n = g.node_count();
        let mut first = vec![0u32; n + 1];
        for &to in &g.edge_to {
            first[to as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill: Vec<u32> = first[..n].to_vec();
        let mut edges = vec![0u32; g.edge_count()];
        let mut nodes = vec![0u32; g.edge_count()];
        for from in g.nodes() {
            for e in g.edge_range(from) {
                let to = g.edge_to[e] as usize;
                let slot = fill[to] as usize;
                #[allow(clippy::cast_possible_truncation)] // edge indexes fit u32
                {
                    edges[slot] = e as u32;
                }
                nodes[slot] = from.0;
                fill[to] += 1;
            }
        }
        Self { first, edges, nodes }
    }

    /// The edges that point at `n`, each with the node it comes from, in edge order.
    pub fn of(&self, n: NodeIndex) -> impl ExactSizeIterator<Item = (NodeIndex, EdgeIndex)> + '_ {
        let range = self.first[n.index()] as usize..self.first[n.index() + 1] as usize;
        self.nodes[range.clone()]
            .iter()
            .zip(&self.edges[range])
            .map(|(&from, &e)| (NodeIndex(from), EdgeIndex(e)))
    }

    /// The number of edges that point at `n`.
    #[must_use]
    pub fn count(&self, n: NodeIndex) -> usize {
        (self.first[n.index() + 1] - self.first[n.index()]) as usize
    }
}
