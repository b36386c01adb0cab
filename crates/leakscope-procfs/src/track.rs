//! Following mappings from one sample to the next.
//!
//! A mapping has no identity of its own: an arena grows upward (same start, later end), a run
//! of large malloc blocks grows downward (the kernel places new mappings below old ones and
//! merges them), and regions split when something in the middle is unmapped. The tracker
//! matches each mapping to the one of the previous sample it overlaps most, so both
//! directions of growth keep one identity. V8 heap pages come and go by the hundred and mean
//! nothing alone; they are tracked as one entity.

use std::collections::BTreeMap;

use crate::classify::Kind;
use crate::smaps::Mapping;

/// A tracked mapping's number, stable across samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MappingId(pub u32);

/// One mapping followed over time.
#[derive(Clone, Debug)]
pub struct TrackedMapping {
    /// Its number.
    pub id: MappingId,
    /// What it held when last seen.
    pub kind: Kind,
    /// Its path or pseudo-name, `[anon]` for plain anonymous memory, `[v8 heap pages]` for the
    /// V8 pages together.
    pub name: String,
    /// Address range when first seen (the lowest and highest page for V8 pages).
    pub first_range: (u64, u64),
    /// Address range when last seen.
    pub last_range: (u64, u64),
    /// The index of the sample it was first seen in.
    pub first_sample: usize,
    /// Resident bytes in each sample from `first_sample` on (0 while absent).
    pub rss: Vec<u64>,
    /// Address-space bytes in each sample from `first_sample` on.
    pub size: Vec<u64>,
    /// Private dirty bytes in each sample from `first_sample` on.
    pub dirty: Vec<u64>,
    /// Mappings it stands for in the last sample (V8 pages: the page count).
    pub parts: usize,
    /// Permissions, `rw-p` style (of the first V8 page for V8 pages).
    pub perms: String,
}

impl TrackedMapping {
    /// Resident bytes at sample `i`, 0 before it existed or after it was gone.
    #[must_use]
    pub fn rss_at(&self, i: usize) -> u64 {
        i.checked_sub(self.first_sample).and_then(|j| self.rss.get(j)).copied().unwrap_or(0)
    }

    /// Whether it exists in sample `i`.
    #[must_use]
    pub fn present_at(&self, i: usize) -> bool {
        i.checked_sub(self.first_sample).and_then(|j| self.size.get(j)).is_some_and(|&s| s > 0)
    }
}

/// Follows mappings across samples.
#[derive(Debug, Default)]
pub struct Tracker {
    times: Vec<f64>,
    entries: Vec<TrackedMapping>,
    /// The previous sample's ranges, by start address.
    previous: BTreeMap<u64, (u64, MappingId)>,
    v8: Option<MappingId>,
}

const V8_NAME: &str = "[v8 heap pages]";

impl Tracker {
    /// An empty tracker.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Times of the samples added, in seconds.
    #[must_use]
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// Every mapping seen, in order of first appearance.
    #[must_use]
    pub fn mappings(&self) -> &[TrackedMapping] {
        &self.entries
    }

    /// Adds one sample's mappings (classified, in address order).
    pub fn add(&mut self, t_s: f64, mappings: &[Mapping]) {
        let index = self.times.len();
        self.times.push(t_s);
        let mut claimed: Vec<bool> = vec![false; self.entries.len()];
        let mut current: BTreeMap<u64, (u64, MappingId)> = BTreeMap::new();
        let mut v8_total = (0u64, 0u64, 0u64, 0usize, u64::MAX, 0u64);
        for m in mappings {
            if m.kind == Kind::V8Heap {
                v8_total.0 += m.rss;
                v8_total.1 += m.size();
                v8_total.2 += m.private_dirty;
                v8_total.3 += 1;
                v8_total.4 = v8_total.4.min(m.start);
                v8_total.5 = v8_total.5.max(m.end);
                continue;
            }
            let id = match self.best_overlap(m, &claimed) {
                Some(id) => id,
                None => {
                    let id = self.new_entry(index, m.kind, display_name(m), (m.start, m.end));
                    self.entries[id.0 as usize].perms.clone_from(&m.perms);
                    id
                }
            };
            if let Some(c) = claimed.get_mut(id.0 as usize) {
                *c = true;
            } else {
                claimed.resize(id.0 as usize + 1, false);
                claimed[id.0 as usize] = true;
            }
            current.insert(m.start, (m.end, id));
            let e = &mut self.entries[id.0 as usize];
            e.kind = m.kind;
            e.last_range = (m.start, m.end);
            e.parts = 1;
            record(e, index, m.rss, m.size(), m.private_dirty);
        }
        if v8_total.3 > 0 {
            let range = (v8_total.4, v8_total.5);
            let id = match self.v8 {
                Some(id) => id,
                None => {
                    let id = self.new_entry(index, Kind::V8Heap, V8_NAME.to_owned(), range);
                    self.v8 = Some(id);
                    id
                }
            };
            let e = &mut self.entries[id.0 as usize];
            e.last_range = range;
            e.parts = v8_total.3;
            record(e, index, v8_total.0, v8_total.1, v8_total.2);
        }
        // Whatever was not seen this time is gone: record zeros so every series is as long
        // as the sample list.
        for e in &mut self.entries {
            if e.first_sample + e.rss.len() <= index {
                record(e, index, 0, 0, 0);
                e.parts = 0;
            }
        }
        self.previous = current;
    }

    fn new_entry(
        &mut self,
        index: usize,
        kind: Kind,
        name: String,
        range: (u64, u64),
    ) -> MappingId {
        let id = MappingId(u32::try_from(self.entries.len()).unwrap_or(u32::MAX));
        self.entries.push(TrackedMapping {
            id,
            kind,
            name,
            first_range: range,
            last_range: range,
            first_sample: index,
            rss: Vec::new(),
            size: Vec::new(),
            dirty: Vec::new(),
            parts: 1,
            perms: String::new(),
        });
        id
    }

    /// The unclaimed mapping of the previous sample that `m` overlaps most, if any.
    fn best_overlap(&self, m: &Mapping, claimed: &[bool]) -> Option<MappingId> {
        // Ranges starting before m.end; walk back while they can still overlap.
        let mut best: Option<(u64, MappingId)> = None;
        for (&start, &(end, id)) in self.previous.range(..m.end).rev() {
            if end <= m.start {
                // Ranges do not overlap each other, so earlier ones end earlier still.
                break;
            }
            if claimed.get(id.0 as usize).copied().unwrap_or(false) {
                continue;
            }
            let overlap = end.min(m.end) - start.max(m.start);
            // An arena's committed part grows into its `---p` reserve: only the same
            // permissions continue a mapping.
            let same = self
                .entries
                .get(id.0 as usize)
                .is_some_and(|e| e.name == display_name(m) && e.perms == m.perms);
            if same && best.is_none_or(|(o, _)| overlap > o) {
                best = Some((overlap, id));
            }
        }
        best.map(|(_, id)| id)
    }
}

fn record(e: &mut TrackedMapping, index: usize, rss: u64, size: u64, dirty: u64) {
    let j = index - e.first_sample;
    if e.rss.len() == j {
        e.rss.push(rss);
        e.size.push(size);
        e.dirty.push(dirty);
    } else if let (Some(r), Some(s), Some(d)) =
        (e.rss.get_mut(j), e.size.get_mut(j), e.dirty.get_mut(j))
    {
        // Two mappings matched the same entry (cannot happen with claims; be safe).
        *r += rss;
        *s += size;
        *d += dirty;
    }
}

fn display_name(m: &Mapping) -> String {
    if m.name.is_empty() { "[anon]".to_owned() } else { m.name.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::classify;
    use crate::smaps::parse_smaps;

    fn sample(text: &str) -> Vec<Mapping> {
        let mut m = parse_smaps(text).unwrap();
        classify(&mut m);
        m
    }

    #[test]
    fn follows_growth_both_ways_and_groups_v8_pages() {
        let mut t = Tracker::new();
        t.add(
            0.0,
            &sample(
                "7f0010000000-7f0010100000 rw-p 0 00:00 0\nRss: 1024 kB\n\
                 7f0020000000-7f0020010000 rw-p 0 00:00 0\nRss: 64 kB\n\
                 c794d40000-c794d80000 rw-p 0 00:00 0\nRss: 256 kB\n",
            ),
        );
        // The first region grew downward (a new block merged below), the second upward, one
        // more V8 page appeared.
        t.add(
            1.0,
            &sample(
                "7f000ff00000-7f0010100000 rw-p 0 00:00 0\nRss: 2048 kB\n\
                 7f0020000000-7f0020020000 rw-p 0 00:00 0\nRss: 128 kB\n\
                 c794d40000-c794d80000 rw-p 0 00:00 0\nRss: 256 kB\n\
                 e84fc00000-e84fc40000 rw-p 0 00:00 0\nRss: 200 kB\n",
            ),
        );
        t.add(2.0, &sample("7f0020000000-7f0020020000 rw-p 0 00:00 0\nRss: 128 kB\n"));
        let m = t.mappings();
        assert_eq!(m.len(), 3, "{m:#?}");
        assert_eq!(m[0].rss, [1 << 20, 2 << 20, 0]);
        assert_eq!(m[0].last_range.0, 0x7f00_0ff0_0000);
        assert_eq!(m[1].rss, [64 << 10, 128 << 10, 128 << 10]);
        assert_eq!((m[2].name.as_str(), m[2].kind), (V8_NAME, Kind::V8Heap));
        assert_eq!(m[2].rss, [256 << 10, 456 << 10, 0]);
        assert!(m[0].present_at(1) && !m[0].present_at(2));
        assert_eq!(m[1].rss_at(7), 0);
        assert_eq!(t.times(), [0.0, 1.0, 2.0]);
    }

    #[test]
    fn late_mappings_start_later() {
        let mut t = Tracker::new();
        t.add(0.0, &[]);
        t.add(1.0, &sample("7f0020000000-7f0020010000 rw-p 0 00:00 0\nRss: 64 kB\n"));
        let m = &t.mappings()[0];
        assert_eq!((m.first_sample, m.rss_at(0), m.rss_at(1)), (1, 0, 64 << 10));
    }
}
