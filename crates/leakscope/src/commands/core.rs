//! `leakscope core …`: post-mortem analysis of a core dump (or a stopped live process).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args as ClapArgs, Subcommand};
use leakscope_graph::{EdgeName, EdgeType, NodeIndex, Progress, RetainerPaths};
use leakscope_postmortem::{Dump, DumpGraph, ValueView};
use serde::Serialize;

use crate::cli::OutputArgs;
use crate::{load, ui};

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    pub command: CoreCommand,
}

/// What every `core` subcommand reads.
#[derive(Debug, ClapArgs)]
pub struct CoreArg {
    /// A core file (kernel core or `gcore`), or the PID of a running node process
    #[arg(value_name = "CORE|PID")]
    pub core: PathBuf,
    /// The node binary that made the core (default: the executable the core names)
    #[arg(long, value_name = "PATH")]
    pub binary: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CoreCommand {
    /// Count JS objects by constructor and property names (findjsobjects)
    Objects {
        #[command(flatten)]
        core: CoreArg,
        /// Show only this class
        #[arg(long)]
        class: Option<String>,
        /// Show at most this many groups in text output
        #[arg(long, default_value_t = 40)]
        top: usize,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// List the address of every instance of a class (findjsinstances)
    Instances {
        #[command(flatten)]
        core: CoreArg,
        /// The constructor name
        class: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Print one object with its properties, elements and entries (jsprint)
    Show {
        #[command(flatten)]
        core: CoreArg,
        /// The object's address (0x…), or global.NAME for what a global variable holds
        address: String,
        /// How deep to print nested objects
        #[arg(long, default_value_t = 1)]
        depth: usize,
        /// Show at most this many elements or entries per object
        #[arg(long, default_value_t = 20)]
        max_elements: usize,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Who refers to an object, and a retainer path from the global object (findrefs)
    Refs {
        #[command(flatten)]
        core: CoreArg,
        /// The object's address (0x…), or global.NAME for what a global variable holds
        address: String,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Write the heap as a .heapsnapshot for Chrome DevTools and `leakscope`
    Convert {
        #[command(flatten)]
        core: CoreArg,
        /// The snapshot to write
        #[arg(short, long, value_name = "FILE.heapsnapshot")]
        output: PathBuf,
    },
    /// Class census growth between two dumps of one process
    Diff {
        /// The earlier core
        before: PathBuf,
        /// The later core
        after: PathBuf,
        /// The node binary that made the cores
        #[arg(long, value_name = "PATH")]
        binary: Option<PathBuf>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        CoreCommand::Objects { core, class, top, output } => {
            objects(core, class.as_deref(), *top, output.json)
        }
        CoreCommand::Instances { core, class, output } => instances(core, class, output.json),
        CoreCommand::Show { core, address, depth, max_elements, output } => {
            show(core, address, *depth, *max_elements, output.json)
        }
        CoreCommand::Refs { core, address, output } => refs(core, address, output.json),
        CoreCommand::Convert { core, output } => convert(core, output),
        CoreCommand::Diff { before, after, binary, output } => {
            diff(before, after, binary.as_deref(), output.json)
        }
    }
}

fn open(arg: &CoreArg) -> anyhow::Result<Dump> {
    load::dump(&arg.core, arg.binary.as_deref())
}

/// An object's address: `0x…`, or `global.NAME` for what a global variable holds.
fn resolve(dump: &Dump, s: &str) -> anyhow::Result<u64> {
    let Some(name) = s.strip_prefix("global.") else { return parse_address(s) };
    dump.global(name).with_context(|| format!("no global variable {name} holds an object"))
}

fn parse_address(s: &str) -> anyhow::Result<u64> {
    let hex = s.trim().trim_start_matches('@').trim_start_matches("0x").trim_start_matches("0X");
    u64::from_str_radix(hex, 16).with_context(|| format!("{s:?} is not an address like 0x3a8f2b1c"))
}

fn header(dump: &Dump) {
    let i = dump.info();
    println!(
        "{}: V8 {}, {} objects ({}) present in memory (live or not yet collected)",
        i.source,
        i.v8_version,
        i.objects,
        ui::bytes(i.object_bytes)
    );
}

#[derive(Serialize)]
struct ObjectsJson {
    objects: Vec<GroupJson>,
}

#[derive(Serialize)]
struct GroupJson {
    class: String,
    properties: Vec<String>,
    count: u64,
    size: u64,
    example: String,
}

fn objects(
    core: &CoreArg,
    class: Option<&str>,
    top: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let dump = open(core)?;
    let groups: Vec<_> =
        dump.object_groups().into_iter().filter(|g| class.is_none_or(|c| g.class == c)).collect();
    if json {
        let out = ObjectsJson {
            objects: groups
                .into_iter()
                .map(|g| GroupJson {
                    class: g.class,
                    properties: g.properties,
                    count: g.count,
                    size: g.size,
                    example: format!("{:#x}", g.example),
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    header(&dump);
    println!("{:>10} {:>10}  {:<18} class {{properties}}", "count", "size", "example");
    for g in groups.iter().take(top) {
        println!(
            "{:>10} {:>10}  {:<18} {} {{{}}}",
            g.count,
            ui::bytes(g.size),
            format!("{:#x}", g.example),
            g.class,
            g.properties.join(", ")
        );
    }
    if groups.len() > top {
        println!("… {} more groups (--top N, or --json for all)", groups.len() - top);
    }
    Ok(ExitCode::SUCCESS)
}

fn instances(core: &CoreArg, class: &str, json: bool) -> anyhow::Result<ExitCode> {
    let dump = open(core)?;
    let addresses: Vec<String> = dump.instances(class).iter().map(|a| format!("{a:#x}")).collect();
    if json {
        println!(
            "{}",
            serde_json::json!({ "class": class, "count": addresses.len(), "addresses": addresses })
        );
    } else {
        let mut out = std::io::stdout().lock();
        for a in &addresses {
            writeln!(out, "{a}")?;
        }
        eprintln!("{} instances of {class} present in memory", addresses.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn value_text(v: &ValueView) -> String {
    match v {
        ValueView::Smi(i) => i.to_string(),
        ValueView::Number(f) => f.to_string(),
        ValueView::String(s, len) if s.chars().count() < *len => format!("{s:?}… ({len} chars)"),
        ValueView::String(s, _) => format!("{s:?}"),
        ValueView::Oddball(o) => (*o).to_owned(),
        ValueView::Object(a, class) => format!("<{class} {a:#x}>"),
        ValueView::Raw(w) => format!("<raw {w:#x}>"),
    }
}

fn value_json(v: &ValueView) -> serde_json::Value {
    use serde_json::json;
    match v {
        ValueView::Smi(i) => json!(i),
        ValueView::Number(f) => json!(f),
        ValueView::String(s, len) => json!({ "string": s, "length": len }),
        ValueView::Oddball(o) => json!({ "oddball": o }),
        ValueView::Object(a, class) => json!({ "address": format!("{a:#x}"), "class": class }),
        ValueView::Raw(w) => json!({ "raw": format!("{w:#x}") }),
    }
}

fn show(
    core: &CoreArg,
    address: &str,
    depth: usize,
    max: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let dump = open(core)?;
    let addr = resolve(&dump, address)?;
    if dump.inspect(addr, max).is_none() {
        bail!(
            "no object starts at {addr:#x} (use an address printed by `core objects` or `core instances`)"
        );
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&show_json(&dump, addr, depth, max))?);
    } else {
        let mut out = String::new();
        show_text(&dump, addr, depth, max, 0, &mut out);
        print!("{out}");
    }
    Ok(ExitCode::SUCCESS)
}

fn show_json(dump: &Dump, addr: u64, depth: usize, max: usize) -> serde_json::Value {
    let Some(v) = dump.inspect(addr, max) else { return serde_json::Value::Null };
    let nested = |value: &ValueView| match value {
        ValueView::Object(a, _) if depth > 0 => show_json(dump, *a, depth - 1, max),
        other => value_json(other),
    };
    serde_json::json!({
        "address": format!("{:#x}", v.address),
        "class": v.class,
        "v8_type": v.v8_type,
        "size": v.size,
        "length": v.length,
        "string": v.string,
        "function": v.function.as_ref().map(|f| serde_json::json!({
            "name": f.name,
            "script": f.script,
            "line": f.position.map(|p| p.0 + 1),
            "column": f.position.map(|p| p.1 + 1),
            "context": f.context.iter().map(|(n, val)| serde_json::json!({"name": n, "value": nested(val)})).collect::<Vec<_>>(),
        })),
        "properties": v.properties.iter().map(|(n, val)| serde_json::json!({"name": n, "value": nested(val)})).collect::<Vec<_>>(),
        "elements": v.elements.iter().map(|(i, val)| serde_json::json!({"index": i, "value": nested(val)})).collect::<Vec<_>>(),
        "entries": v.entries.iter().map(|(k, val)| serde_json::json!({"key": nested(k), "value": val.as_ref().map(nested)})).collect::<Vec<_>>(),
    })
}

fn show_text(dump: &Dump, addr: u64, depth: usize, max: usize, indent: usize, out: &mut String) {
    let Some(v) = dump.inspect(addr, max) else { return };
    let pad = "  ".repeat(indent + 1);
    let length = v.length.map(|l| format!(" length={l}")).unwrap_or_default();
    let _ =
        writeln!(out, "<{} {:#x}>{length} ({}, {} bytes)", v.class, v.address, v.v8_type, v.size);
    if let Some(s) = &v.string {
        let _ = writeln!(out, "{pad}{s:?}");
    }
    let line = |label: String, value: &ValueView, out: &mut String| {
        let _ = write!(out, "{pad}{label}: ");
        match value {
            ValueView::Object(a, _) if depth > 0 => {
                show_text(dump, *a, depth - 1, max, indent + 1, out)
            }
            other => {
                let _ = writeln!(out, "{}", value_text(other));
            }
        }
    };
    if let Some(f) = &v.function {
        let name = if f.name.is_empty() { "(anonymous)" } else { &f.name };
        let at = match (&f.script, f.position) {
            (Some(s), Some((line, column))) => format!(" at {s}:{}:{}", line + 1, column + 1),
            (Some(s), None) => format!(" in {s}"),
            _ => String::new(),
        };
        let _ = writeln!(out, "{pad}function {name}{at}");
        for (n, val) in &f.context {
            line(format!("[context] {n}"), val, out);
        }
    }
    for (n, val) in &v.properties {
        line(format!(".{n}"), val, out);
    }
    for (i, val) in &v.elements {
        line(format!("[{i}]"), val, out);
    }
    for (k, val) in &v.entries {
        match val {
            Some(val) => line(format!("{} =>", value_text(k)), val, out),
            None => {
                let _ = writeln!(out, "{pad}{}", value_text(k));
            }
        }
    }
}

/// How an edge refers, in words: `.name`, `[3]`, `context variable x`, `global variable g`.
fn describe_edge(g: &DumpGraph, from: NodeIndex, e: leakscope_graph::EdgeIndex) -> String {
    let graph = &g.graph;
    let name = graph.edge_name(e);
    let from_is_global = graph
        .edges(graph.root())
        .any(|r| graph.edge_type(r) == EdgeType::Shortcut && graph.edge_to(r) == from);
    match (graph.edge_type(e), name) {
        (EdgeType::Property, EdgeName::Str(s)) if from_is_global => format!("global variable {s}"),
        (EdgeType::Property, EdgeName::Str(s)) => format!(".{s}"),
        (EdgeType::Element, EdgeName::Index(i)) => format!("[{i}]"),
        (EdgeType::Hidden, EdgeName::Index(i)) => format!("slot [{i}]"),
        (EdgeType::Context, EdgeName::Str(s)) => format!("context variable {s}"),
        (EdgeType::Internal, EdgeName::Str("value"))
            if graph.node_name(from) == "system / PropertyCell" =>
        {
            "value of a global variable's cell".to_owned()
        }
        (ty, n) => format!("{ty} {n}"),
    }
}

fn node_label(dump: &Dump, g: &DumpGraph, n: NodeIndex) -> String {
    let addr = g.address(n);
    if n == g.graph.root() {
        return "(root)".to_owned();
    }
    if addr == 0 {
        return g.graph.node_name(n).to_owned();
    }
    let class = dump.class_of(addr).unwrap_or_else(|| g.graph.node_name(n).to_owned());
    format!("{class} {addr:#x}")
}

/// The retainer path from the root to `target` (through `global` when one exists, skipping
/// weak and cache edges, as `leakscope retainers` does), as (node, edge to the next) steps.
fn retainer_path(
    g: &DumpGraph,
    target: NodeIndex,
) -> Option<Vec<(NodeIndex, leakscope_graph::EdgeIndex)>> {
    let paths = RetainerPaths::compute(&g.graph, Progress::none());
    let steps = paths.path(&g.graph, target)?;
    (!steps.is_empty()).then(|| steps.iter().map(|s| (s.from, s.edge)).collect())
}

struct Referrer {
    label: String,
    how: String,
    address: u64,
    reached: bool,
}

/// Which nodes a path from a global object reaches (not through `(other roots)`).
fn reached_from_global(g: &DumpGraph) -> Vec<bool> {
    let graph = &g.graph;
    let mut reached = vec![false; graph.node_count()];
    let mut stack: Vec<NodeIndex> = graph
        .edges(graph.root())
        .filter(|&e| graph.edge_type(e) == EdgeType::Shortcut)
        .map(|e| graph.edge_to(e))
        .collect();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut reached[n.index()], true) {
            continue;
        }
        stack.extend(graph.edges(n).map(|e| graph.edge_to(e)).filter(|t| !reached[t.index()]));
    }
    reached
}

/// The Map or Set whose hash table `table` is.
fn collection_owner(g: &DumpGraph, table: NodeIndex) -> Option<NodeIndex> {
    let graph = &g.graph;
    graph
        .retainers()
        .of(table)
        .find(|&(_, e)| {
            graph.edge_type(e) == EdgeType::Internal && graph.edge_name(e) == EdgeName::Str("table")
        })
        .map(|(owner, _)| owner)
}

fn refs(core: &CoreArg, address: &str, json: bool) -> anyhow::Result<ExitCode> {
    let dump = open(core)?;
    let addr = resolve(&dump, address)?;
    let g = dump.graph()?;
    let Some(target) = g.node_at(addr) else {
        bail!(
            "no object starts at {addr:#x} (use an address printed by `core objects` or `core instances`)"
        );
    };
    let graph = &g.graph;
    let reached = reached_from_global(&g);
    let mut refs: Vec<Referrer> = graph
        .retainers()
        .of(target)
        .filter(|&(from, _)| g.address(from) != 0)
        .map(|(from, e)| {
            // A Map's or Set's entries live in its hash table: name the collection instead.
            let (label, how) = match collection_owner(&g, from) {
                Some(owner) => {
                    let how = match graph.edge_name(e) {
                        EdgeName::Str("key") => "key of an entry".to_owned(),
                        name => format!("entry {name}"),
                    };
                    (node_label(&dump, &g, owner), how)
                }
                None => (node_label(&dump, &g, from), describe_edge(&g, from, e)),
            };
            Referrer { label, how, address: g.address(from), reached: reached[from.index()] }
        })
        .collect();
    refs.sort_by_key(|r| !r.reached);
    let path = retainer_path(&g, target);
    let steps: Vec<(String, String)> = path
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|&(from, e)| (node_label(&dump, &g, from), describe_edge(&g, from, e)))
        .collect();
    let via_other_roots = path
        .as_ref()
        .is_some_and(|p| p.iter().any(|&(n, _)| g.address(n) == 0 && n != graph.root()));
    if json {
        let out = serde_json::json!({
            "address": format!("{addr:#x}"),
            "class": dump.class_of(addr),
            "referrers": refs.iter().map(|r| serde_json::json!({
                "from": r.label,
                "address": format!("{:#x}", r.address),
                "reference": r.how,
                "reached_from_global": r.reached,
            })).collect::<Vec<_>>(),
            "retainer_path": steps.iter().map(|(from, how)| serde_json::json!({"from": from, "reference": how})).collect::<Vec<_>>(),
            "reached_from_global": path.is_some() && !via_other_roots,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} is referred to by {} object(s):", node_label(&dump, &g, target), refs.len());
    let mut unreached_header = false;
    for r in &refs {
        if !r.reached && !unreached_header {
            println!(
                "  from objects no global reaches (garbage not yet collected, or held natively):"
            );
            unreached_header = true;
        }
        println!("  {}  {}", r.label, r.how);
    }
    println!();
    if path.is_none() || via_other_roots {
        println!(
            "no path from the global object: it is kept by the stack, a handle or native code, or is garbage not yet collected"
        );
    }
    if !steps.is_empty() {
        println!("retainer path:");
        for (from, how) in &steps {
            println!("  {from}  {how} →");
        }
        println!("  {}", node_label(&dump, &g, target));
    }
    Ok(ExitCode::SUCCESS)
}

fn convert(core: &CoreArg, output: &std::path::Path) -> anyhow::Result<ExitCode> {
    let dump = open(core)?;
    let g = dump.graph()?;
    let file = std::fs::File::create(output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    leakscope_snapshot::write_snapshot(&g.graph, file)
        .with_context(|| format!("cannot write {}", output.display()))?;
    eprintln!(
        "wrote {} ({} nodes, {} edges; node ids are 2 × ordinal + 1, objects in address order)",
        output.display(),
        g.graph.node_count(),
        g.graph.edge_count()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct DiffRow {
    class: String,
    before: u64,
    after: u64,
    count_delta: i64,
    size_before: u64,
    size_after: u64,
    size_delta: i64,
}

fn census(dump: &Dump) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for g in dump.object_groups() {
        let e = out.entry(g.class).or_default();
        e.0 += g.count;
        e.1 += g.size;
    }
    out
}

fn diff(
    before: &std::path::Path,
    after: &std::path::Path,
    binary: Option<&std::path::Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let a = census(&load::dump(before, binary)?);
    let b = census(&load::dump(after, binary)?);
    let mut rows: Vec<DiffRow> = a
        .keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|class| {
            let (c0, s0) = a.get(class).copied().unwrap_or_default();
            let (c1, s1) = b.get(class).copied().unwrap_or_default();
            #[allow(clippy::cast_possible_wrap)] // counts and sizes are far below 2^63
            DiffRow {
                class: class.clone(),
                before: c0,
                after: c1,
                count_delta: c1 as i64 - c0 as i64,
                size_before: s0,
                size_after: s1,
                size_delta: s1 as i64 - s0 as i64,
            }
        })
        .filter(|r| r.count_delta != 0 || r.size_delta != 0)
        .collect();
    rows.sort_by(|x, y| y.size_delta.cmp(&x.size_delta).then(y.count_delta.cmp(&x.count_delta)));
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "classes": rows }))?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>10} {:>10} {:>12}  class (objects present in memory)",
        "before", "after", "Δ size"
    );
    for r in rows.iter().take(40) {
        println!("{:>10} {:>10} {:>12}  {}", r.before, r.after, r.size_delta, r.class);
    }
    Ok(ExitCode::SUCCESS)
}
