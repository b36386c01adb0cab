//! Turning a stream of post-GC values into "leak or not", continuously.
//!
//! Each new point re-runs [`leakscope_trend::assess`] over a sliding window. A leak is
//! *confirmed* only after several assessments in a row say so, which keeps the repeated
//! testing from firing on one lucky window; it is *cleared* the same way.

use leakscope_trend::{Assessment, TrendOptions, Verdict, assess, format_bytes, format_rate};
use serde::Serialize;

/// How the detector decides.
#[derive(Clone, Copy, Debug)]
pub struct DetectOptions {
    /// The statistic's thresholds.
    pub trend: TrendOptions,
    /// Only the last this many seconds count.
    pub window_s: f64,
    /// Points before this many seconds (from the first point) are start-up, not baseline.
    pub warmup_s: f64,
    /// Assessments in a row that must agree to confirm or clear a leak.
    pub confirmations: usize,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            trend: TrendOptions { min_samples: 8, min_span_s: 15.0, ..TrendOptions::default() },
            window_s: 600.0,
            warmup_s: 0.0,
            confirmations: 3,
        }
    }
}

/// A leak, as the `leak` line shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeakEvent {
    /// What grows: `heap (main)`, `heap (worker 1)`, `native`.
    pub what: String,
    /// Seconds since the session started, at the window's first point.
    pub start_s: f64,
    /// … and at its last point.
    pub end_s: f64,
    /// Fitted growth over the window, in bytes.
    pub growth: f64,
    /// Growth rate.
    pub growth_bytes_per_hour: f64,
    /// `1 - p`.
    pub confidence: f64,
    /// `heap grew 38 MB over 41 GCs in 60 s: 2.2 GB/hour, steady (p < 0.001)`.
    pub reason: String,
}

/// One series and its running verdict.
#[derive(Clone, Debug)]
pub struct Detector {
    what: String,
    opts: DetectOptions,
    points: Vec<(f64, f64)>,
    first_t: Option<f64>,
    streak: usize,
    confirmed: bool,
    last: Option<Assessment>,
}

/// What a new point changed.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A leak is now confirmed.
    Leak(LeakEvent),
    /// A confirmed leak is no longer seen (growth stopped); the series' name.
    Cleared(String),
}

impl Detector {
    /// A detector for the series called `what`.
    #[must_use]
    pub fn new(what: impl Into<String>, opts: DetectOptions) -> Self {
        Self {
            what: what.into(),
            opts,
            points: Vec::new(),
            first_t: None,
            streak: 0,
            confirmed: false,
            last: None,
        }
    }

    /// The series' name.
    #[must_use]
    pub fn what(&self) -> &str {
        &self.what
    }

    /// Whether a leak is confirmed now.
    #[must_use]
    pub fn confirmed(&self) -> bool {
        self.confirmed
    }

    /// The latest assessment.
    #[must_use]
    pub fn last(&self) -> Option<&Assessment> {
        self.last.as_ref()
    }

    /// Points in the window after warm-up.
    fn window(&self) -> &[(f64, f64)] {
        let (Some(first), Some(&(last, _))) = (self.first_t, self.points.last()) else {
            return &[];
        };
        let from = (first + self.opts.warmup_s).max(last - self.opts.window_s);
        let start = self.points.partition_point(|p| p.0 < from);
        self.points.get(start..).unwrap_or_default()
    }

    /// The times of the window's first and last points.
    #[must_use]
    pub fn window_span(&self) -> Option<(f64, f64)> {
        let w = self.window();
        Some((w.first()?.0, w.last()?.0))
    }

    /// Adds a point (`t` in seconds, in time order) and re-assesses.
    pub fn push(&mut self, t: f64, value: f64) -> Option<Change> {
        if self.points.last().is_some_and(|p| t < p.0) {
            return None;
        }
        self.first_t.get_or_insert(t);
        self.points.push((t, value));
        let a = self.assess();
        let is_leak = a.verdict == Verdict::Leak;
        let event = self.event(&a);
        self.last = Some(a);
        if is_leak == self.confirmed {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        if self.streak < self.opts.confirmations {
            return None;
        }
        self.streak = 0;
        self.confirmed = is_leak;
        Some(if is_leak { Change::Leak(event) } else { Change::Cleared(self.what.clone()) })
    }

    /// The assessment over the current window.
    #[must_use]
    pub fn assess(&self) -> Assessment {
        assess(self.window(), &self.opts.trend)
    }

    /// The leak line for an assessment.
    #[must_use]
    pub fn event(&self, a: &Assessment) -> LeakEvent {
        let window = self.window();
        let growth = a.baseline_end - a.baseline_start;
        let p = if a.p_value < 0.001 {
            "p < 0.001".to_owned()
        } else {
            format!("p = {:.3}", a.p_value)
        };
        LeakEvent {
            what: self.what.clone(),
            start_s: window.first().map_or(0.0, |p| p.0),
            end_s: window.last().map_or(0.0, |p| p.0),
            growth,
            growth_bytes_per_hour: a.slope_bytes_per_hour,
            confidence: a.confidence,
            reason: format!(
                "{} grew {} over {} GCs in {:.0} s: {}, steady ({p})",
                self.what,
                format_bytes(growth),
                a.samples,
                a.span_s,
                format_rate(a.slope_bytes_per_hour)
            ),
        }
    }

    /// Every point pushed.
    #[must_use]
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirms_then_clears() {
        let mut d = Detector::new("heap", DetectOptions::default());
        let mut events = Vec::new();
        // 1 MB/s for 40 s, then flat for 80 s.
        for i in 0..120 {
            let t = f64::from(i);
            let v = 10e6 + 1e6 * t.min(40.0) + if i % 2 == 0 { 5e3 } else { 0.0 };
            if let Some(c) = d.push(t, v) {
                events.push((i, c));
            }
        }
        assert!(
            matches!(events.first(), Some((_, Change::Leak(e))) if e.reason.starts_with("heap grew"))
        );
        let first = events.first().map_or(0, |e| e.0);
        assert!((16..=20).contains(&first), "confirmed at {first}");
        assert!(matches!(events.get(1), Some((_, Change::Cleared(_)))), "{events:?}");
        assert!(!d.confirmed());
    }

    #[test]
    fn warmup_points_do_not_count() {
        let opts = DetectOptions { warmup_s: 10.0, ..DetectOptions::default() };
        let mut d = Detector::new("heap", opts);
        for i in 0..40 {
            let t = f64::from(i);
            // Start-up growth for 10 s, then flat with a little noise.
            let v = if t < 10.0 { 1e6 * t } else { 10e6 + f64::from(i % 3) * 1e3 };
            assert_eq!(d.push(t, v), None);
        }
        assert_eq!(d.assess().verdict, Verdict::NoLeak);
    }
}
