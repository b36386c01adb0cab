//! `leakscope objects SNAP`: objects grouped by constructor and property names, like mdb_v8's
//! `::findjsobjects`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use leakscope_graph::{EdgeLabel, EdgeType, HeapGraph, ObjectGroup, property_signatures};
use serde::Serialize;

use crate::cli::{OutputArgs, SnapshotArg};
use crate::load;
use crate::ui::{self, Align, Table};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    /// Only objects whose constructor is NAME (exact; else every constructor containing it)
    #[arg(long, value_name = "NAME")]
    pub class: Option<String>,
    /// Also list who refers to each group's example object
    #[arg(long)]
    pub refs: bool,
    /// How many groups to show [default: 30, or all with --json]
    #[arg(short = 'n', long = "top", value_name = "N")]
    pub top: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Serialize)]
struct Objects {
    objects: Vec<Group>,
}

#[derive(Serialize)]
struct Group {
    class: String,
    properties: Vec<String>,
    count: usize,
    /// The objects' shallow sizes as V8 wrote them.
    self_size: u64,
    /// The first object of the group, as `@id`.
    example: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    referrers: Option<Vec<Referrer>>,
}

#[derive(Serialize)]
struct Referrer {
    edge: EdgeLabel,
    edge_type: &'static str,
    /// The referring object's node name (its constructor, for objects).
    name: String,
    id: u32,
}

/// Most referrers listed per example.
const MAX_REFERRERS: usize = 10;

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let quiet = args.output.json;
    let loaded = load::heap(&args.snapshot.path, args.snapshot.binary.as_deref(), quiet)?;
    let g = &loaded.graph;
    let mut groups = match &args.class {
        None => property_signatures(g, |_| true),
        Some(name) => {
            let exact = property_signatures(g, |n| g.node_name(n) == name);
            if exact.is_empty() {
                property_signatures(g, |n| g.node_name(n).contains(name.as_str()))
            } else {
                exact
            }
        }
    };
    if groups.is_empty()
        && let Some(name) = &args.class
    {
        anyhow::bail!("no object with a constructor named {name:?} in this snapshot");
    }
    let total = groups.len();
    groups.truncate(args.top.unwrap_or(if args.output.json { usize::MAX } else { 30 }));
    let out = Objects {
        objects: groups
            .iter()
            .map(|grp| Group {
                class: g.string(grp.constructor).to_owned(),
                properties: grp.properties.iter().map(|&p| g.string(p).to_owned()).collect(),
                count: grp.nodes.len(),
                self_size: grp.self_size,
                example: format!("@{}", g.node_id(grp.example())),
                referrers: args.refs.then(|| referrers(g, grp)),
            })
            .collect(),
    };
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }

    let mut table = Table::new(&[
        ("count", Align::Right),
        ("size", Align::Right),
        ("example", Align::Left),
        ("constructor", Align::Left),
        ("properties", Align::Left),
    ]);
    for grp in &out.objects {
        table.row(vec![
            grp.count.to_string(),
            ui::bytes(grp.self_size),
            grp.example.clone(),
            grp.class.clone(),
            properties_text(&grp.properties),
        ]);
    }
    if !args.refs {
        print!("{}", table.render("  "));
    } else {
        // One block per group: its line of the table, then its referrers.
        let rendered = table.render("  ");
        let mut lines = rendered.lines();
        if let Some(header) = lines.next() {
            println!("{header}");
        }
        for (line, grp) in lines.zip(&out.objects) {
            println!("{line}");
            for r in grp.referrers.iter().flatten() {
                let edge = match &r.edge {
                    EdgeLabel::Index(i) => format!("[{i}]"),
                    EdgeLabel::Name(n) => n.clone(),
                };
                println!("          ← {edge} ({}) of {} @{}", r.edge_type, r.name, r.id);
            }
        }
    }
    if total > out.objects.len() {
        println!("\n  {} of {total} groups shown (--top N for more)", out.objects.len());
    }
    println!(
        "\n  properties holding small integers are not in heap snapshots (V8 writes no edge \
         for them)"
    );
    Ok(ExitCode::SUCCESS)
}

fn referrers(g: &HeapGraph, grp: &ObjectGroup) -> Vec<Referrer> {
    g.retainers()
        .of(grp.example())
        .filter(|&(_, e)| g.edge_type(e) != EdgeType::Weak)
        .take(MAX_REFERRERS)
        .map(|(from, e)| Referrer {
            edge: EdgeLabel::of(g, e),
            edge_type: g.edge_type(e).name(),
            name: g.node_name(from).to_owned(),
            id: g.node_id(from),
        })
        .collect()
}

/// `a, b, c`, or `—` for none; long lists are cut.
fn properties_text(properties: &[String]) -> String {
    if properties.is_empty() {
        return "—".to_owned();
    }
    let mut text = properties.join(", ");
    if text.chars().count() > 100 {
        text = text.chars().take(99).collect::<String>() + "…";
    }
    text
}
