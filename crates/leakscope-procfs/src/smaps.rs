//! Parsing /proc/PID/smaps and /proc/PID/smaps_rollup.

use serde::Serialize;

use crate::classify::Kind;

/// One memory mapping with its sizes, as /proc/PID/smaps lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// `rwxp` as written by the kernel (`p` private, `s` shared).
    pub perms: String,
    /// Offset into the file, for file mappings.
    pub offset: u64,
    /// The inode of the file, 0 for anonymous memory.
    pub inode: u64,
    /// The path or pseudo-name (`[heap]`, `[stack]`, `[anon:NAME]`); empty for plain anonymous
    /// memory.
    pub name: String,
    /// Resident bytes.
    pub rss: u64,
    /// Proportional set size: shared pages divided among their users.
    pub pss: u64,
    /// Resident bytes written by this process alone.
    pub private_dirty: u64,
    /// Resident anonymous bytes.
    pub anonymous: u64,
    /// Swapped-out bytes.
    pub swap: u64,
    /// What the mapping holds; [`crate::classify`] fills it in.
    pub kind: Kind,
}

impl Mapping {
    /// Bytes of address space.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Plain anonymous memory: no file, no pseudo-name.
    #[must_use]
    pub fn is_plain_anonymous(&self) -> bool {
        self.name.is_empty() && self.inode == 0
    }

    /// Readable, writable or executable, from the permission string.
    #[must_use]
    pub fn perm(&self, which: char) -> bool {
        self.perms.contains(which)
    }

    /// `---p`: reserved address space with no access (guards, arena and code-range reserves).
    #[must_use]
    pub fn is_inaccessible(&self) -> bool {
        !self.perm('r') && !self.perm('w') && !self.perm('x')
    }
}

/// A line of smaps that is not the header of a mapping: `Rss:  1234 kB`.
fn field(line: &str) -> Option<(&str, u64)> {
    let (name, rest) = line.split_once(':')?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let mut words = rest.split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    let bytes = match words.next() {
        Some("kB") => value.saturating_mul(1024),
        _ => value,
    };
    Some((name, bytes))
}

/// The header line of a mapping: `start-end perms offset dev inode [name]`.
fn header(line: &str) -> Option<Mapping> {
    let mut rest = line;
    let mut next = || {
        let trimmed = rest.trim_start();
        let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (word, tail) = trimmed.split_at(end);
        rest = tail;
        (!word.is_empty()).then_some(word)
    };
    let (start, end) = next()?.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    let perms = next()?;
    let offset = u64::from_str_radix(next()?, 16).ok()?;
    let _dev = next()?;
    let inode: u64 = next()?.parse().ok()?;
    // The name is the rest of the line; paths may contain spaces.
    let name = rest.trim().to_owned();
    if end < start || perms.len() != 4 {
        return None;
    }
    Some(Mapping {
        start,
        end,
        perms: perms.to_owned(),
        offset,
        inode,
        name,
        rss: 0,
        pss: 0,
        private_dirty: 0,
        anonymous: 0,
        swap: 0,
        kind: Kind::Anon,
    })
}

/// Why a line could not be parsed: its 1-based number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadLine(pub usize);

/// Parses the text of /proc/PID/smaps. Fields the kernel adds in later versions are ignored;
/// a line that is neither a header nor a `Name: value` field is an error. Kinds are left at
/// [`Kind::Anon`]: call [`crate::classify`].
///
/// # Errors
/// The number of the first line that is neither a header nor a field.
pub fn parse_smaps(text: &str) -> Result<Vec<Mapping>, BadLine> {
    let mut out: Vec<Mapping> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some((name, value)) = field(line)
            && let Some(m) = out.last_mut()
        {
            match name {
                "Rss" => m.rss = value,
                "Pss" => m.pss = value,
                "Private_Dirty" => m.private_dirty = value,
                "Anonymous" => m.anonymous = value,
                "Swap" => m.swap = value,
                _ => {}
            }
            continue;
        }
        // `VmFlags: rd wr mr` and `THPeligible:` style lines have no number or a bare one.
        if line.starts_with("VmFlags:") || line.starts_with("THPeligible:") {
            continue;
        }
        match header(line) {
            Some(m) => out.push(m),
            None => return Err(BadLine(i + 1)),
        }
    }
    Ok(out)
}

/// Totals from /proc/PID/smaps_rollup: cheap (no per-mapping lines), no classification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Rollup {
    /// Resident bytes.
    pub rss: u64,
    /// Proportional set size.
    pub pss: u64,
    /// Resident anonymous bytes.
    pub anonymous: u64,
    /// Swapped-out bytes.
    pub swap: u64,
}

/// Parses the text of /proc/PID/smaps_rollup.
#[must_use]
pub fn parse_rollup(text: &str) -> Rollup {
    let mut r = Rollup::default();
    for (name, value) in text.lines().filter_map(field) {
        match name {
            "Rss" => r.rss = value,
            "Pss" => r.pss = value,
            "Anonymous" => r.anonymous = value,
            "Swap" => r.swap = value,
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
00400000-0565d000 r-xp 00000000 08:01 1234                       /usr/bin/node
Size:              84340 kB
Rss:               30000 kB
Pss:               29000 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
Swap:                  0 kB
THPeligible:    0
VmFlags: rd ex mr mw me sd
7fba20000000-7fba202b8000 rw-p 00000000 00:00 0 
Size:               2784 kB
Rss:                1024 kB
Private_Dirty:      1024 kB
Anonymous:          1024 kB
ProtectionKey:         0
VmFlags: rd wr mr mw me nr sd
7fba20400000-7fba20401000 r--p 00001000 08:01 99                 /tmp/with space (deleted)
Rss:                   4 kB
";

    #[test]
    fn parses_headers_fields_and_names_with_spaces() {
        let maps = parse_smaps(SMAPS).unwrap();
        assert_eq!(maps.len(), 3);
        assert_eq!((maps[0].start, maps[0].end), (0x40_0000, 0x565_d000));
        assert_eq!(maps[0].name, "/usr/bin/node");
        assert_eq!(maps[0].rss, 30000 * 1024);
        assert_eq!(maps[0].pss, 29000 * 1024);
        assert!(maps[1].is_plain_anonymous());
        assert_eq!(
            (maps[1].rss, maps[1].anonymous, maps[1].private_dirty),
            (1 << 20, 1 << 20, 1 << 20)
        );
        assert_eq!(maps[2].name, "/tmp/with space (deleted)");
        assert_eq!(maps[2].offset, 0x1000);
    }

    #[test]
    fn garbage_is_an_error_with_its_line() {
        // A field before any mapping has nothing to belong to.
        assert_eq!(parse_smaps("Rss: 4 kB\n"), Err(BadLine(1)));
        assert_eq!(parse_smaps("00-01 rw-p 0 0:0 0\nRss: 4 kB\nhello world\n"), Err(BadLine(3)));
        assert_eq!(parse_smaps("zz-00 rw-p 0 0:0 0\n"), Err(BadLine(1)));
        assert_eq!(parse_smaps(""), Ok(vec![]));
    }

    #[test]
    fn rollup() {
        let r = parse_rollup(
            "00400000-7ffd ---p 00000000 00:00 0 [rollup]\nRss: 10 kB\nPss: 8 kB\nAnonymous: 6 kB\nSwap: 1 kB\n",
        );
        assert_eq!(r, Rollup { rss: 10240, pss: 8192, anonymous: 6144, swap: 1024 });
    }
}
