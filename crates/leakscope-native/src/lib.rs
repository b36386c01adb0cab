//! The reading side of `leakscope native`: parse the dumps that the preloaded sampler
//! (`leakscope-malloc-sampler`) writes, symbolize their stacks against the ELF symbol tables
//! of the binary and its shared libraries, and rank allocation sites by estimated live bytes
//! and by growth (the trend test of `leakscope-trend`).
//!
//! Estimates: an allocation of `s` bytes is sampled with probability `p = 1 - exp(-s / T)`
//! (T the mean sampling distance), so each live sample stands for `s / p` bytes
//! (Horvitz–Thompson); the variance of a site's estimate is `Σ s² (1 - p) / p²`, and the
//! reported error is its square root. For small allocations a site with `n` live samples is
//! known to about `1 / √n`.

mod dump;
mod error;
mod sites;
mod symbols;

pub use dump::{Dump, MapEntry, Recording, SiteStats, parse};
pub use error::NativeError;
pub use sites::{JAVASCRIPT_FRAME, Site, SiteOptions, rank_sites, usable_dumps};
pub use symbols::{Frame, Symbolizer};
