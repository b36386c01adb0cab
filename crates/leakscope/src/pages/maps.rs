//! The report of `leakscope maps`: resident memory per kind of mapping over time, which kinds
//! and mappings grew steadily, and the first/last diff.

use leakscope_procfs::{ByKind, Kind, KindTrend};
use leakscope_report::{
    Block, Cell, Column, Fact, LineChart, Page, Section, Series, Style, Table, Tone, Verdict,
};
use leakscope_trend::{Verdict as Trend, format_rate};

use crate::commands::maps::Report;
use crate::pages::command_line;

#[allow(clippy::cast_precision_loss)] // byte counts as chart coordinates and deltas
pub fn page(r: &Report) -> Page {
    let mut page = Page::new(format!("leakscope maps: process {}", r.pid), command_line());
    let growing: Vec<_> = r.kinds.iter().filter(|k| k.verdict == Trend::Leak).collect();
    let span = match (r.samples.first(), r.samples.last()) {
        (Some(a), Some(b)) => b.t_s - a.t_s,
        _ => 0.0,
    };
    page.verdict = Some(if growing.is_empty() {
        Verdict::new(
            Tone::Good,
            "Nothing grows",
            format!(
                "No kind of mapping grew steadily over {span:.0} s ({} samples).",
                r.samples.len()
            ),
        )
    } else {
        let parts: Vec<String> = growing
            .iter()
            .map(|k| format!("{} grows {}", k.kind.as_str(), format_rate(k.growth_bytes_per_hour)))
            .collect();
        Verdict::new(
            Tone::Bad,
            "Growth",
            format!("Over {span:.0} s: {}. {}", parts.join("; "), kind_meaning(growing[0].kind)),
        )
    });

    let rss: Vec<(f64, f64)> = r.samples.iter().map(|s| (s.t_s, s.rss as f64)).collect();
    let by_kind: Vec<(f64, ByKind)> = r.samples.iter().map(|s| (s.t_s, s.by_kind)).collect();
    page.sections.push(Section::new(
        "Memory over time",
        vec![
            Block::Facts(vec![
                Fact::new("samples", r.samples.len().to_string()),
                Fact::new("every", format!("{} s", r.interval_s)),
                Fact::new("stopped", r.stopped_because.clone()),
            ]),
            Block::LineChart(kinds_chart(&by_kind, rss)),
            Block::Table(kinds_table(&r.kinds)),
        ],
    ));

    let mut grew = Table::new(vec![
        Column::text("address"),
        Column::text("kind"),
        Column::number("rss"),
        Column::number("change"),
        Column::number("trend"),
        Column::text("mapping"),
    ]);
    for g in &r.growth {
        grew.row(vec![
            Cell::text(format!("{:012x}-{:012x}", g.start, g.end)),
            Cell::text(g.kind.as_str()),
            Cell::bytes(g.rss_last),
            signed(g.rss_last as f64 - g.rss_first as f64),
            Cell::rate(g.growth_bytes_per_hour),
            Cell::text(g.mapping.clone()),
        ]);
    }
    let mut diff = Table::new(vec![
        Column::text("address"),
        Column::number("size"),
        Column::number("rss"),
        Column::number("dirty"),
        Column::number("rss change"),
        Column::text("status"),
        Column::text("kind"),
        Column::text("mapping"),
    ]);
    for l in &r.diff {
        diff.row(vec![
            Cell::text(format!("{:016x}", l.start)),
            Cell::bytes(l.size),
            Cell::bytes(l.rss),
            Cell::bytes(l.dirty),
            signed(l.rss_change as f64),
            Cell::text(l.status),
            Cell::text(l.kind.as_str()),
            Cell::text(l.mapping.clone()),
        ]);
    }
    let mut mappings = Vec::new();
    if r.growth.is_empty() {
        mappings.push(Block::Text("No mapping grew steadily.".into()));
    } else {
        mappings.push(Block::Text("Mappings that grew steadily, the largest trend first:".into()));
        mappings.push(Block::Table(grew));
    }
    mappings.push(Block::Text(
        "First sample to last, the mappings whose resident size changed (pmap -x style):".into(),
    ));
    mappings.push(Block::Table(diff));
    page.sections.push(Section::new("Mappings", mappings));
    page
}

/// Resident memory of each kind of mapping over time, and `rss` (the sum).
#[allow(clippy::cast_precision_loss)] // byte counts as chart coordinates
pub fn kinds_chart(samples: &[(f64, ByKind)], rss: Vec<(f64, f64)>) -> LineChart {
    let mut series = vec![Series::new("RSS (all mappings)", Style::Line, rss)];
    for kind in Kind::ALL {
        series.push(Series::new(
            kind.as_str(),
            Style::Line,
            samples.iter().map(|(t, b)| (*t, b[kind] as f64)).collect(),
        ));
    }
    LineChart {
        title: "Resident memory by kind of mapping".into(),
        series,
        markers: Vec::new(),
        ticks: None,
    }
}

/// Each kind's trend, the fastest growth first.
#[allow(clippy::cast_precision_loss)] // byte deltas
pub fn kinds_table(kinds: &[KindTrend]) -> Table {
    let mut t = Table::new(vec![
        Column::text("kind"),
        Column::number("first"),
        Column::number("last"),
        Column::number("change"),
        Column::number("trend"),
        Column::text("verdict"),
        Column::text("why"),
    ]);
    for k in kinds {
        t.row(vec![
            Cell::text(k.kind.as_str()),
            Cell::bytes(k.start),
            Cell::bytes(k.end),
            signed(k.end as f64 - k.start as f64),
            Cell::rate(k.growth_bytes_per_hour),
            Cell::text(if k.verdict == Trend::Leak { "grows" } else { k.verdict.as_str() }),
            Cell::text(k.reason.clone()),
        ]);
    }
    t.sorted_by(4, true)
}

fn signed(bytes: f64) -> Cell {
    #[allow(clippy::cast_possible_truncation)] // differences of byte counts
    Cell::signed_bytes(bytes as i64)
}

/// What growth of a kind usually means.
fn kind_meaning(kind: Kind) -> &'static str {
    match kind {
        Kind::V8Heap => "V8's heap pages grow: look at heap snapshots (leakscope run or leaks).",
        Kind::Malloc => {
            "Native code allocates with malloc and keeps it; leakscope native names the call \
             sites."
        }
        Kind::Anon => {
            "Other anonymous memory grows: large allocations (Buffers, big malloc blocks) or \
             memory mapped by native code; leakscope native names malloc's call sites."
        }
        Kind::Stack => "Thread stacks grow: threads are started and not ended.",
        Kind::Code => "Code grows: libraries loaded, or JIT code.",
        Kind::File => "File mappings grow: files mapped and not unmapped.",
    }
}
