//! Running the binary.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// The `leakscope` binary under test.
pub fn leakscope() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leakscope"))
}

/// Runs `leakscope ARGS` (at most two minutes) and returns its output.
pub fn run(args: &[&str]) -> Output {
    leakscope_testkit::run_with_timeout(leakscope().args(args), Duration::from_secs(120))
}

/// Runs `leakscope ARGS --json`, asserts success, and parses stdout.
pub fn run_json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = run(&all);
    assert!(
        out.status.success(),
        "leakscope {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("bad JSON from {args:?}: {e}"))
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A path as a `&str` argument.
pub fn arg(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// The edge names of a `retainer_path` (indexes as text).
pub fn edges(path: &serde_json::Value) -> Vec<String> {
    path.as_array()
        .unwrap()
        .iter()
        .map(|s| match &s["edge"] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}
