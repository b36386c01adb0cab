//! The top level of a snapshot: its sections, in whatever order, into graph columns.

use leakscope_graph::{
    AllocationTraces, EdgeType, GraphColumns, HeapGraph, Location, NodeIndex, NodeType, StringId,
    StringTable, TraceFunction, TraceNode,
};

use crate::error::Error;
use crate::header::Layout;
use crate::input::{Input, describe};
use crate::json::{capture_object, decode_string, skip_value};
use crate::scan::{RowSink, scan_rows};
use crate::trace_tree::read_trace_tree;

/// The header is a few KB; anything much bigger is not a snapshot.
const HEADER_LIMIT: usize = 16 << 20;

/// Rows to reserve when the input size is unknown (stdin, gzip): columns grow from there, so
/// a header that lies about its counts cannot make us allocate more than the data holds.
const UNKNOWN_SIZE_RESERVE: u64 = 1 << 20;

/// A snapshot read into a graph, with what its header said.
#[derive(Debug)]
pub struct Snapshot {
    /// The heap.
    pub graph: HeapGraph,
    /// The header's description of the file.
    pub layout: Layout,
    /// Bytes of JSON read (after decompression).
    pub json_bytes: u64,
    /// Things that loaded but deserve a word (unknown edge types…).
    pub warnings: Vec<String>,
}

/// The node columns, as read from the `nodes` array.
pub(crate) struct NodeColumns {
    types: Vec<NodeType>,
    names: Vec<StringId>,
    ids: Vec<u32>,
    self_sizes: Vec<u64>,
    first_edge: Vec<u32>,
    trace_node_ids: Option<Vec<u32>>,
    detachedness: Option<Vec<u8>>,
}

/// The edge columns, as read from the `edges` array.
pub(crate) struct EdgeColumns {
    types: Vec<EdgeType>,
    names: Vec<u32>,
    to: Vec<u32>,
}

/// Where the member loop stopped.
pub(crate) enum Stop {
    /// At the closing `}` of the snapshot.
    End,
    /// At the value of `"nodes"` (its `[` not consumed), as asked.
    AtNodes,
}

/// Everything read so far, section by section.
pub(crate) struct Sections {
    pub(crate) layout: Option<Layout>,
    pub(crate) nodes: Option<NodeColumns>,
    pub(crate) edges: Option<EdgeColumns>,
    strings: Option<StringTable>,
    location_values: Vec<u64>,
    trace_function_values: Vec<u64>,
    trace_nodes: Vec<TraceNode>,
    keys_seen: Vec<String>,
    warnings: Vec<String>,
    size_hint: Option<u64>,
    scratch: Vec<u8>,
}

/// Reads a whole snapshot from one sequential input.
pub(crate) fn read_sequential(
    input: &mut Input<'_>,
    size_hint: Option<u64>,
) -> Result<Snapshot, Error> {
    open_object(input)?;
    let mut sections = Sections::new(size_hint);
    sections.parse_members(input, true, false)?;
    expect_end(input)?;
    sections.finish(input.offset())
}

/// Consumes the `{` that opens a snapshot.
pub(crate) fn open_object(input: &mut Input<'_>) -> Result<(), Error> {
    match input.peek_non_ws()? {
        None => Err(Error::Empty),
        Some(b'{') => {
            input.consume(1);
            Ok(())
        }
        Some(b) => Err(Error::NotASnapshot {
            offset: input.offset(),
            reason: format!("it does not start with a JSON object but with {}", describe(b)),
        }),
    }
}

/// Checks that nothing but whitespace follows the snapshot.
pub(crate) fn expect_end(input: &mut Input<'_>) -> Result<(), Error> {
    match input.peek_non_ws()? {
        None => Ok(()),
        Some(b) => Err(Error::syntax(
            input.offset(),
            format!("unexpected {} after the end of the snapshot", describe(b)),
        )),
    }
}

impl Sections {
    pub(crate) fn new(size_hint: Option<u64>) -> Self {
        Self {
            layout: None,
            nodes: None,
            edges: None,
            strings: None,
            location_values: Vec::new(),
            trace_function_values: Vec::new(),
            trace_nodes: Vec::new(),
            keys_seen: Vec::new(),
            warnings: Vec::new(),
            size_hint,
            scratch: Vec::new(),
        }
    }

    /// Reads members of the top-level object up to its `}`. `first` says whether no member
    /// has been read yet; with `split_at_nodes` the loop returns at the `nodes` value so that a
    /// caller can read the big arrays its own way.
    pub(crate) fn parse_members(
        &mut self,
        input: &mut Input<'_>,
        mut first: bool,
        split_at_nodes: bool,
    ) -> Result<Stop, Error> {
        loop {
            match input.peek_non_ws()? {
                None => {
                    return Err(Error::Truncated {
                        offset: input.offset(),
                        inside: "the top-level object",
                    });
                }
                Some(b'}') => {
                    input.consume(1);
                    return Ok(Stop::End);
                }
                Some(b',') if !first => input.consume(1),
                Some(b'"') if first => {}
                Some(b) if first => {
                    return Err(Error::NotASnapshot {
                        offset: input.offset(),
                        reason: format!("expected a key, found {}", describe(b)),
                    });
                }
                Some(b) => {
                    return Err(Error::syntax(
                        input.offset(),
                        format!(
                            "expected ',' or '}}' after a top-level value, found {}",
                            describe(b)
                        ),
                    ));
                }
            }
            first = false;
            input.expect(b'"', "a top-level key")?;
            let mut key = String::new();
            decode_string(input, "a top-level key", &mut self.scratch, &mut key)?;
            input.expect(b':', "the top-level object")?;
            if self.layout.is_none() && key != "snapshot" && is_array_section(&key) {
                return Err(Error::NotASnapshot {
                    offset: input.offset(),
                    reason: format!("\"{key}\" comes before the \"snapshot\" header"),
                });
            }
            if key == "nodes" && split_at_nodes {
                self.keys_seen.push(key);
                return Ok(Stop::AtNodes);
            }
            self.parse_member(input, &key)?;
            self.keys_seen.push(key);
        }
    }

    fn parse_member(&mut self, input: &mut Input<'_>, key: &str) -> Result<(), Error> {
        let layout = self.layout.as_ref();
        match (key, layout) {
            ("snapshot", _) => {
                if input.peek_non_ws()? != Some(b'{') {
                    return Err(Error::NotASnapshot {
                        offset: input.offset(),
                        reason: "\"snapshot\" is not an object".into(),
                    });
                }
                let header_offset = input.offset();
                let mut json = Vec::new();
                capture_object(input, "the snapshot header", HEADER_LIMIT, &mut json)?;
                self.layout = Some(Layout::parse(&json, header_offset, &mut self.warnings)?);
            }
            ("nodes", Some(l)) => {
                input.expect(b'[', "nodes")?;
                self.nodes = Some(read_nodes(input, l, self.size_hint)?);
            }
            ("edges", Some(l)) => {
                input.expect(b'[', "edges")?;
                self.edges = Some(read_edges(input, l, self.size_hint)?);
            }
            ("strings", _) => {
                input.expect(b'[', "strings")?;
                self.strings = Some(read_strings(input, self.size_hint, &mut self.scratch)?);
            }
            ("locations", Some(l)) => {
                self.location_values = read_table(input, "locations", l.location_fields.len())?;
            }
            ("trace_function_infos", Some(l)) => {
                let width = l.trace_function_info_fields.len();
                self.trace_function_values = read_table(input, "trace_function_infos", width)?;
            }
            ("trace_tree", Some(l)) => {
                self.trace_nodes = read_trace_tree(input, &l.trace_node_fields)?;
            }
            _ => skip_value(input, "a top-level value")?,
        }
        Ok(())
    }

    /// Checks that every section was there and agrees, and makes the graph.
    pub(crate) fn finish(self, end: u64) -> Result<Snapshot, Error> {
        let Some(layout) = self.layout else {
            return Err(Error::NotASnapshot {
                offset: 0,
                reason: format!(
                    "it has no \"snapshot\" header (top-level keys: {})",
                    if self.keys_seen.is_empty() {
                        "none".to_owned()
                    } else {
                        self.keys_seen.join(", ")
                    }
                ),
            });
        };
        let nodes = self
            .nodes
            .ok_or_else(|| Error::inconsistent(end, "the snapshot has no \"nodes\" array"))?;
        let edges = self
            .edges
            .ok_or_else(|| Error::inconsistent(end, "the snapshot has no \"edges\" array"))?;
        let strings = self
            .strings
            .ok_or_else(|| Error::inconsistent(end, "the snapshot has no \"strings\" array"))?;

        let node_count = nodes.types.len();
        let locations = make_locations(&self.location_values, &layout, node_count, end)?;
        let traces =
            make_traces(&self.trace_function_values, self.trace_nodes, &layout, &strings, end)?;
        let root = match layout.root_index {
            None => NodeIndex(0),
            Some(index) => {
                let f = layout.node_field_count() as u64;
                if index % f != 0 || index / f >= node_count as u64 {
                    return Err(Error::inconsistent(
                        0,
                        format!("snapshot.root_index {index} is not a node"),
                    ));
                }
                NodeIndex(u32::try_from(index / f).unwrap_or(0))
            }
        };
        check_names(&nodes, &edges, &strings, end)?;

        let graph = HeapGraph::from_columns(GraphColumns {
            node_types: nodes.types,
            node_names: nodes.names,
            node_ids: nodes.ids,
            self_sizes: nodes.self_sizes,
            first_edge: nodes.first_edge,
            trace_node_ids: nodes.trace_node_ids,
            detachedness: nodes.detachedness,
            edge_types: edges.types,
            edge_names: edges.names,
            edge_to: edges.to,
            strings,
            type_names: layout.graph_type_names.clone(),
            locations,
            root,
            traces,
        })?;
        Ok(Snapshot { graph, layout, json_bytes: end, warnings: self.warnings })
    }
}

/// Reads a small table of unsigned integers in rows of `width` (0: skip it, its fields are
/// unknown).
fn read_table(
    input: &mut Input<'_>,
    inside: &'static str,
    width: usize,
) -> Result<Vec<u64>, Error> {
    if width == 0 {
        skip_value(input, inside)?;
        return Ok(Vec::new());
    }
    input.expect(b'[', inside)?;
    let mut values = Vec::new();
    let mut push = |row: &[u64]| -> Result<(), String> {
        values.extend_from_slice(row);
        Ok(())
    };
    let rest = scan_rows(input, inside, width, &mut push)?;
    if rest != 0 {
        return Err(Error::inconsistent(
            input.offset(),
            format!("{inside} ends in the middle of a row"),
        ));
    }
    Ok(values)
}

fn is_array_section(key: &str) -> bool {
    matches!(key, "nodes" | "edges" | "trace_tree" | "locations" | "strings")
}

/// How many rows to reserve: the header's count, but never more than the input could hold
/// (each value takes at least a digit and a separator).
fn reserve_rows(count: u64, fields: usize, size_hint: Option<u64>) -> usize {
    let cap = match size_hint {
        Some(bytes) => bytes / (2 * fields as u64).max(1) + 1,
        None => UNKNOWN_SIZE_RESERVE,
    };
    usize::try_from(count.min(cap)).unwrap_or(0)
}

fn too_large(what: &str, v: u64) -> String {
    format!("{what} {v} does not fit in 32 bits")
}

struct NodeSink<'l> {
    layout: &'l Layout,
    c: NodeColumns,
    rows: u64,
    edge_total: u64,
}

impl RowSink for NodeSink<'_> {
    #[inline]
    fn row(&mut self, row: &[u64]) -> Result<(), String> {
        let l = self.layout;
        let p = l.node_pos;
        if self.rows == l.node_count {
            return Err(format!(
                "the nodes array holds more than the {} nodes that snapshot.node_count gives",
                l.node_count
            ));
        }
        let ty = row[p.ty];
        let Some(&ty) = usize::try_from(ty).ok().and_then(|i| l.node_type_map.get(i)) else {
            return Err(format!(
                "node {} has type {ty}, but snapshot.meta lists {} node types",
                self.rows,
                l.node_type_map.len()
            ));
        };
        let (name, id) = (row[p.name], row[p.id]);
        self.edge_total += row[p.edge_count];
        if (name | id | self.edge_total) >> 32 != 0 {
            return Err(if name >> 32 != 0 {
                too_large("node name", name)
            } else if id >> 32 != 0 {
                too_large("node id", id)
            } else {
                "more than 2^32 - 1 edges in all".to_owned()
            });
        }
        #[allow(clippy::cast_possible_truncation)] // checked just above
        {
            self.c.types.push(ty);
            self.c.names.push(StringId(name as u32));
            self.c.ids.push(id as u32);
            self.c.self_sizes.push(row[p.self_size]);
            self.c.first_edge.push(self.edge_total as u32);
        }
        if let (Some(t), Some(pos)) = (&mut self.c.trace_node_ids, p.trace_node_id) {
            let v = row[pos];
            t.push(u32::try_from(v).map_err(|_| too_large("trace_node_id", v))?);
        }
        if let (Some(d), Some(pos)) = (&mut self.c.detachedness, p.detachedness) {
            let v = row[pos];
            d.push(u8::try_from(v).map_err(|_| format!("detachedness {v} is not 0, 1 or 2"))?);
        }
        self.rows += 1;
        Ok(())
    }
}

/// Reads the `nodes` array, the input just after its `[`.
pub(crate) fn read_nodes(
    input: &mut Input<'_>,
    layout: &Layout,
    size_hint: Option<u64>,
) -> Result<NodeColumns, Error> {
    let rows = reserve_rows(layout.node_count, layout.node_field_count(), size_hint);
    let mut first_edge = Vec::with_capacity(rows + 1);
    first_edge.push(0);
    let c = NodeColumns {
        types: Vec::with_capacity(rows),
        names: Vec::with_capacity(rows),
        ids: Vec::with_capacity(rows),
        self_sizes: Vec::with_capacity(rows),
        first_edge,
        trace_node_ids: layout.has_trace_node_id().then(|| Vec::with_capacity(rows)),
        detachedness: layout.has_detachedness().then(|| Vec::with_capacity(rows)),
    };
    let mut sink = NodeSink { layout, c, rows: 0, edge_total: 0 };
    let rest = scan_rows(input, "nodes", layout.node_field_count(), &mut sink)?;
    let end = input.offset();
    if rest != 0 {
        return Err(Error::inconsistent(
            end,
            format!(
                "the nodes array ends in the middle of a row ({} values over {} fields)",
                sink.rows * layout.node_field_count() as u64 + rest as u64,
                layout.node_field_count()
            ),
        ));
    }
    if sink.rows != layout.node_count {
        return Err(Error::inconsistent(
            end,
            format!(
                "snapshot.node_count is {}, but the nodes array holds {} nodes",
                layout.node_count, sink.rows
            ),
        ));
    }
    if sink.edge_total != layout.edge_count {
        return Err(Error::inconsistent(
            end,
            format!(
                "snapshot.edge_count is {}, but the nodes' edge counts add up to {}",
                layout.edge_count, sink.edge_total
            ),
        ));
    }
    Ok(sink.c)
}

struct EdgeSink<'a> {
    layout: &'a Layout,
    c: EdgeColumns,
    rows: u64,
    node_fields: u64,
    /// The length of the nodes array as the header gives it; the node reader checks the
    /// header against the array, so edges can be read before (or beside) the nodes.
    node_values: u64,
}

impl RowSink for EdgeSink<'_> {
    #[inline]
    fn row(&mut self, row: &[u64]) -> Result<(), String> {
        let l = self.layout;
        let p = l.edge_pos;
        if self.rows == l.edge_count {
            return Err(format!(
                "the edges array holds more than the {} edges that snapshot.edge_count gives",
                l.edge_count
            ));
        }
        let ty = row[p.ty];
        let Some(&ty) = usize::try_from(ty).ok().and_then(|i| l.edge_type_map.get(i)) else {
            return Err(format!(
                "edge {} has type {ty}, but snapshot.meta lists {} edge types",
                self.rows,
                l.edge_type_map.len()
            ));
        };
        let to = row[p.to];
        // Division by a constant compiles to a multiplication; V8 writes 7 or 6 node fields.
        let target = match self.node_fields {
            7 => to / 7,
            6 => to / 6,
            f => to / f,
        };
        if target * self.node_fields != to {
            return Err(format!(
                "edge {} points to node index {to}, which is not a multiple of the {} node fields",
                self.rows, self.node_fields
            ));
        }
        if to >= self.node_values {
            return Err(format!(
                "edge {} points to node index {to}, past the end of the {} nodes",
                self.rows,
                self.node_values / self.node_fields
            ));
        }
        let name = row[p.name];
        if name >> 32 != 0 {
            return Err(too_large("edge name or index", name));
        }
        #[allow(clippy::cast_possible_truncation)]
        // checked above; targets are below the node count
        {
            self.c.types.push(ty);
            self.c.names.push(name as u32);
            self.c.to.push(target as u32);
        }
        self.rows += 1;
        Ok(())
    }
}

/// Reads the `edges` array, the input just after its `[`.
pub(crate) fn read_edges(
    input: &mut Input<'_>,
    layout: &Layout,
    size_hint: Option<u64>,
) -> Result<EdgeColumns, Error> {
    let rows = reserve_rows(layout.edge_count, layout.edge_field_count(), size_hint);
    let c = EdgeColumns {
        types: Vec::with_capacity(rows),
        names: Vec::with_capacity(rows),
        to: Vec::with_capacity(rows),
    };
    let node_fields = layout.node_field_count() as u64;
    let node_values = layout.node_count.saturating_mul(node_fields);
    let mut sink = EdgeSink { layout, c, rows: 0, node_fields, node_values };
    let rest = scan_rows(input, "edges", layout.edge_field_count(), &mut sink)?;
    let end = input.offset();
    if rest != 0 || sink.rows != layout.edge_count {
        return Err(Error::inconsistent(
            end,
            format!(
                "snapshot.edge_count is {}, but the edges array holds {} values ({} fields each)",
                layout.edge_count,
                sink.rows * layout.edge_field_count() as u64 + rest as u64,
                layout.edge_field_count()
            ),
        ));
    }
    Ok(sink.c)
}

fn read_strings(
    input: &mut Input<'_>,
    size_hint: Option<u64>,
    scratch: &mut Vec<u8>,
) -> Result<StringTable, Error> {
    // Strings are about a tenth of a typical snapshot; reserving avoids copies as it grows.
    let reserve = size_hint.map_or(0, |b| usize::try_from(b / 10).unwrap_or(0));
    let mut table = StringTable::with_capacity(0, reserve);
    if input.peek_non_ws()? == Some(b']') {
        input.consume(1);
        return Ok(table);
    }
    loop {
        input.expect(b'"', "strings")?;
        decode_string(input, "strings", scratch, table.text_mut())?;
        if table.len() == u32::MAX as usize {
            return Err(Error::inconsistent(input.offset(), "more than 2^32 - 1 strings"));
        }
        table.close_string();
        match input.peek_non_ws()? {
            Some(b',') => input.consume(1),
            Some(b']') => {
                input.consume(1);
                return Ok(table);
            }
            Some(b) => {
                return Err(Error::syntax(
                    input.offset(),
                    format!("expected ',' or ']' in strings, found {}", describe(b)),
                ));
            }
            None => return Err(Error::Truncated { offset: input.offset(), inside: "strings" }),
        }
    }
}

fn check_names(
    nodes: &NodeColumns,
    edges: &EdgeColumns,
    strings: &StringTable,
    end: u64,
) -> Result<(), Error> {
    let count = strings.len();
    if let Some(i) = nodes.names.iter().position(|s| s.index() >= count) {
        return Err(Error::inconsistent(
            end,
            format!(
                "node {i} (id {}) is named by string {}, but the strings array holds {count}",
                nodes.ids[i], nodes.names[i].0
            ),
        ));
    }
    if let Some(i) = edges
        .types
        .iter()
        .zip(&edges.names)
        .position(|(t, &name)| !t.has_index_name() && name as usize >= count)
    {
        return Err(Error::inconsistent(
            end,
            format!(
                "edge {i} is named by string {}, but the strings array holds {count}",
                edges.names[i]
            ),
        ));
    }
    Ok(())
}

fn field_pos(fields: &[String], name: &str) -> Option<usize> {
    fields.iter().position(|f| f == name)
}

fn make_locations(
    values: &[u64],
    layout: &Layout,
    nodes: usize,
    end: u64,
) -> Result<Vec<Location>, Error> {
    let f = &layout.location_fields;
    let (Some(object), Some(script), Some(line), Some(column)) = (
        field_pos(f, "object_index"),
        field_pos(f, "script_id"),
        field_pos(f, "line"),
        field_pos(f, "column"),
    ) else {
        return Ok(Vec::new());
    };
    let node_fields = layout.node_field_count() as u64;
    let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    values
        .chunks_exact(f.len())
        .map(|row| {
            let index = row[object];
            if index % node_fields != 0 || index / node_fields >= nodes as u64 {
                return Err(Error::inconsistent(
                    end,
                    format!("a location names node index {index}, which is not a node"),
                ));
            }
            Ok(Location {
                node: NodeIndex(small(index / node_fields)),
                script_id: small(row[script]),
                line: small(row[line]),
                column: small(row[column]),
            })
        })
        .collect()
}

fn make_traces(
    values: &[u64],
    nodes: Vec<TraceNode>,
    layout: &Layout,
    strings: &StringTable,
    end: u64,
) -> Result<Option<AllocationTraces>, Error> {
    if values.is_empty() && nodes.is_empty() {
        return Ok(None);
    }
    let f = &layout.trace_function_info_fields;
    let pos = |name| field_pos(f, name);
    let (Some(id), Some(name), Some(script_name), Some(script_id), Some(line), Some(column)) = (
        pos("function_id"),
        pos("name"),
        pos("script_name"),
        pos("script_id"),
        pos("line"),
        pos("column"),
    ) else {
        return Err(Error::inconsistent(end, "meta.trace_function_info_fields is incomplete"));
    };
    let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    let string = |v: u64| {
        let id = small(v);
        if id as usize >= strings.len() {
            Err(Error::inconsistent(
                end,
                format!("a trace function is named by string {id}, past the strings"),
            ))
        } else {
            Ok(StringId(id))
        }
    };
    let functions = values
        .chunks_exact(f.len())
        .map(|row| {
            Ok(TraceFunction {
                function_id: small(row[id]),
                name: string(row[name])?,
                script_name: string(row[script_name])?,
                script_id: small(row[script_id]),
                line: small(row[line]),
                column: small(row[column]),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Some(AllocationTraces::new(functions, nodes)))
}
