//! What `run` and `watch` report: the JSON contract of DESIGN.md, plus the evidence.

use std::path::PathBuf;

use leakscope_procfs::{ByKind, KindTrend};
use leakscope_trend::{Assessment, MemwatchStats, Shape, Verdict};
use serde::Serialize;

use crate::detect::{Detector, LeakEvent};
use crate::launch::ExitInfo;

/// One GC, with the memory reading taken right after it (GCs reported together share one).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GcSample {
    /// Seconds since the session started.
    pub t_s: f64,
    /// `main` or `worker N`.
    pub isolate: String,
    /// `minor`, `major`, `incremental` or `weak-callbacks`.
    pub kind: &'static str,
    /// Whether it was forced (by leakscope, `gc()`, or a low-memory notification).
    pub forced: bool,
    /// Its pause, in milliseconds.
    pub duration_ms: f64,
    /// JS heap in use, bytes.
    pub heap_used: u64,
    /// JS heap committed.
    pub heap_total: u64,
    /// Memory of C++ objects bound to JS objects (Buffers among them).
    pub external: u64,
    /// The part of `external` in ArrayBuffers.
    pub array_buffers: u64,
    /// Resident set size of the whole process.
    pub rss: u64,
    /// After a major GC: the old generation in use, the clean baseline the verdict uses.
    pub baseline: Option<u64>,
}

/// The verdict on one series (a heap, the RSS, native memory).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeriesReport {
    /// `leak`, `no-leak`, `inconclusive`.
    pub verdict: Verdict,
    /// Growing, levelling off, flat, shrinking.
    pub shape: Shape,
    /// Fitted value at the start of the window.
    pub baseline_start: f64,
    /// Fitted value at its end.
    pub baseline_end: f64,
    /// Theil–Sen slope.
    pub growth_bytes_per_hour: f64,
    /// `1 - p` for a rise.
    pub confidence: f64,
    /// Mann–Kendall's one-sided p-value for a rise.
    pub p_value: f64,
    /// Points in the window.
    pub samples: usize,
    /// One sentence.
    pub reason: String,
    /// Seconds since the start at the window's first point (where `baseline_start` is).
    pub start_s: f64,
    /// … and at its last point (where `baseline_end` is).
    pub end_s: f64,
}

impl SeriesReport {
    /// The assessment `a` of the series `d` decides on.
    #[must_use]
    pub fn over(a: &Assessment, d: &Detector) -> Self {
        let (start_s, end_s) = d.window_span().unwrap_or((0.0, 0.0));
        Self { start_s, end_s, ..Self::from(a) }
    }
}

impl From<&Assessment> for SeriesReport {
    fn from(a: &Assessment) -> Self {
        Self {
            verdict: a.verdict,
            shape: a.shape,
            baseline_start: a.baseline_start,
            baseline_end: a.baseline_end,
            growth_bytes_per_hour: a.slope_bytes_per_hour,
            confidence: a.confidence,
            p_value: a.p_value,
            samples: a.samples,
            reason: a.reason.clone(),
            start_s: 0.0,
            end_s: 0.0,
        }
    }
}

/// One isolate (the main thread or a worker).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IsolateReport {
    /// `main` or `worker N` (N is the worker's threadId).
    pub isolate: String,
    /// The verdict on its heap.
    pub verdict: Verdict,
    /// GCs seen.
    pub gc_count: u64,
    /// Its post-GC heap baseline.
    pub heap: SeriesReport,
    /// Its external memory after GCs.
    pub external: SeriesReport,
    /// node-memwatch's `stats`.
    pub stats: MemwatchStats,
    /// Whether it ended during the session.
    pub ended: bool,
}

/// Why the session stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// `--duration` elapsed.
    Duration,
    /// Ctrl-C.
    Interrupted,
    /// The program exited.
    Exited,
    /// A leak was confirmed and its snapshots captured (`--stop-on-leak`).
    Leak,
    /// The inspector connection broke while the program kept running.
    Disconnected,
}

/// What the three-snapshot leak finder said about the captured snapshots.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Findings {
    /// `ok`, `not-available` or `failed`.
    pub status: String,
    /// Why not, or a summary.
    pub message: String,
    /// The `leaks --json` array.
    pub leaks: Vec<serde_json::Value>,
}

/// The report of a `run` or `watch` session.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Leak or not, over every isolate and native memory.
    pub verdict: Verdict,
    /// Seconds watched.
    pub duration_s: f64,
    /// GCs seen in every isolate.
    pub gc_count: u64,
    /// The main thread's post-GC heap baseline.
    pub heap: SeriesReport,
    /// The process's RSS after the main thread's GCs.
    pub rss: SeriesReport,
    /// The slope of `native`.
    pub native_growth_bytes_per_hour: f64,
    /// Native memory: RSS minus every isolate's committed JS heap (so Buffers count here).
    pub native: SeriesReport,
    /// What grows, the fastest first: `js-heap (main)`, `js-heap (worker 1)`, `native`.
    pub grows: Vec<String>,
    /// The process.
    pub pid: u32,
    /// Why the session stopped.
    pub stop_reason: StopReason,
    /// How the program ended, when it did (and `run` knows).
    pub exit: Option<ExitInfo>,
    /// Every isolate, main first.
    pub isolates: Vec<IsolateReport>,
    /// Leaks confirmed while running.
    pub leak_events: Vec<LeakEvent>,
    /// Snapshots captured, in order.
    pub snapshots: Vec<PathBuf>,
    /// When each was taken, in seconds since the start.
    pub snapshot_times_s: Vec<f64>,
    /// The leak finder on them.
    pub findings: Findings,
    /// Every major GC, and the minor ones (the last 10 000 per isolate).
    pub samples: Vec<GcSample>,
    /// RSS read from /proc once a second: `[t_s, bytes]`.
    pub rss_samples: Vec<(f64, u64)>,
    /// Each kind of mapping's trend (v8-heap, malloc, stack, code, file, anon), over the
    /// decision window before the first snapshot.
    pub mappings: Vec<KindTrend>,
    /// Resident bytes by kind of mapping every 2 s: `[t_s, {KIND: bytes}]`.
    pub mapping_samples: Vec<(f64, ByKind)>,
    /// The leak finder's clusters (same as `findings.leaks`, as DESIGN.md names them).
    pub leaks: Vec<serde_json::Value>,
    /// Problems that did not stop the session.
    pub warnings: Vec<String>,
}
