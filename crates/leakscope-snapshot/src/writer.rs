//! Writing a [`HeapGraph`] as a `.heapsnapshot`, in the layout V8 writes, so Chrome DevTools
//! and every snapshot tool can open heaps that came from elsewhere (core dumps).

use std::io::{self, Write};

use leakscope_graph::{EdgeType, HeapGraph};

const NODE_FIELDS: usize = 7;

/// Writes `graph` as a V8 heap snapshot (the format of Node 20's `v8.writeHeapSnapshot`).
///
/// The root goes first, as V8 and DevTools expect; strings are escaped as V8 escapes them
/// (`\uXXXX` for everything outside printable ASCII).
///
/// # Errors
/// When writing fails.
pub fn write_snapshot(graph: &HeapGraph, out: impl Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    let n = graph.node_count();
    // Ordinal in the file: the root first, the others in graph order.
    let root = graph.root().index();
    let position = |i: usize| -> usize {
        if i == root {
            0
        } else if i < root {
            i + 1
        } else {
            i
        }
    };
    let order: Vec<usize> = std::iter::once(root).chain((0..n).filter(|&i| i != root)).collect();

    let types: Vec<String> = graph.type_names().iter().map(|t| json_string(t)).collect();
    let edge_types: Vec<String> = EdgeType::ALL.iter().map(|t| json_string(t.name())).collect();
    write!(
        out,
        "{{\"snapshot\":{{\"meta\":{{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\
         \"edge_count\",\"trace_node_id\",\"detachedness\"],\"node_types\":[[{}],\"string\",\
         \"number\",\"number\",\"number\",\"number\",\"number\"],\"edge_fields\":[\"type\",\
         \"name_or_index\",\"to_node\"],\"edge_types\":[[{}],\"string_or_number\",\"node\"],\
         \"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",\"script_id\",\
         \"line\",\"column\"],\"trace_node_fields\":[\"id\",\"function_info_index\",\"count\",\
         \"size\",\"children\"],\"sample_fields\":[\"timestamp_us\",\"last_assigned_id\"],\
         \"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]}},\
         \"node_count\":{n},\"edge_count\":{},\"trace_function_count\":0}},\n\"nodes\":[",
        types.join(","),
        edge_types.join(","),
        graph.edge_count(),
    )?;
    for (k, &i) in order.iter().enumerate() {
        let node = leakscope_graph::NodeIndex(u32::try_from(i).unwrap_or(u32::MAX));
        let sep = if k == 0 { "" } else { ",\n" };
        write!(
            out,
            "{sep}{},{},{},{},{},{},{}",
            graph.node_type(node).0,
            graph.node_name_id(node).0,
            graph.node_id(node),
            graph.self_size(node),
            graph.out_degree(node),
            graph.trace_node_id(node),
            graph.detachedness(node),
        )?;
    }
    out.write_all(b"],\n\"edges\":[")?;
    let mut first = true;
    for &i in &order {
        let node = leakscope_graph::NodeIndex(u32::try_from(i).unwrap_or(u32::MAX));
        for e in graph.edges(node) {
            let sep = if first { "" } else { ",\n" };
            first = false;
            write!(
                out,
                "{sep}{},{},{}",
                graph.edge_type(e) as u8,
                graph.edge_name_raw(e),
                position(graph.edge_to(e).index()) * NODE_FIELDS,
            )?;
        }
    }
    out.write_all(
        b"],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n\"locations\":[",
    )?;
    for (k, l) in graph.locations().iter().enumerate() {
        let sep = if k == 0 { "" } else { ",\n" };
        write!(
            out,
            "{sep}{},{},{},{}",
            position(l.node.index()) * NODE_FIELDS,
            l.script_id,
            l.line,
            l.column
        )?;
    }
    out.write_all(b"],\n\"strings\":[")?;
    for (id, s) in graph.strings().iter() {
        if id.0 > 0 {
            out.write_all(b",\n")?;
        }
        out.write_all(json_string(s).as_bytes())?;
    }
    out.write_all(b"]}\n")?;
    out.flush()
}

/// A JSON string literal escaped as V8's snapshot serializer does.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04X}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_v8() {
        assert_eq!(
            json_string("a\"b\\c\n\u{1}é😀"),
            "\"a\\\"b\\\\c\\n\\u0001\\u00E9\\uD83D\\uDE00\""
        );
    }
}
