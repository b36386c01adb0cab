//! Allocation sites: stacks symbolized, allocator frames dropped, grouped by function names,
//! followed over the dumps, ranked by estimated live bytes.

use std::collections::HashMap;

use leakscope_trend::{TrendOptions, Verdict, assess};
use serde::Serialize;

use crate::dump::{Dump, Recording};
use crate::symbols::Symbolizer;

/// Functions that allocate on behalf of their caller: the site is below them. Matched
/// against the whole demangled name or its prefix up to `<`.
const ALLOCATOR_FUNCTIONS: &[&str] = &[
    "malloc",
    "calloc",
    "realloc",
    "reallocarray",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "valloc",
    "pvalloc",
    "__libc_malloc",
    "__libc_calloc",
    "__libc_realloc",
    "__libc_memalign",
    "operator new",
    "operator new[]",
    "std::__new_allocator::allocate",
    "__gnu_cxx::new_allocator::allocate",
    "std::allocator::allocate",
    "std::allocator_traits::allocate",
    "node::UncheckedMalloc",
    "node::UncheckedCalloc",
    "node::UncheckedRealloc",
    "node::Malloc",
    "node::Calloc",
    "node::Realloc",
];

/// Where native code was called from JavaScript: V8's embedded builtins and its API-call
/// plumbing. Below them the stack is JIT code and differs by optimization tier (Node 24 calls
/// the same function through `Builtins_CallApiCallbackOptimizedNoProfiling` or
/// `Builtins_CallApiCallbackGeneric`), so a site's stack ends here, in one `[JavaScript]`
/// frame, and one call site stays one site.
const JS_BOUNDARY_PREFIXES: &[&str] = &[
    "Builtins_",
    "v8::internal::Builtin_",
    "v8::internal::FunctionCallbackArguments::Call",
    "v8::internal::(anonymous namespace)::HandleApiCallHelper",
];

/// The frame that stands for everything below [`JS_BOUNDARY_PREFIXES`].
pub const JAVASCRIPT_FRAME: &str = "[JavaScript]";

fn is_js_boundary(function: Option<&str>) -> bool {
    function.is_some_and(|f| JS_BOUNDARY_PREFIXES.iter().any(|p| f.starts_with(p)))
}

/// Objects whose frames are never the site: the sampler itself.
const ALLOCATOR_OBJECTS: &[&str] = &["libleakscope_malloc_sampler"];

fn is_allocator(function: Option<&str>, object: Option<&str>) -> bool {
    if object.is_some_and(|o| ALLOCATOR_OBJECTS.iter().any(|a| o.starts_with(a))) {
        return true;
    }
    let Some(f) = function else { return false };
    let base = f.split('<').next().unwrap_or(f);
    ALLOCATOR_FUNCTIONS.iter().any(|a| *a == f || *a == base)
}

/// How to rank.
#[derive(Clone, Debug)]
pub struct SiteOptions {
    /// The trend test for growth.
    pub trend: TrendOptions,
}

impl Default for SiteOptions {
    fn default() -> Self {
        Self { trend: TrendOptions { min_samples: 4, min_span_s: 2.0, ..TrendOptions::default() } }
    }
}

/// One allocation site.
#[derive(Clone, Debug, Serialize)]
pub struct Site {
    /// Function names, innermost first, allocator frames left out.
    pub frames: Vec<String>,
    /// Live sampled allocations in the last dump.
    pub samples: u64,
    /// Estimated live bytes in the last dump.
    pub live_bytes_estimate: f64,
    /// Standard error of that estimate.
    pub live_bytes_error: f64,
    /// Theil–Sen slope of the estimate over the dumps.
    pub growth_bytes_per_hour: f64,
    /// The trend verdict on the estimates over the dumps.
    pub verdict: Verdict,
    /// Sampled allocations since the start, freed or not.
    pub total_samples: u64,
    /// `(seconds, estimated live bytes)` at each dump.
    #[serde(skip)]
    pub series: Vec<(f64, f64)>,
}

/// The dumps to report on. Node (like many programs) frees its heap while exiting, so a
/// dump taken at exit that holds less than half the live samples of the dump before it shows
/// the teardown, not the program: it is left out, and the reason is returned.
#[must_use]
pub fn usable_dumps(rec: &Recording) -> (&[Dump], Option<String>) {
    let dumps = rec.dumps.as_slice();
    if let [.., before, last] = dumps
        && last.reason == "exit"
        && last.live_samples * 2 < before.live_samples
    {
        {
            let note = format!(
                "the dump at exit was left out: the program freed {} of {} live samples while \
                 exiting (Node frees its heap at exit); the report is from {:.1} s",
                before.live_samples - last.live_samples,
                before.live_samples,
                before.t_s
            );
            return (dumps.get(..dumps.len() - 1).unwrap_or_default(), Some(note));
        }
    }
    if let [only] = dumps {
        let total: u64 = only.sites.iter().map(|s| s.total_samples).sum();
        if only.reason == "exit" && only.live_samples * 2 < total {
            let note = format!(
                "the only dump is from exit, after the program freed {} of its {total} sampled \
                 allocations (Node frees its heap at exit): dump earlier with a shorter --every",
                total - only.live_samples
            );
            return (dumps, Some(note));
        }
    }
    (dumps, None)
}

/// Sites with live samples in the last of `dumps`, largest estimate first.
#[must_use]
pub fn rank_sites(
    rec: &Recording,
    dumps: &[Dump],
    symbolizer: &mut Symbolizer,
    options: &SiteOptions,
) -> Vec<Site> {
    // Stack id → site key (its function names).
    let mut key_of: HashMap<u32, usize> = HashMap::new();
    let mut keys: Vec<Vec<String>> = Vec::new();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut ids: Vec<u32> = rec.stacks.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let addrs = rec.stacks.get(&id).map_or(&[][..], Vec::as_slice);
        let frames: Vec<(u64, crate::symbols::Frame)> =
            addrs.iter().map(|&a| (a, symbolizer.frame(&rec.maps, a))).collect();
        let first_site = frames
            .iter()
            .position(|(_, f)| !is_allocator(f.function.as_deref(), f.object.as_deref()));
        let names: Vec<String> = match first_site {
            Some(i) => {
                let mut names = Vec::new();
                for (a, f) in frames.get(i..).unwrap_or_default() {
                    if is_js_boundary(f.function.as_deref()) {
                        names.push(JAVASCRIPT_FRAME.to_owned());
                        break;
                    }
                    names.push(f.display(*a));
                }
                names
            }
            None if addrs.is_empty() => vec!["[stack not recorded: table full]".to_owned()],
            None => vec!["[allocator only]".to_owned()],
        };
        let k = *index.entry(names.clone()).or_insert_with(|| {
            keys.push(names);
            keys.len() - 1
        });
        key_of.insert(id, k);
    }
    let n = keys.len();
    // Per key and dump: (estimate, variance, live samples, total samples).
    let mut table = vec![vec![(0f64, 0f64, 0u64, 0u64); dumps.len()]; n];
    for (d, dump) in dumps.iter().enumerate() {
        for s in &dump.sites {
            let Some(&k) = key_of.get(&s.stack) else { continue };
            if let Some(cell) = table.get_mut(k).and_then(|row| row.get_mut(d)) {
                cell.0 += s.estimate;
                cell.1 += s.variance;
                cell.2 += s.live_samples;
                cell.3 += s.total_samples;
            }
        }
    }
    let mut sites: Vec<Site> = keys
        .into_iter()
        .zip(table)
        .filter_map(|(frames, row)| {
            let &(estimate, variance, samples, total) = row.last()?;
            if samples == 0 {
                return None;
            }
            let series: Vec<(f64, f64)> =
                dumps.iter().zip(&row).map(|(d, c)| (d.t_s, c.0)).collect();
            let a = assess(&series, &options.trend);
            Some(Site {
                frames,
                samples,
                live_bytes_estimate: estimate,
                live_bytes_error: variance.max(0.0).sqrt(),
                growth_bytes_per_hour: a.slope_bytes_per_hour,
                verdict: a.verdict,
                total_samples: total,
                series,
            })
        })
        .collect();
    sites.sort_by(|a, b| b.live_bytes_estimate.total_cmp(&a.live_bytes_estimate));
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_frames() {
        assert!(is_allocator(Some("malloc"), Some("libc.so.6")));
        assert!(is_allocator(Some("operator new"), Some("libstdc++.so.6")));
        assert!(is_allocator(Some("node::UncheckedMalloc<char>"), Some("node")));
        assert!(is_allocator(None, Some("libleakscope_malloc_sampler.so")));
        assert!(!is_allocator(Some("leak_here"), Some("prog")));
        assert!(!is_allocator(None, None));
        assert!(is_js_boundary(Some("Builtins_CallApiCallbackGeneric")));
        assert!(is_js_boundary(Some("v8::internal::Builtin_HandleApiCall")));
        assert!(!is_js_boundary(Some("node::Buffer::New")));
    }

    #[test]
    fn ranks_live_sites_and_drops_freed_ones() {
        let text = "leakscope-native 1 pid=1 sample_bytes=1000\n\
            dump 1 0 interval\nstack 1 10 20\nstack 2 30\n\
            site 1 1 100 1000 900000 1 100\nsite 2 1 100 1000 900000 1 100\nend 1 2 0\n\
            dump 2 1000 interval\nsite 1 5 500 5000 4500000 5 500\nsite 2 0 0 0 0 9 900\nend 2 5 0\n";
        let rec = crate::dump::parse(text).unwrap();
        let (dumps, note) = usable_dumps(&rec);
        assert_eq!((dumps.len(), note), (2, None));
        let sites = rank_sites(&rec, dumps, &mut Symbolizer::new(), &SiteOptions::default());
        assert_eq!(sites.len(), 1);
        assert_eq!(sites[0].frames, ["[unknown 0x10]", "[unknown 0x20]"]);
        assert_eq!((sites[0].samples, sites[0].total_samples), (5, 5));
        assert!((sites[0].live_bytes_error - 4_500_000f64.sqrt()).abs() < 1e-6);
    }
}

#[cfg(test)]
mod exit_tests {
    use super::*;

    #[test]
    fn teardown_at_exit_is_left_out() {
        let text = "leakscope-native 1 pid=1 sample_bytes=1000\n\
            dump 1 0 interval\nend 1 100 0\ndump 2 1000 exit\nend 2 3 0\n";
        let rec = crate::dump::parse(text).unwrap();
        let (dumps, note) = usable_dumps(&rec);
        assert_eq!(dumps.len(), 1);
        assert!(note.unwrap().contains("97 of 100"));
        let only =
            crate::dump::parse("dump 1 10 exit\nstack 1 10\nsite 1 0 0 0 0 50 5000\nend 1 0 0\n")
                .unwrap();
        let (dumps, note) = usable_dumps(&only);
        assert_eq!(dumps.len(), 1);
        assert!(note.unwrap().contains("shorter --every"));
    }
}
