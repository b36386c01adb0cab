//! The scanner for the big flat integer arrays (`nodes`, `edges`, `locations`…).
//!
//! This is the hot loop of loading: a 300 MB snapshot is 280 MB of digits and commas. Numbers
//! are parsed in a tight run over the input buffer and gathered into rows of the width the
//! header gives, so the sink sees whole rows and needs no per-value dispatch. A number split
//! across two reads carries over in locals.

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
    loop {
        if !input.fill()? {
            return Err(Error::Truncated { offset: input.offset(), inside });
        }
        let base = input.offset();
        let w = input.window();
        let n = w.len();
        let mut i = 0;
        while i < n {
            if USE_SWAR && digits == 0 && i + 8 <= n {
                // Fast path: up to 8 digits at once (most numbers in a snapshot are shorter).
                let chunk = u64::from_le_bytes(w[i..i + 8].try_into().unwrap_or([0; 8]));
                let len = leading_digits(chunk);
                if len > 0 {
                    if expect == Expect::Separator {
                        return Err(Error::syntax(
                            base + i as u64,
                            format!("missing ',' in {inside}"),
                        ));
                    }
                    acc = parse_digits(chunk, len);
                    i += len;
                    if len == 8 {
                        // A long number: go on a digit at a time.
                        digits = 8;
                        continue;
                    }
                    row[filled] = acc;
                    filled += 1;
                    acc = 0;
                    expect = Expect::Separator;
                    if filled == width {
                        filled = 0;
                        if let Err(message) = sink.row(&row[..width]) {
                            return Err(Error::inconsistent(base + i as u64, message));
                        }
                    }
                }
            }
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
                row[filled] = acc;
                filled += 1;
                acc = 0;
                digits = 0;
                expect = Expect::Separator;
                if filled == width {
                    filled = 0;
                    if let Err(message) = sink.row(&row[..width]) {
                        return Err(Error::inconsistent(base + i as u64, message));
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

const USE_SWAR: bool = false;
const LOW_NIBBLES: u64 = 0x0F0F_0F0F_0F0F_0F0F;
const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// How many of the 8 bytes (first byte lowest) are ASCII digits before the first non-digit.
#[inline]
fn leading_digits(chunk: u64) -> usize {
    // A byte is a digit when its high nibble is 3 both as is and after adding 6 (so 0x3A..0x3F
    // fail). A carry out of a byte >= 0xFA only disturbs bytes after a non-digit.
    let high = chunk & HIGH_NIBBLES;
    let high_plus_6 = chunk.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES;
    let not_digit = (high ^ ASCII_ZEROS) | (high_plus_6 ^ ASCII_ZEROS);
    (not_digit.trailing_zeros() / 8) as usize
}

/// The value of the first `len` (1..=8) digits of the chunk.
#[inline]
fn parse_digits(chunk: u64, len: usize) -> u64 {
    // Move the digits to the top bytes so the missing ones read as leading zeros, then add
    // pairs, quads and octets of digits with three multiplications.
    let v = (chunk << (8 * (8 - len))) & LOW_NIBBLES;
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    (v * 10_000 + (v >> 32)) & 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(s: &[u8]) -> u64 {
        let mut b = [b' '; 8];
        b[..s.len()].copy_from_slice(s);
        u64::from_le_bytes(b)
    }

    #[test]
    fn swar_digits() {
        for (text, len, value) in [
            (&b"0,"[..], 1, 0),
            (b"7\n", 1, 7),
            (b"123,4", 3, 123),
            (b"98765432", 8, 98_765_432),
            (b"1234567]", 7, 1_234_567),
            (b",1", 0, 0),
            (b"9:", 1, 9),
            (b"/0", 0, 0),
        ] {
            let c = chunk(text);
            assert_eq!(leading_digits(c), len, "{text:?}");
            if len > 0 {
                assert_eq!(parse_digits(c, len), value, "{text:?}");
            }
        }
        // Bytes that would carry into the next lane when 6 is added.
        assert_eq!(leading_digits(u64::from_le_bytes([b'4', 0xFF, b'1', 0, 0, 0, 0, 0])), 1);
    }
}
