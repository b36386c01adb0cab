//! The report of `leakscope diff`: which classes grew and shrank, as bars and as a table of
//! every class.

use std::path::Path;

use leakscope_leaks::ClassDiff;
use leakscope_report::{Bar, BarChart, Block, Cell, Column, Page, Section, Table, Tone, Verdict};

use crate::pages::command_line;
use crate::ui;

/// Bars in the chart: the classes that grew most, then those that shrank most.
const GREW: usize = 15;
const SHRANK: usize = 5;

pub fn page(before: &Path, after: &Path, d: &ClassDiff) -> Page {
    let mut page = Page::new(
        format!("leakscope diff: {} → {}", before.display(), after.display()),
        command_line(),
    );
    let grew: i64 = d.classes.iter().map(|c| c.size_delta.max(0)).sum();
    let shrank: i64 = d.classes.iter().map(|c| c.size_delta.min(0)).sum();
    let sentence = match d.classes.iter().max_by_key(|c| c.size_delta) {
        Some(top) if top.size_delta > 0 => format!(
            "Classes that grew gained {}, those that shrank lost {}. The largest growth: {} \
             ({} objects, +{}).",
            ui::bytes(grew.unsigned_abs()),
            ui::bytes(shrank.unsigned_abs()),
            top.class,
            Cell::signed_count(top.count_delta).text,
            ui::bytes(top.size_delta.unsigned_abs())
        ),
        _ => {
            format!("No class grew; classes that shrank lost {}.", ui::bytes(shrank.unsigned_abs()))
        }
    };
    page.verdict = Some(Verdict::new(Tone::Neutral, "Comparison", sentence));

    // The diff comes sorted by size delta, largest growth first.
    #[allow(clippy::cast_precision_loss)] // bar lengths
    let bar = |c: &leakscope_leaks::ClassChange| Bar {
        label: c.class.clone(),
        value: c.size_delta as f64,
    };
    let mut bars: Vec<Bar> =
        d.classes.iter().filter(|c| c.size_delta > 0).take(GREW).map(bar).collect();
    let mut shrinking: Vec<Bar> =
        d.classes.iter().rev().filter(|c| c.size_delta < 0).take(SHRANK).map(bar).collect();
    shrinking.reverse();
    bars.extend(shrinking);
    let chart =
        BarChart { title: "Size change by class (shallow)".into(), bytes: true, delta: true, bars };

    let mut t = Table::new(vec![
        Column::text("class"),
        Column::number("size Δ"),
        Column::number("count Δ"),
        Column::number("added"),
        Column::number("removed"),
        Column::number("added size"),
        Column::number("removed size"),
    ]);
    for c in &d.classes {
        t.row(vec![
            Cell::text(c.class.clone()),
            Cell::signed_bytes(c.size_delta),
            Cell::signed_count(c.count_delta),
            Cell::count(c.added),
            Cell::count(c.removed),
            Cell::bytes(c.added_size),
            Cell::bytes(c.removed_size),
        ]);
    }
    let t = t.sorted_by(1, true);
    page.sections.push(Section::new(
        "Classes",
        vec![
            Block::BarChart(chart),
            Block::Text(
                "Objects are matched by V8's ids: added objects are only in the later snapshot, \
                 removed ones only in the earlier. Sizes are shallow (owned internals count in \
                 their owner), as in DevTools' Comparison view."
                    .into(),
            ),
            Block::Table(t),
        ],
    ));
    page
}
