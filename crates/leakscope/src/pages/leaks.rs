//! The report of `leakscope leaks`: each leak with its holder highlighted on its retainer
//! path and one leaked object printed, and what was looked at and set aside.

use std::path::PathBuf;

use leakscope_leaks::{Finding, LeakReport};
use leakscope_report::group_digits;
use leakscope_report::{Block, Cell, Column, Fact, Page, Section, Table, Tone, Verdict};

use crate::commands::leak_finder::finding_json;
use crate::pages::{command_line, culprit, finding, finding_name, findings_chart};

pub fn page(paths: &[PathBuf], r: &LeakReport) -> Page {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut page = Page::new(format!("leakscope leaks: {}", names.join(" → ")), command_line());
    let leaks: Vec<serde_json::Value> = r.leaks.iter().map(finding_json).collect();
    page.verdict = Some(match leaks.first() {
        Some(top) if leaks.len() == 1 => {
            Verdict::new(Tone::Bad, "1 leak", format!("{}.", culprit(top)))
        }
        Some(top) => Verdict::new(
            Tone::Bad,
            format!("{} leaks", leaks.len()),
            format!("The largest: {}.", culprit(top)),
        ),
        None => Verdict::new(Tone::Good, "No leak found", r.message.clone()),
    });
    let mut found = Vec::new();
    if !leaks.is_empty() {
        found.push(Block::Text(format!("{}.", r.message)));
    }
    if !leaks.is_empty() {
        found.push(Block::BarChart(findings_chart(&leaks)));
    }
    found.push(Block::Findings(leaks.iter().map(finding).collect()));
    if r.snapshots == 2 && !leaks.is_empty() {
        found.push(Block::Text(
            "Two snapshots only: these objects are new and their groups grew, but nothing shows \
             they stay; take a third snapshot after more of the same work to be sure."
                .into(),
        ));
    }
    page.sections.push(Section::new("What leaks", found));

    let mut looked = Vec::new();
    looked.push(Block::List(
        names.iter().enumerate().map(|(i, n)| format!("S{}: {n}", i + 1)).collect(),
    ));
    let mut facts = Vec::new();
    if let Some(ids) = &r.ids {
        facts.extend([
            Fact::new("allocated between S1 and S2", group_digits(ids.new_in_target)),
            Fact::new("of those, alive in S3", group_digits(ids.still_alive)),
            Fact::new(
                "recycled ids set aside",
                group_digits(ids.recycled_in_target + ids.recycled_later),
            ),
        ]);
    }
    let d = &r.dismissed_total;
    facts.push(Fact::new(
        "not reported",
        format!("{} groups, {} objects", group_digits(d.groups), group_digits(d.objects)),
    ));
    looked.push(Block::Facts(facts));
    if !r.dismissed.is_empty() {
        looked.push(Block::Text(
            "The largest groups set aside: growth within noise (bounded caches, churn), or \
             smaller than --min-size."
                .into(),
        ));
        looked.push(Block::Table(dismissed(&r.dismissed)));
    }
    page.sections.push(Section::new("What was compared", looked));
    page
}

fn dismissed(groups: &[Finding]) -> Table {
    let mut t = Table::new(vec![
        Column::text("class"),
        Column::number("objects"),
        Column::number("retained"),
        Column::text("held by"),
        Column::text("why not reported"),
        Column::text("path"),
    ])
    .sorted_by(2, true);
    for f in groups {
        let v = serde_json::to_value(f).unwrap_or_default();
        t.row(vec![
            Cell::text(finding_name(&v)),
            Cell::count(f.count),
            Cell::bytes(f.retained_size),
            Cell::text(format!("{} ({})", f.holder, f.holder_class)),
            Cell::text(f.dismissed.unwrap_or("")),
            Cell::text(f.path.clone()),
        ]);
    }
    t
}
