//! `leakscope show SNAP @ID`: one object with its properties, like mdb_v8's `::jsprint`.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::process::ExitCode;

use leakscope_graph::{EdgeLabel, Member, ObjectView, ShowOptions, Value, show};

use crate::cli::{OutputArgs, SnapshotArg};
use crate::{analyze, load, select, ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    /// The object, by its id: @12345 or 12345
    #[arg(value_name = "@ID", value_parser = ui::parse_node_id)]
    pub id: u32,
    /// How many levels of nested objects to expand (at most 32)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(0..=32))]
    pub depth: u16,
    /// Longest string shown, in characters
    #[arg(long, value_name = "N", default_value_t = 80)]
    pub max_string: usize,
    /// Most array elements (and Map/Set entries) shown per object
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub elements: usize,
    /// Also show V8's internal edges (map, elements, __proto__, code…)
    #[arg(long)]
    pub internals: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let quiet = args.output.json;
    let loaded = load::heap(&args.snapshot.path, args.snapshot.binary.as_deref(), quiet)?;
    let g = &loaded.graph;
    let n = select::node(g, args.id)?;
    let a = analyze::analysis(g, quiet);
    let options = ShowOptions {
        depth: usize::from(args.depth),
        max_string: args.max_string,
        max_properties: 100,
        max_elements: args.elements,
        internals: args.internals,
    };
    let view = show(g, &a, n, &options);
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    write_object(&mut out, &view, 0);
    println!("{out}");
    Ok(ExitCode::SUCCESS)
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
