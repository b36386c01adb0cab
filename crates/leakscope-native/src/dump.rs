//! Parsing `native-PID.txt` (the format is described in the sampler's `dump.rs`).

use std::collections::HashMap;

use crate::error::NativeError;

/// One executable file mapping of the sampled process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapEntry {
    /// First address.
    pub start: u64,
    /// One past the last.
    pub end: u64,
    /// Offset of `start` in the file.
    pub offset: u64,
    /// The file.
    pub path: String,
}

/// One site's numbers in one dump.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SiteStats {
    /// Stack id.
    pub stack: u32,
    /// Live sampled allocations.
    pub live_samples: u64,
    /// Their sizes, summed.
    pub live_sampled_bytes: u64,
    /// Estimated live bytes.
    pub estimate: f64,
    /// Variance of the estimate.
    pub variance: f64,
    /// Sampled allocations since the start (freed or not).
    pub total_samples: u64,
    /// Their sizes, summed.
    pub total_sampled_bytes: u64,
}

/// One complete dump.
#[derive(Clone, Debug, PartialEq)]
pub struct Dump {
    /// Sequence number from 1.
    pub seq: u64,
    /// Seconds since the sampler loaded.
    pub t_s: f64,
    /// `interval`, `request` or `exit`.
    pub reason: String,
    /// Sites with live or past samples.
    pub sites: Vec<SiteStats>,
    /// Live samples in all.
    pub live_samples: u64,
    /// Samples lost to full tables.
    pub dropped: u64,
}

/// Everything in one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recording {
    /// The sampled process.
    pub pid: u32,
    /// Mean bytes between samples.
    pub sample_bytes: u64,
    /// Complete dumps, in order.
    pub dumps: Vec<Dump>,
    /// Stack id → return addresses, innermost first.
    pub stacks: HashMap<u32, Vec<u64>>,
    /// Executable mappings, in the order they were written (later ones win).
    pub maps: Vec<MapEntry>,
}

fn hex(word: Option<&str>) -> Option<u64> {
    u64::from_str_radix(word?, 16).ok()
}

/// Parses a sampler output file. A trailing dump without its `end` line is ignored.
///
/// # Errors
/// Not the sampler's format, or no complete dump.
pub fn parse(text: &str) -> Result<Recording, NativeError> {
    let mut rec = Recording::default();
    let mut open: Option<Dump> = None;
    // A last line without its newline was being written when the file was read or the
    // process died: drop it.
    let complete = match text.rfind('\n') {
        Some(i) => &text[..=i],
        None => "",
    };
    for (i, line) in complete.lines().enumerate() {
        let bad = |message: &str| NativeError::Format { line: i + 1, message: message.to_owned() };
        let mut words = line.split(' ');
        let tag = words.next().unwrap_or_default();
        match tag {
            "leakscope-native" => {
                for w in words {
                    if let Some(v) = w.strip_prefix("pid=") {
                        rec.pid = v.parse().map_err(|_| bad("bad pid"))?;
                    } else if let Some(v) = w.strip_prefix("sample_bytes=") {
                        rec.sample_bytes = v.parse().map_err(|_| bad("bad sample_bytes"))?;
                    }
                }
            }
            "dump" => {
                let seq =
                    words.next().and_then(|w| w.parse().ok()).ok_or_else(|| bad("bad dump"))?;
                let t_ms: f64 = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .ok_or_else(|| bad("bad dump time"))?;
                let reason = words.next().unwrap_or_default().to_owned();
                open = Some(Dump {
                    seq,
                    t_s: t_ms / 1000.0,
                    reason,
                    sites: Vec::new(),
                    live_samples: 0,
                    dropped: 0,
                });
            }
            "map" => {
                let (Some(start), Some(end), Some(offset)) =
                    (hex(words.next()), hex(words.next()), hex(words.next()))
                else {
                    return Err(bad("bad map line"));
                };
                let path = words.collect::<Vec<_>>().join(" ");
                rec.maps.push(MapEntry { start, end, offset, path });
            }
            "stack" => {
                let id =
                    words.next().and_then(|w| w.parse().ok()).ok_or_else(|| bad("bad stack"))?;
                let frames: Option<Vec<u64>> =
                    words.filter(|w| !w.is_empty()).map(|w| hex(Some(w))).collect();
                rec.stacks.insert(id, frames.ok_or_else(|| bad("bad frame address"))?);
            }
            "site" => {
                let n: Vec<&str> = words.collect();
                let int = |k: usize| n.get(k).and_then(|w| w.parse::<u64>().ok());
                let float = |k: usize| n.get(k).and_then(|w| w.parse::<f64>().ok());
                let stats = (|| {
                    Some(SiteStats {
                        stack: u32::try_from(int(0)?).ok()?,
                        live_samples: int(1)?,
                        live_sampled_bytes: int(2)?,
                        estimate: float(3)?,
                        variance: float(4)?,
                        total_samples: int(5)?,
                        total_sampled_bytes: int(6)?,
                    })
                })()
                .ok_or_else(|| bad("bad site line"))?;
                open.as_mut().ok_or_else(|| bad("site outside a dump"))?.sites.push(stats);
            }
            "end" => {
                let mut d = open.take().ok_or_else(|| bad("end outside a dump"))?;
                let _seq = words.next();
                d.live_samples = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                d.dropped = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                rec.dumps.push(d);
            }
            "" => {}
            _ => return Err(bad("not a leakscope native dump")),
        }
    }
    if rec.dumps.is_empty() {
        return Err(NativeError::NoDump);
    }
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_ignores_a_cut_dump() {
        let text = "leakscope-native 1 pid=42 sample_bytes=524288\n\
            dump 1 1500 interval\n\
            map 400000 500000 0 /usr/bin/node\n\
            stack 0\n\
            stack 1 400123 400456\n\
            site 1 3 3000 1572864 824633720832 5 5000\n\
            end 1 3 0\n\
            dump 2 2500 interval\n\
            site 1 3 30";
        let r = parse(text).unwrap();
        assert_eq!((r.pid, r.sample_bytes, r.dumps.len()), (42, 524_288, 1));
        assert_eq!(r.stacks[&1], [0x40_0123, 0x40_0456]);
        assert!(r.stacks[&0].is_empty());
        assert_eq!(r.maps[0].path, "/usr/bin/node");
        let d = &r.dumps[0];
        assert_eq!((d.t_s, d.sites[0].live_samples, d.sites[0].total_samples), (1.5, 3, 5));
    }

    #[test]
    fn errors() {
        assert!(matches!(parse(""), Err(NativeError::NoDump)));
        let e = parse("hello\n").unwrap_err();
        assert_eq!(e.to_string(), "line 1: not a leakscope native dump");
        assert!(parse("dump 1 0 x\nsite 1 2\nend 1 0 0\n").is_err());
    }
}
