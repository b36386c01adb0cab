//! The small JSON pieces: strings (decoded leniently), skipping values, and capturing the
//! header object.

use crate::error::Error;
use crate::input::{Input, describe};

/// Decodes a JSON string, the input positioned just after its opening quote, appending its
/// text to `out`.
///
/// Lenient where V8 is not strict JSON: V8 truncates code points to 16 bits, so unpaired
/// surrogate escapes (`\uD800`) occur in real snapshots; they become U+FFFD. Raw bytes that
/// are not UTF-8 become U+FFFD too.
pub(crate) fn decode_string(
    input: &mut Input<'_>,
    inside: &'static str,
    scratch: &mut Vec<u8>,
    out: &mut String,
) -> Result<(), Error> {
    scratch.clear();
    loop {
        if !input.fill()? {
            return Err(Error::Truncated { offset: input.offset(), inside });
        }
        let window = input.window();
        match memchr::memchr2(b'"', b'\\', window) {
            None => {
                scratch.extend_from_slice(window);
                let n = window.len();
                input.consume(n);
            }
            Some(i) => {
                scratch.extend_from_slice(&window[..i]);
                let quote = window[i] == b'"';
                input.consume(i + 1);
                if quote {
                    break;
                }
                decode_escape(input, inside, scratch)?;
            }
        }
    }
    match std::str::from_utf8(scratch) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(scratch)),
    }
    Ok(())
}

fn next_byte(input: &mut Input<'_>, inside: &'static str) -> Result<u8, Error> {
    match input.peek()? {
        Some(b) => {
            input.consume(1);
            Ok(b)
        }
        None => Err(Error::Truncated { offset: input.offset(), inside }),
    }
}

fn hex4(input: &mut Input<'_>, inside: &'static str) -> Result<u16, Error> {
    let mut v: u16 = 0;
    for _ in 0..4 {
        let offset = input.offset();
        let b = next_byte(input, inside)?;
        let d = (b as char).to_digit(16).ok_or_else(|| {
            Error::syntax(offset, format!("bad \\u escape in {inside}: {}", describe(b)))
        })?;
        #[allow(clippy::cast_possible_truncation)] // a hex digit
        {
            v = v << 4 | d as u16;
        }
    }
    Ok(v)
}

/// Decodes one escape, the input positioned after its backslash.
fn decode_escape(
    input: &mut Input<'_>,
    inside: &'static str,
    scratch: &mut Vec<u8>,
) -> Result<(), Error> {
    let offset = input.offset();
    let c = match next_byte(input, inside)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = hex4(input, inside)?;
            match unit {
                0xD800..=0xDBFF => {
                    // A high surrogate: combine with a following low one, else replace it.
                    if input.peek()? == Some(b'\\') {
                        input.consume(1);
                        if input.peek()? == Some(b'u') {
                            input.consume(1);
                            let low = hex4(input, inside)?;
                            if (0xDC00..=0xDFFF).contains(&low) {
                                let cp = 0x10000
                                    + ((u32::from(unit) - 0xD800) << 10)
                                    + (u32::from(low) - 0xDC00);
                                char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER)
                            } else {
                                push_char(scratch, char::REPLACEMENT_CHARACTER);
                                char::from_u32(u32::from(low))
                                    .unwrap_or(char::REPLACEMENT_CHARACTER)
                            }
                        } else {
                            push_char(scratch, char::REPLACEMENT_CHARACTER);
                            return decode_escape(input, inside, scratch);
                        }
                    } else {
                        char::REPLACEMENT_CHARACTER
                    }
                }
                _ => char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
            }
        }
        b => {
            return Err(Error::syntax(offset, format!("bad escape in {inside}: {}", describe(b))));
        }
    };
    push_char(scratch, c);
    Ok(())
}

fn push_char(scratch: &mut Vec<u8>, c: char) {
    let mut utf8 = [0; 4];
    scratch.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
}

/// Skips a JSON string, the input positioned just after its opening quote.
fn skip_string(input: &mut Input<'_>, inside: &'static str) -> Result<(), Error> {
    loop {
        if !input.fill()? {
            return Err(Error::Truncated { offset: input.offset(), inside });
        }
        let window = input.window();
        match memchr::memchr2(b'"', b'\\', window) {
            None => {
                let n = window.len();
                input.consume(n);
            }
            Some(i) => {
                let quote = window[i] == b'"';
                input.consume(i + 1);
                if !quote {
                    next_byte(input, inside)?;
                }
                if quote {
                    return Ok(());
                }
            }
        }
    }
}

/// Skips one JSON value of a section leakscope does not use. Nesting is counted, not recursed,
/// so deep input cannot overflow the stack.
pub(crate) fn skip_value(input: &mut Input<'_>, inside: &'static str) -> Result<(), Error> {
    let mut depth: u64 = 0;
    loop {
        let Some(b) = input.peek_non_ws()? else {
            return Err(Error::Truncated { offset: input.offset(), inside });
        };
        match b {
            b'"' => {
                input.consume(1);
                skip_string(input, inside)?;
            }
            b'[' | b'{' => {
                input.consume(1);
                depth += 1;
            }
            b']' | b'}' => {
                if depth == 0 {
                    return Err(Error::syntax(
                        input.offset(),
                        format!("unexpected {} in {inside}", describe(b)),
                    ));
                }
                input.consume(1);
                depth -= 1;
            }
            b',' | b':' if depth > 0 => input.consume(1),
            b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => input.consume(1),
            _ => {
                return Err(Error::syntax(
                    input.offset(),
                    format!("unexpected {} in {inside}", describe(b)),
                ));
            }
        }
        if depth == 0 {
            // A scalar ends at the next delimiter; a container has just closed.
            while let Some(b) = input.peek()? {
                if matches!(b, b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z') {
                    input.consume(1);
                } else {
                    break;
                }
            }
            return Ok(());
        }
    }
}

/// Copies one JSON object, the input positioned at its `{`, into `out`, so that serde can
/// parse it. At most `limit` bytes: the header is small, and a huge one is not a snapshot.
pub(crate) fn capture_object(
    input: &mut Input<'_>,
    inside: &'static str,
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let start = input.offset();
    let mut depth: u32 = 0;
    let mut in_string = false;
    let mut escaped = false;
    loop {
        let Some(b) = input.peek()? else {
            return Err(Error::Truncated { offset: input.offset(), inside });
        };
        input.consume(1);
        out.push(b);
        if out.len() > limit {
            return Err(Error::NotASnapshot {
                offset: start,
                reason: format!("the {inside} is larger than {} MiB", limit >> 20),
            });
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(());
                }
            }
            _ => {}
        }
    }
}
