//! [`CoreFile`]: an ELF core dump (from the kernel or `gcore`), memory-mapped.

use std::fs::File;
use std::path::{Path, PathBuf};

use object::elf::{self, FileHeader64};
use object::read::elf::{FileHeader as _, ProgramHeader as _};
use object::{Endianness, ReadRef as _};

use crate::error::Error;
use crate::memory::{ReadMemory, Region, RegionCache};

/// A file mapped into the dumped process (from the core's `NT_FILE` note).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedFile {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// The offset in the file that `start` maps.
    pub file_offset: u64,
    /// The file's path, as the process saw it.
    pub path: String,
}

/// An ELF core dump of a Linux x86_64 process.
///
/// Opening maps the file and reads its program headers and notes; every read later is
/// bounds-checked against the file, and a core shorter than its headers say is refused at
/// open, so a truncated core is an error, never a panic.
#[derive(Debug)]
pub struct CoreFile {
    path: PathBuf,
    file: File,
    map: memmap2::Mmap,
    regions: Vec<Region>,
    /// Per region: where its bytes start in the file.
    offsets: Vec<u64>,
    files: Vec<MappedFile>,
    entry: Option<u64>,
    pid: Option<u32>,
    command: Option<String>,
    cache: RegionCache,
}

/// `AT_ENTRY` in the auxiliary vector: the program's entry point.
const AT_ENTRY: u64 = 9;

impl CoreFile {
    /// Opens and maps a core file.
    ///
    /// # Errors
    /// When the file cannot be read, is not an x86_64 ELF core, or is truncated.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let open_error = |source| Error::Open { path: path.to_owned(), source };
        let file = File::open(path).map_err(open_error)?;
        // SAFETY: the map is read-only and private to us; a core file that another process
        // truncates while we read it would fault, which the docs of `open` warn about (cores are
        // written once and then only read).
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(open_error)?;
        let mut core = Self {
            path: path.to_owned(),
            file,
            map,
            regions: Vec::new(),
            offsets: Vec::new(),
            files: Vec::new(),
            entry: None,
            pid: None,
            command: None,
            cache: RegionCache::default(),
        };
        core.parse()?;
        Ok(core)
    }

    /// Whether `bytes` start like an ELF file (the CLI's test to tell cores from snapshots).
    #[must_use]
    pub fn has_elf_magic(bytes: &[u8]) -> bool {
        bytes.starts_with(&elf::ELFMAG)
    }

    fn not_a_core(&self, reason: impl Into<String>) -> Error {
        Error::NotACore { path: self.path.clone(), reason: reason.into() }
    }

    fn elf_error(&self, e: &object::Error) -> Error {
        Error::Elf { path: self.path.clone(), message: e.to_string() }
    }

    fn parse(&mut self) -> Result<(), Error> {
        let data: &[u8] = &self.map;
        if !Self::has_elf_magic(data) {
            return Err(self.not_a_core("no ELF magic at the start"));
        }
        if data.get(4) != Some(&elf::ELFCLASS64.0) {
            return Err(Error::UnsupportedCore {
                path: self.path.clone(),
                what: "a 32-bit machine".into(),
            });
        }
        let header = FileHeader64::<Endianness>::parse(data).map_err(|e| self.elf_error(&e))?;
        let endian = header.endian().map_err(|e| self.elf_error(&e))?;
        if header.e_type(endian) != elf::ET_CORE {
            return Err(self.not_a_core(format!(
                "ELF type {} (an executable or library, not a core)",
                header.e_type(endian).0
            )));
        }
        if header.e_machine(endian) != elf::EM_X86_64 {
            return Err(Error::UnsupportedCore {
                path: self.path.clone(),
                what: format!("ELF machine {}", header.e_machine(endian).0),
            });
        }
        let phdrs = header.program_headers(endian, data).map_err(|e| self.elf_error(&e))?;
        let file_len = data.len() as u64;
        let mut loads = Vec::new();
        let mut files = Vec::new();
        let mut entry = None;
        let mut pid = None;
        let mut command = None;
        for ph in phdrs {
            let p_type = ph.p_type(endian);
            if p_type == elf::PT_LOAD {
                let (vaddr, memsz) = (ph.p_vaddr(endian), ph.p_memsz(endian));
                let (offset, filesz) = (ph.p_offset(endian), ph.p_filesz(endian));
                let needed = offset.saturating_add(filesz);
                if filesz > 0 && needed > file_len {
                    return Err(Error::TruncatedCore {
                        path: self.path.clone(),
                        vaddr,
                        needed,
                        actual: file_len,
                    });
                }
                let flags = ph.p_flags(endian).0;
                loads.push((
                    Region {
                        start: vaddr,
                        end: vaddr.saturating_add(memsz),
                        readable: flags & elf::PF_R.0 != 0,
                        writable: flags & elf::PF_W.0 != 0,
                        executable: flags & elf::PF_X.0 != 0,
                        path: None,
                        present: filesz.min(memsz),
                    },
                    offset,
                ));
            } else if p_type == elf::PT_NOTE {
                let Some(notes) = ph.notes(endian, data).map_err(|e| self.elf_error(&e))? else {
                    continue;
                };
                for note in notes {
                    let note = note.map_err(|e| self.elf_error(&e))?;
                    if note.name() != elf::ELF_NOTE_CORE {
                        continue;
                    }
                    let n_type = note.n_type(endian);
                    if n_type == elf::NT_FILE {
                        files = parse_nt_file(note.desc());
                    } else if n_type == elf::NT_AUXV {
                        entry = parse_auxv(note.desc(), AT_ENTRY);
                    } else if n_type == elf::NT_PRPSINFO {
                        (pid, command) = parse_prpsinfo(note.desc());
                    }
                }
            }
        }
        if loads.is_empty() {
            return Err(self.not_a_core("it has no memory segments"));
        }
        loads.sort_by_key(|(r, _)| r.start);
        for (mut region, offset) in loads {
            if self.regions.last().is_some_and(|prev| prev.end > region.start) {
                return Err(
                    self.not_a_core(format!("memory segments overlap at {:#x}", region.start))
                );
            }
            region.path = files
                .iter()
                .find(|f| f.start <= region.start && region.start < f.end)
                .map(|f| f.path.clone());
            self.regions.push(region);
            self.offsets.push(offset);
        }
        self.files = files;
        self.entry = entry;
        self.pid = pid;
        self.command = command;
        Ok(())
    }

    /// The path of the core.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The size of the core file in bytes.
    #[must_use]
    pub fn file_len(&self) -> u64 {
        self.map.len() as u64
    }

    /// The files mapped into the process (`NT_FILE`).
    #[must_use]
    pub fn mapped_files(&self) -> &[MappedFile] {
        &self.files
    }

    /// The dumped process's id, when the core records it.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The dumped process's command name (up to 15 characters), when the core records it.
    #[must_use]
    pub fn command(&self) -> Option<&str> {
        self.command.as_deref()
    }

    /// Every mapping of the executable's file.
    #[must_use]
    pub fn executable_mappings(&self) -> Vec<MappedFile> {
        let Some(exe) = self.executable() else { return Vec::new() };
        self.files.iter().filter(|f| f.path == exe.path).cloned().collect()
    }

    /// The executable the process ran: the mapped file holding its entry point.
    #[must_use]
    pub fn executable(&self) -> Option<&MappedFile> {
        let entry = self.entry?;
        self.files.iter().find(|f| f.start <= entry && entry < f.end)
    }
}

impl ReadMemory for CoreFile {
    fn regions(&self) -> &[Region] {
        &self.regions
    }

    fn read_into(&self, addr: u64, buf: &mut [u8]) -> bool {
        // pread, not the map: probing every 256 KiB of a gcore'd core's gigabytes of
        // reservations through the map would map (and count) large page-cache folios.
        let Some(i) = self.cache.find(&self.regions, addr) else { return false };
        let region = &self.regions[i];
        let within = addr - region.start;
        if within.saturating_add(buf.len() as u64) > region.present {
            return false;
        }
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, self.offsets[i] + within).is_ok()
    }

    fn bytes(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let i = self.cache.find(&self.regions, addr)?;
        let region = &self.regions[i];
        let within = addr - region.start;
        if within.checked_add(len as u64)? > region.present {
            return None;
        }
        let offset = self.offsets[i].checked_add(within)?;
        self.map.as_ref().read_bytes_at(offset, len as u64).ok()
    }
}

/// Reads little-endian u64s from a note's descriptor.
fn u64s(desc: &[u8]) -> impl Iterator<Item = u64> + '_ {
    desc.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
}

/// `NT_FILE`: count, page size, `count` × (start, end, page offset), then `count` paths.
fn parse_nt_file(desc: &[u8]) -> Vec<MappedFile> {
    let mut words = u64s(desc);
    let (Some(count), Some(page_size)) = (words.next(), words.next()) else {
        return Vec::new();
    };
    let Ok(count) = usize::try_from(count) else { return Vec::new() };
    let Some(names_at) = count.checked_mul(24).and_then(|n| n.checked_add(16)) else {
        return Vec::new();
    };
    let Some(names) = desc.get(names_at..) else { return Vec::new() };
    let triples: Vec<u64> = words.take(count * 3).collect();
    triples
        .chunks_exact(3)
        .zip(names.split(|&b| b == 0))
        .map(|(t, name)| MappedFile {
            start: t[0],
            end: t[1],
            file_offset: t[2].saturating_mul(page_size),
            path: String::from_utf8_lossy(name).into_owned(),
        })
        .collect()
}

/// The value of one auxiliary vector entry.
fn parse_auxv(desc: &[u8], key: u64) -> Option<u64> {
    let words: Vec<u64> = u64s(desc).collect();
    words.chunks_exact(2).find(|kv| kv[0] == key).map(|kv| kv[1])
}

/// x86_64 `elf_prpsinfo`: the pid at byte 24, the command name (16 bytes) at byte 40.
fn parse_prpsinfo(desc: &[u8]) -> (Option<u32>, Option<String>) {
    let pid = desc.get(24..28).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let command = desc.get(40..56).map(|b| {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        String::from_utf8_lossy(&b[..end]).into_owned()
    });
    (pid, command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nt_file_parses_and_survives_garbage() {
        let mut desc = Vec::new();
        for w in [2u64, 4096, 0x1000, 0x3000, 0, 0x5000, 0x6000, 2] {
            desc.extend_from_slice(&w.to_le_bytes());
        }
        desc.extend_from_slice(b"/usr/bin/node\0/lib/libc.so.6\0");
        let files = parse_nt_file(&desc);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, "/usr/bin/node");
        assert_eq!(files[1].file_offset, 8192);
        for cut in 0..desc.len() {
            let _ = parse_nt_file(&desc[..cut]);
        }
        let mut huge = desc.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(parse_nt_file(&huge).is_empty());
    }

    #[test]
    fn auxv_lookup() {
        let desc: Vec<u8> =
            [3u64, 0x40, 9, 0x401000, 0, 0].iter().flat_map(|w| w.to_le_bytes()).collect();
        assert_eq!(parse_auxv(&desc, AT_ENTRY), Some(0x401000));
        assert_eq!(parse_auxv(&desc[..20], AT_ENTRY), None);
    }
}
