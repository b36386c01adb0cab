//! The findings step of `run`/`watch`: the three-snapshot leak finder (`leakscope leaks`) on
//! the snapshots the session captured.

use std::path::PathBuf;

use leakscope_leaks::{Finding, LeakOptions};
use leakscope_live::report::Findings;

use crate::object_text::object_text;

/// Runs the leak finder on three snapshots of one isolate, oldest first.
pub fn findings(snapshots: &[PathBuf]) -> Findings {
    match crate::commands::leaks::find(snapshots, &LeakOptions::default(), true) {
        Ok((report, _)) => Findings {
            status: "ok".into(),
            message: report.message.clone(),
            leaks: report.leaks.iter().map(finding_json).collect(),
        },
        Err(e) => {
            Findings { status: "failed".into(), message: format!("{e:#}"), leaks: Vec::new() }
        }
    }
}

/// A finding as `leaks --json` writes it, plus `example_text`: its example object as
/// `leakscope show` prints it (what the HTML report shows).
pub fn finding_json(f: &Finding) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.insert("example_text".into(), object_text(&f.example).into());
    }
    v
}
