//! The report of `run` and `watch`: the verdict in one sentence, memory over time with the
//! fitted trend and the snapshots, the statistics behind the verdict, and the culprit.

use leakscope_live::report::{Report, SeriesReport};
use leakscope_report::group_digits;
use leakscope_report::{
    Block, Cell, Column, Fact, LineChart, Marker, Page, Section, Series, Style, Table, Tone,
    Verdict as Headline,
};
use leakscope_trend::{Shape, Verdict, format_bytes, format_rate};

use crate::pages::maps::{kinds_chart, kinds_table};
use crate::pages::{command_line, culprit, finding, findings_chart};

/// The page of a session on process `what` (its command line).
pub fn page(r: &Report, what: &str, stopped: &str) -> Page {
    let mut page = Page::new(
        format!("leakscope: {} in process {} ({what})", r.verdict.as_str(), r.pid),
        command_line(),
    );
    page.verdict = Some(headline(r));
    let mut memory = Vec::new();
    for iso in &r.isolates {
        memory.push(Block::LineChart(heap_chart(r, &iso.isolate, &iso.heap)));
    }
    memory.push(Block::Text(
        "Dots are the JS heap left after each full GC (the old generation: what survived); the \
         dashed line is the trend the verdict fitted to them (Theil–Sen over the decision \
         window). A leak lifts the dots steadily; a cache that fills levels off; garbage only \
         raises the heap between GCs."
            .into(),
    ));
    memory.push(Block::LineChart(process_chart(r)));
    if !r.mapping_samples.is_empty() {
        #[allow(clippy::cast_precision_loss)] // byte counts as chart coordinates
        let rss = r.mapping_samples.iter().map(|(t, b)| (*t, b.total() as f64)).collect();
        memory.push(Block::LineChart(kinds_chart(&r.mapping_samples, rss)));
        memory.push(Block::Text(
            "Native memory split by kind of mapping (/proc/PID/smaps): v8-heap is the JS heap's \
             pages, malloc holds Buffers and C++ objects (and large malloc blocks when the \
             process's memory can be read), anon other anonymous memory. The trends below stop \
             at the first snapshot, whose own buffers malloc keeps."
                .into(),
        ));
        memory.push(Block::Table(kinds_table(&r.mappings)));
    }
    page.sections.push(Section::new("Memory over time", memory));

    let mut findings = Vec::new();
    if r.findings.leaks.is_empty() {
        findings.push(Block::Text(format!("Leak finder: {}.", r.findings.message)));
    } else {
        findings.push(Block::Text(r.findings.message.clone()));
        findings.push(Block::BarChart(findings_chart(&r.findings.leaks)));
        findings.push(Block::Findings(r.findings.leaks.iter().map(finding).collect()));
    }
    if !r.snapshots.is_empty() {
        findings.push(Block::List(
            r.snapshots.iter().map(|p| format!("snapshot {}", p.display())).collect(),
        ));
    }
    page.sections.push(Section::new("What leaks", findings));

    let mut evidence = vec![Block::Facts(vec![
        Fact::new("verdict", r.verdict.as_str()),
        Fact::new("watched", format!("{:.0} s", r.duration_s)),
        Fact::new("GCs seen", group_digits(r.gc_count)),
        Fact::new("process", r.pid.to_string()),
        Fact::new("stopped", stopped),
        Fact::new(
            "grows",
            if r.grows.is_empty() { "nothing steadily".into() } else { r.grows.join(", ") },
        ),
    ])];
    evidence.push(Block::Table(statistics(r)));
    evidence.push(Block::Table(memwatch(r)));
    if !r.leak_events.is_empty() {
        evidence.push(Block::List(
            r.leak_events
                .iter()
                .map(|e| {
                    format!("leak at {:.0} s: {} (from {:.0} s)", e.end_s, e.reason, e.start_s)
                })
                .collect(),
        ));
    }
    page.sections.push(Section::new("Statistics behind the verdict", evidence));
    if !r.warnings.is_empty() {
        page.sections.push(Section::new("Warnings", vec![Block::List(r.warnings.clone())]));
    }
    page
}

fn headline(r: &Report) -> Headline {
    let over = format!("{:.0} s", r.duration_s);
    match r.verdict {
        Verdict::Leak => {
            let subject = r.grows.first().map_or("memory", String::as_str);
            let (name, series) = describe(r, subject);
            let mut sentence = format!(
                "{name} grows {} ({} over {:.0} s, p {}).",
                format_rate(series.growth_bytes_per_hour),
                format_bytes(series.baseline_end - series.baseline_start),
                series.end_s - series.start_s,
                p_text(series.p_value)
            );
            match r.findings.leaks.first() {
                Some(top) => {
                    sentence.push_str(&format!(" The leak finder names {}.", culprit(top)))
                }
                None => sentence.push_str(&format!(" Leak finder: {}.", r.findings.message)),
            }
            Headline::new(Tone::Bad, "Leak", sentence)
        }
        Verdict::NoLeak => Headline::new(
            Tone::Good,
            "No leak",
            format!("Nothing grew steadily in {over}. JS heap after full GCs: {}.", r.heap.reason),
        ),
        Verdict::Inconclusive => Headline::new(
            Tone::Neutral,
            "Inconclusive",
            format!("Not enough evidence in {over}. JS heap after full GCs: {}.", r.heap.reason),
        ),
    }
}

/// `js-heap (worker 1)` → its words and its series.
fn describe<'r>(r: &'r Report, what: &str) -> (String, &'r SeriesReport) {
    let isolate = |name: &str| r.isolates.iter().find(|i| i.isolate == name);
    let thread = |name: &str| {
        if name == "main" { "the main thread".to_owned() } else { name.to_owned() }
    };
    if let Some(name) = what.strip_prefix("js-heap (").and_then(|s| s.strip_suffix(')'))
        && let Some(iso) = isolate(name)
    {
        return (format!("The JS heap of {}", thread(name)), &iso.heap);
    }
    if let Some(name) = what.strip_prefix("external (").and_then(|s| s.strip_suffix(')'))
        && let Some(iso) = isolate(name)
    {
        return (format!("External memory (Buffers) of {}", thread(name)), &iso.external);
    }
    ("Native memory (outside the JS heap)".to_owned(), &r.native)
}

fn p_text(p: f64) -> String {
    if p < 0.001 { "< 0.001".into() } else { format!("= {p:.3}") }
}

#[allow(clippy::cast_precision_loss)] // byte counts as chart coordinates
fn heap_chart(r: &Report, isolate: &str, heap: &SeriesReport) -> LineChart {
    let majors: Vec<_> =
        r.samples.iter().filter(|s| s.isolate == isolate && s.kind == "major").collect();
    let mut series = vec![
        Series::new(
            "heap total (committed)",
            Style::Line,
            majors.iter().map(|s| (s.t_s, s.heap_total as f64)).collect(),
        ),
        Series::new(
            "external (Buffers)",
            Style::Line,
            majors.iter().map(|s| (s.t_s, s.external as f64)).collect(),
        ),
        Series::new(
            "heap after full GC (baseline)",
            Style::Points,
            majors.iter().filter_map(|s| s.baseline.map(|b| (s.t_s, b as f64))).collect(),
        ),
    ];
    if heap.samples >= 2 && heap.end_s > heap.start_s {
        series.push(Series::new(
            format!("trend: {}", format_rate(heap.growth_bytes_per_hour)),
            Style::Dashed,
            vec![(heap.start_s, heap.baseline_start), (heap.end_s, heap.baseline_end)],
        ));
    }
    let file_tag = format!("-{}-s", isolate.replace(' ', ""));
    let markers = snapshot_markers(r, |p| p.contains(&file_tag));
    let title = if isolate == "main" {
        "JS heap of the main thread".to_owned()
    } else {
        format!("JS heap of {isolate}")
    };
    LineChart {
        title,
        series,
        markers,
        ticks: Some(("major GC".into(), majors.iter().map(|s| s.t_s).collect())),
    }
}

/// The whole process: RSS, and what of it is neither JS heap nor Buffers.
#[allow(clippy::cast_precision_loss)] // byte counts as chart coordinates
fn process_chart(r: &Report) -> LineChart {
    let majors: Vec<_> =
        r.samples.iter().filter(|s| s.isolate == "main" && s.kind == "major").collect();
    let rss = r.rss_samples.iter().map(|&(t, b)| (t, b as f64)).collect();
    let native = majors
        .iter()
        .map(|s| (s.t_s, s.rss as f64 - s.heap_total as f64 - s.external as f64))
        .collect();
    LineChart {
        title: "Process memory".into(),
        series: vec![
            Series::new("RSS", Style::Line, rss),
            Series::new(
                "JS heap committed (main thread)",
                Style::Line,
                majors.iter().map(|s| (s.t_s, s.heap_total as f64)).collect(),
            ),
            Series::new("native: RSS − JS heap − external", Style::Line, native),
        ],
        // Writing a snapshot costs memory of its own: the marks explain the steps in RSS.
        markers: snapshot_markers(r, |_| true),
        ticks: None,
    }
}

/// `S1`, `S2`… at the moments the snapshots whose paths `keep` accepts were taken.
fn snapshot_markers(r: &Report, keep: impl Fn(&str) -> bool) -> Vec<Marker> {
    r.snapshots
        .iter()
        .zip(&r.snapshot_times_s)
        .enumerate()
        .filter(|(_, (p, _))| keep(&p.to_string_lossy()))
        .map(|(i, (p, &t))| Marker {
            t,
            label: format!("S{}", i + 1),
            title: format!("snapshot {}", p.display()),
        })
        .collect()
}

fn shape_text(s: Shape) -> &'static str {
    match s {
        Shape::Growing => "growing",
        Shape::LevellingOff => "levelling off",
        Shape::Flat => "flat",
        Shape::Shrinking => "shrinking",
        Shape::TooFewSamples => "too few samples",
    }
}

fn statistics(r: &Report) -> Table {
    let mut t = Table::new(vec![
        Column::text("series"),
        Column::text("verdict"),
        Column::text("shape"),
        Column::number("trend"),
        Column::number("fitted start"),
        Column::number("fitted end"),
        Column::number("samples"),
        Column::number("p-value"),
        Column::text("why"),
    ]);
    let mut rows: Vec<(String, &SeriesReport)> = Vec::new();
    for iso in &r.isolates {
        rows.push((format!("JS heap ({})", iso.isolate), &iso.heap));
        rows.push((format!("external ({})", iso.isolate), &iso.external));
    }
    rows.push(("native memory".into(), &r.native));
    rows.push(("RSS".into(), &r.rss));
    for (name, s) in rows {
        t.row(vec![
            Cell::text(name),
            Cell::text(s.verdict.as_str()),
            Cell::text(shape_text(s.shape)),
            Cell::rate(s.growth_bytes_per_hour),
            Cell::number(s.baseline_start, format_bytes(s.baseline_start)),
            Cell::number(s.baseline_end, format_bytes(s.baseline_end)),
            Cell::count(s.samples as u64),
            Cell::number(s.p_value, p_text(s.p_value)),
            Cell::text(s.reason.clone()),
        ]);
    }
    t
}

fn memwatch(r: &Report) -> Table {
    let mut t = Table::new(vec![
        Column::text("isolate"),
        Column::number("current_base"),
        Column::number("estimated_base"),
        Column::number("usage_trend"),
        Column::number("min"),
        Column::number("max"),
        Column::number("num_full_gc"),
        Column::number("num_inc_gc"),
        Column::number("heap_compactions"),
    ]);
    for iso in &r.isolates {
        let s = &iso.stats;
        t.row(vec![
            Cell::text(iso.isolate.clone()),
            Cell::bytes(s.current_base),
            Cell::bytes(s.estimated_base),
            Cell::number(s.usage_trend, format!("{:+.1} %", s.usage_trend)),
            Cell::bytes(s.min),
            Cell::bytes(s.max),
            Cell::count(s.num_full_gc),
            Cell::count(s.num_inc_gc),
            Cell::count(s.heap_compactions),
        ]);
    }
    t
}
