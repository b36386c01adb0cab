//! Native stacks of sampled allocations, by DWARF unwinding (libgcc's `_Unwind_Backtrace`,
//! which finds FDEs through `_dl_find_object` and does not allocate).
//!
//! Frame pointers alone lose the caller of `operator new` (libstdc++ is built without them),
//! which is exactly the frame that names an allocation site; the unwinder costs a few
//! microseconds per sample, and only sampled allocations pay it. Unwinding stops at the
//! first frame without unwind information: V8's JIT code and builtins. The native part of
//! the stack is what a native leak needs.

use std::ffi::{c_int, c_void};

/// The most frames kept per stack.
pub const MAX_FRAMES: usize = 48;

#[repr(C)]
struct UnwindContext {
    _private: [u8; 0],
}

type TraceFn = extern "C" fn(*mut UnwindContext, *mut c_void) -> c_int;

unsafe extern "C" {
    fn _Unwind_Backtrace(trace: TraceFn, arg: *mut c_void) -> c_int;
    fn _Unwind_GetIP(ctx: *mut UnwindContext) -> usize;
}

const URC_NO_REASON: c_int = 0;
const URC_NORMAL_STOP: c_int = 4;

struct Trace<'a> {
    frames: &'a mut [u64],
    len: usize,
}

extern "C" fn on_frame(ctx: *mut UnwindContext, arg: *mut c_void) -> c_int {
    // SAFETY: arg is the &mut Trace passed to _Unwind_Backtrace below, alive for the call.
    let trace = unsafe { &mut *arg.cast::<Trace<'_>>() };
    // SAFETY: ctx is the unwinder's context for this frame.
    let ip = unsafe { _Unwind_GetIP(ctx) };
    if ip == 0 {
        return URC_NORMAL_STOP;
    }
    match trace.frames.get_mut(trace.len) {
        Some(slot) => {
            *slot = ip as u64;
            trace.len += 1;
            URC_NO_REASON
        }
        None => URC_NORMAL_STOP,
    }
}

/// Fills `frames` with return addresses, innermost first (starting inside this library; the
/// reader drops those frames), and returns how many.
pub fn capture(frames: &mut [u64]) -> usize {
    let mut trace = Trace { frames, len: 0 };
    // SAFETY: on_frame only writes into `trace`, which outlives the call.
    unsafe {
        _Unwind_Backtrace(on_frame, (&raw mut trace).cast());
    }
    trace.len
}
