//! node-memwatch's `stats` fields, kept right.

use serde::Serialize;

/// Post-GC statistics in node-memwatch's shape, updated after every GC.
///
/// memwatch kept these in `unsigned int`: `usage_trend` wrapped to +8870 % when the heap
/// shrank, sizes wrapped at 4 GiB, and its startup dampening was an integer division that
/// always gave 0. Here sizes are `u64`, the averages are floating point, and the dampening
/// does what memwatch's comment says.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MemwatchStats {
    /// Full (mark-sweep-compact) GCs seen.
    pub num_full_gc: u64,
    /// Other GCs (scavenges, incremental marking steps) seen.
    pub num_inc_gc: u64,
    /// Full GCs whose baseline was recorded (memwatch counts these separately).
    pub heap_compactions: u64,
    /// Percent difference between the recent and the long-term baseline average.
    pub usage_trend: f64,
    /// The recent baseline average (an average over about 10 full GCs), in bytes.
    pub estimated_base: u64,
    /// The heap in use after the last full GC, in bytes.
    pub current_base: u64,
    /// The smallest post-GC baseline seen.
    pub min: u64,
    /// The largest post-GC baseline seen.
    pub max: u64,
    #[serde(skip)]
    recent: f64,
    #[serde(skip)]
    ancient: f64,
}

const RECENT_PERIOD: f64 = 10.0;
const ANCIENT_PERIOD: f64 = 120.0;

impl MemwatchStats {
    /// Empty statistics.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a GC; `used_heap` is the heap in use just after it, read for full GCs.
    pub fn record_gc(&mut self, full: bool, used_heap: u64) {
        if !full {
            self.num_inc_gc += 1;
            return;
        }
        self.num_full_gc += 1;
        self.heap_compactions += 1;
        self.current_base = used_heap;
        #[allow(clippy::cast_precision_loss)] // heap sizes are far below 2^53
        let base = used_heap as f64;
        #[allow(clippy::cast_precision_loss)]
        let n = self.heap_compactions as f64;
        if n == 1.0 {
            self.recent = base;
            self.ancient = base;
        } else if n < RECENT_PERIOD {
            // Early on, weigh history less (memwatch's intent: its integer division made it 0).
            let decay = (n / RECENT_PERIOD).powf(2.5) * n;
            self.recent = (self.recent * decay + base) / (decay + 1.0);
            let decay = (n / RECENT_PERIOD).powf(2.4) * n;
            self.ancient = (self.ancient * decay + base) / (decay + 1.0);
        } else {
            self.recent = (self.recent * (RECENT_PERIOD - 1.0) + base) / RECENT_PERIOD;
            let d = n.min(ANCIENT_PERIOD);
            self.ancient = (self.ancient * (d - 1.0) + base) / d;
        }
        self.min = if self.heap_compactions == 1 { used_heap } else { self.min.min(used_heap) };
        self.max = self.max.max(used_heap);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        // a rounded average of u64s
        {
            self.estimated_base = self.recent.round() as u64;
        }
        self.usage_trend = if self.ancient > 0.0 {
            ((self.recent - self.ancient) / self.ancient * 1000.0).round() / 10.0
        } else {
            0.0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_heap_gives_negative_trend_not_wraparound() {
        let mut s = MemwatchStats::new();
        for i in 0..30 {
            s.record_gc(true, 100_000_000 + i * 1_000_000);
        }
        assert!(s.usage_trend > 0.0);
        for _ in 0..5 {
            s.record_gc(true, 40_000_000);
        }
        assert!(s.usage_trend < 0.0, "{}", s.usage_trend);
        assert_eq!(s.min, 40_000_000);
        assert_eq!(s.max, 129_000_000);
        assert_eq!(s.current_base, 40_000_000);
        s.record_gc(false, 0);
        assert_eq!((s.num_full_gc, s.num_inc_gc, s.heap_compactions), (35, 1, 35));
    }

    #[test]
    fn sizes_past_4_gib() {
        let mut s = MemwatchStats::new();
        s.record_gc(true, 5 << 30);
        s.record_gc(true, 6 << 30);
        assert_eq!(s.max, 6 << 30);
        assert!(s.estimated_base > 5 << 30);
    }
}
