//! The error of this crate.

/// A graph's columns disagree with each other.
///
/// Sources check their input and report problems with their own positions; this error is the
/// last line of defence, so a broken source cannot build a graph that panics later.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// A graph needs at least a root.
    #[error("the heap graph has no nodes")]
    Empty,
    /// More nodes than 32-bit ordinals can address.
    #[error("the heap graph has {nodes} nodes, more than 2^32 - 1")]
    TooLarge {
        /// The node count.
        nodes: usize,
    },
    /// A column is longer or shorter than the others.
    #[error("column {column} has {len} entries, expected {expected}")]
    ColumnLength {
        /// The column.
        column: &'static str,
        /// Its length.
        len: usize,
        /// The length it should have.
        expected: usize,
    },
    /// The root is not a node.
    #[error("root node {root} is past the {nodes} nodes")]
    RootOutOfRange {
        /// The root ordinal.
        root: u32,
        /// The node count.
        nodes: usize,
    },
    /// `first_edge` does not start at 0, decreases, or does not end at the edge count.
    #[error("edge ranges are inconsistent at node {node}")]
    EdgeRanges {
        /// The first node whose range is wrong.
        node: usize,
    },
    /// An edge points past the last node.
    #[error("edge {edge} points to node {to}, past the {nodes} nodes")]
    EdgeTarget {
        /// The edge.
        edge: usize,
        /// Its target ordinal.
        to: u32,
        /// The node count.
        nodes: usize,
    },
    /// A node's name is not in the string table.
    #[error("node {node} names string {name}, but there are only {strings} strings")]
    NodeName {
        /// The node ordinal.
        node: usize,
        /// The string id.
        name: u32,
        /// The number of strings.
        strings: usize,
    },
    /// An edge's name is not in the string table.
    #[error("edge {edge} names string {name}, but there are only {strings} strings")]
    EdgeName {
        /// The edge index.
        edge: usize,
        /// The string id.
        name: u32,
        /// The number of strings.
        strings: usize,
    },
    /// A node type has no name.
    #[error("node type {value} is not one of the {known} types")]
    NodeType {
        /// The type value.
        value: u8,
        /// The number of named types.
        known: usize,
    },
    /// A location names a node that does not exist.
    #[error("a location names node {node}, past the {nodes} nodes")]
    LocationNode {
        /// The node ordinal.
        node: u32,
        /// The node count.
        nodes: usize,
    },
}
