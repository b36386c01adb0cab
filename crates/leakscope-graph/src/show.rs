//! One object with its properties and values, to print: mdb_v8's `::jsprint` for snapshots.
//!
//! [`show`] turns a node into an [`ObjectView`]: its class, id and sizes, its properties with
//! their values (strings, numbers and literals inline, objects nested to a chosen depth,
//! `[Circular]` for an object already being shown), its elements (bounded), the variables a
//! closure captures, and where a closure or a constructor is in the source. The binary prints
//! it as text or JSON; this module only builds it.

use serde::Serialize;

use crate::analysis::Analysis;
use crate::classes::SourcePosition;
use crate::graph::HeapGraph;
use crate::paths::EdgeLabel;
use crate::types::{EdgeIndex, EdgeName, EdgeType, NodeIndex, NodeType};

/// How much of an object to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowOptions {
    /// How deep to expand nested objects (0: only the object itself).
    pub depth: usize,
    /// Longest string shown, in characters.
    pub max_string: usize,
    /// Most properties shown per object.
    pub max_properties: usize,
    /// Most elements shown per array.
    pub max_elements: usize,
    /// Also show internal edges (`map`, `elements`, `__proto__`…).
    pub internals: bool,
}

impl Default for ShowOptions {
    fn default() -> Self {
        Self { depth: 1, max_string: 80, max_properties: 50, max_elements: 20, internals: false }
    }
}

/// An object, as [`show`] sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ObjectView {
    /// V8's id.
    pub id: u32,
    /// The class (as in the census).
    pub class: String,
    /// The name DevTools shows: a preview like `{a, b}` for plain objects, the text of a
    /// string, the node's name otherwise.
    pub name: String,
    /// The node type (`object`, `closure`, `string`…).
    #[serde(rename = "type")]
    pub node_type: String,
    /// Shallow size, as DevTools shows it.
    pub self_size: u64,
    /// Retained size.
    pub retained_size: u64,
    /// Where a closure (or an object's constructor) is: `file:line:column`, 1-based.
    pub location: Option<String>,
    /// Named properties (and, with internals, the other edges).
    pub properties: Vec<Member>,
    /// Array elements, at most `max_elements`.
    pub elements: Vec<Member>,
    /// How many elements there are in all.
    pub element_count: usize,
    /// The slots of a `Map`, `Set`, `WeakMap` or `WeakSet`'s hash table (keys and values in
    /// table order; a Map's key and value come one after the other), at most `max_elements`.
    pub entries: Vec<Member>,
    /// How many slots hold heap values in all.
    pub entry_count: usize,
    /// The variables a closure captures (or a context holds).
    pub context: Vec<Member>,
    /// Properties left out past `max_properties`.
    pub omitted_properties: usize,
}

/// A property, element or captured variable.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// The property name or element index.
    pub name: EdgeLabel,
    /// The edge type.
    pub edge_type: &'static str,
    /// The value.
    pub value: Value,
}

/// A value as a heap snapshot records it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// A string; `truncated` when only its start is shown (V8 itself records at most 1024
    /// characters).
    String {
        /// The text.
        text: String,
        /// Whether there is more.
        truncated: bool,
        /// V8's id.
        id: u32,
    },
    /// A number; its value only when the snapshot was taken with numeric values exposed.
    Number {
        /// The value as V8 printed it.
        value: Option<String>,
        /// V8's id.
        id: u32,
    },
    /// `true`, `false`, `null`, `undefined` or another V8 oddball.
    Literal {
        /// Its text.
        text: String,
    },
    /// A symbol and its description.
    Symbol {
        /// The description.
        description: String,
        /// V8's id.
        id: u32,
    },
    /// An object shown in full (within the depth).
    Object(Box<ObjectView>),
    /// An object past the depth.
    Ref {
        /// V8's id.
        id: u32,
        /// Its class.
        class: String,
        /// Its name, as DevTools shows it.
        name: String,
        /// Its retained size.
        retained_size: u64,
    },
    /// An object already being shown further up.
    Circular {
        /// V8's id.
        id: u32,
        /// Its class.
        class: String,
    },
}

/// The objects whose contents live in a hash table behind an internal `table` edge.
const COLLECTIONS: [&str; 4] = ["Map", "Set", "WeakMap", "WeakSet"];

/// Builds the view of `n`.
#[must_use]
pub fn show(g: &HeapGraph, a: &Analysis, n: NodeIndex, options: &ShowOptions) -> ObjectView {
    let mut on_stack = Vec::new();
    view(g, a, n, options, options.depth, &mut on_stack)
}

fn view(
    g: &HeapGraph,
    a: &Analysis,
    n: NodeIndex,
    o: &ShowOptions,
    depth: usize,
    on_stack: &mut Vec<NodeIndex>,
) -> ObjectView {
    on_stack.push(n);
    let mut properties = Vec::new();
    let mut elements = Vec::new();
    let mut element_count = 0;
    let mut context = Vec::new();
    let mut omitted = 0;
    let own_context = g.node_name(n).starts_with("system / Context");
    for e in g.edges(n) {
        let t = g.edge_type(e);
        let list = match t {
            EdgeType::Element => {
                element_count += 1;
                if elements.len() >= o.max_elements {
                    continue;
                }
                &mut elements
            }
            EdgeType::Context if own_context => &mut context,
            EdgeType::Property | EdgeType::Context => {
                if !o.internals && matches!(g.edge_name(e), EdgeName::Str("__proto__")) {
                    continue;
                }
                if properties.len() >= o.max_properties {
                    omitted += 1;
                    continue;
                }
                &mut properties
            }
            _ if o.internals => {
                if properties.len() >= o.max_properties {
                    omitted += 1;
                    continue;
                }
                &mut properties
            }
            _ => continue,
        };
        list.push(member(g, a, e, o, depth, on_stack));
    }
    if g.node_type(n) == NodeType::CLOSURE
        && let Some(ctx) = internal_target(g, n, "context")
    {
        context.extend(
            g.edges(ctx)
                .filter(|&e| g.edge_type(e) == EdgeType::Context)
                .take(o.max_properties)
                .map(|e| member(g, a, e, o, depth, on_stack)),
        );
    }
    let (mut entries, mut entry_count) = (Vec::new(), 0);
    if g.node_type(n) == NodeType::OBJECT
        && COLLECTIONS.contains(&g.node_name(n))
        && let Some(table) = internal_target(g, n, "table")
    {
        for e in g.edges(table) {
            let slot = match (g.edge_type(e), g.edge_name(e)) {
                (EdgeType::Internal, EdgeName::Str(name)) => {
                    name.bytes().all(|b| b.is_ascii_digit()) || name.contains(" part of key (")
                }
                (EdgeType::Element | EdgeType::Hidden, _) => true,
                _ => false,
            };
            if !slot {
                continue;
            }
            entry_count += 1;
            if entries.len() < o.max_elements {
                entries.push(member(g, a, e, o, depth, on_stack));
            }
        }
    }
    on_stack.pop();
    ObjectView {
        id: g.node_id(n),
        class: a.class_name(n).to_owned(),
        name: display_name(g, n, o.max_string),
        node_type: g.type_name(g.node_type(n)).to_owned(),
        self_size: a.shallow_size(n),
        retained_size: a.retained_size(n),
        location: location(g, n),
        properties,
        elements,
        element_count,
        entries,
        entry_count,
        context,
        omitted_properties: omitted,
    }
}

fn member(
    g: &HeapGraph,
    a: &Analysis,
    e: EdgeIndex,
    o: &ShowOptions,
    depth: usize,
    on_stack: &mut Vec<NodeIndex>,
) -> Member {
    Member {
        name: EdgeLabel::of(g, e),
        edge_type: g.edge_type(e).name(),
        value: value(g, a, g.edge_to(e), o, depth, on_stack),
    }
}

/// The value a node stands for.
fn value(
    g: &HeapGraph,
    a: &Analysis,
    n: NodeIndex,
    o: &ShowOptions,
    depth: usize,
    on_stack: &mut Vec<NodeIndex>,
) -> Value {
    let t = g.node_type(n);
    let id = g.node_id(n);
    if t.is_string() {
        let (text, truncated) = string_text(g, n, o.max_string);
        return Value::String { text, truncated, id };
    }
    if t == NodeType::NUMBER {
        let value = internal_target(g, n, "value").map(|v| g.node_name(v).to_owned());
        return Value::Number { value, id };
    }
    if t == NodeType::SYMBOL {
        let description =
            internal_target(g, n, "name").map(|d| g.node_name(d).to_owned()).unwrap_or_default();
        return Value::Symbol { description, id };
    }
    if t == NodeType::HIDDEN && g.node_name(n) == "system / Oddball" {
        // An oddball's first hidden edge is its string form: "true", "null", "undefined"…
        let text = g
            .edges(n)
            .find(|&e| g.edge_type(e) == EdgeType::Hidden && g.node_type(g.edge_to(e)).is_string())
            .map_or_else(|| "oddball".to_owned(), |e| g.node_name(g.edge_to(e)).to_owned());
        return Value::Literal { text };
    }
    let class = a.class_name(n).to_owned();
    if on_stack.contains(&n) {
        return Value::Circular { id, class };
    }
    if depth == 0 {
        return Value::Ref {
            id,
            class,
            name: display_name(g, n, o.max_string),
            retained_size: a.retained_size(n),
        };
    }
    Value::Object(Box::new(view(g, a, n, o, depth - 1, on_stack)))
}

/// The node an internal edge of `n` with this name points at.
fn internal_target(g: &HeapGraph, n: NodeIndex, name: &str) -> Option<NodeIndex> {
    g.edges(n)
        .find(|&e| g.edge_type(e) == EdgeType::Internal && g.edge_name(e) == EdgeName::Str(name))
        .map(|e| g.edge_to(e))
}

/// The text of a string node, at most `max` characters, and whether there is more. Cons
/// strings are flattened; a sliced string shows its parent's text.
#[must_use]
pub fn string_text(g: &HeapGraph, n: NodeIndex, max: usize) -> (String, bool) {
    let mut out = String::new();
    let mut chars = 0;
    let mut stack = vec![n];
    let mut truncated = false;
    while let Some(s) = stack.pop() {
        match g.node_type(s) {
            NodeType::CONCATENATED_STRING => {
                let first = internal_target(g, s, "first");
                let second = internal_target(g, s, "second");
                stack.extend(second);
                stack.extend(first);
            }
            NodeType::SLICED_STRING => {
                truncated = true;
                stack.extend(internal_target(g, s, "parent"));
            }
            _ => {
                for c in g.node_name(s).chars() {
                    if chars == max {
                        return (out, true);
                    }
                    out.push(c);
                    chars += 1;
                }
            }
        }
    }
    (out, truncated)
}

/// The name DevTools shows for a node: the text of strings, a `{a, b, …, z}` preview of the
/// properties of plain objects, the node's name otherwise.
#[must_use]
pub fn display_name(g: &HeapGraph, n: NodeIndex, max: usize) -> String {
    let t = g.node_type(n);
    if t.is_string() {
        let (mut text, truncated) = string_text(g, n, max);
        if truncated {
            text.push('…');
        }
        return text;
    }
    if t == NodeType::OBJECT && g.node_name(n) == "Object" {
        return plain_object_preview(g, n, max);
    }
    g.node_name(n).to_owned()
}

/// `{a, b, …, y, z}`: the first and last property names, as many as fit in about `max`.
fn plain_object_preview(g: &HeapGraph, n: NodeIndex, max: usize) -> String {
    let names: Vec<&str> = g
        .edges(n)
        .filter(|&e| g.edge_type(e) == EdgeType::Property)
        .filter_map(|e| match g.edge_name(e) {
            EdgeName::Str(s) if s != "__proto__" => Some(s),
            _ => None,
        })
        .collect();
    let (mut front, mut back): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let (mut lo, mut hi) = (0usize, names.len());
    let mut len = 2;
    let mut from_end = false;
    while lo < hi {
        let name = if from_end { names[hi - 1] } else { names[lo] };
        if !(front.is_empty() && back.is_empty()) && len + name.chars().count() > max {
            break;
        }
        len += name.chars().count() + 2;
        if from_end {
            back.push(name);
            hi -= 1;
        } else {
            front.push(name);
            lo += 1;
        }
        from_end = !from_end;
    }
    back.reverse();
    let mut parts = front;
    if lo < hi {
        parts.push("…");
    }
    parts.extend(back);
    format!("{{{}}}", parts.join(", "))
}

/// `file:line:column` (1-based) of a closure, or of an object's constructor.
#[must_use]
pub fn location(g: &HeapGraph, n: NodeIndex) -> Option<String> {
    let l = g.location(n)?;
    let script = script_name(g, n).or_else(|| script_of_id(g, l.script_id));
    Some(position_text(script, l.script_id, l.line, l.column))
}

/// `file:line:column` (1-based) of a class's constructor.
#[must_use]
pub fn class_location(g: &HeapGraph, position: SourcePosition) -> String {
    let script = script_of_id(g, position.script_id);
    position_text(script, position.script_id, position.line, position.column)
}

fn position_text(script: Option<String>, id: u32, line: u32, column: u32) -> String {
    let file = script.unwrap_or_else(|| format!("<script {id}>"));
    format!("{file}:{}:{}", line + 1, column + 1)
}

/// The name of a script by V8's id: snapshots name scripts only through closures' code, so
/// find a closure from that script.
fn script_of_id(g: &HeapGraph, script_id: u32) -> Option<String> {
    g.locations()
        .iter()
        .filter(|o| o.script_id == script_id && g.node_type(o.node) == NodeType::CLOSURE)
        .find_map(|o| script_name(g, o.node))
}

/// The name of the script a closure's code comes from (`closure → shared → script`).
fn script_name(g: &HeapGraph, closure: NodeIndex) -> Option<String> {
    if g.node_type(closure) != NodeType::CLOSURE {
        return None;
    }
    let shared = internal_target(g, closure, "shared")?;
    let mut script = internal_target(g, shared, "script_or_debug_info")
        .or_else(|| internal_target(g, shared, "script"))?;
    if g.node_name(script).starts_with("system / DebugInfo") {
        script = internal_target(g, script, "script")?;
    }
    let name = g.node_name(script);
    (!name.is_empty() && !name.starts_with("system / ")).then(|| name.to_owned())
}
