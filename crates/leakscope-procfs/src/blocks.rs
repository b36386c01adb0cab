//! Large malloc blocks: glibc serves requests above its mmap threshold (128 KiB, rising up to
//! 32 MiB as such blocks are freed) with a mapping of their own, which the kernel merges with
//! its anonymous neighbours. Nothing in smaps tells them from other anonymous memory, but their
//! first bytes do: a glibc chunk header, `prev_size` 0 and `size` equal to the mapping's length
//! with the `IS_MMAPPED` bit (2). A run of merged blocks is a chain of such headers that ends
//! exactly at the mapping's end. Reading them needs /proc/PID/mem, which needs the permission to
//! trace the process (same user and a permissive `ptrace_scope`, or root); without it the
//! blocks stay `anon`.

use std::fs::File;
use std::os::unix::fs::FileExt as _;

use crate::classify::Kind;
use crate::smaps::Mapping;

const IS_MMAPPED: u64 = 2;
const FLAG_BITS: u64 = 7;
const PAGE: u64 = 4096;
/// Give up on a mapping after this many headers (a region of tiny blocks is unlikely).
const MAX_CHUNKS: usize = 4096;

/// Whether `m` (anonymous, read-write) is a chain of glibc mmapped chunks, read through `mem`.
fn is_malloc_chain(mem: &File, m: &Mapping) -> Option<bool> {
    let mut at = m.start;
    for _ in 0..MAX_CHUNKS {
        let mut header = [0u8; 16];
        mem.read_exact_at(&mut header, at).ok()?;
        let prev_size = u64::from_le_bytes(header[..8].try_into().ok()?);
        let size = u64::from_le_bytes(header[8..].try_into().ok()?);
        let length = size & !FLAG_BITS;
        if prev_size != 0 || size & IS_MMAPPED == 0 || length == 0 || !length.is_multiple_of(PAGE) {
            return Some(false);
        }
        at = at.checked_add(length)?;
        if at == m.end {
            return Some(true);
        }
        if at > m.end {
            return Some(false);
        }
    }
    Some(false)
}

/// Reclassifies `anon` mappings of process `pid` that are glibc mmapped blocks as
/// [`Kind::Malloc`]. Returns false when the process's memory cannot be read.
pub fn refine_malloc_blocks(pid: u32, mappings: &mut [Mapping]) -> bool {
    let Ok(mem) = File::open(format!("/proc/{pid}/mem")) else { return false };
    let mut readable = false;
    for m in mappings.iter_mut() {
        if m.kind != Kind::Anon || !m.is_plain_anonymous() || m.perms != "rw-p" || m.rss == 0 {
            continue;
        }
        match is_malloc_chain(&mem, m) {
            Some(true) => {
                readable = true;
                m.kind = Kind::Malloc;
            }
            Some(false) => readable = true,
            None => {}
        }
    }
    readable
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;
    use crate::sampler::Sampler;

    #[test]
    fn big_malloc_blocks_of_this_process_are_malloc() {
        // 8 MiB is above glibc's initial mmap threshold: a mapping of its own.
        let block = vec![7u8; 8 << 20];
        let addr = block.as_ptr() as u64;
        let mut sampler = Sampler::new(std::process::id()).unwrap();
        let sample = sampler.sample().unwrap();
        let m = sample.mappings.iter().find(|m| (m.start..m.end).contains(&addr)).unwrap();
        assert_eq!(m.kind, Kind::Malloc, "{m:?}");
        drop(block);
    }
}
