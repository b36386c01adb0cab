//! Writing the live samples to `native-PID.txt`, from a background thread.
//!
//! The file is a sequence of dumps, appended, one line per record:
//!
//! ```text
//! leakscope-native 1 pid=4242 sample_bytes=524288
//! dump SEQ T_MS REASON                 REASON: interval, request or exit; T_MS since load
//! map START END OFFSET PATH            executable file mappings (hex), when they changed
//! stack ID ADDR ADDR ...               frames (hex, innermost first), once per stack
//! site ID LIVE_SAMPLES LIVE_SAMPLED_BYTES LIVE_ESTIMATE VARIANCE TOTAL_SAMPLES TOTAL_SAMPLED_BYTES
//! end SEQ LIVE_SAMPLES DROPPED
//! ```
//!
//! A dump without its `end` line was cut short (the process was killed) and is ignored by
//! the reader. `LIVE_ESTIMATE` is the Horvitz–Thompson estimate of the live bytes allocated
//! at the site, `Σ s / p(s)` with `p(s) = 1 - exp(-s / T)`, and `VARIANCE` its variance
//! estimate, `Σ s² (1 - p) / p²`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::hooks::TABLES;
use crate::sampling::{MEAN_BYTES, STATE};

struct Writer {
    file: File,
    seq: u64,
    last_maps: String,
    start: Instant,
}

static WRITER: Mutex<Option<Writer>> = Mutex::new(None);

/// Opens the output and starts the dump thread. False if the output cannot be created.
pub fn start(config: Config) -> bool {
    // SAFETY: getpid cannot fail.
    let pid = unsafe { libc::getpid() };
    let path = config.out_dir.join(format!("native-{pid}.txt"));
    let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) else {
        return false;
    };
    let header = format!(
        "leakscope-native 1 pid={pid} sample_bytes={}\n",
        MEAN_BYTES.load(std::sync::atomic::Ordering::Relaxed)
    );
    if file.write_all(header.as_bytes()).is_err() {
        return false;
    }
    if let Ok(mut w) = WRITER.lock() {
        *w = Some(Writer { file, seq: 0, last_maps: String::new(), start: Instant::now() });
    }
    let control = config.control.as_deref().and_then(open_fifo);
    std::thread::Builder::new()
        .name("leakscope-dump".into())
        .spawn(move || {
            // This thread's allocations are the sampler's own: never sample them.
            let _ = STATE.try_with(|s| s.busy.set(true));
            run(config.interval, control);
        })
        .is_ok()
}

/// Opened read-write so the FIFO always has a writer (us) and `poll` never reports a hang-up.
fn open_fifo(path: &std::path::Path) -> Option<OwnedFd> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: a NUL-terminated path; the fd is owned by the returned OwnedFd.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC) };
    // SAFETY: fd is a fresh descriptor we own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

fn run(interval: Option<Duration>, control: Option<OwnedFd>) {
    let mut next = interval.map(|i| Instant::now() + i);
    loop {
        let timeout_ms = next.map_or(-1, |n| {
            let left = n.saturating_duration_since(Instant::now()).as_millis();
            i32::try_from(left).unwrap_or(i32::MAX)
        });
        let requested = match &control {
            Some(fd) => wait_readable(fd, timeout_ms),
            None => {
                match next {
                    Some(n) => std::thread::sleep(n.saturating_duration_since(Instant::now())),
                    None => return,
                }
                false
            }
        };
        if requested {
            now("request");
        } else if let (Some(n), Some(i)) = (next, interval)
            && Instant::now() >= n
        {
            now("interval");
            next = Some(Instant::now() + i);
        }
    }
}

/// Waits for a request byte; drains the FIFO. True if a request came.
fn wait_readable(fd: &OwnedFd, timeout_ms: i32) -> bool {
    let mut pfd = libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&raw mut pfd, 1, timeout_ms) };
    if n <= 0 || pfd.revents & libc::POLLIN == 0 {
        return false;
    }
    let mut buf = [0u8; 64];
    // SAFETY: reading into a local buffer of that size.
    let r = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    r > 0
}

/// Writes one dump now.
pub fn now(reason: &str) {
    let Some(tables) = TABLES.get() else { return };
    let Ok(mut guard) = WRITER.lock() else { return };
    let Some(w) = guard.as_mut() else { return };
    let snap = tables.snapshot();
    w.seq += 1;
    let mut out = String::with_capacity(4096);
    let t_ms = w.start.elapsed().as_millis();
    let _ = writeln!(out, "dump {} {t_ms} {reason}", w.seq);
    let maps = executable_maps();
    if maps != w.last_maps {
        out.push_str(&maps);
        w.last_maps = maps;
    }
    for (id, frames) in &snap.new_stacks {
        let _ = write!(out, "stack {id}");
        for f in frames {
            let _ = write!(out, " {f:x}");
        }
        out.push('\n');
    }
    #[allow(clippy::cast_precision_loss)] // statistics in f64
    let mean = MEAN_BYTES.load(std::sync::atomic::Ordering::Relaxed) as f64;
    // (samples, sampled bytes, estimate, variance) per stack id.
    let mut sites = vec![(0u64, 0u64, 0f64, 0f64); snap.totals.len()];
    for &(stack, size) in &snap.live {
        if let Some(s) = sites.get_mut(stack as usize) {
            #[allow(clippy::cast_precision_loss)]
            let sz = size as f64;
            let p = -(-sz / mean).exp_m1();
            s.0 += 1;
            s.1 += size;
            if p > 0.0 {
                s.2 += sz / p;
                s.3 += sz * sz * (1.0 - p) / (p * p);
            }
        }
    }
    for (id, (site, total)) in sites.iter().zip(&snap.totals).enumerate() {
        if site.0 > 0 || total.0 > 0 {
            let _ = writeln!(
                out,
                "site {id} {} {} {:.0} {:.0} {} {}",
                site.0, site.1, site.2, site.3, total.0, total.1
            );
        }
    }
    let _ = writeln!(out, "end {} {} {}", w.seq, snap.live.len(), snap.dropped);
    let _ = w.file.write_all(out.as_bytes());
}

/// `map START END OFFSET PATH` lines for the executable file mappings of this process.
fn executable_maps() -> String {
    let Ok(text) = std::fs::read_to_string("/proc/self/maps") else { return String::new() };
    let mut out = String::new();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms), Some(offset), Some(_dev), Some(_inode)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let path = parts.collect::<Vec<_>>().join(" ");
        if !perms.contains('x') || !path.starts_with('/') {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else { continue };
        let _ = writeln!(out, "map {start} {end} {offset} {path}");
    }
    out
}
