//! Where snapshots come from: a path, stdin (`-`), any reader; plain or gzip.

use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use crate::error::Error;
use crate::input::Input;
use crate::reader::{Snapshot, read_sequential};

/// How far a read has come, in bytes of the input as stored (compressed for `.gz`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes read so far.
    pub read: u64,
    /// The input's size, when known (not for stdin).
    pub total: Option<u64>,
}

/// How to read a snapshot: the entry point of this crate.
#[derive(Default)]
pub struct ReadOptions<'a> {
    on_progress: Option<Box<dyn FnMut(Progress) + 'a>>,
}

impl fmt::Debug for ReadOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadOptions").field("on_progress", &self.on_progress.is_some()).finish()
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl<'a> ReadOptions<'a> {
    /// Default options: no progress reports.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls `f` as the input is read (about once per MiB).
    #[must_use]
    pub fn on_progress(mut self, f: impl FnMut(Progress) + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Reads the snapshot at `path`; `-` reads stdin. Gzip input is recognised by its magic.
    ///
    /// # Errors
    /// When the file cannot be read or is not a well-formed V8 heap snapshot.
    pub fn open(mut self, path: &Path) -> Result<Snapshot, Error> {
        if path.as_os_str() == "-" {
            return self.read(io::stdin().lock(), None);
        }
        let open_error = |source| Error::Open { path: path.to_owned(), source };
        let file = File::open(path).map_err(open_error)?;
        let meta = file.metadata().map_err(open_error)?;
        if meta.is_dir() {
            return Err(open_error(io::Error::new(io::ErrorKind::IsADirectory, "is a directory")));
        }
        let size = meta.is_file().then_some(meta.len());
        #[cfg(unix)]
        if let Some(size) = size {
            let mut magic = [0u8; 2];
            let n =
                std::os::unix::fs::FileExt::read_at(&file, &mut magic, 0).map_err(open_error)?;
            if magic[..n] != GZIP_MAGIC {
                let mut report = |read| {
                    if let Some(f) = &mut self.on_progress {
                        f(Progress { read, total: Some(size) });
                    }
                };
                return crate::parallel::read_file(&file, size, &mut report);
            }
        }
        self.read(file, size)
    }

    /// Reads a snapshot from any reader; `size` is its length when known (it bounds the
    /// memory reserved up front and feeds [`Progress::total`]).
    ///
    /// # Errors
    /// When reading fails or the input is not a well-formed V8 heap snapshot.
    pub fn read(mut self, reader: impl Read, size: Option<u64>) -> Result<Snapshot, Error> {
        let counter = Rc::new(Cell::new(0u64));
        let mut raw =
            BufReader::with_capacity(64 << 10, Counting { inner: reader, count: counter.clone() });
        let gzip = raw
            .fill_buf()
            .map_err(|source| Error::Io { offset: 0, source })?
            .starts_with(&GZIP_MAGIC);
        let (source, json_size): (Box<dyn Read + '_>, Option<u64>) = if gzip {
            (Box::new(flate2::bufread::MultiGzDecoder::new(raw)), None)
        } else {
            (Box::new(raw), size)
        };
        let mut report = || {
            if let Some(f) = &mut self.on_progress {
                f(Progress { read: counter.get(), total: size });
            }
        };
        let mut input = Input::new(source, &mut report);
        read_sequential(&mut input, json_size)
    }
}

/// Counts the bytes read through it, for progress on the stored (maybe compressed) input.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}
