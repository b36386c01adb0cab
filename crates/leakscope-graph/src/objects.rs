//! Objects grouped by constructor and property names, like mdb_v8's `::findjsobjects`.
//!
//! Two objects are alike when their constructor (the node's name) and their sorted own
//! property names are equal. A heap snapshot lists a property only when it holds a heap value:
//! V8 writes no edge for small integers (Smis) unless the snapshot was taken with numeric
//! values exposed, so `{id: 1, name: "a"}` shows as `{name}`.

use crate::fxhash::FxHashMap;
use crate::graph::HeapGraph;
use crate::types::{EdgeType, NodeIndex, NodeType, StringId};

/// Objects with one constructor and one set of property names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectGroup {
    /// The constructor's name (the node name).
    pub constructor: StringId,
    /// The own property names, sorted, without `__proto__`.
    pub properties: Vec<StringId>,
    /// The objects, in node order.
    pub nodes: Vec<NodeIndex>,
    /// Their shallow sizes as the snapshot gives them.
    pub self_size: u64,
}

impl ObjectGroup {
    /// The first object of the group, to look at.
    #[must_use]
    pub fn example(&self) -> NodeIndex {
        self.nodes[0]
    }
}

/// Groups the JavaScript objects (`object` nodes, without V8's own `system / …` ones) for which
/// `keep` holds, most objects first (ties: larger size, then constructor name).
#[must_use]
pub fn property_signatures(
    g: &HeapGraph,
    mut keep: impl FnMut(NodeIndex) -> bool,
) -> Vec<ObjectGroup> {
    let proto = g.special_names().proto;
    let mut index: FxHashMap<(StringId, Vec<StringId>), usize> = FxHashMap::default();
    let mut groups: Vec<ObjectGroup> = Vec::new();
    let mut system: Vec<Option<bool>> = vec![None; g.strings().len()];
    let mut props: Vec<StringId> = Vec::new();
    for n in g.nodes() {
        if g.node_type(n) != NodeType::OBJECT {
            continue;
        }
        let name = g.node_name_id(n);
        let is_system =
            *system[name.index()].get_or_insert_with(|| g.node_name(n).starts_with("system / "));
        if is_system || !keep(n) {
            continue;
        }
        props.clear();
        props.extend(
            g.edges(n)
                .filter(|&e| g.edge_type(e) == EdgeType::Property)
                .map(|e| StringId(g.edge_name_raw(e)))
                .filter(|&p| Some(p) != proto),
        );
        props.sort_unstable_by(|a, b| g.string(*a).cmp(g.string(*b)));
        props.dedup();
        let key = (name, std::mem::take(&mut props));
        let i = match index.get(&key) {
            Some(&i) => {
                props = key.1;
                i
            }
            None => {
                groups.push(ObjectGroup {
                    constructor: name,
                    properties: key.1.clone(),
                    nodes: Vec::new(),
                    self_size: 0,
                });
                index.insert(key, groups.len() - 1);
                groups.len() - 1
            }
        };
        groups[i].nodes.push(n);
        groups[i].self_size += g.self_size(n);
    }
    groups.sort_by(|a, b| {
        b.nodes
            .len()
            .cmp(&a.nodes.len())
            .then(b.self_size.cmp(&a.self_size))
            .then_with(|| g.string(a.constructor).cmp(g.string(b.constructor)))
    });
    groups
}
