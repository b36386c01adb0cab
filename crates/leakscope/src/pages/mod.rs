//! The HTML report of each command (`--html FILE`): what the command found, as a
//! [`leakscope_report::Page`], written as one self-contained file.

pub mod diff;
pub mod leaks;
pub mod live;
pub mod maps;
pub mod summary;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use leakscope_graph::{EdgeLabel, EdgeType, label_text, root_name};
use leakscope_report::group_digits;
use leakscope_report::{Bar, BarChart, Fact, Finding, Page, PathStep, render};
use serde_json::Value;

use crate::ui;

/// Renders `page` into `path` and says so on stderr.
pub fn write(path: &Path, mut page: Page) -> anyhow::Result<()> {
    page.generated = Some(format!("made {}", utc_now()));
    std::fs::write(path, render(&page))
        .with_context(|| format!("cannot write the HTML report {}", path.display()))?;
    ui::note(&format!("wrote the HTML report {}", path.display()));
    Ok(())
}

/// The command line that made the report, as typed (arguments with spaces quoted).
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .enumerate()
        .map(|(i, a)| if i == 0 { "leakscope".to_owned() } else { a })
        .map(|a| if a.contains(char::is_whitespace) || a.is_empty() { format!("'{a}'") } else { a })
        .collect();
    args.join(" ")
}

/// `2026-12-04 13:24 UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    let rem = secs % 86_400;
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Days since 1970-01-01 to a Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// What a finding is called: `Session`, or `{host, path} (Object)`.
pub fn finding_name(v: &Value) -> String {
    let class = v["class"].as_str().unwrap_or("?");
    match v["name"].as_str() {
        Some(name) if name != class => format!("{name} ({class})"),
        _ => class.to_owned(),
    }
}

/// A leak finding (the `leaks --json` shape, with `example_text` where the finder added it)
/// as a card: what, how many, how much, held by what, the path, one of them.
pub fn finding(v: &Value) -> Finding {
    let count = v["count"].as_u64().unwrap_or(0);
    let mut facts = vec![
        Fact::new("objects", group_digits(count)),
        Fact::new("retained", ui::bytes(v["retained_size"].as_u64().unwrap_or(0))),
        Fact::new("shallow", ui::bytes(v["shallow_size"].as_u64().unwrap_or(0))),
    ];
    let counts: Vec<String> = v["counts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c.as_u64().map_or_else(|| "–".to_owned(), group_digits))
        .collect();
    if !counts.is_empty() {
        let labels: Vec<String> = (1..=counts.len()).map(|i| format!("S{i}")).collect();
        facts.push(Fact::new(format!("on its path, {}", labels.join(" → ")), counts.join(" → ")));
    }
    if let Some(s) = v["survival"].as_f64() {
        facts.push(Fact::new("of S1→S2's new objects, alive in S3", format!("{:.0} %", s * 100.0)));
    }
    if let Some(c) = v["confidence"].as_str() {
        facts.push(Fact::new("confidence", c));
    }
    let path: Vec<PathStep> = v["retainer_path"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, s)| {
            let class = s["class"].as_str().unwrap_or("?");
            // As paths read: the first object by its name (`global`), no edge into it.
            if i == 0 {
                return PathStep {
                    edge: String::new(),
                    class: root_name(class).to_owned(),
                    id: None,
                };
            }
            PathStep { edge: step_edge(s), class: class.to_owned(), id: s["id"].as_u64() }
        })
        .collect();
    let holder_id = v["holder_id"].as_u64();
    let holder_step = holder_id.and_then(|h| path.iter().rposition(|s| s.id == Some(h)));
    let holder = v["holder"].as_str().map(|h| {
        let class = v["holder_class"].as_str().unwrap_or("?");
        match holder_id {
            Some(id) => format!("{h} ({class} @{id})"),
            None => format!("{h} ({class})"),
        }
    });
    let mut notes = Vec::new();
    if v["chain"].as_bool() == Some(true) {
        notes.push("They form a chain: each one holds the next.".to_owned());
    }
    for also in v["also"].as_array().into_iter().flatten() {
        notes.push(format!(
            "In the same container: {} ×{} ({}).",
            finding_name(also),
            also["count"].as_u64().unwrap_or(0),
            ui::bytes(also["retained_size"].as_u64().unwrap_or(0))
        ));
    }
    if let Some(sample) = v["sample"].as_str() {
        notes.push(format!("e.g. {sample:?}"));
    }
    Finding {
        title: format!("{} ×{}", finding_name(v), group_digits(count)),
        facts,
        path,
        holder_step,
        holder,
        location: v["location"].as_str().map(str::to_owned),
        example: v["example_text"].as_str().map(str::to_owned),
        notes,
    }
}

/// A path step's edge as paths print it (`name`, `[3]`, `{hidden}`, `[[weak]]`).
fn step_edge(step: &Value) -> String {
    let label = match &step["edge"] {
        Value::Number(n) => {
            EdgeLabel::Index(n.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0))
        }
        Value::String(s) => EdgeLabel::Name(s.clone()),
        _ => EdgeLabel::Name("?".into()),
    };
    let edge_type =
        step["edge_type"].as_str().and_then(EdgeType::from_name).unwrap_or(EdgeType::Property);
    label_text(edge_type, &label)
}

/// The findings as bars of retained size.
pub fn findings_chart(findings: &[Value]) -> BarChart {
    #[allow(clippy::cast_precision_loss)] // bar lengths
    let bars = findings
        .iter()
        .take(15)
        .map(|f| Bar {
            label: finding_name(f),
            value: f["retained_size"].as_u64().unwrap_or(0) as f64,
        })
        .collect();
    BarChart { title: "What leaks, by retained size".into(), bytes: true, delta: false, bars }
}

/// The verdict's words for the first finding: `2,345 Session objects (1.2 MB) held by
/// recentlySeen (Map)`.
pub fn culprit(v: &Value) -> String {
    format!(
        "{} {} object{} ({}) held by {} ({})",
        group_digits(v["count"].as_u64().unwrap_or(0)),
        finding_name(v),
        if v["count"].as_u64() == Some(1) { "" } else { "s" },
        ui::bytes(v["retained_size"].as_u64().unwrap_or(0)),
        v["holder"].as_str().unwrap_or("?"),
        v["holder_class"].as_str().unwrap_or("?")
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_426), (2025, 12, 4));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn a_finding_card_names_its_holder_on_the_path() {
        let v = json!({
            "class": "Session", "name": null, "count": 2345, "shallow_size": 100, "retained_size": 2_000_000,
            "holder": "recentlySeen", "holder_class": "Map", "holder_id": 77, "chain": false,
            "retainer_path": [
                {"edge": "global", "edge_type": "internal", "class": "global", "id": 3},
                {"edge": "recentlySeen", "edge_type": "context", "class": "Map", "id": 77},
                {"edge": 12, "edge_type": "internal", "class": "(object elements)", "id": 79},
                {"edge": "value", "edge_type": "internal", "class": "Session", "id": 81}
            ],
            "location": "app.js:3:1", "counts": [0, 1000, 2345], "survival": 1.0,
            "confidence": "high", "also": [], "example_text": "Session @81 {}"
        });
        let f = finding(&v);
        assert_eq!(f.title, "Session ×2,345");
        assert_eq!(f.holder_step, Some(1));
        assert_eq!(f.holder.as_deref(), Some("recentlySeen (Map @77)"));
        assert_eq!((f.path[0].edge.as_str(), f.path[0].class.as_str()), ("", "global"));
        assert_eq!(f.path[2].edge, "[12]");
        assert_eq!(f.example.as_deref(), Some("Session @81 {}"));
        assert!(
            culprit(&v).starts_with("2,345 Session objects (2.00 MB) held by recentlySeen (Map)")
        );
    }
}
