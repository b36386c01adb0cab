//! The live sampled allocations and their stacks, in memory mapped once at load time (the
//! tables must never call malloc: they are used from inside it).

use std::sync::atomic::{AtomicU16, Ordering};

use crate::lock::SpinLock;

/// A zeroed array in its own anonymous mapping; pages are only faulted in when touched.
struct Region<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: the regions are plain memory; who may touch them is decided by the owner (atomics
// for the filter, the spin lock for the rest).
unsafe impl<T> Send for Region<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Region<T> {}

impl<T> Region<T> {
    /// `len` zeroed elements; `T` must be valid when all-zero.
    fn new(len: usize) -> Option<Self> {
        let bytes = len.checked_mul(size_of::<T>())?;
        // SAFETY: an anonymous private mapping with no address hint.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        (ptr != libc::MAP_FAILED).then(|| Self { ptr: ptr.cast(), len })
    }

    fn slice(&self) -> &[T] {
        // SAFETY: the mapping holds `len` zero-initialized elements for the process's life.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    #[allow(clippy::mut_from_ref)] // callers hold the spin lock, which serializes access
    fn slice_mut(&self) -> &mut [T] {
        // SAFETY: as above; exclusive access is guaranteed by the lock held by the caller.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// Live sampled pointers: open addressing with linear probing and backward-shift deletion.
struct Live {
    keys: Region<u64>,
    sizes: Region<u64>,
    stacks: Region<u32>,
    count: usize,
}

/// Distinct stacks, interned: id → frames, and cumulative sampled allocations per id.
struct Stacks {
    slots: Region<u32>,
    hashes: Region<u64>,
    offsets: Region<u32>,
    lens: Region<u16>,
    frames: Region<u64>,
    frames_used: usize,
    count: u32,
    total_samples: Region<u64>,
    total_bytes: Region<u64>,
}

struct Inner {
    live: Live,
    stacks: Stacks,
    dropped: u64,
    /// Stacks with ids below this were written to the output already.
    written: u32,
}

/// Everything the hooks share.
pub struct Tables {
    /// Counts of live samples per 16-byte-granule bucket of the address space (mod 16 MiB):
    /// zero means "certainly not sampled", checked by every `free` without a lock.
    filter: Region<AtomicU16>,
    inner: SpinLock<Inner>,
}

impl std::fmt::Debug for Tables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tables")
    }
}

const FILTER_BITS: u32 = 20;
const LIVE_SLOTS: usize = 1 << 18;
const STACK_SLOTS: usize = 1 << 17;
const MAX_STACKS: u32 = 1 << 16;
const FRAME_POOL: usize = 1 << 22;

/// Stack id for samples whose stack did not fit.
pub const UNKNOWN_STACK: u32 = 0;

fn hash64(x: u64) -> u64 {
    let x = (x ^ (x >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    let x = (x ^ (x >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

fn filter_index(ptr: u64) -> usize {
    ((ptr >> 4) & ((1 << FILTER_BITS) - 1)) as usize
}

/// What a dump needs, copied out under the lock.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// `(stack id, size)` of every live sample.
    pub live: Vec<(u32, u64)>,
    /// Stacks not written before: `(id, frames)`.
    pub new_stacks: Vec<(u32, Vec<u64>)>,
    /// Cumulative `(samples, sampled bytes)` per stack id.
    pub totals: Vec<(u64, u64)>,
    /// Samples not recorded because a table was full.
    pub dropped: u64,
}

impl Tables {
    /// Maps the tables (about 60 MiB of address space, a few MiB resident in practice).
    pub fn new() -> Option<Self> {
        let stacks = Stacks {
            slots: Region::new(STACK_SLOTS)?,
            hashes: Region::new(STACK_SLOTS)?,
            offsets: Region::new(MAX_STACKS as usize)?,
            lens: Region::new(MAX_STACKS as usize)?,
            frames: Region::new(FRAME_POOL)?,
            frames_used: 0,
            // Id 0 is the unknown stack.
            count: 1,
            total_samples: Region::new(MAX_STACKS as usize)?,
            total_bytes: Region::new(MAX_STACKS as usize)?,
        };
        let live = Live {
            keys: Region::new(LIVE_SLOTS)?,
            sizes: Region::new(LIVE_SLOTS)?,
            stacks: Region::new(LIVE_SLOTS)?,
            count: 0,
        };
        Some(Self {
            filter: Region::new(1 << FILTER_BITS)?,
            inner: SpinLock::new(Inner { live, stacks, dropped: 0, written: 0 }),
        })
    }

    /// Whether `ptr` may be a live sample. False positives only cost a lock.
    pub fn maybe_sampled(&self, ptr: u64) -> bool {
        self.filter.slice().get(filter_index(ptr)).is_some_and(|c| c.load(Ordering::Relaxed) != 0)
    }

    /// Records a sampled allocation.
    pub fn insert(&self, ptr: u64, size: u64, frames: &[u64]) {
        let mut inner = self.inner.lock();
        let stack = inner.stacks.intern(frames);
        if let Some(s) = inner.stacks.total_samples.slice_mut().get_mut(stack as usize) {
            *s += 1;
        }
        if let Some(b) = inner.stacks.total_bytes.slice_mut().get_mut(stack as usize) {
            *b += size;
        }
        match inner.live.insert(ptr, size, stack) {
            Some(true) => {
                if let Some(c) = self.filter.slice().get(filter_index(ptr)) {
                    // Saturated buckets stay saturated: a few extra locks, never a miss.
                    let _ =
                        c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_add(1));
                }
            }
            Some(false) => {}
            None => inner.dropped += 1,
        }
    }

    /// Forgets `ptr` if it is a live sample, returning its size and stack.
    pub fn remove(&self, ptr: u64) -> Option<(u64, u32)> {
        let mut inner = self.inner.lock();
        let found = inner.live.remove(ptr);
        if found.is_some()
            && let Some(c) = self.filter.slice().get(filter_index(ptr))
        {
            let _ = c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                // A saturated bucket never goes down: other pointers may still count on it.
                (v != u16::MAX).then(|| v.saturating_sub(1))
            });
        }
        found
    }

    /// Puts back a sample that `remove` took out (a `realloc` that failed).
    pub fn restore(&self, ptr: u64, size: u64, stack: u32) {
        let mut inner = self.inner.lock();
        if inner.live.insert(ptr, size, stack) == Some(true)
            && let Some(c) = self.filter.slice().get(filter_index(ptr))
        {
            let _ = c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_add(1));
        }
    }

    /// Copies what a dump needs; allocates, so only from a thread whose allocations pass
    /// straight through (the hooks are not re-entered, so the lock is not taken twice).
    pub fn snapshot(&self) -> Snapshot {
        let mut inner = self.inner.lock();
        let mut snap = Snapshot { dropped: inner.dropped, ..Snapshot::default() };
        snap.live.reserve(inner.live.count);
        let live = &inner.live;
        for ((&k, &size), &stack) in
            live.keys.slice().iter().zip(live.sizes.slice()).zip(live.stacks.slice())
        {
            if k != 0 {
                snap.live.push((stack, size));
            }
        }
        let stacks = &inner.stacks;
        for id in inner.written..stacks.count {
            snap.new_stacks.push((id, stacks.frames_of(id).to_vec()));
        }
        snap.totals = stacks
            .total_samples
            .slice()
            .iter()
            .zip(stacks.total_bytes.slice())
            .take(stacks.count as usize)
            .map(|(&n, &b)| (n, b))
            .collect();
        inner.written = inner.stacks.count;
        snap
    }

    /// Fork preparation: no other thread may hold the lock across `fork`.
    pub fn lock_for_fork(&self) {
        self.inner.acquire_raw();
    }

    /// After `fork`, in the parent and the child.
    pub fn unlock_after_fork(&self) {
        self.inner.force_unlock();
    }
}

impl Live {
    fn mask() -> usize {
        LIVE_SLOTS - 1
    }

    /// `Some(true)` if added, `Some(false)` if it replaced a stale entry for the same pointer
    /// (freed by a path that bypassed the hooks), `None` if the table is full.
    fn insert(&mut self, ptr: u64, size: u64, stack: u32) -> Option<bool> {
        if self.count * 2 >= LIVE_SLOTS {
            return None;
        }
        let keys = self.keys.slice_mut();
        let mut i = hash64(ptr) as usize & Self::mask();
        loop {
            let k = *keys.get(i)?;
            if k == 0 || k == ptr {
                let added = k == 0;
                *keys.get_mut(i)? = ptr;
                *self.sizes.slice_mut().get_mut(i)? = size;
                *self.stacks.slice_mut().get_mut(i)? = stack;
                if added {
                    self.count += 1;
                }
                return Some(added);
            }
            i = (i + 1) & Self::mask();
        }
    }

    fn remove(&mut self, ptr: u64) -> Option<(u64, u32)> {
        let mask = Self::mask();
        let keys = self.keys.slice_mut();
        let sizes = self.sizes.slice_mut();
        let stacks = self.stacks.slice_mut();
        let mut i = hash64(ptr) as usize & mask;
        loop {
            let k = *keys.get(i)?;
            if k == 0 {
                return None;
            }
            if k == ptr {
                break;
            }
            i = (i + 1) & mask;
        }
        let found = (*sizes.get(i)?, *stacks.get(i)?);
        // Backward-shift deletion keeps probe chains unbroken without tombstones.
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let kj = *keys.get(j)?;
            if kj == 0 {
                break;
            }
            let home = hash64(kj) as usize & mask;
            // Move j into the hole at i when its home is not cyclically in (i, j].
            let between = if i <= j { i < home && home <= j } else { i < home || home <= j };
            if !between {
                keys[i] = kj;
                sizes[i] = sizes[j];
                stacks[i] = stacks[j];
                i = j;
            }
        }
        keys[i] = 0;
        self.count -= 1;
        Some(found)
    }
}

impl Stacks {
    fn frames_of(&self, id: u32) -> &[u64] {
        let (Some(&off), Some(&len)) =
            (self.offsets.slice().get(id as usize), self.lens.slice().get(id as usize))
        else {
            return &[];
        };
        self.frames.slice().get(off as usize..off as usize + len as usize).unwrap_or(&[])
    }

    fn intern(&mut self, frames: &[u64]) -> u32 {
        let h = frames.iter().fold(0x9e37_79b9_7f4a_7c15u64, |h, &f| hash64(h ^ f)) | 1;
        let mask = STACK_SLOTS - 1;
        let mut i = h as usize & mask;
        loop {
            let Some(&slot) = self.slots.slice().get(i) else { return UNKNOWN_STACK };
            if slot == 0 {
                break;
            }
            if self.hashes.slice().get(i) == Some(&h) && self.frames_of(slot) == frames {
                return slot;
            }
            i = (i + 1) & mask;
        }
        let id = self.count;
        let off = self.frames_used;
        let Ok(len) = u16::try_from(frames.len()) else { return UNKNOWN_STACK };
        if id >= MAX_STACKS || off + frames.len() > FRAME_POOL {
            return UNKNOWN_STACK;
        }
        let (Ok(off32), Some(dest)) =
            (u32::try_from(off), self.frames.slice_mut().get_mut(off..off + frames.len()))
        else {
            return UNKNOWN_STACK;
        };
        dest.copy_from_slice(frames);
        self.frames_used += frames.len();
        self.offsets.slice_mut()[id as usize] = off32;
        self.lens.slice_mut()[id as usize] = len;
        self.slots.slice_mut()[i] = id;
        self.hashes.slice_mut()[i] = h;
        self.count += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn live_table_agrees_with_a_hash_map_under_churn() {
        let tables = Tables::new().unwrap();
        let mut model: HashMap<u64, u64> = HashMap::new();
        let mut x = 0x1234_5678_u64;
        for step in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct pointers, so inserts, stale replacements and removals all collide.
            let ptr = ((x % 5000) + 1) * 16;
            if x.is_multiple_of(3) {
                let got = tables.remove(ptr).map(|(size, _)| size);
                assert_eq!(got, model.remove(&ptr), "step {step}");
            } else {
                tables.insert(ptr, step, &[ptr, 1, 2]);
                model.insert(ptr, step);
            }
            if model.contains_key(&ptr) {
                assert!(tables.maybe_sampled(ptr), "filter lost {ptr:#x} at step {step}");
            }
        }
        let snap = tables.snapshot();
        assert_eq!(snap.live.len(), model.len());
        let mut sizes: Vec<u64> = snap.live.iter().map(|&(_, s)| s).collect();
        let mut want: Vec<u64> = model.values().copied().collect();
        sizes.sort_unstable();
        want.sort_unstable();
        assert_eq!(sizes, want);
        // Every live pointer passes the filter (no false negatives).
        assert!(model.keys().all(|&p| tables.maybe_sampled(p)));
        // 5000 distinct stacks were interned once each, plus the unknown stack.
        assert_eq!(snap.new_stacks.len(), 5001);
        assert!(tables.snapshot().new_stacks.is_empty(), "stacks are written once");
    }
}
