//! `checkLeak()`'s analysis: the three-snapshot leak finder of `leakscope leaks` on three
//! snapshots of this isolate, run on the libuv thread pool.

use leakscope_graph::{Analysis, HeapGraph, NodeType, Progress};
use leakscope_leaks::{Baseline, DEFAULT_MIN_SIZE, Finding, LeakOptions, Target, find_leaks};
use leakscope_trend::format_bytes;
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Error, Result, Task};
use napi_derive::napi;

use crate::snapshot::{Parse, SnapshotParser, chain, join};

/// What to report (JavaScript names are camelCase).
#[napi(object)]
#[derive(Debug, Default)]
pub struct FindOptions {
    /// Groups retaining fewer bytes are not reported (default: `leakscope leaks`' 10 kB).
    pub min_size: Option<f64>,
}

/// Finds what was allocated between S1 and S2 and is still alive, and growing, in S3; the
/// promise resolves with JSON: `{report, heap_sizes: [S1, S2, S3], culprits: [one line per
/// leak]}`, `report` being what `leakscope leaks --json` prints and `heap_sizes` what
/// [`heap_size`] counts.
///
/// # Errors
/// When a parser was finished already, or `minSize` is not a size; the promise rejects when a
/// snapshot cannot be read or the three are not of one isolate, oldest first.
#[napi(ts_return_type = "Promise<string>")]
pub fn find_leaks_async(
    s1: &mut SnapshotParser,
    s2: &mut SnapshotParser,
    s3: &mut SnapshotParser,
    options: Option<FindOptions>,
) -> Result<AsyncTask<FindLeaks>> {
    let min_size = match options.and_then(|o| o.min_size) {
        None => DEFAULT_MIN_SIZE,
        Some(v) if v >= 0.0 && v.is_finite() => v as u64,
        Some(v) => {
            return Err(Error::from_reason(format!(
                "minSize must be a number of bytes (0 or more), got {v}"
            )));
        }
    };
    Ok(AsyncTask::new(FindLeaks {
        parses: Some([s1.close()?, s2.close()?, s3.close()?]),
        options: LeakOptions { min_size },
    }))
}

/// The three parses, owned here so that each graph is freed as soon as the finder has what
/// it needs of it.
#[derive(Debug)]
pub struct FindLeaks {
    parses: Option<[Parse; 3]>,
    options: LeakOptions,
}

impl Task for FindLeaks {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let Some([s1, s2, s3]) = self.parses.take() else {
            return Err(Error::from_reason("these snapshots were compared already"));
        };
        // As `leakscope leaks` does: S1 and S2 are reduced on one thread while S3 is analysed
        // on this one, and only S3's graph is kept whole.
        let (report, sizes) = std::thread::scope(|s| -> Result<_> {
            let earlier = s.spawn(|| -> Result<_> {
                let first = join(s1)?.graph;
                let baseline = Baseline::new(&first);
                let first_size = heap_size(&first);
                drop(first);
                let second = join(s2)?.graph;
                let target = Target::new(&second, &baseline, Progress::none())
                    .map_err(|e| Error::from_reason(chain(&e)))?;
                Ok((baseline, target, first_size, heap_size(&second)))
            });
            let last = join(s3)?.graph;
            let a = Analysis::new(&last, Progress::none());
            let (baseline, target, first_size, second_size) = earlier
                .join()
                .map_err(|_| Error::from_reason("the leak finder crashed (a leakscope bug)"))??;
            let report = find_leaks(&last, &a, &baseline, &target, &self.options, Progress::none())
                .map_err(|e| Error::from_reason(chain(&e)))?;
            Ok((report, [first_size, second_size, heap_size(&last)]))
        })?;
        let culprits: Vec<String> = report.leaks.iter().map(culprit).collect();
        let out =
            serde_json::json!({ "report": report, "heap_sizes": sizes, "culprits": culprits });
        serde_json::to_string(&out)
            .map_err(|e| Error::from_reason(format!("cannot serialise the leak report: {e}")))
    }

    fn resolve(&mut self, _env: Env, json: String) -> Result<String> {
        Ok(json)
    }
}

/// Every live object's own size but compiled code's: the JIT adds code as the tested function
/// warms up (tens of kB when it optimises one), which would read as hundreds of bytes a run.
fn heap_size(g: &HeapGraph) -> u64 {
    g.nodes().filter(|&n| g.node_type(n) != NodeType::CODE).map(|n| g.self_size(n)).sum()
}

/// A finding in one line, the words of `leakscope leaks`' reports: `200 Session objects
/// (48.0 kB) held by cache (Map): global → cache → table → [12] → Session @1234 (at
/// app.js:3:1)`.
fn culprit(f: &Finding) -> String {
    let what = match &f.name {
        Some(name) => format!("{name} ({})", f.class),
        None => f.class.clone(),
    };
    #[allow(clippy::cast_precision_loss)] // display only
    let retained = format_bytes(f.retained_size as f64);
    let mut line = format!(
        "{} {what} object{} ({retained}) held by {} ({}): {}",
        f.count,
        if f.count == 1 { "" } else { "s" },
        f.holder,
        f.holder_class,
        f.path
    );
    if let Some(location) = &f.location {
        line.push_str(&format!(" (at {location})"));
    }
    line
}
