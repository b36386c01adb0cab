//! [`ReadMemory`]: the memory of a process, from a core file or a live process.

/// One mapping of the dumped process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// The process could read it.
    pub readable: bool,
    /// The process could write it.
    pub writable: bool,
    /// The process could execute it.
    pub executable: bool,
    /// The file it maps, when the source knows (`None` for anonymous memory).
    pub path: Option<String>,
    /// How many bytes from `start` the source holds (a kernel core omits untouched and
    /// `PROT_NONE` pages: a region may have fewer bytes than its size, even none).
    pub present: u64,
}

impl Region {
    /// The region's size in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the region is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// The memory of one process, as some source holds it.
///
/// All V8 walking in this crate goes through this trait, so the same code reads a core file
/// ([`crate::CoreFile`]) and a stopped live process ([`crate::LiveProcess`]). Sources hand out
/// borrowed bytes: a core file from its memory map, a live process from the copy it made while
/// the process was stopped.
pub trait ReadMemory {
    /// The mappings, sorted by address, not overlapping.
    fn regions(&self) -> &[Region];

    /// The bytes of `[addr, addr + len)`, when they all lie in one region and the source holds
    /// them.
    fn bytes(&self, addr: u64, len: usize) -> Option<&[u8]>;

    /// Copies `[addr, addr + buf.len())` into `buf`; `false` when the source lacks a byte.
    ///
    /// For probing many scattered places (page headers): a core file reads these without
    /// mapping the pages into memory.
    fn read_into(&self, addr: u64, buf: &mut [u8]) -> bool {
        match self.bytes(addr, buf.len()) {
            Some(b) => {
                buf.copy_from_slice(b);
                true
            }
            None => false,
        }
    }

    /// The region containing `addr`.
    fn region_of(&self, addr: u64) -> Option<&Region> {
        let regions = self.regions();
        let i = regions.partition_point(|r| r.end <= addr);
        regions.get(i).filter(|r| r.start <= addr)
    }

    /// The bytes a region holds, from its start.
    fn region_bytes(&self, region: &Region) -> &[u8] {
        usize::try_from(region.present)
            .ok()
            .and_then(|len| self.bytes(region.start, len))
            .unwrap_or_default()
    }

    /// A little-endian u64 at `addr`.
    fn u64_at(&self, addr: u64) -> Option<u64> {
        let b = self.bytes(addr, 8)?;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }

    /// A little-endian i32 at `addr`.
    fn i32_at(&self, addr: u64) -> Option<i32> {
        let b = self.bytes(addr, 4)?;
        Some(i32::from_le_bytes(b.try_into().ok()?))
    }
}

/// Finds the region holding `addr` in regions sorted by start; shared by the sources.
pub(crate) fn find_region(regions: &[Region], addr: u64) -> Option<usize> {
    let i = regions.partition_point(|r| r.end <= addr);
    regions.get(i).filter(|r| r.start <= addr).map(|_| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(start: u64, end: u64) -> Region {
        Region {
            start,
            end,
            readable: true,
            writable: true,
            executable: false,
            path: None,
            present: end - start,
        }
    }

    #[test]
    fn find_region_bounds() {
        let rs = [region(0x1000, 0x2000), region(0x3000, 0x4000)];
        assert_eq!(find_region(&rs, 0xfff), None);
        assert_eq!(find_region(&rs, 0x1000), Some(0));
        assert_eq!(find_region(&rs, 0x1fff), Some(0));
        assert_eq!(find_region(&rs, 0x2000), None);
        assert_eq!(find_region(&rs, 0x3800), Some(1));
        assert_eq!(find_region(&rs, 0x4000), None);
    }
}

/// Remembers the last few regions reads hit: reads cluster in a handful of places (the object
/// being decoded, its map, the strings it names), so most skip the binary search.
#[derive(Debug, Default)]
pub(crate) struct RegionCache {
    slots: [std::sync::atomic::AtomicUsize; 4],
    next: std::sync::atomic::AtomicUsize,
}

impl RegionCache {
    pub(crate) fn find(&self, regions: &[Region], addr: u64) -> Option<usize> {
        use std::sync::atomic::Ordering::Relaxed;
        for slot in &self.slots {
            let i = slot.load(Relaxed);
            if let Some(r) = regions.get(i)
                && r.start <= addr
                && addr < r.end
            {
                return Some(i);
            }
        }
        let i = find_region(regions, addr)?;
        let victim = self.next.fetch_add(1, Relaxed) % self.slots.len();
        self.slots[victim].store(i, Relaxed);
        Some(i)
    }
}
