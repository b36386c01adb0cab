//! The `snapshot` header: counts and `meta`, the description of every column. Field
//! positions are looked up by name, never assumed: V8 versions and Chrome differ.

use leakscope_graph::{EdgeType, NodeType};
use serde::Deserialize;

use crate::error::Error;
use crate::scan::MAX_WIDTH;

#[derive(Deserialize)]
struct RawHeader {
    meta: RawMeta,
    node_count: u64,
    edge_count: u64,
    #[serde(default)]
    trace_function_count: u64,
    #[serde(default)]
    root_index: Option<u64>,
}

#[derive(Deserialize)]
struct RawMeta {
    node_fields: Vec<String>,
    node_types: Vec<serde_json::Value>,
    edge_fields: Vec<String>,
    edge_types: Vec<serde_json::Value>,
    #[serde(default)]
    trace_function_info_fields: Vec<String>,
    #[serde(default)]
    trace_node_fields: Vec<String>,
    #[serde(default)]
    sample_fields: Vec<String>,
    #[serde(default)]
    location_fields: Vec<String>,
}

/// Where each column the graph needs sits in a node row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NodePositions {
    pub(crate) ty: usize,
    pub(crate) name: usize,
    pub(crate) id: usize,
    pub(crate) self_size: usize,
    pub(crate) edge_count: usize,
    pub(crate) trace_node_id: Option<usize>,
    pub(crate) detachedness: Option<usize>,
}

/// Where each column the graph needs sits in an edge row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EdgePositions {
    pub(crate) ty: usize,
    pub(crate) name: usize,
    pub(crate) to: usize,
}

/// The layout of a snapshot, as its header describes it.
#[derive(Clone, Debug)]
pub struct Layout {
    /// `snapshot.meta.node_fields`, in file order.
    pub node_fields: Vec<String>,
    /// `snapshot.meta.edge_fields`, in file order.
    pub edge_fields: Vec<String>,
    /// The node type enum, in file order.
    pub node_type_names: Vec<String>,
    /// The edge type enum, in file order.
    pub edge_type_names: Vec<String>,
    /// `snapshot.meta.location_fields` (empty in old snapshots).
    pub location_fields: Vec<String>,
    /// `snapshot.meta.trace_function_info_fields`.
    pub trace_function_info_fields: Vec<String>,
    /// `snapshot.meta.trace_node_fields`.
    pub trace_node_fields: Vec<String>,
    /// `snapshot.meta.sample_fields`.
    pub sample_fields: Vec<String>,
    /// `snapshot.node_count`.
    pub node_count: u64,
    /// `snapshot.edge_count`.
    pub edge_count: u64,
    /// `snapshot.trace_function_count`.
    pub trace_function_count: u64,
    /// `snapshot.root_index` (a node index, not an ordinal), if given.
    pub root_index: Option<u64>,
    pub(crate) node_pos: NodePositions,
    pub(crate) edge_pos: EdgePositions,
    /// File node type value → graph type.
    pub(crate) node_type_map: Vec<NodeType>,
    /// File edge type value → graph type.
    pub(crate) edge_type_map: Vec<EdgeType>,
    /// Names of the graph's node types: the known ones, then any unknown to leakscope.
    pub(crate) graph_type_names: Vec<String>,
}

impl Layout {
    pub(crate) fn parse(
        json: &[u8],
        offset: u64,
        warnings: &mut Vec<String>,
    ) -> Result<Self, Error> {
        let header_error = |message: String| Error::Header { offset, message };
        let raw: RawHeader = serde_json::from_slice(json)
            .map_err(|e| header_error(format!("`snapshot` is not a V8 snapshot header ({e})")))?;
        let m = raw.meta;

        let node_field = |name: &str| {
            m.node_fields
                .iter()
                .position(|f| f == name)
                .ok_or_else(|| header_error(format!("meta.node_fields has no \"{name}\"")))
        };
        let node_pos = NodePositions {
            ty: node_field("type")?,
            name: node_field("name")?,
            id: node_field("id")?,
            self_size: node_field("self_size")?,
            edge_count: node_field("edge_count")?,
            trace_node_id: node_field("trace_node_id").ok(),
            detachedness: node_field("detachedness").ok(),
        };
        let edge_field = |name: &str| {
            m.edge_fields
                .iter()
                .position(|f| f == name)
                .ok_or_else(|| header_error(format!("meta.edge_fields has no \"{name}\"")))
        };
        let edge_pos = EdgePositions {
            ty: edge_field("type")?,
            name: edge_field("name_or_index")?,
            to: edge_field("to_node")?,
        };
        for (what, fields) in [
            ("node_fields", &m.node_fields),
            ("edge_fields", &m.edge_fields),
            ("location_fields", &m.location_fields),
            ("trace_function_info_fields", &m.trace_function_info_fields),
        ] {
            if fields.len() > MAX_WIDTH {
                return Err(header_error(format!(
                    "meta.{what} lists {} fields, more than {MAX_WIDTH}",
                    fields.len()
                )));
            }
        }

        let node_type_names = string_enum(m.node_types.get(node_pos.ty))
            .ok_or_else(|| header_error("meta.node_types does not list the node types".into()))?;
        let edge_type_names = string_enum(m.edge_types.get(edge_pos.ty))
            .ok_or_else(|| header_error("meta.edge_types does not list the edge types".into()))?;
        if node_type_names.len() > 200 || edge_type_names.len() > 200 {
            return Err(header_error("meta lists more than 200 node or edge types".into()));
        }

        let mut graph_type_names: Vec<String> =
            NodeType::KNOWN_NAMES.iter().map(|s| (*s).to_owned()).collect();
        let node_type_map = node_type_names
            .iter()
            .map(|name| {
                NodeType::from_known_name(name).unwrap_or_else(|| {
                    // A type from a newer V8: keep its name so it still shows as "(name)".
                    let value = u8::try_from(graph_type_names.len()).unwrap_or(u8::MAX);
                    graph_type_names.push(name.clone());
                    NodeType(value)
                })
            })
            .collect();
        let edge_type_map = edge_type_names
            .iter()
            .map(|name| {
                EdgeType::from_name(name).unwrap_or_else(|| {
                    warnings.push(format!(
                        "unknown edge type \"{name}\": treated as an internal (retaining) edge"
                    ));
                    EdgeType::Internal
                })
            })
            .collect();

        Ok(Self {
            node_fields: m.node_fields,
            edge_fields: m.edge_fields,
            node_type_names,
            edge_type_names,
            location_fields: m.location_fields,
            trace_function_info_fields: m.trace_function_info_fields,
            trace_node_fields: m.trace_node_fields,
            sample_fields: m.sample_fields,
            node_count: raw.node_count,
            edge_count: raw.edge_count,
            trace_function_count: raw.trace_function_count,
            root_index: raw.root_index,
            node_pos,
            edge_pos,
            node_type_map,
            edge_type_map,
            graph_type_names,
        })
    }

    /// Values per node row.
    #[must_use]
    pub fn node_field_count(&self) -> usize {
        self.node_fields.len()
    }

    /// Values per edge row.
    #[must_use]
    pub fn edge_field_count(&self) -> usize {
        self.edge_fields.len()
    }

    /// Whether nodes carry allocation trace ids.
    #[must_use]
    pub fn has_trace_node_id(&self) -> bool {
        self.node_pos.trace_node_id.is_some()
    }

    /// Whether nodes carry a detachedness column.
    #[must_use]
    pub fn has_detachedness(&self) -> bool {
        self.node_pos.detachedness.is_some()
    }
}

/// The list of names in a `meta.*_types` entry that describes an enum column.
fn string_enum(v: Option<&serde_json::Value>) -> Option<Vec<String>> {
    v?.as_array()?.iter().map(|s| s.as_str().map(str::to_owned)).collect()
}
