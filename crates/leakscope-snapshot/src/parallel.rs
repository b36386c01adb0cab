//! Reading a plain snapshot file on two threads: the `edges` array (the biggest part) on one,
//! the `nodes` array and everything else on the other.
//!
//! A file, unlike a stream, can be read at any offset, and the integer arrays hold no `]` but
//! their last byte, so the start of `edges` is one `memchr` away from the start of `nodes`.
//! When the file does not have V8's layout (`"nodes"` followed by `"edges"`), this falls back
//! to one sequential pass.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Error;
use crate::input::Input;
use crate::reader::{Sections, Snapshot, Stop, expect_end, open_object, read_edges, read_nodes};

/// Reads the file from `pos` on, without moving any shared file offset, counting bytes read.
struct FileAt<'f> {
    file: &'f File,
    pos: u64,
    read: &'f AtomicU64,
}

impl Read for FileAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The offset just past the first `]` at or after `from`, or `None` if the file has none.
fn find_array_end(file: &File, from: u64) -> Result<Option<u64>, Error> {
    let mut buf = vec![0u8; 1 << 20];
    let mut pos = from;
    loop {
        let n = file.read_at(&mut buf, pos).map_err(|source| Error::Io { offset: pos, source })?;
        if n == 0 {
            return Ok(None);
        }
        if let Some(i) = memchr::memchr(b']', &buf[..n]) {
            return Ok(Some(pos + i as u64 + 1));
        }
        pos += n as u64;
    }
}

/// If the bytes at `from` are `, "key": [` (with any whitespace), the offset after the `[`.
fn array_follows(file: &File, from: u64, key: &str) -> Result<Option<u64>, Error> {
    let mut buf = [0u8; 256];
    let n = file.read_at(&mut buf, from).map_err(|source| Error::Io { offset: from, source })?;
    let mut rest = &buf[..n];
    let mut eat = |token: &[u8]| {
        let trimmed = rest.trim_ascii_start();
        match trimmed.strip_prefix(token) {
            Some(after) => {
                rest = after;
                true
            }
            None => false,
        }
    };
    let quoted = format!("\"{key}\"");
    if eat(b",") && eat(quoted.as_bytes()) && eat(b":") && eat(b"[") {
        Ok(Some(from + (n - rest.len()) as u64))
    } else {
        Ok(None)
    }
}

/// Reads a plain (uncompressed) snapshot file of `size` bytes.
pub(crate) fn read_file(
    file: &File,
    size: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<Snapshot, Error> {
    let read = AtomicU64::new(0);
    let mut report = || progress(read.load(Ordering::Relaxed));
    let mut sections = Sections::new(Some(size));

    let (nodes_start, edges_start) = {
        let mut input = Input::new(Box::new(FileAt { file, pos: 0, read: &read }), &mut report);
        open_object(&mut input)?;
        match sections.parse_members(&mut input, true, true)? {
            Stop::End => {
                expect_end(&mut input)?;
                return sections.finish(input.offset());
            }
            Stop::AtNodes => {}
        }
        input.expect(b'[', "nodes")?;
        let nodes_start = input.offset();
        let edges_start = match find_array_end(file, nodes_start)? {
            Some(nodes_end) => array_follows(file, nodes_end, "edges")?,
            None => None,
        };
        let Some(edges_start) = edges_start else {
            // Not V8's order: read the rest in one pass.
            let layout = sections.layout.as_ref().ok_or(Error::Empty)?;
            sections.nodes = Some(read_nodes(&mut input, layout, Some(size))?);
            sections.parse_members(&mut input, false, false)?;
            expect_end(&mut input)?;
            return sections.finish(input.offset());
        };
        (nodes_start, edges_start)
    };

    let layout = sections.layout.clone().ok_or(Error::Empty)?;
    std::thread::scope(|scope| {
        let edges = scope.spawn(|| {
            let mut quiet = || {};
            let src = Box::new(FileAt { file, pos: edges_start, read: &read });
            let mut input = Input::starting_at(src, edges_start, &mut quiet);
            read_edges(&mut input, &layout, Some(size)).map(|c| (c, input.offset()))
        });
        let main = (|| {
            {
                let src = Box::new(FileAt { file, pos: nodes_start, read: &read });
                let mut input = Input::starting_at(src, nodes_start, &mut report);
                sections.nodes = Some(read_nodes(&mut input, &layout, Some(size))?);
            }
            let after_edges = find_array_end(file, edges_start)?
                .ok_or(Error::Truncated { offset: size, inside: "edges" })?;
            let mut input = Input::starting_at(
                Box::new(FileAt { file, pos: after_edges, read: &read }),
                after_edges,
                &mut report,
            );
            sections.parse_members(&mut input, false, false)?;
            expect_end(&mut input)?;
            Ok::<_, Error>((after_edges, input.offset()))
        })();
        let edges = edges.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // An error in the edges comes first in the file, so it is the one to report.
        let (edges, edges_end) = edges?;
        let (after_edges, end) = main?;
        if edges_end != after_edges {
            return Err(Error::syntax(edges_end, "unexpected ']' in edges"));
        }
        sections.edges = Some(edges);
        sections.finish(end)
    })
}
