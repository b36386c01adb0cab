//! An object as text, the way `leakscope show` prints it (and the HTML report shows a leaked
//! object): `Class @id (type, shallow, retained) {` then one member per line.

use std::fmt::Write as _;

use leakscope_graph::{EdgeLabel, Member, ObjectView, Value};

use crate::ui;

/// The object and its members, nested objects indented.
pub fn object_text(v: &ObjectView) -> String {
    let mut out = String::new();
    write_object(&mut out, v, 0);
    out
}

/// `Class @id {` … `}` with one member per line, nested objects indented.
fn write_object(out: &mut String, v: &ObjectView, indent: usize) {
    let _ = write!(out, "{}", header(v));
    if v.properties.is_empty()
        && v.elements.is_empty()
        && v.context.is_empty()
        && v.entries.is_empty()
    {
        return;
    }
    out.push_str(" {\n");
    let pad = "    ".repeat(indent + 1);
    for m in &v.properties {
        write_member(out, m, indent + 1);
    }
    for m in &v.elements {
        write_member(out, m, indent + 1);
    }
    if v.element_count > v.elements.len() {
        let _ = writeln!(out, "{pad}… {} more elements", v.element_count - v.elements.len());
    }
    if !v.entries.is_empty() {
        let _ = writeln!(out, "{pad}[entries]");
        for m in &v.entries {
            write_member(out, m, indent + 1);
        }
        if v.entry_count > v.entries.len() {
            let _ = writeln!(out, "{pad}… {} more entries", v.entry_count - v.entries.len());
        }
    }
    if v.omitted_properties > 0 {
        let _ = writeln!(out, "{pad}… {} more properties", v.omitted_properties);
    }
    if !v.context.is_empty() {
        let _ = writeln!(out, "{pad}[captured variables]");
        for m in &v.context {
            write_member(out, m, indent + 1);
        }
    }
    let _ = write!(out, "{}}}", "    ".repeat(indent));
}

fn header(v: &ObjectView) -> String {
    let mut h = format!("{} @{}", v.class, v.id);
    if !v.name.is_empty() && v.name != v.class && v.node_type != "object" {
        let _ = write!(h, " {:?}", v.name);
    }
    let _ = write!(
        h,
        " ({}, shallow {}, retained {}",
        v.node_type,
        ui::bytes(v.self_size),
        ui::bytes(v.retained_size)
    );
    if let Some(l) = &v.location {
        let _ = write!(h, ", at {l}");
    }
    h.push(')');
    h
}

/// A WeakMap value's slot, named after its key: V8 names the edge
/// `N / part of key (Class @KEY) -> value (Class @VALUE) pair in WeakMap (table @TABLE)`.
fn weakmap_key(name: &str) -> String {
    let key = name
        .split_once(") -> value (")
        .and_then(|(key, _)| key.rsplit_once(" @"))
        .map_or("?", |(_, id)| id);
    format!("[value of key @{key}]")
}

fn write_member(out: &mut String, m: &Member, indent: usize) {
    let pad = "    ".repeat(indent);
    let name = match &m.name {
        EdgeLabel::Index(i) => format!("[{i}]"),
        EdgeLabel::Name(n) if n.contains(" part of key (") => weakmap_key(n),
        EdgeLabel::Name(n) if n.bytes().all(|b| b.is_ascii_digit()) => format!("[{n}]"),
        EdgeLabel::Name(n) if m.edge_type == "element" => format!("[{n}]"),
        EdgeLabel::Name(n) if m.edge_type == "property" || m.edge_type == "context" => n.clone(),
        EdgeLabel::Name(n) => format!("{{{n}}}"),
    };
    let _ = write!(out, "{pad}{name}: ");
    match &m.value {
        Value::String { text, truncated, .. } => {
            let _ = write!(out, "{text:?}{}", if *truncated { "…" } else { "" });
        }
        Value::Number { value, .. } => {
            out.push_str(value.as_deref().unwrap_or("<number>"));
        }
        Value::Literal { text } => out.push_str(text),
        Value::Symbol { description, .. } => {
            let _ = write!(out, "Symbol({description})");
        }
        Value::Object(v) => write_object(out, v, indent),
        Value::Ref { id, class, name, retained_size } => {
            let _ = write!(out, "{class} @{id}");
            if !name.is_empty() && name != class {
                let _ = write!(out, " {name:?}");
            }
            let _ = write!(out, " (retained {})", ui::bytes(*retained_size));
        }
        Value::Circular { id, class } => {
            let _ = write!(out, "[Circular {class} @{id}]");
        }
    }
    out.push_str(",\n");
}
