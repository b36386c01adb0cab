//! `trace_tree`: the allocation call tree, nested arrays of
//! `[id, function_info_index, count, size, [children…], id, …]`, flattened into a parent list.

use leakscope_graph::TraceNode;

use crate::error::Error;
use crate::input::{Input, describe};

const INSIDE: &str = "trace_tree";

/// Reads the tree, the input positioned at its `[`. Iterative, so a deep tree cannot overflow
/// the stack; each node comes after its parent.
pub(crate) fn read_trace_tree(
    input: &mut Input<'_>,
    fields: &[String],
) -> Result<Vec<TraceNode>, Error> {
    let pos = |name: &str| fields.iter().position(|f| f == name);
    let header_error =
        |message: &str| Error::Header { offset: input.offset(), message: message.into() };
    let (Some(id), Some(function), Some(count), Some(size), Some(children)) =
        (pos("id"), pos("function_info_index"), pos("count"), pos("size"), pos("children"))
    else {
        return Err(header_error("meta.trace_node_fields is incomplete"));
    };
    if children + 1 != fields.len() {
        return Err(header_error("meta.trace_node_fields must end with \"children\""));
    }

    let mut nodes: Vec<TraceNode> = Vec::new();
    // Per open array: the parent of its rows, and the values of the row being read.
    let mut stack: Vec<(Option<u32>, Vec<u64>)> = Vec::new();
    input.expect(b'[', INSIDE)?;
    stack.push((None, Vec::with_capacity(fields.len())));
    loop {
        let Some(b) = input.peek_non_ws()? else {
            return Err(Error::Truncated { offset: input.offset(), inside: INSIDE });
        };
        let offset = input.offset();
        match b {
            b',' => input.consume(1),
            b'0'..=b'9' => {
                let mut v: u64 = 0;
                while let Some(d @ b'0'..=b'9') = input.peek()? {
                    v = v
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(d - b'0')))
                        .ok_or_else(|| Error::syntax(offset, "number too large in trace_tree"))?;
                    input.consume(1);
                }
                let Some((_, row)) = stack.last_mut() else { break };
                if row.len() >= children {
                    return Err(Error::syntax(offset, "expected a children array in trace_tree"));
                }
                row.push(v);
            }
            b'[' => {
                input.consume(1);
                let Some((parent, row)) = stack.last_mut() else { break };
                if row.len() != children {
                    return Err(Error::syntax(
                        offset,
                        "a children array comes too early in trace_tree",
                    ));
                }
                let index = u32::try_from(nodes.len())
                    .map_err(|_| Error::syntax(offset, "too many trace_tree nodes"))?;
                nodes.push(TraceNode {
                    id: u32::try_from(row[id]).unwrap_or(u32::MAX),
                    function: u32::try_from(row[function]).unwrap_or(u32::MAX),
                    count: u32::try_from(row[count]).unwrap_or(u32::MAX),
                    size: row[size],
                    parent: *parent,
                });
                row.clear();
                stack.push((Some(index), Vec::with_capacity(fields.len())));
            }
            b']' => {
                input.consume(1);
                let Some((_, row)) = stack.pop() else { break };
                if !row.is_empty() {
                    return Err(Error::syntax(offset, "a trace_tree row ends early"));
                }
                if stack.is_empty() {
                    return Ok(nodes);
                }
            }
            _ => {
                return Err(Error::syntax(
                    offset,
                    format!("unexpected {} in trace_tree", describe(b)),
                ));
            }
        }
    }
    Err(Error::syntax(input.offset(), "unbalanced trace_tree"))
}
