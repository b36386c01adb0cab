//! What a mapping holds: V8 heap pages, malloc arenas, thread stacks, code, files, or other
//! anonymous memory.
//!
//! Plain anonymous mappings carry no name on most systems, so the kinds are told apart by
//! where and how the allocators place them (measured on Node 18–24, x86-64 Linux, glibc 2.36):
//!
//! - **V8 heap.** V8 maps every heap page itself (regular pages 256 KiB, large-object pages
//!   bigger), at a random address hint masked to 46 bits (`GetRandomMmapAddr`:
//!   `& 0x3FFFFFFFF000`) and aligned to the 256 KiB page size. The kernel places mappings
//!   without a hint top-down from just below the stack (around `0x7f…` with 47-bit address
//!   spaces), so an anonymous, non-executable mapping that starts on a 256 KiB boundary below
//!   2^46 is a V8 page. Limits: a page whose hint the kernel refused lands in the ordinary mmap
//!   area and counts as `anon`; with ASLR off or other architectures the hint range differs.
//! - **malloc.** `[heap]` is glibc's main arena (brk). Every other arena is a 64 MiB
//!   reservation aligned to 64 MiB (`HEAP_MAX_SIZE`), committed from the bottom (`rw-p`) with
//!   the rest kept `---p`; both parts are classified malloc. glibc ≥ 2.39 with
//!   `glibc.mem.decorate_maps` names them `[anon: glibc: malloc…]`, which is used when present.
//!   Blocks above the mmap threshold (128 KiB, rising to 32 MiB) get mappings of their own;
//!   [`crate::refine_malloc_blocks`] recognises them by their chunk headers when the process's
//!   memory can be read, else they count as `anon`.
//! - **stack.** `[stack]` is the main thread's; other threads' stacks are `rw-p` mappings right
//!   above a small `---p` guard (glibc puts one guard page below each thread stack).
//! - **code.** Executable mappings: the binary and shared libraries' text, and JIT code
//!   (V8's code range is anonymous `rwx` or `r-x`).
//! - **file.** Other file-backed mappings (read-only data, relocations, mapped files).
//! - **anon.** Everything else: large malloc blocks, `.bss`, ArrayBuffer backing stores that
//!   are large enough for their own mapping, other libraries' mmaps.

use serde::{Serialize, Serializer};

use crate::smaps::Mapping;

/// What a mapping holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// V8's JavaScript heap pages.
    V8Heap,
    /// malloc arenas and `[heap]`.
    Malloc,
    /// Thread stacks and their guards.
    Stack,
    /// Executable mappings: binaries, shared libraries, JIT code.
    Code,
    /// Other file-backed mappings.
    File,
    /// Other anonymous memory.
    Anon,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 6] =
        [Kind::V8Heap, Kind::Malloc, Kind::Stack, Kind::Code, Kind::File, Kind::Anon];

    /// The name in reports and JSON: `v8-heap`, `malloc`, `stack`, `code`, `file`, `anon`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::V8Heap => "v8-heap",
            Kind::Malloc => "malloc",
            Kind::Stack => "stack",
            Kind::Code => "code",
            Kind::File => "file",
            Kind::Anon => "anon",
        }
    }

    /// The kind with this name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The position in [`Kind::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// V8 heap pages are aligned to their size.
const V8_PAGE_ALIGN: u64 = 256 << 10;
/// V8's random mmap hints are masked to this (x86-64 and arm64 Linux).
const V8_HINT_LIMIT: u64 = 1 << 46;
/// glibc's `HEAP_MAX_SIZE` on 64-bit: every non-main arena heap is this big and this aligned.
const ARENA_HEAP_SIZE: u64 = 64 << 20;
/// The largest `---p` gap below a mapping that still counts as a thread-stack guard.
const MAX_STACK_GUARD: u64 = 1 << 20;

/// Pseudo-names and name prefixes the kernel or glibc give, and their kinds.
const NAMED: &[(&str, Kind)] = &[
    ("[heap]", Kind::Malloc),
    ("[stack]", Kind::Stack),
    ("[vdso]", Kind::Code),
    ("[vsyscall]", Kind::Code),
    ("[uprobes]", Kind::Code),
    ("[anon: glibc: malloc", Kind::Malloc),
    ("[anon: glibc: pthread stack", Kind::Stack),
    ("[anon:glibc: malloc", Kind::Malloc),
    ("[anon:glibc: pthread stack", Kind::Stack),
];

/// Sets the kind of every mapping. `mappings` must be in address order, as smaps lists them:
/// arenas and stacks are recognised by their neighbours.
pub fn classify(mappings: &mut [Mapping]) {
    for i in 0..mappings.len() {
        let kind = kind_of(mappings, i);
        if let Some(m) = mappings.get_mut(i) {
            m.kind = kind;
        }
    }
    // The `---p` reserves of arenas and the guards of stacks belong to what they reserve.
    for i in 0..mappings.len() {
        let (Some(m), next) = (mappings.get(i), mappings.get(i + 1)) else { continue };
        if !(m.is_plain_anonymous() && m.is_inaccessible()) {
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| mappings.get(p));
        let kind = if let Some(p) = prev.filter(|p| is_arena_start(p, m)) {
            Some(p.kind)
        } else {
            next.filter(|n| n.kind == Kind::Stack && n.start == m.end).map(|n| n.kind)
        };
        if let (Some(kind), Some(m)) = (kind, mappings.get_mut(i)) {
            m.kind = kind;
        }
    }
}

/// `m` is the committed bottom of an arena heap and `reserve` its `---p` rest.
fn is_arena_start(m: &Mapping, reserve: &Mapping) -> bool {
    m.is_plain_anonymous()
        && m.start.is_multiple_of(ARENA_HEAP_SIZE)
        && reserve.start == m.end
        && reserve.end - m.start == ARENA_HEAP_SIZE
}

fn kind_of(mappings: &[Mapping], i: usize) -> Kind {
    let Some(m) = mappings.get(i) else { return Kind::Anon };
    if let Some(&(_, kind)) = NAMED.iter().find(|(name, _)| m.name.starts_with(name)) {
        return kind;
    }
    let executable = m.perm('x');
    if !m.is_plain_anonymous() {
        let file_backed = m.inode != 0 || m.name.starts_with('/');
        let shared_anonymous = m.name.starts_with("/dev/zero") || m.name.starts_with("/memfd:");
        return match (executable, file_backed && !shared_anonymous) {
            (true, _) => Kind::Code,
            (false, true) => Kind::File,
            (false, false) => Kind::Anon,
        };
    }
    if executable {
        return Kind::Code;
    }
    if m.is_inaccessible() {
        return Kind::Anon;
    }
    let next = mappings.get(i + 1);
    let prev = i.checked_sub(1).and_then(|p| mappings.get(p));
    let arena = match next {
        Some(n) if n.is_plain_anonymous() && n.is_inaccessible() => is_arena_start(m, n),
        _ => m.start % ARENA_HEAP_SIZE == 0 && m.size() == ARENA_HEAP_SIZE,
    };
    if arena {
        return Kind::Malloc;
    }
    if prev.is_some_and(|p| {
        p.is_plain_anonymous()
            && p.is_inaccessible()
            && p.end == m.start
            && p.size() <= MAX_STACK_GUARD
    }) && m.perm('w')
    {
        return Kind::Stack;
    }
    let after_file = prev.is_some_and(|p| !p.is_plain_anonymous() && p.end == m.start);
    if m.start % V8_PAGE_ALIGN == 0 && m.start < V8_HINT_LIMIT && !after_file {
        return Kind::V8Heap;
    }
    Kind::Anon
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smaps::parse_smaps;

    /// A trimmed /proc/PID/maps of Node 20 (one of each pattern).
    const NODE_MAPS: &str = "\
00400000-0565d000 r-xp 00000000 08:01 1234 /usr/bin/node
0565d000-05689000 rw-p 00000000 00:00 0
13c30000-13fb8000 rw-p 00000000 00:00 0 [heap]
c794d40000-c794d80000 rw-p 00000000 00:00 0
15dcaca40000-15dcacb91000 rw-p 00000000 00:00 0
21e075480000-21e07548d000 r--p 00000000 00:00 0
7fba20000000-7fba202b8000 rw-p 00000000 00:00 0
7fba202b8000-7fba24000000 ---p 00000000 00:00 0
7fba35ffc000-7fba35ffd000 ---p 00000000 00:00 0
7fba35ffd000-7fba367fd000 rw-p 00000000 00:00 0
7fba48002000-7fba48003000 ---p 00000000 00:00 0
7fba48003000-7fba4803f000 rwxp 00000000 00:00 0
7fba4803f000-7fba67e40000 ---p 00000000 00:00 0
7fba6c564000-7fba6d999000 rw-p 00000000 00:00 0
7fba70000000-7fba70001000 r--p 00000000 08:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
7fba70001000-7fba70100000 r-xp 00001000 08:01 77 /usr/lib/x86_64-linux-gnu/libc.so.6
7fba7074d000-7fba7074f000 r-xp 00000000 00:00 0 [vdso]
7fba70800000-7fba70801000 rw-p 00000000 00:00 0 [anon: glibc: malloc arena]
7ffedd80c000-7ffedd82d000 rw-p 00000000 00:00 0 [stack]
";

    #[test]
    fn classifies_each_pattern() {
        let mut maps = parse_smaps(NODE_MAPS).unwrap();
        classify(&mut maps);
        let kinds: Vec<&str> = maps.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "code", "anon", "malloc", "v8-heap", "v8-heap", "v8-heap", "malloc", "malloc",
                "stack", "stack", "anon", "code", "anon", "anon", "file", "code", "code", "malloc",
                "stack",
            ]
        );
    }

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.as_str()), Some(k));
            assert_eq!(Kind::ALL[k.index()], k);
        }
    }
}
