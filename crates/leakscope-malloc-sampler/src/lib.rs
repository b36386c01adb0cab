//! The allocation sampler that `leakscope native` preloads (`LD_PRELOAD`) into a program.
//!
//! It replaces `malloc`, `calloc`, `realloc`, `reallocarray`, `free`, `posix_memalign`,
//! `aligned_alloc`, `memalign`, `valloc` and `pvalloc`, forwarding each to glibc's own
//! implementation (`__libc_malloc`…; C++ `operator new`/`delete` in libstdc++ call these
//! too). Allocations are sampled by bytes, as tcmalloc does: sample points fall on the
//! allocated bytes as a Poisson process with one point per `LEAKSCOPE_NATIVE_SAMPLE_BYTES`
//! (512 KiB by default) on average, and an allocation is sampled when a point falls in it, so
//! an allocation of `s` bytes is sampled with probability `1 - exp(-s / T)`. Only sampled
//! allocations pay for a stack trace (DWARF unwinding with libgcc's `_Unwind_Backtrace`);
//! every `free` pays for one load from a 2 MiB filter that says whether the pointer may be
//! sampled.
//!
//! A background thread appends the live sampled allocations, aggregated per stack, to
//! `$LEAKSCOPE_NATIVE_OUT/native-PID.txt` every `LEAKSCOPE_NATIVE_INTERVAL_MS`, when a byte
//! arrives on the FIFO `LEAKSCOPE_NATIVE_CONTROL` (only in the process whose parent is
//! `LEAKSCOPE_NATIVE_PARENT`, so children that inherit the environment do not steal the
//! requests), on the signal named by `LEAKSCOPE_NATIVE_SIGNAL` (e.g. `USR2`, for use without
//! leakscope; only if the program has no handler for it), and at exit. Without `LEAKSCOPE_NATIVE_OUT` the library only forwards.
//! Symbolization happens in `leakscope`, from the executable mappings written beside the
//! stacks. The format is described in `dump.rs`.
//!
//! Limits: glibc only (the forwarding targets are glibc's); a forked child that does not
//! exec stops sampling; programs that link another allocator statically are not seen.

mod config;
mod dump;
mod hooks;
mod lock;
mod sampling;
mod table;
mod unwind;
