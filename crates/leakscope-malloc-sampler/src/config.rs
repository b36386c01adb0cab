//! Settings from the environment, read once at load time.

use std::ffi::CStr;
use std::path::PathBuf;
use std::time::Duration;

/// What the environment asked for.
#[derive(Debug)]
pub struct Config {
    /// Mean bytes between samples.
    pub sample_bytes: u64,
    /// Where to write `native-PID.txt`.
    pub out_dir: PathBuf,
    /// Time between periodic dumps; `None` for dumps only on request and at exit.
    pub interval: Option<Duration>,
    /// The FIFO to read dump requests from, when this process is the one asked.
    pub control: Option<PathBuf>,
    /// Frames to keep per stack.
    pub max_frames: usize,
    /// A signal that asks for a dump (`LEAKSCOPE_NATIVE_SIGNAL=USR2`), for use without
    /// leakscope: `kill -USR2 PID`.
    pub signal: Option<i32>,
}

/// `USR2`, `SIGUSR2` or a number.
fn signal_number(text: &str) -> Option<i32> {
    let name = text.trim().trim_start_matches("SIG");
    match name {
        "USR1" => Some(libc::SIGUSR1),
        "USR2" => Some(libc::SIGUSR2),
        "PROF" => Some(libc::SIGPROF),
        "WINCH" => Some(libc::SIGWINCH),
        _ => name.parse().ok().filter(|n| (1..65).contains(n)),
    }
}

/// The variable's value, if set and UTF-8.
fn var(name: &CStr) -> Option<String> {
    // SAFETY: getenv reads the environment; the result is copied before anything can change
    // it (this runs in the library constructor, before the program's main).
    let value = unsafe { libc::getenv(name.as_ptr()) };
    if value.is_null() {
        return None;
    }
    // SAFETY: getenv returns a NUL-terminated string.
    let value = unsafe { CStr::from_ptr(value) };
    value.to_str().ok().map(str::to_owned)
}

impl Config {
    /// Reads the settings; `None` when `LEAKSCOPE_NATIVE_OUT` is not set (forward only).
    pub fn from_env() -> Option<Self> {
        let out_dir = PathBuf::from(var(c"LEAKSCOPE_NATIVE_OUT")?);
        let sample_bytes = var(c"LEAKSCOPE_NATIVE_SAMPLE_BYTES")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&v| v > 0)
            .unwrap_or(512 * 1024);
        let interval = var(c"LEAKSCOPE_NATIVE_INTERVAL_MS")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&v| v > 0)
            .map(Duration::from_millis);
        let parent: Option<u32> =
            var(c"LEAKSCOPE_NATIVE_PARENT").and_then(|v| v.trim().parse().ok());
        // SAFETY: getppid cannot fail.
        let ppid = unsafe { libc::getppid() };
        let asked = parent.is_some_and(|p| i64::from(p) == i64::from(ppid));
        let control = var(c"LEAKSCOPE_NATIVE_CONTROL").filter(|_| asked).map(PathBuf::from);
        let max_frames = var(c"LEAKSCOPE_NATIVE_MAX_FRAMES")
            .and_then(|v| v.trim().parse::<usize>().ok())
            .map_or(crate::unwind::MAX_FRAMES, |n| n.clamp(4, crate::unwind::MAX_FRAMES));
        let signal = var(c"LEAKSCOPE_NATIVE_SIGNAL").and_then(|v| signal_number(&v));
        Some(Self { sample_bytes, out_dir, interval, control, max_frames, signal })
    }
}
