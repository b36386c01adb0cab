//! `leakscope info SNAP`: counts, layout and load time.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{OutputArgs, SnapshotArg};
use crate::{load, ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Serialize)]
struct Info {
    file: String,
    json_bytes: u64,
    nodes: usize,
    edges: usize,
    strings: usize,
    total_self_size: u64,
    root_id: u32,
    max_js_object_id: u32,
    locations: usize,
    trace_functions: usize,
    trace_tree_nodes: usize,
    node_types: Vec<TypeCount>,
    layout: LayoutInfo,
    load_seconds: f64,
}

#[derive(Serialize)]
struct TypeCount {
    #[serde(rename = "type")]
    name: String,
    count: u64,
    self_size: u64,
}

#[derive(Serialize)]
struct LayoutInfo {
    node_fields: Vec<String>,
    edge_fields: Vec<String>,
    node_types: Vec<String>,
    edge_types: Vec<String>,
    location_fields: Vec<String>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if load::is_core(&args.snapshot.path) {
        return run_core(args);
    }
    let loaded = load::snapshot(&args.snapshot.path, args.output.json)?;
    let s = &loaded.snapshot;
    let g = &s.graph;

    let mut by_type = vec![(0u64, 0u64); g.type_names().len()];
    let mut total = 0u64;
    for n in g.nodes() {
        let slot = &mut by_type[usize::from(g.node_type(n).0)];
        slot.0 += 1;
        slot.1 += g.self_size(n);
        total += g.self_size(n);
    }
    let mut node_types: Vec<TypeCount> = by_type
        .iter()
        .zip(g.type_names())
        .filter(|((count, _), _)| *count > 0)
        .map(|(&(count, self_size), name)| TypeCount { name: name.clone(), count, self_size })
        .collect();
    node_types.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));

    let info = Info {
        file: args.snapshot.path.display().to_string(),
        json_bytes: s.json_bytes,
        nodes: g.node_count(),
        edges: g.edge_count(),
        strings: g.strings().len(),
        total_self_size: total,
        root_id: g.node_id(g.root()),
        max_js_object_id: g.max_js_object_id(),
        locations: g.locations().len(),
        trace_functions: g.traces().map_or(0, |t| t.functions.len()),
        trace_tree_nodes: g.traces().map_or(0, |t| t.nodes.len()),
        node_types,
        layout: LayoutInfo {
            node_fields: s.layout.node_fields.clone(),
            edge_fields: s.layout.edge_fields.clone(),
            node_types: s.layout.node_type_names.clone(),
            edge_types: s.layout.edge_type_names.clone(),
            location_fields: s.layout.location_fields.clone(),
        },
        load_seconds: loaded.elapsed.as_secs_f64(),
    };

    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(ExitCode::SUCCESS);
    }
    #[allow(clippy::cast_precision_loss)] // display only
    let mb_per_s = info.json_bytes as f64 / 1e6 / info.load_seconds.max(1e-9);
    println!("{}", info.file);
    println!("  nodes      {:>12}", info.nodes);
    println!("  edges      {:>12}", info.edges);
    println!("  strings    {:>12}", info.strings);
    println!("  total size {:>12}  ({} bytes, shallow sizes as written)", ui::bytes(total), total);
    println!("  locations  {:>12}", info.locations);
    if info.trace_tree_nodes > 0 {
        println!(
            "  allocation traces: {} functions, {} tree nodes",
            info.trace_functions, info.trace_tree_nodes
        );
    }
    println!("  max JS object id {}", info.max_js_object_id);
    println!(
        "  loaded {} in {:.3} s ({mb_per_s:.0} MB/s)",
        ui::bytes(info.json_bytes),
        info.load_seconds
    );
    println!();
    println!("  {:<22} {:>10} {:>12}", "node type", "count", "size");
    for t in &info.node_types {
        println!("  {:<22} {:>10} {:>12}", t.name, t.count, ui::bytes(t.self_size));
    }
    println!();
    println!("  node fields: {}", info.layout.node_fields.join(", "));
    println!("  edge fields: {}", info.layout.edge_fields.join(", "));
    println!("  edge types:  {}", info.layout.edge_types.join(", "));
    Ok(ExitCode::SUCCESS)
}

/// `info CORE`: what the scan found and the graph it makes.
fn run_core(args: &Args) -> anyhow::Result<ExitCode> {
    let start = std::time::Instant::now();
    let dump = load::dump(&args.snapshot.path, args.snapshot.binary.as_deref())?;
    let g = dump.graph()?;
    let i = dump.info();
    let elapsed = start.elapsed().as_secs_f64();
    if args.output.json {
        let out = serde_json::json!({
            "file": i.source,
            "binary": i.binary,
            "pid": i.pid,
            "v8_version": i.v8_version.to_string(),
            "pages": i.pages,
            "maps": i.maps,
            "objects": i.objects,
            "object_bytes": i.object_bytes,
            "nodes": g.graph.node_count(),
            "edges": g.graph.edge_count(),
            "strings": g.graph.strings().len(),
            "load_seconds": elapsed,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} (core dump)", i.source);
    println!("  binary     {} (V8 {})", i.binary.display(), i.v8_version);
    if let Some(pid) = i.pid {
        println!("  pid        {pid}");
    }
    println!("  V8 pages   {:>12}", i.pages);
    println!("  maps       {:>12}", i.maps);
    println!("  objects    {:>12}  ({}, present in memory)", i.objects, ui::bytes(i.object_bytes));
    println!("  nodes      {:>12}", g.graph.node_count());
    println!("  edges      {:>12}", g.graph.edge_count());
    println!("  analysed in {elapsed:.3} s");
    Ok(ExitCode::SUCCESS)
}
