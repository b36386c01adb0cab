//! [`LiveProcess`]: the memory of a running process, copied while it is stopped.
//!
//! Every thread is stopped with `PTRACE_SEIZE` + `PTRACE_INTERRUPT` (if leakscope dies, the
//! kernel detaches and the process runs on), the mappings V8's heap can be in are copied from
//! `/proc/PID/mem`, and the process is let go before any analysis starts: it pauses for about
//! as long as copying its heap takes.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;

use crate::core_file::MappedFile;
use crate::error::Error;
use crate::memory::{ReadMemory, Region, RegionCache};

/// A copy of a live process's anonymous memory and its executable's data.
#[derive(Debug)]
pub struct LiveProcess {
    pid: u32,
    regions: Vec<Region>,
    data: Vec<Vec<u8>>,
    executable: Option<String>,
    exe_mappings: Vec<MappedFile>,
    cache: RegionCache,
}

impl LiveProcess {
    /// Stops `pid`, copies its memory, and lets it run again.
    ///
    /// # Errors
    /// When the process does not exist, ptrace or `/proc/PID/mem` is refused, or reading fails.
    pub fn attach(pid: u32) -> Result<Self, Error> {
        let maps =
            std::fs::read_to_string(format!("/proc/{pid}/maps")).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => Error::NoProcess { pid },
                io::ErrorKind::PermissionDenied => Error::Permission { pid },
                _ => Error::Process { pid, what: "/proc/PID/maps".into(), source: e },
            })?;
        let executable =
            std::fs::read_link(format!("/proc/{pid}/exe")).ok().map(|p| p.display().to_string());
        let stopped = Stopped::new(pid)?;
        let mem = File::open(format!("/proc/{pid}/mem")).map_err(|e| match e.kind() {
            io::ErrorKind::PermissionDenied => Error::Permission { pid },
            _ => Error::Process { pid, what: "/proc/PID/mem".into(), source: e },
        })?;
        let mut regions = Vec::new();
        let mut data = Vec::new();
        let mut exe_mappings = Vec::new();
        for line in maps.lines() {
            let Some(m) = parse_maps_line(line) else { continue };
            let is_exe = executable.as_deref() == Some(m.path.as_str());
            if is_exe {
                exe_mappings.push(MappedFile {
                    start: m.start,
                    end: m.end,
                    file_offset: m.offset,
                    path: m.path.clone(),
                });
            }
            let anonymous = m.path.is_empty();
            let wanted = m.readable && (anonymous || (is_exe && m.writable));
            let mut bytes = Vec::new();
            if wanted {
                let len = usize::try_from(m.end - m.start).unwrap_or(0);
                bytes = vec![0u8; len];
                // Some mappings (guard pages, [vvar]) cannot be read: keep them empty.
                if mem.read_exact_at(&mut bytes, m.start).is_err() {
                    bytes = Vec::new();
                }
            }
            regions.push(Region {
                start: m.start,
                end: m.end,
                readable: m.readable,
                writable: m.writable,
                executable: m.executable,
                path: (!anonymous).then(|| m.path.clone()),
                present: bytes.len() as u64,
            });
            data.push(bytes);
        }
        drop(stopped);
        Ok(Self { pid, regions, data, executable, exe_mappings, cache: RegionCache::default() })
    }

    /// The process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The process's executable (`/proc/PID/exe`).
    #[must_use]
    pub fn executable(&self) -> Option<&str> {
        self.executable.as_deref()
    }

    /// Where the executable's file is mapped.
    #[must_use]
    pub fn executable_mappings(&self) -> &[MappedFile] {
        &self.exe_mappings
    }
}

impl ReadMemory for LiveProcess {
    fn regions(&self) -> &[Region] {
        &self.regions
    }

    fn bytes(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let i = self.cache.find(&self.regions, addr)?;
        let start = usize::try_from(addr - self.regions[i].start).ok()?;
        self.data[i].get(start..start.checked_add(len)?)
    }
}

struct MapsLine {
    start: u64,
    end: u64,
    readable: bool,
    writable: bool,
    executable: bool,
    offset: u64,
    path: String,
}

/// `start-end perms offset dev inode path`.
fn parse_maps_line(line: &str) -> Option<MapsLine> {
    let mut fields = line.split_ascii_whitespace();
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?.as_bytes();
    let offset = u64::from_str_radix(fields.next()?, 16).ok()?;
    let path = fields.nth(2).unwrap_or("").to_owned();
    Some(MapsLine {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        readable: perms.first() == Some(&b'r'),
        writable: perms.get(1) == Some(&b'w'),
        executable: perms.get(2) == Some(&b'x'),
        offset,
        path,
    })
}

/// Every thread of a process, stopped by ptrace until dropped.
struct Stopped {
    tids: Vec<libc::pid_t>,
}

impl Stopped {
    fn new(pid: u32) -> Result<Self, Error> {
        let mut stopped = Self { tids: Vec::new() };
        // Threads may start while we attach: go over the list until it stops growing.
        for _ in 0..8 {
            let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
                .map_err(|e| Error::Process { pid, what: "/proc/PID/task".into(), source: e })?;
            let mut new = false;
            for task in tasks.flatten() {
                let Some(tid) =
                    task.file_name().to_str().and_then(|s| s.parse::<libc::pid_t>().ok())
                else {
                    continue;
                };
                if stopped.tids.contains(&tid) {
                    continue;
                }
                // SAFETY: PTRACE_SEIZE takes no pointers; a failure is reported through errno.
                let r = unsafe { libc::ptrace(libc::PTRACE_SEIZE, tid, 0, 0) };
                if r != 0 {
                    let e = io::Error::last_os_error();
                    if e.raw_os_error() == Some(libc::ESRCH) {
                        continue; // the thread exited
                    }
                    return Err(if e.raw_os_error() == Some(libc::EPERM) {
                        Error::Permission { pid }
                    } else {
                        Error::Process { pid, what: format!("ptrace(SEIZE, {tid})"), source: e }
                    });
                }
                stopped.tids.push(tid);
                new = true;
                // SAFETY: as above; the thread is ours to interrupt after a successful seize.
                unsafe { libc::ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0) };
                let mut status = 0;
                // SAFETY: status is a valid place for waitpid to write.
                unsafe { libc::waitpid(tid, &raw mut status, libc::__WALL) };
            }
            if !new {
                break;
            }
        }
        Ok(stopped)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        for &tid in &self.tids {
            // SAFETY: detaching a thread we seized; no pointers involved.
            unsafe { libc::ptrace(libc::PTRACE_DETACH, tid, 0, 0) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines() {
        let m = parse_maps_line("00400000-0452c000 r-xp 00000000 08:01 123   /usr/bin/node")
            .expect("parses");
        assert_eq!((m.start, m.end, m.offset), (0x40_0000, 0x452_c000, 0));
        assert!(m.readable && !m.writable && m.executable);
        assert_eq!(m.path, "/usr/bin/node");
        let anon = parse_maps_line("7f00-8000 rw-p 00000000 00:00 0").expect("parses");
        assert!(anon.path.is_empty() && anon.writable);
        assert!(parse_maps_line("garbage").is_none());
    }
}
