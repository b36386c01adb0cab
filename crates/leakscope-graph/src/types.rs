//! Node and edge types, indexes into the graph's columns, and edge names.

use std::fmt;

/// A node's position in the graph's columns (its ordinal), not its V8 id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NodeIndex(pub u32);

impl NodeIndex {
    /// The ordinal as a `usize`, to index the columns.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An edge's position in the graph's edge columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EdgeIndex(pub u32);

impl EdgeIndex {
    /// The ordinal as a `usize`, to index the columns.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An index into the graph's string table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StringId(pub u32);

impl StringId {
    /// The index as a `usize`.
    #[inline]
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The type of a node, as V8's `HeapGraphNode::Type`.
///
/// The sixteen types V8 knows today have fixed values (the constants below, in V8's order).
/// A snapshot from a newer V8 may name types we do not know; the reader gives those the next
/// free values and the graph keeps their names, so they still show as `(their name)`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeType(pub u8);

impl NodeType {
    /// VM internals users need not see (`system / Map`, `system / Context`…).
    pub const HIDDEN: Self = Self(0);
    /// Internal arrays (`(object properties)`, `(object elements)`…); not JS arrays.
    pub const ARRAY: Self = Self(1);
    /// A flat string; the name is its content (at most 1024 characters).
    pub const STRING: Self = Self(2);
    /// A JS object; the name is its constructor's name.
    pub const OBJECT: Self = Self(3);
    /// Compiled code and code-related internals.
    pub const CODE: Self = Self(4);
    /// A JS function.
    pub const CLOSURE: Self = Self(5);
    /// A regular expression; the name is its source.
    pub const REGEXP: Self = Self(6);
    /// A heap number.
    pub const NUMBER: Self = Self(7);
    /// An embedder (off-heap) object.
    pub const NATIVE: Self = Self(8);
    /// A grouping node: the root, `(GC roots)` and its sub-roots.
    pub const SYNTHETIC: Self = Self(9);
    /// A cons string.
    pub const CONCATENATED_STRING: Self = Self(10);
    /// A sliced string.
    pub const SLICED_STRING: Self = Self(11);
    /// A symbol.
    pub const SYMBOL: Self = Self(12);
    /// A `BigInt`.
    pub const BIGINT: Self = Self(13);
    /// A map, descriptor array or similar.
    pub const OBJECT_SHAPE: Self = Self(14);
    /// A Wasm GC object.
    pub const WASM_OBJECT: Self = Self(15);

    /// The names of the known types, in V8's order (the values of the constants).
    pub const KNOWN_NAMES: [&'static str; 16] = [
        "hidden",
        "array",
        "string",
        "object",
        "code",
        "closure",
        "regexp",
        "number",
        "native",
        "synthetic",
        "concatenated string",
        "sliced string",
        "symbol",
        "bigint",
        "object shape",
        "wasm object",
    ];

    /// The known type with this V8 name.
    #[must_use]
    pub fn from_known_name(name: &str) -> Option<Self> {
        Self::KNOWN_NAMES
            .iter()
            .position(|n| *n == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(Self)
    }

    /// Whether this type is one of the string representations.
    #[must_use]
    pub fn is_string(self) -> bool {
        matches!(self, Self::STRING | Self::CONCATENATED_STRING | Self::SLICED_STRING)
    }
}

impl fmt::Debug for NodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Self::KNOWN_NAMES.get(usize::from(self.0)) {
            Some(name) => write!(f, "NodeType({name})"),
            None => write!(f, "NodeType(#{})", self.0),
        }
    }
}

/// The type of an edge, as V8's `HeapGraphEdge::Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum EdgeType {
    /// A variable captured in a function context; the name is the variable's.
    Context = 0,
    /// An array element; the name is an index.
    Element = 1,
    /// A named JS property.
    Property = 2,
    /// A link not reachable from JS (`map`, `elements`, `table`…).
    Internal = 3,
    /// Needed for size accounting but hidden from users; the name is an index.
    Hidden = 4,
    /// Must not be followed for sizes; from the root it marks user roots (`global`).
    Shortcut = 5,
    /// Does not retain its target.
    Weak = 6,
}

impl EdgeType {
    /// All edge types, in V8's order.
    pub const ALL: [Self; 7] = [
        Self::Context,
        Self::Element,
        Self::Property,
        Self::Internal,
        Self::Hidden,
        Self::Shortcut,
        Self::Weak,
    ];

    /// The V8 name of this type.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Context => "context",
            Self::Element => "element",
            Self::Property => "property",
            Self::Internal => "internal",
            Self::Hidden => "hidden",
            Self::Shortcut => "shortcut",
            Self::Weak => "weak",
        }
    }

    /// The type with this V8 name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether the edge's name field is a number (an index) rather than a string id.
    #[must_use]
    pub fn has_index_name(self) -> bool {
        matches!(self, Self::Element | Self::Hidden)
    }
}

impl fmt::Display for EdgeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name of an edge: an index for elements and hidden edges, a string otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeName<'g> {
    /// An element or hidden-edge index.
    Index(u32),
    /// A property, variable or internal field name.
    Str(&'g str),
}

impl fmt::Display for EdgeName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Index(i) => write!(f, "{i}"),
            Self::Str(s) => f.write_str(s),
        }
    }
}

/// Where a node's code is: V8's script id and 0-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// The node this location belongs to.
    pub node: NodeIndex,
    /// V8's script id.
    pub script_id: u32,
    /// 0-based line.
    pub line: u32,
    /// 0-based column.
    pub column: u32,
}
