//! `leakscope show SNAP @ID`: one object with its properties, like mdb_v8's `::jsprint`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use leakscope_graph::{ShowOptions, show};

use crate::cli::{OutputArgs, SnapshotArg};
use crate::object_text::object_text;
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
    println!("{}", object_text(&view));
    Ok(ExitCode::SUCCESS)
}
