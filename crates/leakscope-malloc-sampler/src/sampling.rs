//! Which allocations to sample: a per-thread byte countdown to the next sample point, drawn
//! from an exponential distribution (a Poisson process over allocated bytes).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Mean bytes between sample points, set once at load time.
pub static MEAN_BYTES: AtomicU64 = AtomicU64::new(512 * 1024);

/// Per-thread state; one TLS block so the hot path looks it up once.
pub struct ThreadState {
    /// Bytes left until the next sample point.
    left: Cell<i64>,
    /// xorshift64* state; 0 until the thread's first slow path.
    rng: Cell<u64>,
    /// Set while this thread runs the sampler's own code: its allocations pass through.
    pub busy: Cell<bool>,
}

thread_local! {
    pub static STATE: ThreadState = const {
        ThreadState { left: Cell::new(0), rng: Cell::new(0), busy: Cell::new(false) }
    };
}

impl ThreadState {
    /// Counts `size` bytes; true when a sample point falls in them.
    #[inline]
    pub fn take(&self, size: usize) -> bool {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let left = self.left.get().saturating_sub(size);
        if left > 0 {
            self.left.set(left);
            return false;
        }
        self.slow_take(size)
    }

    #[cold]
    fn slow_take(&self, size: i64) -> bool {
        if self.rng.get() == 0 {
            // The thread's first allocation: start its process with a fresh draw.
            self.rng.set(seed(self));
            let left = self.next_distance().saturating_sub(size);
            self.left.set(left.max(0));
            if left > 0 {
                return false;
            }
            self.left.set(self.next_distance());
            return true;
        }
        // By memorylessness, the distance past this allocation to the next point is a fresh
        // exponential draw.
        self.left.set(self.next_distance());
        true
    }

    fn next_distance(&self) -> i64 {
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        let bits = x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        // Uniform in (0, 1].
        #[allow(clippy::cast_precision_loss)] // 53 bits fit an f64 exactly
        let u = (bits as f64 + 1.0) / (1u64 << 53) as f64;
        #[allow(clippy::cast_precision_loss)]
        let mean = MEAN_BYTES.load(Ordering::Relaxed) as f64;
        #[allow(clippy::cast_possible_truncation)] // far below i64::MAX for sane means
        let d = (-u.ln() * mean) as i64;
        d.max(1)
    }
}

fn seed(state: &ThreadState) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is valid for writes.
    unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts);
    }
    let addr = std::ptr::from_ref(state) as u64;
    #[allow(clippy::cast_sign_loss)] // mixing bits
    let s = (ts.tv_nsec as u64) ^ ((ts.tv_sec as u64) << 32) ^ addr.rotate_left(17);
    let s = s.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    if s == 0 { 0x1234_5678_9abc_def1 } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_mean_bytes_on_average() {
        let state = ThreadState { left: Cell::new(0), rng: Cell::new(0), busy: Cell::new(false) };
        let mean = MEAN_BYTES.load(Ordering::Relaxed);
        let (size, count) = (1000usize, 10_000_000u64);
        let samples = (0..count).filter(|_| state.take(size)).count();
        #[allow(clippy::cast_precision_loss)]
        let expected = (count * size as u64) as f64 * (1.0 - (-(size as f64) / mean as f64).exp())
            / size as f64;
        #[allow(clippy::cast_precision_loss)]
        let ratio = samples as f64 / expected;
        // About 19,500 samples: 5 % is more than 7 standard errors.
        assert!((ratio - 1.0).abs() < 0.05, "{samples} samples, expected {expected:.0}");
    }
}
