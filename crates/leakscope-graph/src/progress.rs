//! Progress of the analyses, reported through a callback (the library never prints).

use std::time::Duration;

/// A phase of the analyses, in the order [`crate::Analysis`] runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Which objects the page (the user roots) owns: needed for the dominators' edge rule.
    PageObjects,
    /// Breadth-first distances from the user roots, then from the system roots.
    Distances,
    /// Moving the shallow sizes of exclusively owned internals onto their owner.
    ShallowSizes,
    /// The dominator tree (Lengauer–Tarjan).
    Dominators,
    /// Retained sizes, summed up the dominator tree.
    RetainedSizes,
    /// Class names, plain-object interfaces included.
    Classes,
    /// The per-class census.
    Census,
    /// Shortest retainer paths from the roots.
    RetainerPaths,
}

impl Phase {
    /// A short name for people.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::PageObjects => "page objects",
            Self::Distances => "distances",
            Self::ShallowSizes => "shallow sizes",
            Self::Dominators => "dominators",
            Self::RetainedSizes => "retained sizes",
            Self::Classes => "classes",
            Self::Census => "census",
            Self::RetainerPaths => "retainer paths",
        }
    }
}

/// One progress report: `done` of `total` units of work in `phase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The phase.
    pub phase: Phase,
    /// Units done so far.
    pub done: u64,
    /// Units in all; `done == total` ends the phase.
    pub total: u64,
}

/// Where the analyses report progress: a callback that may be called from several threads.
#[derive(Clone, Copy, Default)]
pub struct Progress<'a> {
    callback: Option<&'a (dyn Fn(Step) + Sync)>,
}

impl std::fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").field("callback", &self.callback.is_some()).finish()
    }
}

impl<'a> Progress<'a> {
    /// No reports.
    #[must_use]
    pub fn none() -> Self {
        Self { callback: None }
    }

    /// Reports to `callback`.
    #[must_use]
    pub fn to(callback: &'a (dyn Fn(Step) + Sync)) -> Self {
        Self { callback: Some(callback) }
    }

    /// A ticker for one phase of `total` units; it reports about every million units.
    #[must_use]
    pub fn phase(self, phase: Phase, total: usize) -> Ticker<'a> {
        let t = Ticker { progress: self, phase, total: total as u64, next: 0 };
        t.report(0);
        t
    }
}

/// Reports the progress of one phase, cheaply enough to call once per node.
#[derive(Debug)]
pub struct Ticker<'a> {
    progress: Progress<'a>,
    phase: Phase,
    total: u64,
    next: u64,
}

impl Ticker<'_> {
    const EVERY: u64 = 1 << 20;

    /// Notes that `done` units are done; reports when a million more are.
    #[inline]
    pub fn tick(&mut self, done: usize) {
        let done = done as u64;
        if done >= self.next {
            self.next = done + Self::EVERY;
            self.report(done);
        }
    }

    fn report(&self, done: u64) {
        if let Some(f) = self.progress.callback {
            f(Step { phase: self.phase, done: done.min(self.total), total: self.total });
        }
    }

    /// Ends the phase.
    pub fn finish(self) {
        self.report(self.total);
    }
}

/// How long each phase took.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Each phase with its wall time, in the order they finished.
    pub phases: Vec<(Phase, Duration)>,
}

impl Timings {
    /// The time of `phase`, if it ran.
    #[must_use]
    pub fn get(&self, phase: Phase) -> Option<Duration> {
        self.phases.iter().find(|(p, _)| *p == phase).map(|(_, d)| *d)
    }
}
