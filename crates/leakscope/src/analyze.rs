//! Running the analyses on a loaded heap, with a progress bar per phase.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use leakscope_graph::{Analysis, HeapGraph, Phase, Progress, RetainerPaths, Step};

/// One bar per running phase, on stderr.
struct PhaseBars {
    multi: MultiProgress,
    bars: Mutex<Vec<(Phase, ProgressBar)>>,
}

impl PhaseBars {
    /// `None` when not on a terminal or `quiet`.
    fn new(quiet: bool) -> Option<Self> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        Some(Self { multi, bars: Mutex::new(Vec::new()) })
    }

    fn report(&self, step: Step) {
        let Ok(mut bars) = self.bars.lock() else { return };
        let i = match bars.iter().position(|(p, _)| *p == step.phase) {
            Some(i) => i,
            None => {
                let bar = self.multi.add(ProgressBar::new(step.total));
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>15} {wide_bar} {percent:>3}%")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(step.phase.label());
                bars.push((step.phase, bar));
                bars.len() - 1
            }
        };
        let bar = &bars[i].1;
        bar.set_length(step.total);
        bar.set_position(step.done);
        if step.done >= step.total {
            bar.finish_and_clear();
        }
    }
}

/// Runs every analysis on `g`, showing progress on a terminal unless `quiet`.
pub fn analysis(g: &HeapGraph, quiet: bool) -> Analysis {
    let bars = PhaseBars::new(quiet);
    let report = |s: Step| {
        if let Some(b) = &bars {
            b.report(s);
        }
    };
    Analysis::new(g, Progress::to(&report))
}

/// The shortest retainer paths of `g`, with progress unless `quiet`.
pub fn retainer_paths(g: &HeapGraph, quiet: bool) -> RetainerPaths {
    let bars = PhaseBars::new(quiet);
    let report = |s: Step| {
        if let Some(b) = &bars {
            b.report(s);
        }
    };
    RetainerPaths::compute(g, Progress::to(&report))
}

/// Prints how long loading and each phase took, one `phase seconds` per line on stderr (what
/// `cargo xtask bench` reads).
#[allow(clippy::print_stderr)]
pub fn print_timings(load: Duration, phases: &[(Phase, Duration)]) {
    eprintln!("timing load {:.3}", load.as_secs_f64());
    for (phase, d) in phases {
        eprintln!("timing {} {:.3}", phase.label().replace(' ', "-"), d.as_secs_f64());
    }
}
