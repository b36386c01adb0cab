//! The exported allocation functions, load-time setup and exit-time dump.

use std::ffi::{c_int, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::sampling::{MEAN_BYTES, STATE};
use crate::table::Tables;
use crate::{dump, unwind};

unsafe extern "C" {
    fn __libc_malloc(size: usize) -> *mut c_void;
    fn __libc_free(ptr: *mut c_void);
    fn __libc_calloc(n: usize, size: usize) -> *mut c_void;
    fn __libc_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn __libc_memalign(align: usize, size: usize) -> *mut c_void;
    fn __libc_valloc(size: usize) -> *mut c_void;
    fn __libc_pvalloc(size: usize) -> *mut c_void;
}

/// The tables, once set up; until then (and without `LEAKSCOPE_NATIVE_OUT`) every hook only
/// forwards.
pub static TABLES: OnceLock<Tables> = OnceLock::new();
/// Cleared in a forked child, which has no dump thread.
static ENABLED: AtomicBool = AtomicBool::new(false);
static MAX_FRAMES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(unwind::MAX_FRAMES);

/// Runs `f` with this thread marked busy, so allocations inside pass straight through.
/// Returns `None` if the thread was already busy (a nested call from our own code) or its
/// TLS is gone (thread exit).
pub fn as_busy<R>(f: impl FnOnce() -> R) -> Option<R> {
    STATE
        .try_with(|s| {
            if s.busy.replace(true) {
                return None;
            }
            let r = f();
            s.busy.set(false);
            Some(r)
        })
        .ok()
        .flatten()
}

/// After an allocation of `size` bytes returned `ptr`: sample it if a point falls in it.
#[inline]
fn after_alloc(ptr: *mut c_void, size: usize) {
    if ptr.is_null() || !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let sampled = STATE.try_with(|s| !s.busy.get() && s.take(size)).unwrap_or(false);
    if sampled {
        record(ptr as u64, size as u64);
    }
}

#[cold]
#[inline(never)]
fn record(ptr: u64, size: u64) {
    let Some(tables) = TABLES.get() else { return };
    as_busy(|| {
        let mut frames = [0u64; unwind::MAX_FRAMES];
        let max = MAX_FRAMES.load(Ordering::Relaxed).min(frames.len());
        let n = unwind::capture(frames.get_mut(..max).unwrap_or_default());
        tables.insert(ptr, size, frames.get(..n).unwrap_or_default());
    });
}

/// Before `ptr` goes back to glibc: forget it if it is a live sample.
#[inline]
fn before_free(ptr: *mut c_void) -> Option<(u64, u32)> {
    if ptr.is_null() {
        return None;
    }
    let tables = TABLES.get()?;
    if !tables.maybe_sampled(ptr as u64) {
        return None;
    }
    as_busy(|| tables.remove(ptr as u64)).flatten()
}

/// # Safety
/// As C's `malloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    // SAFETY: forwarding the caller's request.
    let p = unsafe { __libc_malloc(size) };
    after_alloc(p, size);
    p
}

/// # Safety
/// As C's `free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    let _ = before_free(ptr);
    // SAFETY: forwarding the caller's pointer, which came from glibc through these hooks.
    unsafe { __libc_free(ptr) }
}

/// # Safety
/// As C's `calloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
    // SAFETY: forwarding; glibc checks the multiplication for overflow.
    let p = unsafe { __libc_calloc(n, size) };
    after_alloc(p, n.saturating_mul(size));
    p
}

/// # Safety
/// As C's `realloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    let old = before_free(ptr);
    // SAFETY: forwarding the caller's pointer and size.
    let p = unsafe { __libc_realloc(ptr, size) };
    if p.is_null() && size != 0 {
        // The old block is still the caller's.
        if let (Some((old_size, stack)), Some(t)) = (old, TABLES.get()) {
            as_busy(|| t.restore(ptr as u64, old_size, stack));
        }
        return p;
    }
    after_alloc(p, size);
    p
}

/// # Safety
/// As glibc's `reallocarray`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn reallocarray(ptr: *mut c_void, n: usize, size: usize) -> *mut c_void {
    match n.checked_mul(size) {
        // SAFETY: as realloc.
        Some(total) => unsafe { realloc(ptr, total) },
        None => {
            // SAFETY: errno is this thread's.
            unsafe { *libc::__errno_location() = libc::ENOMEM };
            std::ptr::null_mut()
        }
    }
}

/// # Safety
/// As C's `posix_memalign`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> c_int {
    if !align.is_power_of_two() || !align.is_multiple_of(size_of::<*mut c_void>()) {
        return libc::EINVAL;
    }
    // SAFETY: forwarding with a valid alignment.
    let p = unsafe { __libc_memalign(align, size) };
    if p.is_null() {
        return libc::ENOMEM;
    }
    after_alloc(p, size);
    // SAFETY: the caller passes a valid out pointer.
    unsafe { *out = p };
    0
}

/// # Safety
/// As C's `aligned_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    // SAFETY: as memalign.
    unsafe { memalign(align, size) }
}

/// # Safety
/// As glibc's `memalign`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memalign(align: usize, size: usize) -> *mut c_void {
    // SAFETY: forwarding; glibc validates the alignment.
    let p = unsafe { __libc_memalign(align, size) };
    after_alloc(p, size);
    p
}

/// # Safety
/// As glibc's `valloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn valloc(size: usize) -> *mut c_void {
    // SAFETY: forwarding.
    let p = unsafe { __libc_valloc(size) };
    after_alloc(p, size);
    p
}

/// # Safety
/// As glibc's `pvalloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pvalloc(size: usize) -> *mut c_void {
    // SAFETY: forwarding.
    let p = unsafe { __libc_pvalloc(size) };
    after_alloc(p, size);
    p
}

/// Rust code in this library allocates straight from glibc, never through the hooks.
struct Glibc;

// SAFETY: forwards to glibc's allocator, which meets GlobalAlloc's contract.
unsafe impl std::alloc::GlobalAlloc for Glibc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: glibc's malloc/memalign with the layout's size and alignment.
        unsafe {
            if layout.align() <= 16 {
                __libc_malloc(layout.size()).cast()
            } else {
                __libc_memalign(layout.align(), layout.size()).cast()
            }
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: ptr came from alloc above.
        unsafe { __libc_free(ptr.cast()) }
    }
}

#[global_allocator]
static ALLOCATOR: Glibc = Glibc;

extern "C" fn fork_prepare() {
    if let Some(t) = TABLES.get() {
        t.lock_for_fork();
    }
}

extern "C" fn fork_parent() {
    if let Some(t) = TABLES.get() {
        t.unlock_after_fork();
    }
}

extern "C" fn fork_child() {
    // No dump thread here, and usually an exec follows: stop sampling.
    ENABLED.store(false, Ordering::SeqCst);
    if let Some(t) = TABLES.get() {
        t.unlock_after_fork();
    }
}

extern "C" fn init() {
    as_busy(|| {
        let Some(config) = Config::from_env() else { return };
        let Some(tables) = Tables::new() else { return };
        MEAN_BYTES.store(config.sample_bytes, Ordering::Relaxed);
        MAX_FRAMES.store(config.max_frames, Ordering::Relaxed);
        if TABLES.set(tables).is_err() {
            return;
        }
        // SAFETY: registering plain functions.
        unsafe {
            libc::pthread_atfork(Some(fork_prepare), Some(fork_parent), Some(fork_child));
        }
        if dump::start(config) {
            ENABLED.store(true, Ordering::SeqCst);
        }
    });
}

extern "C" fn fini() {
    if ENABLED.swap(false, Ordering::SeqCst) {
        as_busy(|| dump::now("exit"));
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static INIT: extern "C" fn() = init;

#[used]
#[unsafe(link_section = ".fini_array")]
static FINI: extern "C" fn() = fini;
