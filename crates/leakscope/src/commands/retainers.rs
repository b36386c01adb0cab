//! `leakscope retainers SNAP @ID | --class NAME`: why is this object (this class) alive?
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use anyhow::bail;
use leakscope_graph::{
    Analysis, EdgeLabel, EdgeType, HeapGraph, NodeIndex, ResolvedStep, RetainerPaths, edge_text,
    group_by_shape, path_text, resolve,
};
use serde::Serialize;

use crate::cli::{OutputArgs, SnapshotArg};
use crate::{analyze, load, select, ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    /// The object, by its id: @12345 or 12345
    #[arg(value_name = "@ID", value_parser = ui::parse_node_id, conflicts_with = "class", required_unless_present = "class")]
    pub id: Option<u32>,
    /// Every object of this class instead, grouped by the shape of their paths
    #[arg(long, value_name = "NAME")]
    pub class: Option<String>,
    /// Also show the path to each of the object's other retainers
    #[arg(long)]
    pub all: bool,
    /// At most this many retainers (or path groups with --class)
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub limit: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Serialize)]
struct ObjectRetainers {
    object: ObjectInfo,
    /// The shortest path from the root; null when only weak references (or none) lead to it.
    retainer_path: Option<Vec<ResolvedStep>>,
    retainers: Vec<Retainer>,
    retainer_count: usize,
}

#[derive(Serialize)]
struct ObjectInfo {
    id: u32,
    class: String,
    self_size: u64,
    retained_size: u64,
    distance: Option<u32>,
}

#[derive(Serialize)]
struct Retainer {
    edge: EdgeLabel,
    edge_type: &'static str,
    class: String,
    id: u32,
    distance: Option<u32>,
    /// With --all: the shortest path to this retainer, then the edge to the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    retainer_path: Option<Vec<ResolvedStep>>,
}

#[derive(Serialize)]
struct ClassRetainers {
    class: String,
    count: usize,
    groups: Vec<Group>,
    /// Objects of the class that only weak references (or none) reach.
    unreachable: usize,
}

#[derive(Serialize)]
struct Group {
    count: usize,
    example_id: u32,
    retainer_path: Vec<ResolvedStep>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let quiet = args.output.json;
    let loaded = load::heap(&args.snapshot.path, args.snapshot.binary.as_deref(), quiet)?;
    let g = &loaded.graph;
    let a = analyze::analysis(g, quiet);
    let paths = analyze::retainer_paths(g, quiet);
    match (&args.class, args.id) {
        (Some(class), _) => by_class(args, g, &a, &paths, class),
        (None, Some(id)) => by_object(args, g, &a, &paths, select::node(g, id)?),
        (None, None) => bail!("give an object id (@12345) or --class NAME"),
    }
}

fn by_object(
    args: &Args,
    g: &HeapGraph,
    a: &Analysis,
    paths: &RetainerPaths,
    n: NodeIndex,
) -> anyhow::Result<ExitCode> {
    let classes = a.classes();
    let path = paths.path(g, n);
    // As DevTools' Retainers view: no weak edges, not the root; nearest first.
    let mut direct: Vec<(NodeIndex, leakscope_graph::EdgeIndex)> = g
        .retainers()
        .of(n)
        .filter(|&(from, e)| g.edge_type(e) != EdgeType::Weak && from != g.root())
        .collect();
    direct.sort_by_key(|&(from, _)| (a.distance(from), from));
    let retainer_count = direct.len();
    direct.truncate(args.limit);
    let retainers: Vec<Retainer> = direct
        .iter()
        .map(|&(from, e)| Retainer {
            edge: EdgeLabel::of(g, e),
            edge_type: g.edge_type(e).name(),
            class: a.class_name(from).to_owned(),
            id: g.node_id(from),
            distance: a.distance(from).user(),
            retainer_path: args
                .all
                .then(|| {
                    paths.path(g, from).map(|mut steps| {
                        steps.push(leakscope_graph::PathStep { edge: e, from, to: n });
                        resolve(g, classes, &steps)
                    })
                })
                .flatten(),
        })
        .collect();
    let out = ObjectRetainers {
        object: ObjectInfo {
            id: g.node_id(n),
            class: a.class_name(n).to_owned(),
            self_size: a.shallow_size(n),
            retained_size: a.retained_size(n),
            distance: a.distance(n).user(),
        },
        retainer_path: path.as_ref().map(|steps| resolve(g, classes, steps)),
        retainers,
        retainer_count,
    };
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }

    let o = &out.object;
    println!(
        "{} @{}: shallow {}, retained {}, distance {}",
        o.class,
        o.id,
        ui::bytes(o.self_size),
        ui::bytes(o.retained_size),
        o.distance.map_or_else(|| "−".to_owned(), |d| d.to_string())
    );
    println!();
    match &path {
        Some(steps) => {
            println!("shortest path from the roots:");
            println!("  {}", path_text(g, classes, steps));
        }
        None => println!("no strong path from the roots: only weak references hold it (or none)"),
    }
    println!();
    println!("retained by ({} of {retainer_count}, nearest first):", out.retainers.len());
    for (r, &(from, e)) in out.retainers.iter().zip(&direct) {
        let distance = r.distance.map_or_else(|| "−".to_owned(), |d| d.to_string());
        println!("  {} in {} @{}  (distance {distance})", edge_text(g, e), r.class, r.id);
        if args.all {
            match paths.path(g, from) {
                Some(mut steps) => {
                    steps.push(leakscope_graph::PathStep { edge: e, from, to: n });
                    println!("      {}", path_text(g, classes, &steps));
                }
                None => println!("      no strong path from the roots"),
            }
        }
    }
    if retainer_count > out.retainers.len() {
        println!("  … {} more (--limit N)", retainer_count - out.retainers.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn by_class(
    args: &Args,
    g: &HeapGraph,
    a: &Analysis,
    paths: &RetainerPaths,
    name: &str,
) -> anyhow::Result<ExitCode> {
    let classes = a.classes();
    let wanted = select::classes(classes, name)?;
    let nodes: Vec<NodeIndex> =
        g.nodes().filter(|&n| wanted.contains(&a.class_of(n)) && a.shallow_size(n) > 0).collect();
    let (groups, unreached) = group_by_shape(g, classes, paths, &nodes);
    let shown = groups.len().min(args.limit);
    let out = ClassRetainers {
        class: name.to_owned(),
        count: nodes.len(),
        groups: groups[..shown]
            .iter()
            .map(|grp| Group {
                count: grp.nodes.len(),
                example_id: g.node_id(grp.nodes[0]),
                retainer_path: resolve(g, classes, &grp.example),
            })
            .collect(),
        unreachable: unreached.len(),
    };
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let kinds = match groups.len() {
        1 => "1 kind of path".to_owned(),
        k => format!("{k} kinds of path"),
    };
    let more = if shown < groups.len() {
        format!(" ({shown} shown, --limit N for more)")
    } else {
        String::new()
    };
    println!("{name}: {} objects, {kinds} from the roots{more}", out.count);
    println!();
    let width = out.groups.iter().map(|grp| grp.count.to_string().len()).max().unwrap_or(1);
    for (grp, shape) in out.groups.iter().zip(&groups) {
        println!("  {:>width$} ×  {}", grp.count, path_text(g, classes, &shape.example));
    }
    if out.unreachable > 0 {
        println!(
            "  {:>width$} ×  no strong path from the roots (only weakly held)",
            out.unreachable
        );
    }
    Ok(ExitCode::SUCCESS)
}
