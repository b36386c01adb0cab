//! The report of `leakscope summary`: the class census as bars and as a table of every class.

use std::path::Path;

use leakscope_report::group_digits;
use leakscope_report::{
    Bar, BarChart, Block, Cell, Column, Fact, Page, Section, Table, Tone, Verdict,
};

use crate::pages::command_line;
use crate::ui;

/// One class of the census, as the page needs it.
pub struct Row {
    pub class: String,
    pub count: u64,
    pub shallow_size: u64,
    pub retained_size: u64,
    pub distance: Option<u32>,
}

/// `rows` come largest retained size first.
pub fn page(snapshot: &Path, nodes: usize, edges: usize, total: u64, rows: &[Row]) -> Page {
    let mut page = Page::new(format!("leakscope summary: {}", snapshot.display()), command_line());
    let mut sentence = format!("{} classes, {} in all.", rows.len(), ui::bytes(total));
    if let Some(top) = rows.first() {
        sentence.push_str(&format!(
            " The class that retains the most: {} ({} objects, retained {}).",
            top.class,
            group_digits(top.count),
            ui::bytes(top.retained_size)
        ));
    }
    page.verdict = Some(Verdict::new(Tone::Neutral, "Census", sentence));
    #[allow(clippy::cast_precision_loss)] // bar lengths
    let bars = rows
        .iter()
        .take(20)
        .map(|r| Bar { label: r.class.clone(), value: r.retained_size as f64 })
        .collect();
    let mut t = Table::new(vec![
        Column::text("class"),
        Column::number("count"),
        Column::number("shallow"),
        Column::number("retained"),
        Column::number("distance"),
    ]);
    for r in rows {
        t.row(vec![
            Cell::text(r.class.clone()),
            Cell::count(r.count),
            Cell::bytes(r.shallow_size),
            Cell::bytes(r.retained_size),
            r.distance.map_or_else(
                || Cell::number(f64::from(u32::MAX), "−"),
                |d| Cell::number(f64::from(d), d.to_string()),
            ),
        ]);
    }
    page.sections.push(Section::new(
        "Classes",
        vec![
            Block::Facts(vec![
                Fact::new("nodes", group_digits(nodes as u64)),
                Fact::new("edges", group_digits(edges as u64)),
                Fact::new("total size", ui::bytes(total)),
                Fact::new("classes", group_digits(rows.len() as u64)),
            ]),
            Block::BarChart(BarChart {
                title: "The classes that retain the most".into(),
                bytes: true,
                delta: false,
                bars,
            }),
            Block::Text(
                "Retained: what freeing the class's outermost objects would free (objects nested \
                 under another of their class count once). Distance: steps from global; − when \
                 only system roots or weak references hold the class's nearest object. The \
                 numbers are Chrome DevTools' Summary view's."
                    .into(),
            ),
            Block::Table(t.sorted_by(3, true)),
        ],
    ));
    page
}
