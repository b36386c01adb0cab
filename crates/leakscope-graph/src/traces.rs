//! Allocation traces: where objects were allocated, in snapshots taken with
//! `--track-heap-objects` or DevTools' allocation instrumentation.

use std::collections::HashMap;

use crate::types::StringId;

/// One function that allocated (`trace_function_infos`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceFunction {
    /// V8's function id.
    pub function_id: u32,
    /// The function's name.
    pub name: StringId,
    /// The script's name (URL or path).
    pub script_name: StringId,
    /// V8's script id.
    pub script_id: u32,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
}

/// One node of the allocation call tree (`trace_tree`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceNode {
    /// The id that heap nodes' `trace_node_id` refers to.
    pub id: u32,
    /// Index into [`AllocationTraces::functions`].
    pub function: u32,
    /// Objects allocated here that were still live when tracking looked.
    pub count: u32,
    /// Their bytes.
    pub size: u64,
    /// Index of the calling node in [`AllocationTraces::nodes`]; `None` for the top.
    pub parent: Option<u32>,
}

/// The allocation call tree of a snapshot.
#[derive(Clone, Debug, Default)]
pub struct AllocationTraces {
    /// The functions, indexed by [`TraceNode::function`].
    pub functions: Vec<TraceFunction>,
    /// The tree's nodes, each after its parent.
    pub nodes: Vec<TraceNode>,
    by_id: HashMap<u32, u32>,
}

impl AllocationTraces {
    /// Makes the tree from its functions and nodes.
    #[must_use]
    pub fn new(functions: Vec<TraceFunction>, nodes: Vec<TraceNode>) -> Self {
        #[allow(clippy::cast_possible_truncation)] // trace trees are far below 2^32 nodes
        let by_id = nodes.iter().enumerate().map(|(i, n)| (n.id, i as u32)).collect();
        Self { functions, nodes, by_id }
    }

    /// The allocation stack of a heap node's `trace_node_id`, innermost function first.
    #[must_use]
    pub fn stack(&self, trace_node_id: u32) -> Vec<&TraceFunction> {
        let mut out = Vec::new();
        let mut cur = self.by_id.get(&trace_node_id).copied();
        while let Some(i) = cur {
            let Some(node) = self.nodes.get(i as usize) else { break };
            if let Some(f) = self.functions.get(node.function as usize) {
                out.push(f);
            }
            // The parent comes first in the node list, so this walk always ends.
            cur = node.parent.filter(|&p| p < i);
        }
        out
    }
}
