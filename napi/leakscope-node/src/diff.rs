//! memwatch's `HeapDiff`: two snapshots of this isolate compared in Rust, each added class
//! with what it retains and the path of its largest object.

use leakscope_graph::{Analysis, Progress, RetainerPaths};
use leakscope_leaks::memwatch_diff_explained;
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Error, Result, Task};
use napi_derive::napi;

use crate::snapshot::{Parse, SnapshotParser, join};

/// `HeapDiff.end()`'s result as JSON (memwatch's shape, plus `retained_size` and
/// `retainer_path` per detail), from two parsers that were fed the snapshots, waiting for the
/// parses on this thread.
///
/// # Errors
/// When a parser was finished already, or its input is not a heap snapshot.
#[napi]
pub fn memwatch_diff(before: &mut SnapshotParser, after: &mut SnapshotParser) -> Result<String> {
    let mut task = MemwatchDiff { before: Some(before.close()?), after: Some(after.close()?) };
    task.compute()
}

/// [`memwatch_diff`] on the libuv thread pool: the event loop only waits for the promise.
///
/// # Errors
/// When a parser was finished already; the promise rejects when a snapshot cannot be read.
#[napi(ts_return_type = "Promise<string>")]
pub fn memwatch_diff_async(
    before: &mut SnapshotParser,
    after: &mut SnapshotParser,
) -> Result<AsyncTask<MemwatchDiff>> {
    Ok(AsyncTask::new(MemwatchDiff { before: Some(before.close()?), after: Some(after.close()?) }))
}

/// The two parses of a `HeapDiff`, owned here so that both graphs are freed as soon as the
/// diff is made rather than when JavaScript collects a handle.
#[derive(Debug)]
pub struct MemwatchDiff {
    before: Option<Parse>,
    after: Option<Parse>,
}

impl Task for MemwatchDiff {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let (Some(before), Some(after)) = (self.before.take(), self.after.take()) else {
            return Err(Error::from_reason("this HeapDiff was computed already"));
        };
        let before = join(before)?;
        let after = join(after)?;
        let g = &after.graph;
        let a = Analysis::new(g, Progress::none());
        let paths = RetainerPaths::compute(g, Progress::none());
        let diff = memwatch_diff_explained(&before.graph, g, &a, &paths);
        serde_json::to_string(&diff)
            .map_err(|e| Error::from_reason(format!("cannot serialise the heap diff: {e}")))
    }

    fn resolve(&mut self, _env: Env, json: String) -> Result<String> {
        Ok(json)
    }
}
