//! Reading /proc/PID/smaps into a classified [`Sample`].

use std::io::ErrorKind;
use std::ops::{Index, IndexMut};
use std::path::PathBuf;
use std::time::Instant;

use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};

use crate::classify::{Kind, classify};
use crate::error::ProcfsError;
use crate::smaps::{Mapping, Rollup, parse_rollup, parse_smaps};

/// Resident bytes per [`Kind`]. Serializes as `{"v8-heap": bytes, "malloc": bytes, …}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByKind(pub [u64; Kind::ALL.len()]);

impl ByKind {
    /// Each kind with its bytes, in [`Kind::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Kind, u64)> + '_ {
        Kind::ALL.into_iter().zip(self.0.iter().copied())
    }

    /// The sum over kinds.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl Index<Kind> for ByKind {
    type Output = u64;
    fn index(&self, k: Kind) -> &u64 {
        &self.0[k.index()]
    }
}

impl IndexMut<Kind> for ByKind {
    fn index_mut(&mut self, k: Kind) -> &mut u64 {
        &mut self.0[k.index()]
    }
}

impl Serialize for ByKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k.as_str(), &v)?;
        }
        map.end()
    }
}

/// One reading of a process's mappings.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    /// Seconds since the sampler was made.
    pub t_s: f64,
    /// Resident bytes, the sum over all mappings.
    pub rss: u64,
    /// Resident bytes per kind.
    pub by_kind: ByKind,
    /// Every mapping, in address order, classified.
    #[serde(skip)]
    pub mappings: Vec<Mapping>,
}

impl Sample {
    /// Classifies `mappings` (in address order) and sums them.
    #[must_use]
    pub fn from_mappings(t_s: f64, mut mappings: Vec<Mapping>) -> Self {
        classify(&mut mappings);
        let mut sample = Self { t_s, rss: 0, by_kind: ByKind::default(), mappings };
        sample.recount();
        sample
    }

    /// Sums the mappings' resident bytes per kind again (after kinds changed).
    pub fn recount(&mut self) {
        let mut by_kind = ByKind::default();
        for m in &self.mappings {
            by_kind[m.kind] += m.rss;
        }
        self.by_kind = by_kind;
        self.rss = by_kind.total();
    }
}

/// Samples one process's mappings.
#[derive(Debug)]
pub struct Sampler {
    pid: u32,
    dir: PathBuf,
    start: Instant,
    /// Whether /proc/PID/mem could be read at the last sample (large malloc blocks are then
    /// told from other anonymous memory).
    memory_readable: bool,
}

impl Sampler {
    /// A sampler for process `pid`; checks that the process exists and that its smaps can be
    /// read. Time 0 of the samples is now.
    ///
    /// # Errors
    /// Not Linux, no such process, or no permission.
    pub fn new(pid: u32) -> Result<Self, ProcfsError> {
        if !cfg!(target_os = "linux") {
            return Err(ProcfsError::NotLinux { os: std::env::consts::OS });
        }
        let dir = PathBuf::from(format!("/proc/{pid}"));
        if pid == 0 || !dir.is_dir() {
            return Err(ProcfsError::NoSuchProcess { pid });
        }
        let sampler = Self { pid, dir, start: Instant::now(), memory_readable: false };
        // Fail now, with the real reason, rather than at the first sample.
        sampler.read("smaps")?;
        Ok(sampler)
    }

    /// The process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Reads and classifies every mapping.
    ///
    /// # Errors
    /// The process exited (or has no mappings: a kernel thread or a zombie), lost permission,
    /// or the kernel wrote something this parser does not know.
    pub fn sample(&mut self) -> Result<Sample, ProcfsError> {
        let t_s = self.start.elapsed().as_secs_f64();
        let text = self.read("smaps")?;
        let mappings = parse_smaps(&text).map_err(|bad| ProcfsError::Parse {
            path: self.dir.join("smaps"),
            line: bad.0,
            text: text.lines().nth(bad.0 - 1).unwrap_or_default().chars().take(120).collect(),
        })?;
        if mappings.is_empty() {
            return Err(ProcfsError::NoSuchProcess { pid: self.pid });
        }
        let mut sample = Sample::from_mappings(t_s, mappings);
        #[cfg(unix)]
        {
            self.memory_readable =
                crate::blocks::refine_malloc_blocks(self.pid, &mut sample.mappings);
            sample.recount();
        }
        Ok(sample)
    }

    /// Whether the last sample could read the process's memory to tell large malloc blocks
    /// from other anonymous memory (it needs the permission to trace the process).
    #[must_use]
    pub fn memory_readable(&self) -> bool {
        self.memory_readable
    }

    /// Totals only, from smaps_rollup: much cheaper than [`Sampler::sample`] on big
    /// processes, but without kinds.
    ///
    /// # Errors
    /// As [`Sampler::sample`].
    pub fn rollup(&mut self) -> Result<Rollup, ProcfsError> {
        self.read("smaps_rollup").map(|t| parse_rollup(&t))
    }

    fn read(&self, file: &str) -> Result<String, ProcfsError> {
        let path = self.dir.join(file);
        std::fs::read_to_string(&path).map_err(|source| match source.kind() {
            ErrorKind::NotFound => ProcfsError::NoSuchProcess { pid: self.pid },
            ErrorKind::PermissionDenied => {
                ProcfsError::PermissionDenied { owner: owner(&self.dir), path }
            }
            // ESRCH: the process exited while the kernel was writing the file.
            _ if source.raw_os_error() == Some(3) => ProcfsError::NoSuchProcess { pid: self.pid },
            _ => ProcfsError::Io { path, source },
        })
    }
}

#[cfg(unix)]
fn owner(dir: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(dir).ok().map(|m| m.uid())
}

#[cfg(not(unix))]
fn owner(_dir: &std::path::Path) -> Option<u32> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn samples_this_process() {
        let mut s = Sampler::new(std::process::id()).unwrap();
        let a = s.sample().unwrap();
        assert!(a.rss > 0);
        assert_eq!(a.rss, a.by_kind.total());
        assert!(a.by_kind[Kind::Code] > 0, "{:?}", a.by_kind);
        assert!(a.by_kind[Kind::Stack] > 0, "{:?}", a.by_kind);
        // 64 MiB touched through malloc shows as malloc or (above the mmap threshold) anon.
        let block = vec![1u8; 64 << 20];
        let b = s.sample().unwrap();
        let grown = (b.by_kind[Kind::Malloc] + b.by_kind[Kind::Anon])
            .saturating_sub(a.by_kind[Kind::Malloc] + a.by_kind[Kind::Anon]);
        // Other tests of this binary allocate and free (8 MiB) at the same time: leave room.
        assert!(grown >= 48 << 20, "{grown}");
        drop(block);
        assert!(b.t_s >= a.t_s);
        let r = s.rollup().unwrap();
        assert!(r.rss > 0 && r.anonymous > 0);
        let json = serde_json_like(&b.by_kind);
        assert!(json.starts_with("v8-heap="), "{json}");
    }

    fn serde_json_like(by: &ByKind) -> String {
        by.iter().map(|(k, v)| format!("{}={v}", k.as_str())).collect::<Vec<_>>().join(",")
    }

    #[test]
    fn missing_process() {
        // Pid numbers above pid_max never exist.
        let err = Sampler::new(u32::MAX - 1).unwrap_err();
        assert!(matches!(err, ProcfsError::NoSuchProcess { .. }), "{err}");
        assert_eq!(err.to_string(), format!("no process with id {}", u32::MAX - 1));
    }
}
