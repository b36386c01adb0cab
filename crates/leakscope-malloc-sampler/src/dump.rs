//! Writing the live samples to `native-PID.txt`, from a background thread: every interval,
//! when a byte arrives on the control FIFO (from leakscope), when the signal named by
//! `LEAKSCOPE_NATIVE_SIGNAL` arrives (for use without leakscope; installed only if the program
//! has no handler for it yet), and at exit.
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
use std::sync::atomic::{AtomicI32, Ordering};
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
        MEAN_BYTES.load(Ordering::Relaxed)
    );
    if file.write_all(header.as_bytes()).is_err() {
        return false;
    }
    if let Ok(mut w) = WRITER.lock() {
        *w = Some(Writer { file, seq: 0, last_maps: String::new(), start: Instant::now() });
    }
    let mut wake: Vec<OwnedFd> =
        config.control.as_deref().and_then(open_fifo).into_iter().collect();
    if let Some(fd) = config.signal.and_then(install_signal) {
        wake.push(fd);
    }
    std::thread::Builder::new()
        .name("leakscope-dump".into())
        .spawn(move || {
            // This thread's allocations are the sampler's own: never sample them.
            let _ = STATE.try_with(|s| s.busy.set(true));
            run(config.interval, &wake);
        })
        .is_ok()
}

/// The write end of the pipe the signal handler pokes.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: write(2) is async-signal-safe; a full pipe just drops the byte.
        unsafe {
            libc::write(fd, c"d".as_ptr().cast(), 1);
        }
    }
}

/// Installs the dump-on-signal handler unless the program already handles that signal, and
/// returns the pipe's read end.
fn install_signal(signal: libc::c_int) -> Option<OwnedFd> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return None;
    }
    // SAFETY: fresh descriptors we own.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: zeroed sigaction is a valid "query" argument.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: querying the current action.
    if unsafe { libc::sigaction(signal, std::ptr::null(), &raw mut old) } != 0
        || old.sa_sigaction != libc::SIG_DFL
    {
        return None;
    }
    // SAFETY: as above.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    SIGNAL_PIPE.store(std::os::fd::IntoRawFd::into_raw_fd(write), Ordering::Relaxed);
    // SAFETY: installing a handler that only writes to a pipe.
    if unsafe { libc::sigaction(signal, &raw const action, std::ptr::null_mut()) } != 0 {
        return None;
    }
    Some(read)
}

/// Opened read-write so the FIFO always has a writer (us) and `poll` never reports a hang-up.
fn open_fifo(path: &std::path::Path) -> Option<OwnedFd> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: a NUL-terminated path; the fd is owned by the returned OwnedFd.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC) };
    // SAFETY: fd is a fresh descriptor we own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

fn run(interval: Option<Duration>, wake: &[OwnedFd]) {
    let mut next = interval.map(|i| Instant::now() + i);
    loop {
        let timeout_ms = next.map_or(-1, |n| {
            let left = n.saturating_duration_since(Instant::now()).as_millis();
            i32::try_from(left).unwrap_or(i32::MAX)
        });
        if wake.is_empty() && next.is_none() {
            return;
        }
        let requested = wait_readable(wake, timeout_ms);
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

/// Waits for a request byte on any of `fds` (the control FIFO, the signal pipe) and drains
/// them; with none, just sleeps. True if a request came.
fn wait_readable(fds: &[OwnedFd], timeout_ms: i32) -> bool {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 })
        .collect();
    let count = libc::nfds_t::try_from(pfds.len()).unwrap_or(0);
    // SAFETY: `count` valid pollfds (poll with none just sleeps).
    let n = unsafe { libc::poll(pfds.as_mut_ptr(), count, timeout_ms) };
    let mut requested = false;
    for p in pfds.iter().filter(|p| n > 0 && p.revents & libc::POLLIN != 0) {
        let mut buf = [0u8; 64];
        // SAFETY: reading into a local buffer of that size.
        requested |= unsafe { libc::read(p.fd, buf.as_mut_ptr().cast(), buf.len()) } > 0;
    }
    requested
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
    let mean = MEAN_BYTES.load(Ordering::Relaxed) as f64;
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
