//! [`NodeBinary`]: the node executable's V8 postmortem metadata (`v8dbg_*` symbols).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use object::{Object as _, ObjectSection as _, ObjectSymbol as _, SectionKind};

use crate::error::Error;
use crate::memory::ReadMemory;

/// A symbol the binary defines, with its value in the file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Symbol {
    /// Its link-time address.
    pub address: u64,
    /// The 4-byte value in the file (0 for `.bss`), when the address has file data.
    pub file_value: Option<i32>,
    /// Whether it lives in `.bss` (zero in the file, maybe set at run time).
    pub in_bss: bool,
}

/// The V8 version (`v8::internal::Version`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct V8Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Build.
    pub build: u32,
    /// Patch.
    pub patch: u32,
}

impl std::fmt::Display for V8Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}.{}", self.major, self.minor, self.build, self.patch)
    }
}

const VERSION_SYMBOLS: [&str; 4] = [
    "_ZN2v88internal7Version6major_E",
    "_ZN2v88internal7Version6minor_E",
    "_ZN2v88internal7Version6build_E",
    "_ZN2v88internal7Version6patch_E",
];

/// The node executable: its `v8dbg_*` and `nodedbg_*` symbols, build id and V8 version.
#[derive(Debug)]
pub struct NodeBinary {
    path: PathBuf,
    map: memmap2::Mmap,
    /// `v8dbg_*` and `nodedbg_*` symbols (full names), and V8's version symbols.
    symbols: HashMap<String, Symbol>,
    build_id: Option<Vec<u8>>,
    /// The lowest `PT_LOAD` address: where the file's first page is mapped before relocation.
    base: u64,
    pie: bool,
    /// A version string such as `11.3.244.8-node.38` found in the file, for stripped builds.
    version_string: Option<String>,
}

impl NodeBinary {
    /// Reads the metadata of a node executable.
    ///
    /// # Errors
    /// When the file cannot be read, is not ELF, or has no `v8dbg_*` symbols.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let open_error = |source| Error::Open { path: path.to_owned(), source };
        let file = File::open(path).map_err(open_error)?;
        // SAFETY: read-only private map of an executable that is not being rewritten while we
        // read it (the same assumption every debugger makes).
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(open_error)?;
        let elf_error =
            |e: object::Error| Error::Elf { path: path.to_owned(), message: e.to_string() };
        let obj = object::File::parse(&*map).map_err(elf_error)?;
        let mut symbols = HashMap::new();
        for sym in obj.symbols().chain(obj.dynamic_symbols()) {
            let Ok(name) = sym.name() else { continue };
            let wanted = name.starts_with("v8dbg_")
                || name.starts_with("nodedbg_")
                || VERSION_SYMBOLS.contains(&name);
            if !wanted || symbols.contains_key(name) {
                continue;
            }
            let address = sym.address();
            let section = sym.section_index().and_then(|i| obj.section_by_index(i).ok());
            let in_bss =
                section.as_ref().is_some_and(|s| s.kind() == SectionKind::UninitializedData);
            let file_value = if in_bss {
                Some(0)
            } else {
                section
                    .and_then(|s| s.data_range(address, 4).ok().flatten())
                    .and_then(|b| b.try_into().ok())
                    .map(i32::from_le_bytes)
            };
            symbols.insert(name.to_owned(), Symbol { address, file_value, in_bss });
        }
        if !symbols.keys().any(|k| k.starts_with("v8dbg_")) {
            return Err(Error::NoMetadata { path: path.to_owned() });
        }
        let build_id = obj.build_id().ok().flatten().map(<[u8]>::to_vec);
        let base = obj.segments().map(|s| object::ObjectSegment::address(&s)).min().unwrap_or(0);
        let pie = obj.kind() == object::ObjectKind::Dynamic;
        let version_string = find_version_string(&map);
        drop(obj);
        Ok(Self { path: path.to_owned(), map, symbols, build_id, base, pie, version_string })
    }

    /// The path of the binary.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `len` bytes of the file from `offset`.
    pub(crate) fn file_bytes(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let start = usize::try_from(offset).ok()?;
        self.map.get(start..start.checked_add(len)?)
    }

    /// The GNU build id, when the binary has one.
    #[must_use]
    pub fn build_id(&self) -> Option<&[u8]> {
        self.build_id.as_deref()
    }

    /// The number of `v8dbg_*` symbols.
    #[must_use]
    pub fn v8dbg_count(&self) -> usize {
        self.symbols.keys().filter(|k| k.starts_with("v8dbg_")).count()
    }

    pub(crate) fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbols.get(name)
    }

    /// Every `v8dbg_*` symbol (full name) with its value in the file.
    pub(crate) fn v8dbg(&self) -> impl Iterator<Item = (&str, &Symbol)> {
        self.symbols.iter().filter(|(k, _)| k.starts_with("v8dbg_")).map(|(k, v)| (k.as_str(), v))
    }

    /// How far the process mapped the binary from its link-time addresses (0 unless PIE),
    /// found from where the core says the executable's first page is mapped.
    #[must_use]
    pub fn load_bias(&self, mapped_first_page: Option<u64>) -> u64 {
        match mapped_first_page {
            Some(start) if self.pie => start.wrapping_sub(self.base & !0xfff),
            _ => 0,
        }
    }

    /// The V8 version: from `v8::internal::Version` in the process's memory, else in the file,
    /// else from a version string in the file.
    pub(crate) fn v8_version(
        &self,
        mem: &(impl ReadMemory + ?Sized),
        bias: u64,
    ) -> Option<V8Version> {
        let read = |name: &str| -> Option<u32> {
            let sym = self.symbols.get(name)?;
            let v = mem
                .i32_at(sym.address.wrapping_add(bias))
                .filter(|&v| v != 0 || name.ends_with("patch_E"))
                .or(sym.file_value)?;
            u32::try_from(v).ok()
        };
        let from_symbols = (|| {
            Some(V8Version {
                major: read(VERSION_SYMBOLS[0])?,
                minor: read(VERSION_SYMBOLS[1])?,
                build: read(VERSION_SYMBOLS[2])?,
                patch: read(VERSION_SYMBOLS[3])?,
            })
        })()
        .filter(|v| v.major > 0);
        from_symbols.or_else(|| {
            let s = self.version_string.as_deref()?;
            let mut parts = s.split(['.', '-']).map(|p| p.parse::<u32>().ok());
            Some(V8Version {
                major: parts.next()??,
                minor: parts.next()??,
                build: parts.next()??,
                patch: parts.next()??,
            })
        })
    }
}

/// Finds V8's version string (`11.3.244.8-node.38`) in the bytes of a node binary.
fn find_version_string(bytes: &[u8]) -> Option<String> {
    let finder = memchr::memmem::Finder::new(b"-node.");
    for at in finder.find_iter(bytes) {
        let start = bytes[..at]
            .iter()
            .rposition(|b| !(b.is_ascii_digit() || *b == b'.'))
            .map_or(0, |p| p + 1);
        let candidate = &bytes[start..at];
        if candidate.iter().filter(|&&b| b == b'.').count() == 3
            && candidate.first().is_some_and(u8::is_ascii_digit)
        {
            return Some(String::from_utf8_lossy(candidate).into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_string() {
        let bytes = b"\0\0abc 1.2-node.3\x0011.3.244.8-node.38\0";
        assert_eq!(find_version_string(bytes).as_deref(), Some("11.3.244.8"));
        assert_eq!(find_version_string(b"-node.1"), None);
    }
}
