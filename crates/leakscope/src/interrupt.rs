//! Ctrl-C and SIGTERM for long-running commands: the first one asks the command to stop and
//! report what it has; the second one kills leakscope as usual.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(signal: libc::c_int) {
    if STOP.swap(true, Ordering::SeqCst) {
        // SAFETY: resetting to the default action and re-raising is async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
}

/// Installs the handlers for SIGINT and SIGTERM.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only touches an atomic (and re-raises on the second signal).
        unsafe {
            libc::signal(signal, handler);
        }
    }
}

/// The flag the handlers set, for code that polls it itself (`run`, `watch`).
pub fn flag() -> &'static AtomicBool {
    &STOP
}

/// Whether the user asked to stop.
pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Sleeps until `deadline`, waking early when the user asks to stop. Returns false then.
pub fn sleep_until(deadline: Instant) -> bool {
    loop {
        if requested() {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}
