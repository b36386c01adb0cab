//! Which kinds of mapping grow: the leak statistic of `leakscope-trend` on each kind's
//! resident bytes over time (what `maps` reports, and what `run`/`watch` add to their split of
//! native memory).

use leakscope_trend::{TrendOptions, Verdict, assess};
use serde::Serialize;

use crate::classify::Kind;
use crate::sampler::ByKind;

/// The growth of one kind of mapping over the samples.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindTrend {
    /// The kind.
    pub kind: Kind,
    /// Resident bytes at the first sample.
    pub start: u64,
    /// … and at the last.
    pub end: u64,
    /// Theil–Sen slope.
    pub growth_bytes_per_hour: f64,
    /// Leak (a steady rise), no-leak or inconclusive.
    pub verdict: Verdict,
    /// `1 - p` for a rise.
    pub confidence: f64,
    /// One sentence.
    pub reason: String,
}

/// Each kind's trend over `(seconds, bytes by kind)` samples in time order, in [`Kind::ALL`]
/// order.
#[must_use]
pub fn trends_by_kind(samples: &[(f64, ByKind)], options: &TrendOptions) -> Vec<KindTrend> {
    Kind::ALL
        .into_iter()
        .map(|kind| {
            #[allow(clippy::cast_precision_loss)] // byte counts far below 2^53
            let series: Vec<(f64, f64)> =
                samples.iter().map(|(t, b)| (*t, b[kind] as f64)).collect();
            let a = assess(&series, options);
            KindTrend {
                kind,
                start: samples.first().map_or(0, |s| s.1[kind]),
                end: samples.last().map_or(0, |s| s.1[kind]),
                growth_bytes_per_hour: a.slope_bytes_per_hour,
                verdict: a.verdict,
                confidence: a.confidence,
                reason: a.reason,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_kind_that_grows() {
        let samples: Vec<(f64, ByKind)> = (0..30)
            .map(|i| {
                let mut b = ByKind::default();
                b[Kind::Malloc] = 10_000_000 + 1_000_000 * i;
                b[Kind::Code] = 20_000_000 + (i % 3) * 1000;
                (f64::from(u32::try_from(i).unwrap()), b)
            })
            .collect();
        let t = trends_by_kind(&samples, &TrendOptions::default());
        let verdict = |k: Kind| t.iter().find(|x| x.kind == k).unwrap().verdict;
        assert_eq!(verdict(Kind::Malloc), Verdict::Leak);
        assert_eq!(verdict(Kind::Code), Verdict::NoLeak);
        assert_eq!(t[Kind::Malloc.index()].end, 39_000_000);
    }
}
