//! The findings step of `run`/`watch`: the three-snapshot leak finder (`leakscope leaks`) on
//! the snapshots the session captured.

use std::path::PathBuf;

use leakscope_leaks::LeakOptions;
use leakscope_live::report::Findings;

/// Runs the leak finder on three snapshots of one isolate, oldest first.
pub fn findings(snapshots: &[PathBuf]) -> Findings {
    match crate::commands::leaks::find(snapshots, &LeakOptions::default(), true) {
        Ok((report, _)) => Findings {
            status: "ok".into(),
            message: report.message.clone(),
            leaks: report.leaks.iter().filter_map(|f| serde_json::to_value(f).ok()).collect(),
        },
        Err(e) => {
            Findings { status: "failed".into(), message: format!("{e:#}"), leaks: Vec::new() }
        }
    }
}
