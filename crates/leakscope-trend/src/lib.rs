//! Is memory leaking? The statistics behind every leakscope verdict.
//!
//! A leak is a steady rise of the heap's *baseline*, the memory still in use right after a full
//! GC. A cache that fills and levels off also rises, then stops; a sawtooth of temporary garbage
//! rises and falls between GCs but its baseline stays flat. [`assess`] tells these apart over a
//! series of `(time, bytes)` samples:
//!
//! - the slope is Theil–Sen's (the median of all pairwise slopes), so a few outliers (a GC that
//!   ran late, a burst of requests) do not bend it;
//! - the trend is tested with Mann–Kendall's rank test, which assumes no distribution and gives a
//!   p-value for "the series rises";
//! - the recent half of the window is tested on its own: growth that stopped is a cache filling,
//!   not a leak.
//!
//! The same code decides for `leakscope run`/`watch`, `leakscope maps` (per mapping) and the
//! Node package's `leak` event. [`MemwatchStats`] keeps node-memwatch's `stats` fields, with
//! signed arithmetic and the startup dampening memwatch meant to have.
//!
//! ```
//! use leakscope_trend::{assess, TrendOptions, Verdict};
//!
//! // 1 MB more after every GC, one GC every 2 s.
//! let samples: Vec<(f64, f64)> = (0..30).map(|i| (2.0 * i as f64, 50e6 + 1e6 * i as f64)).collect();
//! let a = assess(&samples, &TrendOptions::default());
//! assert_eq!(a.verdict, Verdict::Leak);
//! assert!((a.slope_bytes_per_hour - 1.8e9).abs() < 1e6);
//! ```

mod memwatch;
mod stats;
mod verdict;

pub use memwatch::MemwatchStats;
pub use stats::{MannKendall, mann_kendall, normal_cdf, theil_sen};
pub use verdict::{Assessment, Shape, TrendOptions, Verdict, assess, format_bytes, format_rate};
