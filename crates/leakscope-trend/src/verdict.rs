//! Leak, cache filling up, or flat: the verdict over a series of baselines.

use serde::Serialize;

use crate::stats::{mann_kendall, theil_sen};

/// What counts as a leak.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrendOptions {
    /// Significance for "it rises" over the whole window (one-sided Mann–Kendall).
    pub alpha: f64,
    /// Significance for "it still rises" over the recent half, which has half the points.
    pub recent_alpha: f64,
    /// Fewer samples than this: inconclusive.
    pub min_samples: usize,
    /// A shorter span than this, in seconds: inconclusive.
    pub min_span_s: f64,
    /// Slower growth than this is not worth reporting, however steady.
    pub min_bytes_per_hour: f64,
    /// Growth over the window below this fraction of the starting baseline is noise.
    pub min_relative_growth: f64,
    /// The recent half must grow at least this fraction of the whole window's rate; slower
    /// means the growth is levelling off (a cache filling up).
    pub plateau_ratio: f64,
}

impl Default for TrendOptions {
    fn default() -> Self {
        Self {
            alpha: 0.01,
            recent_alpha: 0.05,
            min_samples: 6,
            min_span_s: 10.0,
            min_bytes_per_hour: 1e6,
            min_relative_growth: 0.02,
            plateau_ratio: 0.3,
        }
    }
}

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A steady rise of the baseline.
    Leak,
    /// Flat, falling, or a rise that levelled off.
    NoLeak,
    /// Too few samples, too short, or rising without enough evidence yet.
    Inconclusive,
}

impl Verdict {
    /// `leak`, `no-leak` or `inconclusive`, as in the JSON contract.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Leak => "leak",
            Self::NoLeak => "no-leak",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// What the series looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// Rising, and still rising in the recent half.
    Growing,
    /// Rose, then stopped: a cache or pool filling up.
    LevellingOff,
    /// No trend.
    Flat,
    /// Falling.
    Shrinking,
    /// Not enough data to say.
    TooFewSamples,
}

/// The verdict with the evidence behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessment {
    /// Leak or not.
    pub verdict: Verdict,
    /// The shape of the series.
    pub shape: Shape,
    /// Samples in the window.
    pub samples: usize,
    /// Seconds from the first to the last sample.
    pub span_s: f64,
    /// The fitted baseline at the first sample, in bytes.
    pub baseline_start: f64,
    /// The fitted baseline at the last sample, in bytes.
    pub baseline_end: f64,
    /// Theil–Sen slope over the window.
    pub slope_bytes_per_hour: f64,
    /// Theil–Sen slope over the recent half.
    pub recent_slope_bytes_per_hour: f64,
    /// One-sided p-value for "it rises" over the window.
    pub p_value: f64,
    /// One-sided p-value for "it rises" over the recent half.
    pub recent_p_value: f64,
    /// `1 - p_value` for a rise; 0 when there is no rise.
    pub confidence: f64,
    /// One sentence for people.
    pub reason: String,
}

/// Decides from `(seconds, bytes)` samples in time order, usually post-GC baselines.
#[must_use]
pub fn assess(samples: &[(f64, f64)], opts: &TrendOptions) -> Assessment {
    let n = samples.len();
    let span_s = match (samples.first(), samples.last()) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => 0.0,
    };
    let mut a = Assessment {
        verdict: Verdict::Inconclusive,
        shape: Shape::TooFewSamples,
        samples: n,
        span_s,
        baseline_start: samples.first().map_or(0.0, |s| s.1),
        baseline_end: samples.last().map_or(0.0, |s| s.1),
        slope_bytes_per_hour: 0.0,
        recent_slope_bytes_per_hour: 0.0,
        p_value: 1.0,
        recent_p_value: 1.0,
        confidence: 0.0,
        reason: String::new(),
    };
    if n < opts.min_samples || span_s < opts.min_span_s {
        a.reason = format!(
            "too early to tell: {n} samples over {span_s:.0} s (need {} over {:.0} s)",
            opts.min_samples, opts.min_span_s
        );
        return a;
    }

    let Some((slope, intercept)) = theil_sen(samples) else {
        a.reason = "too early to tell: all samples at one time".into();
        return a;
    };
    let values: Vec<f64> = samples.iter().map(|s| s.1).collect();
    let mk = mann_kendall(&values);
    let t0 = samples[0].0;
    let t1 = samples[n - 1].0;
    a.baseline_start = slope * t0 + intercept;
    a.baseline_end = slope * t1 + intercept;
    a.slope_bytes_per_hour = slope * 3600.0;
    a.p_value = mk.p_increasing;

    let mid = f64::midpoint(t0, t1);
    let recent: Vec<(f64, f64)> = samples.iter().copied().filter(|s| s.0 >= mid).collect();
    let recent_values: Vec<f64> = recent.iter().map(|s| s.1).collect();
    let recent_mk = mann_kendall(&recent_values);
    a.recent_slope_bytes_per_hour = theil_sen(&recent).map_or(0.0, |(s, _)| s * 3600.0);
    a.recent_p_value = recent_mk.p_increasing;

    let growth = a.baseline_end - a.baseline_start;
    let relative = if a.baseline_start > 0.0 { growth / a.baseline_start } else { f64::INFINITY };
    let rising = mk.p_increasing < opts.alpha
        && a.slope_bytes_per_hour >= opts.min_bytes_per_hour
        && relative >= opts.min_relative_growth;
    let summary = format!(
        "grew {} over {n} samples in {}: {}",
        format_bytes(growth),
        format_duration(span_s),
        format_rate(a.slope_bytes_per_hour)
    );
    if rising {
        a.confidence = 1.0 - mk.p_increasing;
        let still_rising =
            a.recent_slope_bytes_per_hour >= opts.plateau_ratio * a.slope_bytes_per_hour;
        if still_rising && recent_mk.p_increasing < opts.recent_alpha {
            a.verdict = Verdict::Leak;
            a.shape = Shape::Growing;
            a.reason = format!("{summary}, steady ({})", format_p(mk.p_increasing));
        } else if !still_rising {
            a.verdict = Verdict::NoLeak;
            a.shape = Shape::LevellingOff;
            a.reason = format!(
                "{summary}, then levelled off (recent {}): a cache or pool filling up, not a leak",
                format_rate(a.recent_slope_bytes_per_hour)
            );
        } else {
            a.shape = Shape::Growing;
            a.reason = format!(
                "{summary} ({}), but the recent half is not yet significant ({})",
                format_p(mk.p_increasing),
                format_p(recent_mk.p_increasing)
            );
        }
    } else if mk.p_decreasing < opts.alpha && growth < 0.0 {
        a.verdict = Verdict::NoLeak;
        a.shape = Shape::Shrinking;
        a.reason = format!(
            "shrank {} over {n} samples in {}",
            format_bytes(-growth),
            format_duration(span_s)
        );
    } else if mk.p_increasing < opts.alpha && growth > 0.0 {
        // A real but small rise: say so, rather than calling it flat.
        a.verdict = Verdict::NoLeak;
        a.shape = Shape::Flat;
        a.reason = format!(
            "{summary} ({}), below the reporting threshold ({} and {:.0} % of the baseline)",
            format_p(mk.p_increasing),
            format_rate(opts.min_bytes_per_hour),
            opts.min_relative_growth * 100.0
        );
    } else {
        a.verdict = Verdict::NoLeak;
        a.shape = Shape::Flat;
        a.reason = format!(
            "flat: {} over {n} samples in {} ({}, {})",
            format_bytes(growth),
            format_duration(span_s),
            format_rate(a.slope_bytes_per_hour),
            format_p(mk.p_increasing)
        );
    }
    a
}

fn format_p(p: f64) -> String {
    if p < 0.001 { "p < 0.001".to_owned() } else { format!("p = {p:.3}") }
}

fn format_duration(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// Bytes for people, signed, in decimal units as DevTools shows them: `38.2 MB`, `-1.50 kB`.
#[must_use]
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let sign = if bytes < 0.0 { "-" } else { "" };
    let mut v = bytes.abs();
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{sign}{v:.0} B")
    } else if v < 10.0 {
        format!("{sign}{v:.2} {}", UNITS[unit])
    } else if v < 100.0 {
        format!("{sign}{v:.1} {}", UNITS[unit])
    } else {
        format!("{sign}{v:.0} {}", UNITS[unit])
    }
}

/// A growth rate for people: `2.20 GB/hour`.
#[must_use]
pub fn format_rate(bytes_per_hour: f64) -> String {
    format!("{}/hour", format_bytes(bytes_per_hour))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic noise source (no RNG crates needed for a test).
    fn noise(i: u32, amplitude: f64) -> f64 {
        let x = (i.wrapping_mul(2_654_435_761) >> 8) as f64 / f64::from(1u32 << 24);
        (x - 0.5) * 2.0 * amplitude
    }

    fn series(n: u32, step_s: f64, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| (f64::from(i) * step_s, f(f64::from(i) * step_s) + noise(i, 200e3)))
            .collect()
    }

    #[test]
    fn steady_leak() {
        let s = series(30, 2.0, |t| 40e6 + 1e6 * t);
        let a = assess(&s, &TrendOptions::default());
        assert_eq!((a.verdict, a.shape), (Verdict::Leak, Shape::Growing), "{}", a.reason);
        assert!((a.slope_bytes_per_hour / 3.6e9 - 1.0).abs() < 0.02);
        assert!(a.confidence > 0.999);
        assert!(a.reason.contains("steady"), "{}", a.reason);
    }

    #[test]
    fn slow_leak_10kb_per_s() {
        let s = (0..24)
            .map(|i| (f64::from(i) * 5.0, 30e6 + 10e3 * f64::from(i) * 5.0 + noise(i, 5e3)))
            .collect::<Vec<_>>();
        let a = assess(&s, &TrendOptions::default());
        assert_eq!(a.verdict, Verdict::Leak, "{}", a.reason);
    }

    #[test]
    fn cache_that_levels_off() {
        let s = series(40, 2.0, |t| 40e6 + 30e6 * (1.0 - (-t / 10.0).exp()));
        let a = assess(&s, &TrendOptions::default());
        assert_eq!((a.verdict, a.shape), (Verdict::NoLeak, Shape::LevellingOff), "{}", a.reason);
    }

    #[test]
    fn flat_and_sawtooth_baselines() {
        let flat = series(40, 2.0, |_| 40e6);
        assert_eq!(assess(&flat, &TrendOptions::default()).shape, Shape::Flat);
        // Baselines sampled at various points of a sawtooth: large swings, no trend.
        let saw = series(40, 2.0, |t| 40e6 + 20e6 * ((t * 0.7) % 3.0 / 3.0));
        let a = assess(&saw, &TrendOptions::default());
        assert_eq!(a.verdict, Verdict::NoLeak, "{}", a.reason);
    }

    #[test]
    fn small_steady_rise_is_named_but_not_a_leak() {
        // 300 kB over a minute on a 50 MB baseline: significant, but under 2 %.
        let s: Vec<(f64, f64)> =
            (0..13).map(|i| (f64::from(i) * 5.0, 50e6 + 25e3 * f64::from(i))).collect();
        let a = assess(&s, &TrendOptions::default());
        assert_eq!((a.verdict, a.shape), (Verdict::NoLeak, Shape::Flat));
        assert!(a.reason.contains("below the reporting threshold"), "{}", a.reason);
    }

    #[test]
    fn shrinking_and_too_few() {
        let down = series(30, 2.0, |t| 80e6 - 1e6 * t);
        assert_eq!(assess(&down, &TrendOptions::default()).shape, Shape::Shrinking);
        let few = series(4, 2.0, |t| 40e6 + 1e6 * t);
        let a = assess(&few, &TrendOptions::default());
        assert_eq!(a.verdict, Verdict::Inconclusive);
        assert!(a.reason.contains("too early"));
    }

    #[test]
    fn formats() {
        assert_eq!(format_bytes(999.0), "999 B");
        assert_eq!(format_bytes(38.2e6), "38.2 MB");
        assert_eq!(format_bytes(-1500.0), "-1.50 kB");
        assert_eq!(format_rate(2.2e9), "2.20 GB/hour");
    }
}
