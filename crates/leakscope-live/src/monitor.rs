//! The `run`/`watch` session: install the GC agent in every isolate, force GCs on a schedule,
//! feed the detectors, capture snapshots when a leak is confirmed, stop, and report.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use leakscope_procfs::{ByKind, Sampler as MapsSampler, trends_by_kind};
use leakscope_trend::{MemwatchStats, Verdict, format_rate};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cdp::{Cdp, Event, Target};
use crate::detect::{Change, DetectOptions, Detector, LeakEvent};
use crate::error::{Error, Result};
use crate::launch::{ExitInfo, Launched};
use crate::procfs;
use crate::report::{Findings, GcSample, IsolateReport, Report, SeriesReport, StopReason};
use crate::snapshot::{self, Progress};

/// The binding the agent reports through.
const BINDING: &str = "__leakscopeReport";
const AGENT: &str = include_str!("agent.js");
/// Minor GC samples kept per isolate.
const MAX_MINOR: usize = 10_000;
/// Snapshots per capture: the three-snapshot technique.
const CAPTURE: usize = 3;
/// Native growth smaller than this share of the JS heaps' growth is the heaps' own
/// bookkeeping (page tables, mark bitmaps, remembered sets grow with the heap), not a leak.
const NATIVE_SHARE: f64 = 0.5;
/// How often /proc/PID/smaps is read to split native memory by kind of mapping.
const MAPS_EVERY: Duration = Duration::from_secs(2);
/// Major GC pauses remembered to pace forced GCs.
const PAUSES: usize = 5;
/// A forced GC may cost about this share of the time: the next one waits 1/share median
/// pauses (at most four times `--gc-every`).
const GC_SHARE: f64 = 0.01;

/// How to watch.
#[derive(Clone, Debug)]
pub struct Options {
    /// Force a full GC in every isolate this often.
    pub gc_every: Option<Duration>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// The detector's settings.
    pub detect: DetectOptions,
    /// Snapshots to capture at most (0: none).
    pub max_snapshots: usize,
    /// Where snapshots go.
    pub snapshot_dir: PathBuf,
    /// Stop once a leak is confirmed and its snapshots are captured.
    pub stop_on_leak: bool,
    /// Watch worker threads too.
    pub workers: bool,
}

/// A live view, about once a second.
#[derive(Clone, Debug)]
pub struct Status {
    /// Seconds since the start.
    pub elapsed_s: f64,
    /// Per isolate: name, memwatch stats, current verdict and slope (bytes/hour).
    pub isolates: Vec<(String, MemwatchStats, Verdict, f64)>,
    /// The last RSS.
    pub rss: u64,
    /// Native growth rate now.
    pub native_bytes_per_hour: f64,
}

/// What the session tells its user while it runs. The binary prints; this crate does not.
pub trait Observer {
    /// The live status line.
    fn status(&mut self, _status: &Status) {}
    /// A leak was confirmed.
    fn leak(&mut self, _event: &LeakEvent) {}
    /// A confirmed leak stopped growing.
    fn cleared(&mut self, _what: &str) {}
    /// Something worth saying (a worker appeared, a snapshot was skipped…).
    fn note(&mut self, _message: &str) {}
    /// A snapshot is being written.
    fn snapshot_progress(&mut self, _path: &Path, _progress: Progress) {}
    /// A snapshot was written.
    fn snapshot_done(&mut self, _path: &Path, _bytes: u64) {}
    /// Runs the three-snapshot leak finder on the captured snapshots.
    fn analyse(&mut self, snapshots: &[PathBuf]) -> Findings;
}

/// The process being watched.
#[derive(Debug)]
pub enum Process<'a> {
    /// Started by `run`.
    Launched(&'a mut Launched),
    /// Attached by `watch`.
    Attached(u32),
}

impl Process<'_> {
    fn pid(&self) -> u32 {
        match self {
            Process::Launched(l) => l.pid,
            Process::Attached(pid) => *pid,
        }
    }

    /// `Some` once it exited (with the status when we are its parent).
    fn exited(&mut self) -> Option<Option<ExitInfo>> {
        match self {
            Process::Launched(l) => l.exited().map(Some),
            Process::Attached(pid) => (!procfs::is_alive(*pid)).then_some(None),
        }
    }

    fn waiting_for_debugger(&self) -> bool {
        matches!(self, Process::Launched(l) if l.waiting_for_debugger())
    }
}

#[derive(Deserialize)]
struct Payload {
    t: f64,
    #[serde(default)]
    gcs: Vec<(u32, u32, f64)>,
    #[serde(default)]
    m: Option<(u64, u64, u64, u64, u64)>,
    #[serde(default)]
    young: i64,
    #[serde(default)]
    exit: Option<i64>,
}

#[derive(Deserialize)]
struct Installed {
    #[serde(rename = "threadId")]
    thread_id: u64,
    t: f64,
}

struct Isolate {
    name: String,
    target: Target,
    ended: bool,
    stats: MemwatchStats,
    heap: Detector,
    external: Detector,
    heap_total: u64,
    external_now: u64,
    gc_count: u64,
    next_gc: Instant,
    /// A forced GC was asked for and its report has not come yet.
    forced_pending: bool,
    /// The last few major GC pauses, in ms.
    pauses: VecDeque<f64>,
    majors: Vec<GcSample>,
    minors: VecDeque<GcSample>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Driver {
    Heap,
    External,
    Native,
}

struct Capture {
    isolate: usize,
    /// Which series drives the spacing.
    driver: Driver,
    step: f64,
    /// Each snapshot: its file, the driving series' value then, and when (seconds).
    taken: Vec<(PathBuf, f64, f64)>,
    done: bool,
}

struct Session<'a, 'p> {
    cdp: &'a mut Cdp,
    process: Process<'p>,
    opts: &'a Options,
    observer: &'a mut dyn Observer,
    t0_ms: f64,
    started: Instant,
    isolates: Vec<Isolate>,
    native: Detector,
    rss: Detector,
    rss_samples: Vec<(f64, u64)>,
    /// Reads the process's mappings (`None` when smaps cannot be read).
    maps: Option<MapsSampler>,
    /// Resident bytes by kind of mapping, every [`MAPS_EVERY`].
    kind_samples: Vec<(f64, ByKind)>,
    /// When the first snapshot was taken: memory-map series stop counting then.
    frozen_at: Option<f64>,
    last_rss: u64,
    leak_events: Vec<LeakEvent>,
    capture: Option<Capture>,
    findings: Option<Findings>,
    warnings: Vec<String>,
    captures_blocked: bool,
    /// A heap snapshot allocates tens of MB that malloc keeps and hands out again, which
    /// flattens RSS for a while; RSS-based series stop at the first one.
    rss_frozen: bool,
}

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn kind_name(kind: u32) -> &'static str {
    match kind {
        1 => "minor",
        4 => "major",
        8 => "incremental",
        16 => "weak-callbacks",
        _ => "other",
    }
}

#[allow(clippy::cast_precision_loss)] // byte counts far below 2^53
fn f(v: u64) -> f64 {
    v as f64
}

/// Watches until a stop condition and returns the report. `stop` is set by Ctrl-C.
pub fn watch(
    cdp: &mut Cdp,
    process: Process<'_>,
    opts: &Options,
    stop: &AtomicBool,
    observer: &mut dyn Observer,
) -> Result<Report> {
    let mut s = Session {
        cdp,
        process,
        opts,
        observer,
        t0_ms: now_ms(),
        started: Instant::now(),
        isolates: Vec::new(),
        native: Detector::new("native memory", opts.detect),
        rss: Detector::new("RSS", opts.detect),
        rss_samples: Vec::new(),
        maps: None,
        kind_samples: Vec::new(),
        frozen_at: None,
        last_rss: 0,
        leak_events: Vec::new(),
        capture: None,
        findings: None,
        warnings: Vec::new(),
        captures_blocked: false,
        rss_frozen: false,
    };
    match MapsSampler::new(s.process.pid()) {
        Ok(m) => s.maps = Some(m),
        Err(e) => s.note(&format!("memory mappings are not sampled: {e}")),
    }
    s.install(Target::Main)?;
    if opts.workers {
        s.cdp.send_and_forget(
            &Target::Main,
            "NodeWorker.enable",
            json!({ "waitForDebuggerOnStart": false }),
        )?;
    }
    let (reason, exit) = s.run_loop(stop);
    let connected = !matches!(reason, StopReason::Exited | StopReason::Disconnected);
    if connected {
        s.uninstall();
    }
    Ok(s.report(reason, exit))
}

impl Session<'_, '_> {
    fn t_s(&self, epoch_ms: f64) -> f64 {
        (epoch_ms - self.t0_ms) / 1000.0
    }

    fn install(&mut self, target: Target) -> Result<()> {
        let timeout = Duration::from_secs(10);
        self.cdp.call(&target, "Runtime.addBinding", json!({ "name": BINDING }), timeout)?;
        let reply = self.cdp.call(
            &target,
            "Runtime.evaluate",
            json!({
                "expression": AGENT.replace("__BINDING__", BINDING),
                "includeCommandLineAPI": true,
                "returnByValue": true,
            }),
            timeout,
        )?;
        if let Some(ex) = reply.get("exceptionDetails") {
            let text =
                ex.pointer("/exception/description").and_then(Value::as_str).unwrap_or("exception");
            return Err(Error::Agent(text.to_owned()));
        }
        let info: Installed = reply
            .pointer("/result/value")
            .and_then(Value::as_str)
            .and_then(|v| serde_json::from_str(v).ok())
            .ok_or_else(|| Error::Agent(format!("unexpected reply {reply}")))?;
        let name = if target == Target::Main {
            "main".to_owned()
        } else {
            format!("worker {}", info.thread_id)
        };
        let mut detect = self.opts.detect;
        // A worker's start-up counts from its own start.
        if target != Target::Main {
            detect.warmup_s += self.t_s(info.t).max(0.0);
        }
        self.isolates.push(Isolate {
            heap: Detector::new(format!("heap ({name})"), detect),
            external: Detector::new(format!("external ({name})"), detect),
            name,
            target,
            ended: false,
            stats: MemwatchStats::new(),
            heap_total: 0,
            external_now: 0,
            gc_count: 0,
            next_gc: Instant::now(),
            forced_pending: false,
            pauses: VecDeque::new(),
            majors: Vec::new(),
            minors: VecDeque::new(),
        });
        Ok(())
    }

    fn uninstall(&mut self) {
        const STOP: &str = "globalThis[Symbol.for('leakscope.agent')]?.stop()";
        for i in 0..self.isolates.len() {
            if self.isolates[i].ended {
                continue;
            }
            let target = self.isolates[i].target.clone();
            let timeout = Duration::from_secs(5);
            let _ =
                self.cdp.call(&target, "Runtime.evaluate", json!({ "expression": STOP }), timeout);
            let _ = self.cdp.call(
                &target,
                "Runtime.removeBinding",
                json!({ "name": BINDING }),
                timeout,
            );
        }
        if self.opts.workers {
            let _ = self.cdp.call(
                &Target::Main,
                "NodeWorker.disable",
                json!({}),
                Duration::from_secs(5),
            );
        }
    }

    fn run_loop(&mut self, stop: &AtomicBool) -> (StopReason, Option<ExitInfo>) {
        let mut next_status = Instant::now();
        let mut next_rss = Instant::now();
        let mut next_maps = Instant::now();
        loop {
            if stop.load(Ordering::SeqCst) {
                return (StopReason::Interrupted, None);
            }
            if self.opts.duration.is_some_and(|d| self.started.elapsed() >= d) {
                return (StopReason::Duration, None);
            }
            if let Some(exit) = self.process.exited() {
                return (StopReason::Exited, exit);
            }
            if self.process.waiting_for_debugger() {
                // The program finished; Node waits for us to let go.
                self.cdp.close();
                return (StopReason::Exited, self.wait_exit());
            }
            if self.opts.stop_on_leak && self.leak_settled() {
                return (StopReason::Leak, None);
            }
            if let Err(e) = self.force_gcs() {
                return self.lost(&e);
            }
            if next_rss <= Instant::now() {
                next_rss += Duration::from_secs(1);
                if let Ok(rss) = procfs::rss_bytes(self.process.pid()) {
                    let t = self.started.elapsed().as_secs_f64();
                    self.rss_samples.push((t, rss));
                }
            }
            if next_maps <= Instant::now() {
                next_maps += MAPS_EVERY;
                if let Some(sample) = self.maps.as_mut().and_then(|m| m.sample().ok()) {
                    let t = self.started.elapsed().as_secs_f64();
                    self.kind_samples.push((t, sample.by_kind));
                }
            }
            if next_status <= Instant::now() {
                next_status += Duration::from_secs(1);
                let status = self.status();
                self.observer.status(&status);
            }
            match self.cdp.next_event(Duration::from_millis(100)) {
                Ok(Some(event)) => {
                    if let Some(exit_code) = self.handle(event) {
                        // The program is exiting: let go so Node does not wait for us.
                        self.cdp.close();
                        let exit = self.wait_exit().or(Some(ExitInfo {
                            code: i32::try_from(exit_code).ok(),
                            signal: None,
                        }));
                        return (StopReason::Exited, exit);
                    }
                }
                Ok(None) => {}
                Err(e) => return self.lost(&e),
            }
            for w in self.cdp.take_warnings() {
                self.warnings.push(w);
            }
            if let Err(e) = self.maybe_capture() {
                if matches!(e, Error::Disconnected { .. }) {
                    return self.lost(&e);
                }
                self.note(&format!("snapshot failed: {e}"));
                self.captures_blocked = true;
            }
        }
    }

    fn wait_exit(&mut self) -> Option<ExitInfo> {
        match &mut self.process {
            Process::Launched(l) => l.wait_exit(Duration::from_secs(10)),
            Process::Attached(_) => None,
        }
    }

    /// The connection broke: the program exited (or is exiting), or something cut us off.
    fn lost(&mut self, e: &Error) -> (StopReason, Option<ExitInfo>) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Some(exit) = self.process.exited() {
                return (StopReason::Exited, exit);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.warnings.push(format!("lost the connection to the program: {e}"));
        (StopReason::Disconnected, None)
    }

    fn note(&mut self, message: &str) {
        self.observer.note(message);
        self.warnings.push(message.to_owned());
    }

    fn force_gcs(&mut self) -> Result<()> {
        let Some(every) = self.opts.gc_every else { return Ok(()) };
        let now = Instant::now();
        for iso in self.isolates.iter_mut().filter(|i| !i.ended && i.next_gc <= now) {
            self.cdp.send_and_forget(&iso.target, "HeapProfiler.collectGarbage", json!({}))?;
            iso.forced_pending = true;
            // The median pause: on a busy machine one GC's wall time can be 50 times its work.
            let mut recent: Vec<f64> = iso.pauses.iter().copied().collect();
            recent.sort_by(f64::total_cmp);
            let median_ms = recent.get(recent.len() / 2).copied().unwrap_or(0.0);
            let floor = Duration::from_secs_f64(median_ms / 1000.0 / GC_SHARE).min(every * 4);
            // A fixed period aliases with a program's own timers: forced GCs every 2 s on a
            // program that fills and drops a batch every 2 s always meet the batch at the same
            // fill, and a slow drift of that phase looks like steady growth. A random interval
            // (0.5 to 1.5 times the period) samples every phase.
            let jitter = 0.5 + fastrand::f64();
            iso.next_gc = now + every.max(floor).mul_f64(jitter);
        }
        Ok(())
    }

    /// Handles one event; returns the exit code when the program announced its exit.
    fn handle(&mut self, event: Event) -> Option<i64> {
        match event.method.as_str() {
            "Runtime.bindingCalled" => {
                if event.params.get("name").and_then(Value::as_str) != Some(BINDING) {
                    return None;
                }
                let payload = event.params.get("payload").and_then(Value::as_str)?;
                let payload: Payload = serde_json::from_str(payload).ok()?;
                let idx = self.isolates.iter().position(|i| i.target == event.target)?;
                if let Some(code) = payload.exit {
                    if idx == 0 {
                        return Some(code);
                    }
                    self.isolates[idx].ended = true;
                    return None;
                }
                self.record(idx, &payload);
            }
            "NodeWorker.attachedToWorker" => {
                let session = event.params.get("sessionId").and_then(Value::as_str)?.to_owned();
                if let Err(e) = self.install(Target::Worker(session)) {
                    self.note(&format!("cannot watch a worker thread: {e}"));
                } else if let Some(iso) = self.isolates.last() {
                    let msg = format!("watching {}", iso.name);
                    self.observer.note(&msg);
                }
            }
            "NodeWorker.detachedFromWorker" => {
                let session = event.params.get("sessionId").and_then(Value::as_str)?;
                if let Some(iso) = self
                    .isolates
                    .iter_mut()
                    .find(|i| i.target == Target::Worker(session.to_owned()))
                {
                    iso.ended = true;
                }
            }
            _ => {}
        }
        None
    }

    fn record(&mut self, idx: usize, p: &Payload) {
        let t = self.t_s(p.t);
        let Some((heap_used, heap_total, external, array_buffers, rss)) = p.m else { return };
        let major = p.gcs.iter().any(|g| g.0 == 4);
        let baseline =
            (major && p.young >= 0).then(|| heap_used.saturating_sub(p.young.unsigned_abs()));
        let forcing = self.opts.gc_every.is_some();
        let mut changes = Vec::new();
        let decides;
        {
            let iso = &mut self.isolates[idx];
            // The first major GC reported after leakscope asked for one is that GC (perf_hooks
            // flags do not mark HeapProfiler.collectGarbage as forced).
            let forced = major && std::mem::take(&mut iso.forced_pending);
            // When leakscope forces GCs, only those count: they come at random times, while
            // the program's own major GCs come when its allocations reach V8's limit, at the
            // same point of any periodic work, and that limit moves with the heap.
            decides = baseline.is_some() && (forced || !forcing);
            iso.heap_total = heap_total;
            for &(kind, flags, duration_ms) in &p.gcs {
                iso.gc_count += 1;
                let sample = GcSample {
                    t_s: t,
                    isolate: iso.name.clone(),
                    kind: kind_name(kind),
                    forced: forced || flags & 4 != 0,
                    duration_ms,
                    heap_used,
                    heap_total,
                    external,
                    array_buffers,
                    rss,
                    baseline: if kind == 4 { baseline } else { None },
                };
                if kind == 4 {
                    if iso.pauses.len() == PAUSES {
                        iso.pauses.pop_front();
                    }
                    iso.pauses.push_back(duration_ms);
                    iso.stats.record_gc(true, baseline.unwrap_or(heap_used));
                    iso.majors.push(sample);
                } else {
                    iso.stats.record_gc(false, 0);
                    if iso.minors.len() == MAX_MINOR {
                        iso.minors.pop_front();
                    }
                    iso.minors.push_back(sample);
                }
            }
            if let Some(b) = baseline.filter(|_| decides) {
                changes.push(iso.heap.push(t, f(b)));
                changes.push(iso.external.push(t, f(external)));
            }
        }
        {
            let iso = &mut self.isolates[idx];
            iso.external_now = external;
        }
        if decides && idx == 0 && !self.rss_frozen {
            self.last_rss = rss;
            let outside: u64 = self
                .isolates
                .iter()
                .filter(|i| !i.ended)
                .map(|i| i.heap_total + i.external_now)
                .sum();
            changes.push(self.native.push(t, f(rss) - f(outside)));
            changes.push(self.rss.push(t, f(rss)));
        }
        for change in changes.into_iter().flatten() {
            match change {
                // External memory and RSS are evidence, not verdicts of their own.
                _ if !self.decides(&change) => {}
                Change::Leak(event) => {
                    self.observer.leak(&event);
                    self.start_capture(idx, &event);
                    self.leak_events.push(event);
                }
                Change::Cleared(what) => {
                    // Only what was announced is announced as over.
                    if self.leak_events.iter().any(|e| e.what == what) {
                        self.observer.cleared(&what);
                    }
                }
            }
        }
    }

    fn decides(&self, change: &Change) -> bool {
        let what = match change {
            Change::Leak(e) if e.what == self.native.what() => {
                return e.growth_bytes_per_hour >= NATIVE_SHARE * self.heap_growth();
            }
            Change::Leak(e) => e.what.as_str(),
            Change::Cleared(w) => w.as_str(),
        };
        what != self.rss.what()
    }

    /// The JS heaps' and their external memory's growth rate now, summed over the isolates.
    fn heap_growth(&self) -> f64 {
        self.isolates
            .iter()
            .flat_map(|i| [i.heap.last(), i.external.last()])
            .flatten()
            .map(|a| a.slope_bytes_per_hour.max(0.0))
            .sum()
    }

    fn start_capture(&mut self, idx: usize, event: &LeakEvent) {
        if self.capture.is_some() || self.opts.max_snapshots == 0 {
            return;
        }
        let driver = if event.what == self.native.what() {
            Driver::Native
        } else if event.what == self.isolates[idx].external.what() {
            Driver::External
        } else {
            Driver::Heap
        };
        // Space snapshots by about 10 s of growth, at least 256 KiB.
        let step = (event.growth_bytes_per_hour / 360.0).max(256.0 * 1024.0);
        let isolate = if driver == Driver::Native { 0 } else { idx };
        self.capture = Some(Capture { isolate, driver, step, taken: Vec::new(), done: false });
    }

    /// A leak is confirmed and there is nothing more to capture for it.
    fn leak_settled(&self) -> bool {
        !self.leak_events.is_empty()
            && (self.captures_blocked || self.capture.as_ref().is_none_or(|c| c.done))
    }

    fn maybe_capture(&mut self) -> Result<()> {
        if self.captures_blocked {
            return Ok(());
        }
        let Some(c) = &self.capture else { return Ok(()) };
        if c.done {
            return Ok(());
        }
        let iso = &self.isolates[c.isolate];
        let detector = match c.driver {
            Driver::Heap => &iso.heap,
            Driver::External => &iso.external,
            // RSS-based series stop at the first snapshot; time spaces the rest.
            Driver::Native => &iso.heap,
        };
        let Some(&(t_last, value)) = detector.points().last() else { return Ok(()) };
        let value = if c.driver == Driver::Native { t_last * c.step / 10.0 } else { value };
        let due = c.taken.last().is_none_or(|&(_, at, _)| value >= at + c.step);
        let limit = self.opts.max_snapshots.min(CAPTURE);
        if !due || c.taken.len() >= limit || iso.ended {
            return Ok(());
        }
        let n = c.taken.len() + 1;
        let path = self.opts.snapshot_dir.join(format!(
            "leakscope-{}-{}-s{n}.heapsnapshot",
            self.process.pid(),
            iso.name.replace(' ', "")
        ));
        let target = iso.target.clone();
        self.rss_frozen = true;
        self.frozen_at.get_or_insert(self.started.elapsed().as_secs_f64());
        snapshot::check_disk_space(self.cdp, &target, &self.opts.snapshot_dir)?;
        let observer = &mut *self.observer;
        let bytes = snapshot::take_to_file(self.cdp, &target, &path, &mut |p| {
            observer.snapshot_progress(&path, p)
        })?;
        self.observer.snapshot_done(&path, bytes);
        let taken_at = self.started.elapsed().as_secs_f64();
        let Some(c) = &mut self.capture else { return Ok(()) };
        c.taken.push((path, value, taken_at));
        if c.taken.len() >= limit {
            c.done = true;
            let paths: Vec<PathBuf> = c.taken.iter().map(|t| t.0.clone()).collect();
            self.findings = Some(if paths.len() == CAPTURE {
                self.observer.analyse(&paths)
            } else {
                Findings {
                    status: "not-available".into(),
                    message: format!(
                        "the leak finder needs {CAPTURE} snapshots; --max-snapshots allowed {limit}"
                    ),
                    leaks: Vec::new(),
                }
            });
        }
        Ok(())
    }

    /// Each kind of mapping's trend over the decision window, before the first snapshot (whose
    /// buffers malloc keeps).
    fn mapping_trends(&self) -> Vec<leakscope_procfs::KindTrend> {
        let last = self.kind_samples.last().map_or(0.0, |s| s.0);
        let until = self.frozen_at.unwrap_or(f64::INFINITY);
        let from = self.opts.detect.warmup_s.max(last - self.opts.detect.window_s);
        let window: Vec<(f64, ByKind)> =
            self.kind_samples.iter().copied().filter(|s| s.0 >= from && s.0 <= until).collect();
        trends_by_kind(&window, &self.opts.detect.trend)
    }

    fn status(&self) -> Status {
        Status {
            elapsed_s: self.started.elapsed().as_secs_f64(),
            isolates: self
                .isolates
                .iter()
                .filter(|i| !i.ended)
                .map(|i| {
                    let (v, slope) = i.heap.last().map_or((Verdict::Inconclusive, 0.0), |a| {
                        (a.verdict, a.slope_bytes_per_hour)
                    });
                    (i.name.clone(), i.stats.clone(), v, slope)
                })
                .collect(),
            rss: self.rss_samples.last().map_or(self.last_rss, |s| s.1),
            native_bytes_per_hour: self.native.last().map_or(0.0, |a| a.slope_bytes_per_hour),
        }
    }

    fn report(mut self, stop_reason: StopReason, exit: Option<ExitInfo>) -> Report {
        let confirmed: Vec<String> = self.leak_events.iter().map(|e| e.what.clone()).collect();
        let settle = |d: &Detector| {
            let mut a = d.assess();
            // A leak confirmed while running stands unless the end shows it stopped.
            if a.verdict == Verdict::Inconclusive
                && d.confirmed()
                && confirmed.iter().any(|w| w == d.what())
            {
                a.verdict = Verdict::Leak;
            }
            a
        };
        let mut isolates = Vec::new();
        let mut grows: Vec<(String, f64)> = Vec::new();
        let mut verdict = Verdict::NoLeak;
        let mut gc_count = 0;
        for (k, iso) in self.isolates.iter().enumerate() {
            let heap = settle(&iso.heap);
            gc_count += iso.gc_count;
            let external = settle(&iso.external);
            let (heap_report, external_report) = (
                SeriesReport::over(&heap, &iso.heap),
                SeriesReport::over(&external, &iso.external),
            );
            if heap.verdict == Verdict::Leak {
                grows.push((format!("js-heap ({})", iso.name), heap.slope_bytes_per_hour));
                verdict = Verdict::Leak;
            } else if heap.verdict == Verdict::Inconclusive && k == 0 && verdict != Verdict::Leak {
                verdict = Verdict::Inconclusive;
            }
            if external.verdict == Verdict::Leak {
                grows.push((format!("external ({})", iso.name), external.slope_bytes_per_hour));
                verdict = Verdict::Leak;
            }
            isolates.push(IsolateReport {
                isolate: iso.name.clone(),
                verdict: heap.verdict,
                gc_count: iso.gc_count,
                heap: heap_report,
                external: external_report,
                stats: iso.stats.clone(),
                ended: iso.ended,
            });
        }
        let mut native = settle(&self.native);
        let heap_growth: f64 = isolates
            .iter()
            .map(|i| {
                i.heap.growth_bytes_per_hour.max(0.0) + i.external.growth_bytes_per_hour.max(0.0)
            })
            .sum();
        if native.verdict == Verdict::Leak
            && native.slope_bytes_per_hour < NATIVE_SHARE * heap_growth
        {
            native.verdict = Verdict::NoLeak;
            native.reason = format!(
                "{}; less than {:.0} % of the JS heap's growth, so it is the heap's own bookkeeping",
                native.reason,
                NATIVE_SHARE * 100.0
            );
        }
        let mappings = self.mapping_trends();
        if native.verdict == Verdict::Leak {
            let growing: Vec<String> = mappings
                .iter()
                .filter(|k| k.verdict == Verdict::Leak)
                .map(|k| format!("{} {}", k.kind.as_str(), format_rate(k.growth_bytes_per_hour)))
                .collect();
            if !growing.is_empty() {
                native.reason =
                    format!("{}; mappings that grow: {}", native.reason, growing.join(", "));
            }
            grows.push(("native".into(), native.slope_bytes_per_hour));
            verdict = Verdict::Leak;
        } else if native.verdict == Verdict::Inconclusive && verdict == Verdict::NoLeak {
            verdict = Verdict::Inconclusive;
        }
        grows.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut samples: Vec<GcSample> = Vec::new();
        for iso in &mut self.isolates {
            samples.append(&mut iso.majors);
            samples.extend(iso.minors.drain(..));
        }
        samples.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
        let findings = self.findings.take().unwrap_or_else(|| {
            let (status, message) = match &self.capture {
                None if verdict != Verdict::Leak => {
                    ("not-available", "no leak, no snapshots".to_owned())
                }
                None => (
                    "not-available",
                    "snapshots were not captured (--no-snapshots or --max-snapshots 0)".to_owned(),
                ),
                Some(c) => (
                    "not-available",
                    format!(
                        "captured {} of {CAPTURE} snapshots before the session ended",
                        c.taken.len()
                    ),
                ),
            };
            Findings { status: status.into(), message, leaks: Vec::new() }
        });
        let heap = isolates
            .first()
            .map(|i| i.heap.clone())
            .unwrap_or_else(|| SeriesReport::over(&self.native.assess(), &self.native));
        Report {
            verdict,
            duration_s: self.started.elapsed().as_secs_f64(),
            gc_count,
            heap,
            rss: SeriesReport::over(&self.rss.assess(), &self.rss),
            native_growth_bytes_per_hour: native.slope_bytes_per_hour
                + isolates.iter().map(|i| i.external.growth_bytes_per_hour).sum::<f64>(),
            native: SeriesReport::over(&native, &self.native),
            grows: grows.into_iter().map(|g| g.0).collect(),
            pid: self.process.pid(),
            stop_reason,
            exit,
            isolates,
            leak_events: self.leak_events,
            snapshot_times_s: self
                .capture
                .as_ref()
                .map(|c| c.taken.iter().map(|t| t.2).collect())
                .unwrap_or_default(),
            snapshots: self
                .capture
                .map(|c| c.taken.into_iter().map(|t| t.0).collect())
                .unwrap_or_default(),
            leaks: findings.leaks.clone(),
            findings,
            samples,
            rss_samples: self.rss_samples.iter().map(|&(t, r)| (t, r)).collect(),
            mappings,
            mapping_samples: std::mem::take(&mut self.kind_samples),
            warnings: self.warnings,
        }
    }
}
