//! Per-isolate GC statistics and the leak decision.

use std::collections::VecDeque;

use leakscope_trend::{Assessment, MemwatchStats, TrendOptions, Verdict, assess};
use napi::{Error, Result};
use napi_derive::napi;

/// Beyond this many baselines the oldest go: the trend statistics thin larger windows anyway.
const MAX_WINDOW_SAMPLES: usize = 1000;

/// The default window: long enough for a slow leak to show over GC noise, short enough that a
/// leak starting after hours of flat memory is not diluted by them.
const DEFAULT_WINDOW_S: f64 = 900.0;

/// In-process, the first half-minute is start-up and caches warming: a cache that fills for
/// 25 s and a leak look the same until the cache stops. (`leakscope run` waits for its own
/// warm-up before sampling, so the shared default is shorter.)
const DEFAULT_MIN_SPAN_S: f64 = 30.0;

/// The heap right after a full GC, as JavaScript read it.
#[napi(object)]
#[derive(Debug)]
pub struct FullGc {
    /// When the GC ended, in milliseconds since the epoch.
    pub time_ms: f64,
    /// `v8.getHeapStatistics().used_heap_size` after the GC.
    pub used_heap_size: f64,
    /// `heap_size_limit`.
    pub heap_size_limit: f64,
    /// Memory held outside the heap by JavaScript objects (`external_memory`).
    pub external: f64,
    /// The process's resident set.
    pub rss: f64,
    /// The GC's pause.
    pub gc_duration_ms: f64,
}

/// memwatch's `stats` event, with the heap figures it lacked.
#[napi(object)]
#[derive(Debug)]
pub struct Stats {
    #[napi(js_name = "num_full_gc")]
    pub num_full_gc: f64,
    #[napi(js_name = "num_inc_gc")]
    pub num_inc_gc: f64,
    #[napi(js_name = "heap_compactions")]
    pub heap_compactions: f64,
    #[napi(js_name = "usage_trend")]
    pub usage_trend: f64,
    #[napi(js_name = "estimated_base")]
    pub estimated_base: f64,
    #[napi(js_name = "current_base")]
    pub current_base: f64,
    pub min: f64,
    pub max: f64,
    #[napi(js_name = "used_heap_size")]
    pub used_heap_size: f64,
    #[napi(js_name = "heap_size_limit")]
    pub heap_size_limit: f64,
    pub external: f64,
    pub rss: f64,
    #[napi(js_name = "gc_duration_ms")]
    pub gc_duration_ms: f64,
}

/// A steady leak, with the evidence (JavaScript turns the times into `Date`s).
#[napi(object)]
#[derive(Debug)]
pub struct LeakReport {
    /// What grows: `heap` (the V8 heap) or `external` (Buffers and other memory held by
    /// JavaScript objects outside the heap).
    pub what: String,
    /// The first baseline of the window, ms since the epoch.
    pub start_ms: f64,
    /// The last baseline of the window.
    pub end_ms: f64,
    /// Fitted growth of the baseline over the window, in bytes.
    pub growth: f64,
    #[napi(js_name = "growth_bytes_per_hour")]
    pub growth_bytes_per_hour: f64,
    /// `1 - p` of the rank test for a rise.
    pub confidence: f64,
    /// One sentence for people.
    pub reason: String,
    /// Baselines in the window.
    pub samples: u32,
    #[napi(js_name = "baseline_start")]
    pub baseline_start: f64,
    #[napi(js_name = "baseline_end")]
    pub baseline_end: f64,
}

/// What a full GC produced: the `stats` event, and `leak` events when a window says so.
#[napi(object)]
#[derive(Debug)]
pub struct FullGcOutcome {
    pub stats: Stats,
    pub leaks: Vec<LeakReport>,
}

/// The current verdict over the window, for `leakscope.trend()`.
#[napi(object)]
#[derive(Debug)]
pub struct TrendReport {
    /// `heap` or `external`.
    pub what: String,
    /// `leak`, `no-leak` or `inconclusive`.
    pub verdict: String,
    pub samples: u32,
    #[napi(js_name = "span_s")]
    pub span_s: f64,
    #[napi(js_name = "growth_bytes_per_hour")]
    pub growth_bytes_per_hour: f64,
    pub confidence: f64,
    pub reason: String,
}

/// What counts as a leak; every field is optional (JavaScript names are camelCase).
#[napi(object)]
#[derive(Debug, Default)]
pub struct LeakOptions {
    /// Seconds of baselines the decision looks at (default 900).
    pub window_seconds: Option<f64>,
    /// Fewer baselines than this never decide (default 6).
    pub min_samples: Option<u32>,
    /// A shorter window than this never decides, in seconds (default 30).
    pub min_span_seconds: Option<f64>,
    /// Slower growth is not reported (default 1 MB/hour).
    pub min_bytes_per_hour: Option<f64>,
    /// Significance of the rank test (default 0.01).
    pub alpha: Option<f64>,
}

/// GC statistics of one isolate: JavaScript feeds it every GC it observes.
#[napi]
#[derive(Debug)]
pub struct GcMonitor {
    stats: MemwatchStats,
    /// Post-full-GC heap in use (the baseline).
    heap: Window,
    /// Post-full-GC memory held outside the heap by JavaScript objects (Buffers…): a leak of
    /// Buffers barely moves the heap.
    external: Window,
    trend: TrendOptions,
}

#[napi]
impl GcMonitor {
    /// A monitor with `options` (see [`LeakOptions`]).
    ///
    /// # Errors
    /// When an option is not a positive number (alpha: not in (0, 1)).
    #[napi(constructor)]
    pub fn new(options: Option<LeakOptions>) -> Result<Self> {
        let o = options.unwrap_or_default();
        let mut trend = TrendOptions::default();
        let window_s = positive("windowSeconds", o.window_seconds, DEFAULT_WINDOW_S)?;
        trend.min_span_s = positive("minSpanSeconds", o.min_span_seconds, DEFAULT_MIN_SPAN_S)?;
        trend.min_bytes_per_hour =
            positive("minBytesPerHour", o.min_bytes_per_hour, trend.min_bytes_per_hour)?;
        if let Some(n) = o.min_samples {
            if n < 3 {
                return Err(Error::from_reason(format!(
                    "minSamples must be at least 3 (a trend needs three points), got {n}"
                )));
            }
            trend.min_samples = n as usize;
        }
        if let Some(a) = o.alpha {
            if !(a > 0.0 && a < 1.0) {
                return Err(Error::from_reason(format!(
                    "alpha must be between 0 and 1 (a significance level such as 0.01), got {a}"
                )));
            }
            trend.alpha = a;
        }
        Ok(Self {
            stats: MemwatchStats::new(),
            heap: Window::new("heap", window_s),
            external: Window::new("external", window_s),
            trend,
        })
    }

    /// Counts `count` GCs that were not full (scavenges, incremental marking steps).
    #[napi]
    pub fn record_minor(&mut self, count: u32) {
        for _ in 0..count {
            self.stats.record_gc(false, 0);
        }
    }

    /// Records a full GC: updates the statistics and decides about a leak of the heap and of
    /// external memory. After a leak is reported its window starts again, so each `leak`
    /// event covers fresh evidence.
    #[napi]
    pub fn record_full(&mut self, gc: FullGc) -> FullGcOutcome {
        let used = bytes(gc.used_heap_size);
        self.stats.record_gc(true, used);
        let stats = Stats {
            num_full_gc: self.stats.num_full_gc as f64,
            num_inc_gc: self.stats.num_inc_gc as f64,
            heap_compactions: self.stats.heap_compactions as f64,
            usage_trend: self.stats.usage_trend,
            estimated_base: self.stats.estimated_base as f64,
            current_base: self.stats.current_base as f64,
            min: self.stats.min as f64,
            max: self.stats.max as f64,
            used_heap_size: used as f64,
            heap_size_limit: gc.heap_size_limit,
            external: gc.external,
            rss: gc.rss,
            gc_duration_ms: gc.gc_duration_ms,
        };
        let leaks = [
            self.heap.push(gc.time_ms, used as f64, &self.trend),
            self.external.push(gc.time_ms, bytes(gc.external) as f64, &self.trend),
        ]
        .into_iter()
        .flatten()
        .collect();
        FullGcOutcome { stats, leaks }
    }

    /// The verdict over the current window of `what` (`heap`, the default, or `external`),
    /// whether or not it is a leak.
    ///
    /// # Errors
    /// When `what` is neither.
    #[napi]
    pub fn trend(&self, what: Option<String>) -> Result<TrendReport> {
        let window = match what.as_deref() {
            None | Some("heap") => &self.heap,
            Some("external") => &self.external,
            Some(other) => {
                return Err(Error::from_reason(format!(
                    "trend() takes 'heap' or 'external', got {other:?}"
                )));
            }
        };
        let a = window.assess(&self.trend);
        Ok(TrendReport {
            what: window.what.to_owned(),
            verdict: a.verdict.as_str().to_owned(),
            samples: u32::try_from(a.samples).unwrap_or(u32::MAX),
            span_s: a.span_s,
            growth_bytes_per_hour: a.slope_bytes_per_hour,
            confidence: a.confidence,
            reason: a.reason,
        })
    }
}

/// Baselines of one series over a sliding window, and the leak decision over them.
#[derive(Debug)]
struct Window {
    what: &'static str,
    /// `(seconds, bytes)`, oldest first.
    samples: VecDeque<(f64, f64)>,
    span_s: f64,
}

impl Window {
    fn new(what: &'static str, span_s: f64) -> Self {
        Self { what, samples: VecDeque::new(), span_s }
    }

    /// Adds a baseline taken at `time_ms` (since the epoch); a report when it makes a leak.
    fn push(&mut self, time_ms: f64, value: f64, trend: &TrendOptions) -> Option<LeakReport> {
        let t = time_ms / 1000.0;
        self.samples.push_back((t, value));
        while self.samples.len() > MAX_WINDOW_SAMPLES
            || self.samples.front().is_some_and(|&(t0, _)| t - t0 > self.span_s)
        {
            self.samples.pop_front();
        }
        let a = self.assess(trend);
        if a.verdict != Verdict::Leak {
            return None;
        }
        let start_ms = self.samples.front().map_or(time_ms, |s| s.0 * 1000.0);
        // Keep the last baseline as the start of the next window.
        self.samples.drain(..self.samples.len().saturating_sub(1));
        Some(LeakReport {
            what: self.what.to_owned(),
            start_ms,
            end_ms: time_ms,
            growth: a.baseline_end - a.baseline_start,
            growth_bytes_per_hour: a.slope_bytes_per_hour,
            confidence: a.confidence,
            reason: a.reason,
            samples: u32::try_from(a.samples).unwrap_or(u32::MAX),
            baseline_start: a.baseline_start,
            baseline_end: a.baseline_end,
        })
    }

    fn assess(&self, trend: &TrendOptions) -> Assessment {
        let samples: Vec<(f64, f64)> = self.samples.iter().copied().collect();
        assess(&samples, trend)
    }
}

/// A byte count from JavaScript: negative or NaN (never from V8) reads as 0, not a wrap.
fn bytes(v: f64) -> u64 {
    // `as` saturates, and NaN becomes 0.
    v.max(0.0) as u64
}

fn positive(name: &str, value: Option<f64>, default: f64) -> Result<f64> {
    match value {
        None => Ok(default),
        Some(v) if v > 0.0 && v.is_finite() => Ok(v),
        Some(v) => Err(Error::from_reason(format!("{name} must be a positive number, got {v}"))),
    }
}
