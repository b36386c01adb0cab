//! Turning the objects found in memory into a [`HeapGraph`] shaped like a V8 heap snapshot.
//!
//! - Node 0 is the synthetic root (id 1). It has a `shortcut` edge `global` to each global
//!   object and an `element` edge to `(other roots)`, the last node, which holds an element
//!   edge to each object no path from a global object reaches (kept by the stack, handles or
//!   the embedder, or garbage not yet collected: a dump cannot tell which).
//! - Object `k` (in address order) is node `k + 1`; every node's id is `2 × ordinal + 1`, so
//!   ids are odd as V8's heap object ids, but they are not stable across dumps.
//! - Edges follow V8's snapshot generator: named properties are `property` edges, indexed
//!   elements `element` edges from the JS object itself (its backing stores get no duplicate
//!   edges), closure variables `context` edges from the context, and V8 internals `internal`
//!   or `hidden` edges. Edges to Smis and oddballs are left out, as are `map` edges.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, BuildHasherDefault, Hasher};

use leakscope_graph::{
    EdgeType, GraphColumns, GraphError, HeapGraph, NodeIndex, NodeType, StringId, StringTable,
};

use crate::heap::Heap;
use crate::memory::ReadMemory;
use crate::objects::{MapInfo, NAME_LIMIT, Value};

/// What the graph builder needs to know about each map, computed once.
struct MapPlan {
    info: MapInfo,
    node_type: NodeType,
    name: StringId,
    /// Fast-mode properties: (edge name, slot).
    fields: Vec<(StringId, crate::objects::Slot)>,
}

/// A [`HeapGraph`] made from a dump, with the address of each node.
#[derive(Debug)]
pub struct DumpGraph {
    /// The graph.
    pub graph: HeapGraph,
    /// Per node ordinal: the object's address (0 for the synthetic nodes).
    pub addresses: Vec<u64>,
}

impl DumpGraph {
    /// The node of the object at `addr`.
    #[must_use]
    pub fn node_at(&self, addr: u64) -> Option<NodeIndex> {
        let last = self.addresses.len().checked_sub(1)?;
        let i = self.addresses[1..last].binary_search(&addr).ok()?;
        u32::try_from(i + 1).ok().map(NodeIndex)
    }

    /// The address of a node (0 for the root and `(other roots)`).
    #[must_use]
    pub fn address(&self, n: NodeIndex) -> u64 {
        self.addresses.get(n.index()).copied().unwrap_or(0)
    }
}

/// FxHash (rustc's hasher): names are not attacker-controlled keys, and SipHash costs more
/// than the rest of interning.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        // Fold the high bits down: hashbrown picks buckets from the low bits.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

type FxBuild = BuildHasherDefault<FxHasher>;

struct Strings {
    table: StringTable,
    index: HashMap<u64, StringId, FxBuild>,
    hasher: FxBuild,
}

impl Strings {
    fn intern(&mut self, s: &str) -> StringId {
        let h = self.hasher.hash_one(s);
        if let Some(&id) = self.index.get(&h)
            && self.table.get(id) == s
        {
            return id;
        }
        let id = self.table.push(s);
        self.index.insert(h, id);
        id
    }
}

struct Columns {
    edge_types: Vec<EdgeType>,
    edge_names: Vec<u32>,
    edge_to: Vec<u32>,
}

impl Columns {
    fn push(&mut self, ty: EdgeType, name: u32, to: u32) {
        self.edge_types.push(ty);
        self.edge_names.push(name);
        self.edge_to.push(to);
    }
}

impl<M: ReadMemory> Heap<M> {
    /// The node of the object at `addr` (ordinal in the graph).
    fn node_of(&self, addr: u64) -> Option<u32> {
        let i = self.objects.binary_search(&addr).ok()?;
        u32::try_from(i + 1).ok()
    }

    fn plan(&self, map: u64, strings: &mut Strings) -> MapPlan {
        let l = &self.layout;
        let t = &l.types;
        let info = self.map_info(map);
        let ty = info.instance_type;
        let type_name = l.type_names.get(&ty).map_or("Object", String::as_str);
        let (node_type, name) = if ty < l.first_nonstring_type {
            let repr = ty & l.string_representation_mask;
            let nt = if repr == l.cons_tag {
                NodeType::CONCATENATED_STRING
            } else if repr == l.sliced_tag {
                NodeType::SLICED_STRING
            } else {
                NodeType::STRING
            };
            (nt, String::new())
        } else if t.is_function(ty) || ty == t.js_bound_function {
            (NodeType::CLOSURE, String::new())
        } else if ty == t.js_regexp {
            (NodeType::REGEXP, "RegExp".to_owned())
        } else if t.is_js_object(ty) {
            (NodeType::OBJECT, self.constructor_name(&info))
        } else if ty == t.heap_number {
            (NodeType::NUMBER, "heap number".to_owned())
        } else if ty == t.symbol {
            (NodeType::SYMBOL, "symbol".to_owned())
        } else if ty == t.map || ty == t.descriptor_array {
            (NodeType::OBJECT_SHAPE, format!("system / {type_name}"))
        } else if t.is_context(ty) {
            (NodeType::HIDDEN, "system / Context".to_owned())
        } else if ty == t.code || ty == t.bytecode_array {
            (NodeType::CODE, format!("system / {type_name}"))
        } else if t.is_fixed_array_like(ty) && !t.is_context(ty)
            || ty == t.property_array
            || ty == t.fixed_double_array
        {
            (NodeType::ARRAY, format!("({type_name})"))
        } else {
            (NodeType::HIDDEN, format!("system / {type_name}"))
        };
        let fields = if t.is_js_object(ty) {
            self.fields(&info).into_iter().map(|f| (strings.intern(&f.name), f.slot)).collect()
        } else {
            Vec::new()
        };
        MapPlan { info, node_type, name: strings.intern(&name), fields }
    }

    /// Whether a type's body is raw data rather than tagged slots.
    fn raw_body(&self, ty: u16) -> bool {
        let l = &self.layout;
        let t = &l.types;
        ty < l.first_nonstring_type
            || ty == t.heap_number
            || ty == t.byte_array
            || ty == t.bytecode_array
            || ty == t.fixed_double_array
            || ty == t.code
            || l.type_names.get(&ty).is_some_and(|n| {
                n.contains("ByteArray")
                    || n.contains("InstructionStream")
                    || n.contains("BigInt")
                    || n.contains("Foreign")
                    || n.contains("External")
            })
    }

    /// Builds the graph.
    pub(crate) fn build_graph(&self) -> Result<DumpGraph, GraphError> {
        let l = &self.layout;
        let t = &l.types;
        let mut strings = Strings {
            table: StringTable::with_capacity(self.objects.len() / 2, self.objects.len() * 8),
            index: HashMap::default(),
            hasher: FxBuild::default(),
        };
        strings.intern("<dummy>");
        let empty = strings.intern("");
        let plans: Vec<MapPlan> = self.maps.iter().map(|&m| self.plan(m, &mut strings)).collect();
        let n_objects = self.objects.len();
        let node_count = n_objects + 2;
        let other_roots =
            u32::try_from(n_objects + 1).map_err(|_| GraphError::TooLarge { nodes: node_count })?;

        // Backing stores whose slots the owning object reports, and collection tables.
        let mut owned: HashMap<u64, (), FxBuild> = HashMap::default();
        let mut tables: HashMap<u64, bool, FxBuild> = HashMap::default();
        let mut globals = Vec::new();
        for (k, &addr) in self.objects.iter().enumerate() {
            let plan = &plans[self.object_maps[k] as usize];
            let ty = plan.info.instance_type;
            if !t.is_js_object(ty) {
                continue;
            }
            if let Some(e) = self.elements_store(addr) {
                owned.insert(e, ());
            }
            // The global dictionary's slots are its property cells: let them be edges, so
            // the cells are reached from the global object like everything else.
            if let Some(p) = self.properties_store(addr)
                && ty != t.js_global_object
            {
                owned.insert(p, ());
            }
            if (ty == t.js_map || ty == t.js_set)
                && let Some(Value::Object(table)) = self.value_at(addr + l.js_collection_table)
            {
                tables.insert(table, ty == t.js_map);
            }
            if ty == t.js_global_object {
                globals.push(k);
            }
        }

        let mut node_types = Vec::with_capacity(node_count);
        let mut node_names = Vec::with_capacity(node_count);
        let mut self_sizes = Vec::with_capacity(node_count);
        let mut first_edge = Vec::with_capacity(node_count + 1);
        let mut addresses = Vec::with_capacity(node_count);
        let mut cols = Columns {
            edge_types: Vec::with_capacity(n_objects * 3),
            edge_names: Vec::with_capacity(n_objects * 3),
            edge_to: Vec::with_capacity(n_objects * 3),
        };

        // The root.
        node_types.push(NodeType::SYNTHETIC);
        node_names.push(empty);
        self_sizes.push(0);
        addresses.push(0);
        first_edge.push(0);
        let global_name = strings.intern("global");
        for &k in &globals {
            cols.push(EdgeType::Shortcut, global_name.0, u32::try_from(k + 1).unwrap_or(0));
        }
        cols.push(EdgeType::Element, 1, other_roots);

        let names = EdgeNames {
            map_key: strings.intern("key"),
            properties: strings.intern("(object properties)"),
            elements: strings.intern("(object elements)"),
            table: strings.intern("table"),
            shared: strings.intern("shared"),
            context: strings.intern("context"),
            previous: strings.intern("previous"),
            scope_info: strings.intern("scope_info"),
            value: strings.intern("value"),
            name: strings.intern("name"),
            first: strings.intern("first"),
            second: strings.intern("second"),
            parent: strings.intern("parent"),
            actual: strings.intern("actual"),
        };

        for (k, &addr) in self.objects.iter().enumerate() {
            first_edge.push(
                u32::try_from(cols.edge_to.len())
                    .map_err(|_| GraphError::TooLarge { nodes: node_count })?,
            );
            let plan = &plans[self.object_maps[k] as usize];
            let ty = plan.info.instance_type;
            node_types.push(plan.node_type);
            let name = if plan.node_type.is_string() {
                strings.intern(&self.string(addr, NAME_LIMIT).unwrap_or_default())
            } else if plan.node_type == NodeType::CLOSURE && t.is_function(ty) {
                strings.intern(&self.function_name(addr))
            } else if plan.info.prototype && plan.node_type == NodeType::OBJECT {
                strings.intern(&self.class_name(addr, &plan.info))
            } else {
                plan.name
            };
            node_names.push(name);
            self_sizes.push(u64::from(self.sizes[k]));
            addresses.push(addr);
            self.object_edges(addr, ty, plan, &names, &tables, &owned, &mut strings, &mut cols);
        }

        // (other roots): everything no path from a global object reaches.
        first_edge.push(u32::try_from(cols.edge_to.len()).unwrap_or(u32::MAX));
        node_types.push(NodeType::SYNTHETIC);
        node_names.push(strings.intern("(other roots)"));
        self_sizes.push(0);
        addresses.push(0);
        let mut reached = vec![false; node_count];
        reached[0] = true;
        reached[node_count - 1] = true;
        for &k in &globals {
            mark(k + 1, &first_edge, &cols.edge_to, &mut reached);
        }
        let mut index = 0u32;
        for n in 1..=n_objects {
            if !reached[n] {
                mark(n, &first_edge, &cols.edge_to, &mut reached);
                cols.push(EdgeType::Element, index, u32::try_from(n).unwrap_or(0));
                index += 1;
            }
        }
        first_edge.push(u32::try_from(cols.edge_to.len()).unwrap_or(u32::MAX));

        let node_ids =
            (0..node_count).map(|i| u32::try_from(2 * i + 1).unwrap_or(u32::MAX)).collect();
        let graph = HeapGraph::from_columns(GraphColumns {
            node_types,
            node_names,
            node_ids,
            self_sizes,
            first_edge,
            trace_node_ids: None,
            detachedness: None,
            edge_types: cols.edge_types,
            edge_names: cols.edge_names,
            edge_to: cols.edge_to,
            strings: strings.table,
            type_names: NodeType::KNOWN_NAMES.iter().map(|s| (*s).to_owned()).collect(),
            locations: Vec::new(),
            root: NodeIndex(0),
            traces: None,
        })?;
        Ok(DumpGraph { graph, addresses })
    }

    #[allow(clippy::too_many_arguments)]
    fn object_edges(
        &self,
        addr: u64,
        ty: u16,
        plan: &MapPlan,
        names: &EdgeNames,
        tables: &HashMap<u64, bool, FxBuild>,
        owned: &HashMap<u64, (), FxBuild>,
        strings: &mut Strings,
        cols: &mut Columns,
    ) {
        let l = &self.layout;
        let t = &l.types;
        let target = |v: Option<Value>| match v {
            Some(Value::Object(a)) => {
                self.node_of(a).filter(|_| self.specials.binary_search(&a).is_err())
            }
            _ => None,
        };
        if t.is_js_object(ty) {
            if ty == t.js_global_object {
                for (name, cell) in self.global_cells(addr) {
                    if let Some(to) = target(self.cell_value(cell)) {
                        cols.push(EdgeType::Property, strings.intern(&name).0, to);
                    }
                }
            } else if plan.info.dictionary {
                for (name, value) in self.properties(addr, &plan.info) {
                    if let Some(to) = target(Some(value)) {
                        cols.push(EdgeType::Property, strings.intern(&name).0, to);
                    }
                }
            } else {
                for (name, slot) in &plan.fields {
                    if let Some(to) = target(self.field_value(addr, slot)) {
                        cols.push(EdgeType::Property, name.0, to);
                    }
                }
            }
            if !t.is_function(ty) && ty != t.js_global_proxy {
                for (index, value) in self.elements(addr, &plan.info, usize::MAX) {
                    if let Some(to) = target(Some(value)) {
                        cols.push(EdgeType::Element, u32::try_from(index).unwrap_or(u32::MAX), to);
                    }
                }
            }
            if let Some(to) =
                self.properties_store(addr).and_then(|p| target(Some(Value::Object(p))))
            {
                cols.push(EdgeType::Internal, names.properties.0, to);
            }
            if let Some(to) = self.elements_store(addr).and_then(|e| target(Some(Value::Object(e))))
                && !t.is_function(ty)
            {
                cols.push(EdgeType::Internal, names.elements.0, to);
            }
            if (ty == t.js_map || ty == t.js_set)
                && let Some(to) = target(self.value_at(addr + l.js_collection_table))
            {
                cols.push(EdgeType::Internal, names.table.0, to);
            }
            if t.is_function(ty) {
                if let Some(to) = target(self.value_at(addr + l.function_shared)) {
                    cols.push(EdgeType::Internal, names.shared.0, to);
                }
                if let Some(to) = target(self.value_at(addr + l.function_context)) {
                    cols.push(EdgeType::Internal, names.context.0, to);
                }
            }
            return;
        }
        if let Some(&is_map) = tables.get(&addr) {
            for (i, (key, value)) in self.table_entries(addr, is_map).into_iter().enumerate() {
                let key_text = match key {
                    Value::Smi(v) => v.to_string(),
                    Value::Object(a)
                        if self.type_of(a).is_some_and(|kt| kt < l.first_nonstring_type) =>
                    {
                        self.string(a, 64).unwrap_or_default()
                    }
                    _ => format!("[{i}]"),
                };
                if let Some(to) = target(Some(key)) {
                    cols.push(EdgeType::Internal, names.map_key.0, to);
                }
                if let Some(to) = target(value) {
                    cols.push(EdgeType::Internal, strings.intern(&key_text).0, to);
                }
            }
            return;
        }
        if t.is_context(ty) {
            let slot = |i: u64| addr + l.fixed_array_data + 8 * i;
            if let Some(to) = target(self.value_at(slot(l.context_scope_info))) {
                cols.push(EdgeType::Internal, names.scope_info.0, to);
            }
            if let Some(to) = target(self.value_at(slot(l.context_previous))) {
                cols.push(EdgeType::Internal, names.previous.0, to);
            }
            for (name, value) in self.context_variables(addr) {
                if let Some(to) = target(Some(value)) {
                    cols.push(EdgeType::Context, strings.intern(&name).0, to);
                }
            }
            return;
        }
        if ty == t.property_cell {
            if let Some(to) = target(self.value_at(addr + l.property_cell_name)) {
                cols.push(EdgeType::Internal, names.name.0, to);
            }
            if let Some(to) = target(self.value_at(addr + l.property_cell_value)) {
                cols.push(EdgeType::Internal, names.value.0, to);
            }
            return;
        }
        if ty < l.first_nonstring_type {
            let repr = ty & l.string_representation_mask;
            let fields: &[(u64, StringId)] = if repr == l.cons_tag {
                &[(l.cons_first, names.first), (l.cons_second, names.second)]
            } else if repr == l.sliced_tag {
                &[(l.sliced_parent, names.parent)]
            } else if repr == l.thin_tag {
                &[(l.thin_actual, names.actual)]
            } else {
                &[]
            };
            for &(offset, name) in fields {
                if let Some(to) = target(self.value_at(addr + offset)) {
                    cols.push(EdgeType::Internal, name.0, to);
                }
            }
            return;
        }
        if owned.contains_key(&addr) || self.raw_body(ty) || ty == t.map {
            return;
        }
        let size = u64::from(self.sizes[self.objects.binary_search(&addr).unwrap_or(0)]);
        let mut index = 0u32;
        // Array-like objects: index their slots from the first element, after the length.
        let mut offset = if t.is_fixed_array_like(ty) { l.fixed_array_data } else { 8 };
        while offset + 8 <= size {
            if let Some(to) = target(self.value_at(addr + offset)) {
                cols.push(EdgeType::Hidden, index, to);
            }
            index += 1;
            offset += 8;
        }
    }
}

struct EdgeNames {
    map_key: StringId,
    properties: StringId,
    elements: StringId,
    table: StringId,
    shared: StringId,
    context: StringId,
    previous: StringId,
    scope_info: StringId,
    value: StringId,
    name: StringId,
    first: StringId,
    second: StringId,
    parent: StringId,
    actual: StringId,
}

/// Marks everything reachable from `start` (depth first, without recursion).
fn mark(start: usize, first_edge: &[u32], edge_to: &[u32], reached: &mut [bool]) {
    let mut stack = vec![start];
    while let Some(n) = stack.pop() {
        if reached[n] {
            continue;
        }
        reached[n] = true;
        let (a, b) = (first_edge[n] as usize, first_edge[n + 1] as usize);
        stack.extend(edge_to[a..b].iter().map(|&to| to as usize).filter(|&to| !reached[to]));
    }
}
