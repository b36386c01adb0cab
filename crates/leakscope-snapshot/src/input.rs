//! A buffered byte source that knows its offset, for a streaming parse.

use std::io::{self, Read};

use crate::error::Error;

const BUFFER_SIZE: usize = 1 << 20;

/// Reads the input in 1 MiB blocks. Streaming (rather than mapping the file) keeps peak memory
/// at the size of the parsed columns, and serves stdin and gzip with the same code.
pub(crate) struct Input<'a> {
    src: Box<dyn Read + 'a>,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Offset of `buf[0]` in the input.
    base: u64,
    eof: bool,
    on_refill: &'a mut dyn FnMut(),
}

impl<'a> Input<'a> {
    pub(crate) fn new(src: Box<dyn Read + 'a>, on_refill: &'a mut dyn FnMut()) -> Self {
        Self::starting_at(src, 0, on_refill)
    }

    /// An input whose first byte is at `base` in the whole file (for error offsets).
    pub(crate) fn starting_at(
        src: Box<dyn Read + 'a>,
        base: u64,
        on_refill: &'a mut dyn FnMut(),
    ) -> Self {
        Self {
            src,
            buf: vec![0; BUFFER_SIZE].into_boxed_slice(),
            pos: 0,
            end: 0,
            base,
            eof: false,
            on_refill,
        }
    }

    /// The offset of the next byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The unread bytes in the buffer (empty only at the end of the input after [`Self::fill`]).
    #[inline]
    pub(crate) fn window(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Marks `n` bytes of the window as read.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.end);
        self.pos += n;
    }

    /// Refills the buffer once the window is empty; `false` at the end of the input.
    pub(crate) fn fill(&mut self) -> Result<bool, Error> {
        if self.pos < self.end {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end = n;
                    (self.on_refill)();
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => return Err(Error::Io { offset: self.base, source }),
            }
        }
    }

    /// The next byte, without consuming it; `None` at the end of the input.
    #[inline]
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, Error> {
        if self.pos == self.end && !self.fill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }

    /// The next byte that is not JSON whitespace, without consuming it.
    pub(crate) fn peek_non_ws(&mut self) -> Result<Option<u8>, Error> {
        loop {
            match self.peek()? {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.pos += 1,
                other => return Ok(other),
            }
        }
    }

    /// Consumes the next non-whitespace byte, which must be `want`.
    pub(crate) fn expect(&mut self, want: u8, inside: &'static str) -> Result<(), Error> {
        match self.peek_non_ws()? {
            Some(b) if b == want => {
                self.pos += 1;
                Ok(())
            }
            Some(b) => Err(Error::syntax(
                self.offset(),
                format!("expected '{}' in {inside}, found {}", want as char, describe(b)),
            )),
            None => Err(Error::Truncated { offset: self.offset(), inside }),
        }
    }
}

/// A byte for an error message.
pub(crate) fn describe(b: u8) -> String {
    if b.is_ascii_graphic() { format!("'{}'", b as char) } else { format!("byte 0x{b:02x}") }
}
