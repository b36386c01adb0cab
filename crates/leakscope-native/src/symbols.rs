//! Return addresses → function names, from the ELF symbol tables (`.symtab` and `.dynsym`)
//! of the files the process had mapped. Node's official binaries keep their symbols.

use std::collections::HashMap;

use object::{Object as _, ObjectSegment as _, ObjectSymbol as _, SymbolKind};

use crate::dump::MapEntry;

/// One symbolized frame.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The demangled function name (without parameters), or `None` when no symbol covers the
    /// address.
    pub function: Option<String>,
    /// The file name of the object (`node`, `libc.so.6`), or `None` outside every file
    /// mapping (JIT code).
    pub object: Option<String>,
    /// The full path of the object.
    pub path: Option<String>,
    /// Offset of the address in its object (the ELF virtual address).
    pub offset: u64,
}

impl Frame {
    /// `function`, else `object+0xOFFSET`, else `[unknown 0xADDR]`.
    #[must_use]
    pub fn display(&self, addr: u64) -> String {
        match (&self.function, &self.object) {
            (Some(f), _) => f.clone(),
            (None, Some(o)) => format!("{o}+{:#x}", self.offset),
            (None, None) => format!("[unknown {addr:#x}]"),
        }
    }
}

/// Symbols of one file: sorted `(start, end, name)` and its loadable segments.
#[derive(Debug, Default)]
struct ObjectSymbols {
    /// `(file offset, file size, virtual address)` of each loadable segment.
    segments: Vec<(u64, u64, u64)>,
    symbols: Vec<(u64, u64, String)>,
}

impl ObjectSymbols {
    fn load(path: &str) -> Option<Self> {
        let data = std::fs::read(path).ok()?;
        let file = object::File::parse(&*data).ok()?;
        let segments = file
            .segments()
            .filter_map(|s| {
                let (off, size) = s.file_range();
                (size > 0).then_some((off, size, s.address()))
            })
            .collect();
        let mut symbols: Vec<(u64, u64, String)> = file
            .symbols()
            .chain(file.dynamic_symbols())
            .filter(|s| s.kind() == SymbolKind::Text && s.address() != 0)
            .filter_map(|s| Some((s.address(), s.size(), s.name().ok()?.to_owned())))
            .collect();
        symbols.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        symbols.dedup_by_key(|s| s.0);
        // Symbols without a size end where the next one starts.
        for i in 0..symbols.len() {
            if symbols[i].1 == 0 {
                let next = symbols.get(i + 1).map_or(u64::MAX, |n| n.0);
                symbols[i].1 = next - symbols[i].0;
            }
        }
        Some(Self { segments, symbols })
    }

    fn vaddr(&self, file_offset: u64) -> Option<u64> {
        self.segments
            .iter()
            .find(|(off, size, _)| (*off..off + size).contains(&file_offset))
            .map(|(off, _, vaddr)| file_offset - off + vaddr)
    }

    fn lookup(&self, vaddr: u64) -> Option<&str> {
        let i = self.symbols.partition_point(|s| s.0 <= vaddr).checked_sub(1)?;
        let (start, size, name) = self.symbols.get(i)?;
        (vaddr < start.saturating_add(*size)).then_some(name.as_str())
    }
}

/// Symbolizes addresses, loading each file once.
#[derive(Debug, Default)]
pub struct Symbolizer {
    objects: HashMap<String, Option<ObjectSymbols>>,
    cache: HashMap<u64, Frame>,
}

impl Symbolizer {
    /// An empty symbolizer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The frame of return address `addr` (looked up at `addr - 1`, inside the call).
    pub fn frame(&mut self, maps: &[MapEntry], addr: u64) -> Frame {
        if let Some(f) = self.cache.get(&addr) {
            return f.clone();
        }
        let frame = self.resolve(maps, addr);
        self.cache.insert(addr, frame.clone());
        frame
    }

    fn resolve(&mut self, maps: &[MapEntry], addr: u64) -> Frame {
        let pc = addr.saturating_sub(1);
        let Some(map) = maps.iter().rev().find(|m| (m.start..m.end).contains(&pc)) else {
            return Frame { function: None, object: None, path: None, offset: pc };
        };
        let file_offset = pc - map.start + map.offset;
        let object_name = map.path.rsplit('/').next().unwrap_or(&map.path).to_owned();
        let symbols =
            self.objects.entry(map.path.clone()).or_insert_with(|| ObjectSymbols::load(&map.path));
        let vaddr = symbols.as_ref().and_then(|s| s.vaddr(file_offset)).unwrap_or(file_offset);
        let function = symbols.as_ref().and_then(|s| s.lookup(vaddr)).map(demangle);
        Frame { function, object: Some(object_name), path: Some(map.path.clone()), offset: vaddr }
    }
}

/// Rust and C++ names for people, without parameter lists.
#[must_use]
pub fn demangle(name: &str) -> String {
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        return format!("{d:#}");
    }
    if name.starts_with("_Z")
        && let Ok(sym) = cpp_demangle::Symbol::new(name)
    {
        let options = cpp_demangle::DemangleOptions::new().no_params().no_return_type();
        if let Ok(d) = sym.demangle_with_options(&options) {
            return d;
        }
    }
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demangles_cpp_and_rust() {
        assert_eq!(demangle("_ZN4node6Buffer3NewEPN2v87IsolateEm"), "node::Buffer::New");
        assert_eq!(demangle("_Znwm"), "operator new");
        assert_eq!(demangle("deflateInit2_"), "deflateInit2_");
        assert_eq!(demangle("_ZN3std2rt10lang_start17h0123456789abcdefE"), "std::rt::lang_start");
    }

    #[test]
    fn symbolizes_this_test_binary() {
        // This very function's address, through /proc/self/maps, back to its name.
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        let entries: Vec<MapEntry> = maps
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let (s, e) = w.next()?.split_once('-')?;
                let perms = w.next()?;
                let offset = u64::from_str_radix(w.next()?, 16).ok()?;
                let path = w.nth(2)?.to_owned();
                perms.contains('x').then(|| MapEntry {
                    start: u64::from_str_radix(s, 16).unwrap_or(0),
                    end: u64::from_str_radix(e, 16).unwrap_or(0),
                    offset,
                    path,
                })
            })
            .collect();
        if entries.is_empty() {
            return; // not Linux
        }
        let addr = demangles_cpp_and_rust as fn() as usize as u64 + 1;
        let f = Symbolizer::new().frame(&entries, addr);
        assert!(
            f.function.as_deref().is_some_and(|n| n.ends_with("demangles_cpp_and_rust")),
            "{f:?}"
        );
    }
}
