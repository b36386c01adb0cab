//! `leakscope top SNAP`: the objects that retain the most, down the dominator tree.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use leakscope_graph::{
    Analysis, HeapGraph, NodeIndex, NodeType, ResolvedStep, RetainerPaths, display_name, path_text,
    resolve,
};
use serde::Serialize;

use crate::cli::{OutputArgs, SnapshotArg};
use crate::{analyze, load, ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    /// How many objects to list
    #[arg(short = 'n', long = "top", value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Also list, under each object, the largest objects it dominates, this many levels deep
    #[arg(long, value_name = "D", default_value_t = 0)]
    pub depth: usize,
    /// How many dominated objects to list per object with --depth
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub children: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Serialize)]
struct Top {
    objects: Vec<Object>,
}

#[derive(Serialize)]
struct Object {
    id: u32,
    class: String,
    name: String,
    self_size: u64,
    retained_size: u64,
    dominator_id: u32,
    retainer_path: Option<Vec<ResolvedStep>>,
    /// 0 for the largest objects; n for objects listed n levels under one (--depth).
    depth: usize,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let quiet = args.output.json;
    let loaded = load::heap(&args.snapshot.path, args.snapshot.binary.as_deref(), quiet)?;
    let g = &loaded.graph;
    let a = analyze::analysis(g, quiet);
    let paths = analyze::retainer_paths(g, quiet);

    // What DevTools lists: objects with a size of their own (owned internals are counted in
    // their owner) that are not synthetic roots.
    let listed = |n: NodeIndex| g.node_type(n) != NodeType::SYNTHETIC && a.shallow_size(n) > 0;
    let by_size =
        |x: &NodeIndex, y: &NodeIndex| a.retained_size(*y).cmp(&a.retained_size(*x)).then(x.cmp(y));
    let mut largest: Vec<NodeIndex> = g.nodes().filter(|&n| listed(n)).collect();
    if largest.len() > args.top && args.top > 0 {
        largest.select_nth_unstable_by(args.top - 1, by_size);
    }
    largest.truncate(args.top);
    largest.sort_by(by_size);

    let mut order: Vec<(NodeIndex, usize)> = Vec::new();
    for &n in &largest {
        // Depth-first, largest child first: the order people read a tree in.
        let mut stack = vec![(n, 0)];
        while let Some((v, depth)) = stack.pop() {
            order.push((v, depth));
            if depth < args.depth {
                let mut children: Vec<NodeIndex> = a
                    .dominator_tree()
                    .children(v)
                    .iter()
                    .map(|&c| NodeIndex(c))
                    .filter(|&c| listed(c))
                    .collect();
                children.sort_by(by_size);
                children.truncate(args.children);
                stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
            }
        }
    }
    let objects: Vec<Object> =
        order.iter().map(|&(n, depth)| object(g, &a, &paths, n, depth)).collect();

    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&Top { objects })?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: the {} largest objects by retained size",
        args.snapshot.path.display(),
        largest.len()
    );
    println!();
    let width = objects.iter().map(|o| ui::bytes(o.retained_size).len()).max().unwrap_or(0);
    for (o, &(n, depth)) in objects.iter().zip(&order) {
        let indent = "    ".repeat(depth);
        let name = label(g, n, &o.name);
        println!(
            "  {indent}{:>width$}  {} @{}{name}  (shallow {})",
            ui::bytes(o.retained_size),
            o.class,
            o.id,
            ui::bytes(o.self_size),
        );
        if depth == 0 {
            let path = paths.path(g, n).map_or_else(
                || "no strong path from the roots: only weakly held".to_owned(),
                |steps| path_text(g, a.classes(), &steps),
            );
            println!("  {:width$}  {path}", "");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn object(
    g: &HeapGraph,
    a: &Analysis,
    paths: &RetainerPaths,
    n: NodeIndex,
    depth: usize,
) -> Object {
    Object {
        id: g.node_id(n),
        class: a.class_name(n).to_owned(),
        name: display_name(g, n, 100),
        self_size: a.shallow_size(n),
        retained_size: a.retained_size(n),
        dominator_id: g.node_id(a.dominator(n)),
        retainer_path: paths.path(g, n).map(|steps| resolve(g, a.classes(), &steps)),
        depth,
    }
}

/// What to show beside an object's class: a function's name, the start of a string, the
/// properties of a plain object; nothing for the rest (their name is their class).
fn label(g: &HeapGraph, n: NodeIndex, name: &str) -> String {
    let t = g.node_type(n);
    let short = |max: usize| {
        let cut: String = name.chars().take(max).collect();
        if cut.len() < name.len() { cut + "…" } else { cut }
    };
    if t.is_string() {
        format!(" {:?}", short(40))
    } else if (t == NodeType::CLOSURE || g.node_name(n) == "Object") && !name.is_empty() {
        format!(" {}", short(60))
    } else {
        String::new()
    }
}
