//! The scanner for the big flat integer arrays (`nodes`, `edges`, `locations`…).
//!
//! This is the hot loop of loading: a 300 MB snapshot is 280 MB of digits and commas. Numbers
//! are parsed in a tight run over the input buffer and gathered into rows of the width the
//! header gives, so the sink sees whole rows and needs no per-value dispatch. A number split
//! across two reads carries over in locals. (Parsing eight digits at a time with SWAR
//! arithmetic was measured slower here: most numbers in a snapshot have one to three digits.)

use crate::error::Error;
use crate::input::{Input, describe};

/// The most values per row we accept (V8 writes 7 per node, 3 per edge).
pub(crate) const MAX_WIDTH: usize = 32;

/// Receives the rows of an array in order. Returns a message when a row is wrong; the scanner
/// adds the offset.
pub(crate) trait RowSink {
    fn row(&mut self, row: &[u64]) -> Result<(), String>;
}

impl<F: FnMut(&[u64]) -> Result<(), String>> RowSink for F {
    #[inline]
    fn row(&mut self, row: &[u64]) -> Result<(), String> {
        self(row)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Just after `[`: a number or `]`.
    First,
    /// After a number: `,` or `]`.
    Separator,
    /// After `,`: a number.
    Number,
}

/// Scans an array of unsigned integers in rows of `width`, the input positioned just after its
/// `[`, up to and including its `]`. Returns how many values the last, incomplete row held
/// (0 when the array held whole rows).
pub(crate) fn scan_rows(
    input: &mut Input<'_>,
    inside: &'static str,
    width: usize,
    sink: &mut impl RowSink,
) -> Result<usize, Error> {
    assert!((1..=MAX_WIDTH).contains(&width), "row width is checked by the header");
    let mut row = [0u64; MAX_WIDTH];
    let mut filled = 0usize;
    let mut acc: u64 = 0;
    let mut digits: usize = 0;
    let mut expect = Expect::First;
    let mut row_start = input.offset();
    loop {
        if !input.fill()? {
            return Err(Error::Truncated { offset: input.offset(), inside });
        }
        let base = input.offset();
        let w = input.window();
        let n = w.len();
        let mut i = 0;
        while i < n {
            let d = w[i].wrapping_sub(b'0');
            if d < 10 {
                if digits == 0 && expect == Expect::Separator {
                    return Err(Error::syntax(base + i as u64, format!("missing ',' in {inside}")));
                }
                let start = i;
                acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
                i += 1;
                while i < n {
                    let d = w[i].wrapping_sub(b'0');
                    if d >= 10 {
                        break;
                    }
                    acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
                    i += 1;
                }
                digits += i - start;
                if digits > 19 {
                    return Err(Error::syntax(
                        (base + i as u64).saturating_sub(digits as u64),
                        format!("number too large in {inside}"),
                    ));
                }
                if i == n {
                    break; // the number may go on in the next read
                }
            }
            if digits > 0 {
                // Check what ends the number before the row is judged, so a stray byte is
                // reported as itself and not as the wrong value it cut short.
                if !matches!(w[i], b',' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    return Err(Error::syntax(
                        base + i as u64,
                        format!("expected ',' or ']' in {inside}, found {}", describe(w[i])),
                    ));
                }
                if filled == 0 {
                    row_start = (base + i as u64).saturating_sub(digits as u64);
                }
                row[filled] = acc;
                filled += 1;
                acc = 0;
                digits = 0;
                expect = Expect::Separator;
                if filled == width {
                    filled = 0;
                    if let Err(message) = sink.row(&row[..width]) {
                        return Err(Error::inconsistent(row_start, message));
                    }
                }
            }
            match w[i] {
                b',' if expect == Expect::Separator => expect = Expect::Number,
                b' ' | b'\n' | b'\r' | b'\t' => {}
                b']' if expect != Expect::Number => {
                    input.consume(i + 1);
                    return Ok(filled);
                }
                b => {
                    let wanted = match expect {
                        Expect::First => "a number or ']'",
                        Expect::Separator => "',' or ']'",
                        Expect::Number => "a number",
                    };
                    return Err(Error::syntax(
                        base + i as u64,
                        format!("expected {wanted} in {inside}, found {}", describe(b)),
                    ));
                }
            }
            i += 1;
        }
        input.consume(n);
    }
}
