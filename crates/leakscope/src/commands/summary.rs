//! `leakscope summary SNAP`: the class census (DevTools' Summary view).
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use leakscope_graph::{ClassSummary, Progress, class_location};
use serde::Serialize;

use crate::cli::{HtmlArg, OutputArgs, SnapshotArg};
use crate::ui::{self, Align, Table};
use crate::{analyze, load, pages, select};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub snapshot: SnapshotArg,
    /// Order classes by retained size, shallow size or object count
    #[arg(long, value_enum, default_value_t = Sort::Retained)]
    pub sort: Sort,
    /// Only this class: an exact class name, else every class whose name contains NAME
    /// (repeatable)
    #[arg(long = "class", value_name = "NAME")]
    pub classes: Vec<String>,
    /// Only classes whose retained size (shallow size with --sort shallow) is at least SIZE,
    /// e.g. 1000, 64kB, 1.5MB, 2MiB
    #[arg(long, value_name = "SIZE", value_parser = ui::parse_size)]
    pub min_size: Option<u64>,
    /// How many classes to show [default: 25, or all with --json]
    #[arg(short = 'n', long = "top", value_name = "N")]
    pub top: Option<usize>,
    /// Print how long loading and each analysis phase took, on stderr
    #[arg(long)]
    pub timings: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub html: HtmlArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Sort {
    Retained,
    Shallow,
    Count,
}

#[derive(Serialize)]
struct Summary {
    snapshot: SnapshotTotals,
    classes: Vec<ClassRow>,
}

#[derive(Serialize)]
struct SnapshotTotals {
    nodes: usize,
    edges: usize,
    total_size: u64,
}

#[derive(Serialize)]
struct ClassRow {
    class: String,
    count: u64,
    shallow_size: u64,
    retained_size: u64,
    /// Steps from the user roots; null where DevTools shows "−" (only system roots or weak
    /// references hold the class's nearest object).
    distance: Option<u32>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let quiet = args.output.json;
    let loaded = load::heap(&args.snapshot.path, args.snapshot.binary.as_deref(), quiet)?;
    let g = &loaded.graph;
    let mut a = analyze::analysis(g, quiet);
    let mut rows = a.census(g, Progress::none());
    let all_classes = rows.len();
    if args.timings {
        analyze::print_timings(loaded.elapsed, &a.timings().phases);
    }

    if !args.classes.is_empty() {
        let mut wanted = Vec::new();
        for name in &args.classes {
            wanted.extend(select::classes(a.classes(), name)?);
        }
        rows.retain(|r| wanted.contains(&r.class));
    }
    let size = |r: &ClassSummary| match args.sort {
        Sort::Shallow => r.shallow_size,
        Sort::Retained | Sort::Count => r.retained_size,
    };
    if let Some(min) = args.min_size {
        rows.retain(|r| size(r) >= min);
    }
    match args.sort {
        Sort::Retained => {} // the census comes sorted by retained size
        Sort::Shallow => rows.sort_by_key(|r| std::cmp::Reverse(r.shallow_size)),
        Sort::Count => rows.sort_by_key(|r| std::cmp::Reverse(r.count)),
    }
    let matching = rows.len();
    if let Some(path) = &args.html.html {
        let census: Vec<pages::summary::Row> = rows
            .iter()
            .map(|r| pages::summary::Row {
                class: a.classes().name(r.class).to_owned(),
                count: r.count,
                shallow_size: r.shallow_size,
                retained_size: r.retained_size,
                distance: r.distance().user(),
            })
            .collect();
        let page = pages::summary::page(
            &args.snapshot.path,
            g.node_count(),
            g.edge_count(),
            a.total_size(),
            &census,
        );
        pages::write(path, page)?;
    }
    let limit = args.top.unwrap_or(if args.output.json { usize::MAX } else { 25 });
    rows.truncate(limit);

    let classes = a.classes();
    let out = Summary {
        snapshot: SnapshotTotals {
            nodes: g.node_count(),
            edges: g.edge_count(),
            total_size: a.total_size(),
        },
        classes: rows
            .iter()
            .map(|r| ClassRow {
                class: classes.name(r.class).to_owned(),
                count: r.count,
                shallow_size: r.shallow_size,
                retained_size: r.retained_size,
                distance: r.distance().user(),
            })
            .collect(),
    };
    if args.output.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }

    println!(
        "{}: {} nodes, {} edges, {} in all",
        args.snapshot.path.display(),
        g.node_count(),
        g.edge_count(),
        ui::bytes(a.total_size())
    );
    println!();
    let mut table = Table::new(&[
        ("retained", Align::Right),
        ("shallow", Align::Right),
        ("count", Align::Right),
        ("distance", Align::Right),
        ("class", Align::Left),
    ]);
    // Two constructors with one name are two classes: tell them apart by where they are.
    let mut names: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for r in &rows {
        *names.entry(classes.name(r.class)).or_default() += 1;
    }
    for (r, summary) in out.classes.iter().zip(&rows) {
        let info = classes.info(summary.class);
        let class = match info.position {
            Some(p) if names[info.name.as_str()] > 1 => {
                format!("{} ({})", r.class, class_location(g, p))
            }
            _ => r.class.clone(),
        };
        table.row(vec![
            ui::bytes(r.retained_size),
            ui::bytes(r.shallow_size),
            r.count.to_string(),
            r.distance.map_or_else(|| "−".to_owned(), |d| d.to_string()),
            class,
        ]);
    }
    print!("{}", table.render("  "));
    println!();
    if matching > out.classes.len() {
        println!(
            "  {} of {matching} classes shown (--top N for more); {all_classes} classes in all",
            out.classes.len(),
        );
    }
    println!(
        "  retained: what freeing the class's outermost objects would free; distance: steps \
         from global (− when only system roots hold it)"
    );
    Ok(ExitCode::SUCCESS)
}
