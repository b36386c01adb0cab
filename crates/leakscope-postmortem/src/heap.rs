//! Finding V8's pages, Maps and objects in a process's memory.
//!
//! 1. **Pages**: every 256 KiB-aligned chunk of anonymous memory whose header (per the version
//!    table) names a plausible object area is a candidate; the `Heap*` most pages share is the
//!    main isolate's, and only its pages are kept, plus read-only pages (no heap).
//! 2. **Meta maps**: words equal to their own tagged address whose instance type is `MAP_TYPE`.
//! 3. **Maps**: words equal to a tagged meta map.
//! 4. **Objects**: each page's object area is walked from its start; a word holding a tagged
//!    Map starts an object, which is validated by type and skipped by its exact size where the
//!    type has one (so stale data inside free space and inside arrays never counts).

use crate::error::Error;
use crate::layout::Layout;
use crate::memory::ReadMemory;

/// V8's page size (`kPageSize`), the alignment of every page.
pub(crate) const PAGE_SIZE: u64 = 256 * 1024;

/// One V8 page: where its objects are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Page {
    pub start: u64,
    pub area_start: u64,
    pub area_end: u64,
}

/// The object index: every object found, sorted by address.
#[derive(Debug)]
pub(crate) struct Heap<M: ReadMemory> {
    pub mem: M,
    pub layout: Layout,
    pub pages: Vec<Page>,
    /// Sorted addresses of every Map.
    pub maps: Vec<u64>,
    /// Per map: its instance type.
    pub map_types: Vec<u16>,
    /// Per map: its instance size in words (0 for variable-size types).
    pub map_words: Vec<u8>,
    /// Sorted addresses of every object.
    pub objects: Vec<u64>,
    /// Per object: the index of its map in `maps`.
    pub object_maps: Vec<u32>,
    /// Per object: its size in bytes (exact for most types, else up to the next object).
    pub sizes: Vec<u32>,
    /// How many objects have a size bounded by the next object rather than known.
    pub inexact_sizes: usize,
    pub heap_pointer: u64,
    /// Sorted addresses of the oddballs and holes (`undefined`, `null`, the hole…): values
    /// the graph leaves out, checked for on every slot.
    pub specials: Vec<u64>,
}

/// A tagged value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tagged {
    Smi(i64),
    Object(u64),
}

impl Tagged {
    pub(crate) fn decode(word: u64) -> Option<Self> {
        if word & 1 == 0 {
            #[allow(clippy::cast_possible_wrap)] // a Smi is the upper 32 bits, signed
            Some(Self::Smi((word as i64) >> 32))
        } else if word & 3 == 1 {
            Some(Self::Object(word - 1))
        } else {
            None
        }
    }
}

impl<M: ReadMemory> Heap<M> {
    /// Finds pages, maps and objects.
    pub(crate) fn scan(mem: M, layout: Layout, what: &str) -> Result<Self, Error> {
        let mut heap = Self {
            mem,
            layout,
            pages: Vec::new(),
            maps: Vec::new(),
            map_types: Vec::new(),
            map_words: Vec::new(),
            objects: Vec::new(),
            object_maps: Vec::new(),
            sizes: Vec::new(),
            inexact_sizes: 0,
            heap_pointer: 0,
            specials: Vec::new(),
        };
        heap.find_pages(what)?;
        heap.find_maps(what)?;
        heap.find_objects();
        Ok(heap)
    }

    pub(crate) fn word(&self, addr: u64) -> Option<u64> {
        self.mem.u64_at(addr)
    }

    /// A word read without mapping its page (see [`ReadMemory::read_into`]).
    fn probe(&self, addr: u64) -> Option<u64> {
        let mut b = [0u8; 8];
        self.mem.read_into(addr, &mut b).then(|| u64::from_le_bytes(b))
    }

    /// Reads a page header; `None` when it does not look like one.
    fn page_header(&self, chunk: u64, region_end: u64) -> Option<(u64, u64, u64)> {
        let p = self.layout.page;
        let base = match p.metadata_pointer {
            None => chunk,
            Some((pointer, back)) => {
                let meta = self.probe(chunk + pointer)?;
                // Read-only pages' metadata does not point back (it is shared by isolates).
                let back = self.probe(meta.checked_add(back)?)?;
                (back == chunk || back == 0).then_some(meta)?
            }
        };
        let heap = self.probe(base.checked_add(p.heap)?)?;
        let area_start = self.probe(base.checked_add(p.area_start)?)?;
        let area_end = self.probe(base.checked_add(p.area_end)?)?;
        let plausible = area_start > chunk
            && area_start < chunk + PAGE_SIZE
            && area_start % 8 == 0
            && area_end > area_start
            && area_end <= region_end;
        plausible.then_some((heap, area_start, area_end))
    }

    fn find_pages(&mut self, what: &str) -> Result<(), Error> {
        let mut candidates = Vec::new();
        for region in self.mem.regions() {
            if region.path.is_some() || !region.readable || region.present < 64 {
                continue;
            }
            let present_end = region.start + region.present;
            let mut chunk = region.start.next_multiple_of(PAGE_SIZE);
            while chunk + 64 <= present_end {
                if let Some((heap, area_start, area_end)) = self.page_header(chunk, present_end) {
                    candidates.push((
                        heap,
                        region.writable,
                        Page { start: chunk, area_start, area_end },
                    ));
                    chunk = area_end.next_multiple_of(PAGE_SIZE).max(chunk + PAGE_SIZE);
                } else {
                    chunk += PAGE_SIZE;
                }
            }
        }
        let mut counts: Vec<(u64, usize)> = Vec::new();
        for (heap, writable, _) in &candidates {
            if *writable && *heap != 0 {
                match counts.iter_mut().find(|(h, _)| h == heap) {
                    Some(c) => c.1 += 1,
                    None => counts.push((*heap, 1)),
                }
            }
        }
        let Some(&(main_heap, _)) = counts.iter().max_by_key(|(_, n)| *n) else {
            return Err(Error::NoHeap {
                what: what.to_owned(),
                reason: format!(
                    "no V8 page headers (V8 {} layout) in its anonymous memory",
                    self.layout.version
                ),
            });
        };
        self.heap_pointer = main_heap;
        self.pages = candidates
            .into_iter()
            .filter(|(heap, writable, _)| *heap == main_heap || (!writable && *heap == 0))
            .map(|(_, _, page)| page)
            .collect();
        self.pages.sort_by_key(|p| p.start);
        Ok(())
    }

    /// The words of a page's object area.
    fn area(&self, page: &Page) -> &[u8] {
        let len = usize::try_from(page.area_end - page.area_start).unwrap_or(0);
        self.mem.bytes(page.area_start, len).unwrap_or_default()
    }

    fn find_maps(&mut self, what: &str) -> Result<(), Error> {
        let type_offset = self.layout.map_instance_type;
        let map_type = self.layout.types.map;
        let mut metas = Vec::new();
        for page in &self.pages {
            for (i, w) in words(self.area(page)).enumerate() {
                let addr = page.area_start + 8 * i as u64;
                if w == addr + 1 && self.u16_at(addr + type_offset) == Some(map_type) {
                    metas.push(w);
                }
            }
        }
        if metas.is_empty() {
            return Err(Error::NoHeap {
                what: what.to_owned(),
                reason: format!("no meta map in {} V8 pages", self.pages.len()),
            });
        }
        let mut maps = Vec::new();
        for page in &self.pages {
            for (i, w) in words(self.area(page)).enumerate() {
                if metas.contains(&w) {
                    maps.push(page.area_start + 8 * i as u64);
                }
            }
        }
        self.maps = maps;
        self.maps.sort_unstable();
        self.maps.dedup();
        self.map_types =
            self.maps.iter().map(|&m| self.u16_at(m + type_offset).unwrap_or(0)).collect();
        let words_offset = self.layout.map_instance_size_in_words;
        self.map_words =
            self.maps.iter().map(|&m| self.u8_at(m + words_offset).unwrap_or(0)).collect();
        Ok(())
    }

    pub(crate) fn u16_at(&self, addr: u64) -> Option<u16> {
        let b = self.mem.bytes(addr, 2)?;
        Some(u16::from_le_bytes(b.try_into().ok()?))
    }

    pub(crate) fn u8_at(&self, addr: u64) -> Option<u8> {
        self.mem.bytes(addr, 1).and_then(|b| b.first().copied())
    }

    /// The index of the Map at `addr`.
    pub(crate) fn map_index(&self, addr: u64) -> Option<u32> {
        let i = self.maps.binary_search(&addr).ok()?;
        u32::try_from(i).ok()
    }

    /// The instance type of the object at `addr` (any address with a known map).
    pub(crate) fn type_of(&self, addr: u64) -> Option<u16> {
        let map = self.word(addr)?.checked_sub(1)?;
        let i = self.maps.binary_search(&map).ok()?;
        self.map_types.get(i).copied()
    }

    fn find_objects(&mut self) {
        let (mut objects, mut object_maps, mut sizes) = (Vec::new(), Vec::new(), Vec::new());
        let mut inexact = 0;
        for page in &self.pages {
            let area = self.area(page);
            let mut i = 0usize;
            let n = area.len() / 8;
            while i < n {
                let w = word_at(area, i);
                let addr = page.area_start + 8 * i as u64;
                i += 1;
                if w & 3 != 1 {
                    continue;
                }
                let Some(map) = self.map_index(w - 1) else { continue };
                let ty = self.map_types[map as usize];
                let Some(size) = self.object_size(addr, map, ty, page.area_end) else {
                    continue;
                };
                if !self.validate(addr, ty, size) {
                    continue;
                }
                if ty == self.layout.types.free_space || is_filler(self, map) {
                    // Free memory: skip it whole, stale objects inside never count.
                    if let Some(s) = size {
                        i += (s / 8).saturating_sub(1) as usize;
                    }
                    continue;
                }
                objects.push(addr);
                object_maps.push(map);
                sizes.push(size.map_or(0, |s| u32::try_from(s).unwrap_or(u32::MAX)));
                if let Some(s) = size {
                    i += (s / 8).saturating_sub(1) as usize;
                } else {
                    inexact += 1;
                }
            }
        }
        (self.objects, self.object_maps, self.sizes) = (objects, object_maps, sizes);
        self.inexact_sizes = inexact;
        let oddball = self.layout.types.oddball;
        let special_maps: Vec<bool> = self
            .map_types
            .iter()
            .map(|&t| t == oddball || self.layout.type_names.get(&t).is_some_and(|n| n == "Hole"))
            .collect();
        self.specials = self
            .objects
            .iter()
            .zip(&self.object_maps)
            .filter(|&(_, &m)| special_maps[m as usize])
            .map(|(&a, _)| a)
            .collect();
        // Objects of unknown size end where the next one starts.
        for k in 0..self.objects.len() {
            if self.sizes[k] == 0 {
                let next = self.objects.get(k + 1).copied().unwrap_or(self.objects[k] + 8);
                let end = self.page_of(self.objects[k]).map_or(next, |p| next.min(p.area_end));
                self.sizes[k] = u32::try_from(end.saturating_sub(self.objects[k])).unwrap_or(8);
            }
        }
    }

    pub(crate) fn page_of(&self, addr: u64) -> Option<&Page> {
        let i = self.pages.partition_point(|p| p.area_end <= addr);
        self.pages.get(i).filter(|p| p.area_start <= addr)
    }

    fn smi_at(&self, addr: u64) -> Option<i64> {
        match Tagged::decode(self.word(addr)?)? {
            Tagged::Smi(v) => Some(v),
            Tagged::Object(_) => None,
        }
    }

    /// The size of an object: `Ok(Some(bytes))` when its type fixes it, `Ok(None)` when
    /// unknown; `None` when the object cannot be there (a length that does not fit the page).
    #[allow(clippy::option_option)]
    fn object_size(&self, addr: u64, map: u32, ty: u16, area_end: u64) -> Option<Option<u64>> {
        let l = &self.layout;
        let t = &l.types;
        let words = u64::from(self.map_words[map as usize]);
        let length =
            |a: u64| self.smi_at(a + l.fixed_array_length).and_then(|v| u64::try_from(v).ok());
        let size = if ty < l.first_nonstring_type {
            let len = u64::try_from(self.mem.i32_at(addr + l.string_length)?).ok()?;
            if ty & l.string_representation_mask == 0 {
                let chars =
                    if ty & l.string_encoding_mask == l.one_byte_tag { len } else { len * 2 };
                Some((l.seq_chars + chars).next_multiple_of(8))
            } else if words != 0 {
                Some(words * 8)
            } else {
                None
            }
        } else if words != 0 {
            Some(words * 8)
        } else if t.is_fixed_array_like(ty) || ty == t.fixed_double_array {
            Some(l.fixed_array_data + 8 * length(addr)?)
        } else if ty == t.byte_array {
            Some((l.fixed_array_data + length(addr)?).next_multiple_of(8))
        } else if ty == t.property_array {
            let len = u64::try_from(self.smi_at(addr + l.fixed_array_length)? & 0x3ff).ok()?;
            Some(l.fixed_array_data + 8 * len)
        } else if ty == t.descriptor_array {
            let all = u64::from(self.u16_at(addr + 8)?);
            Some(l.descriptors_header + l.desc_size * 8 * all)
        } else if ty == t.free_space {
            Some(u64::try_from(self.smi_at(addr + 8)?).ok()?)
        } else {
            None
        };
        match size {
            Some(s) if s < 8 || addr.checked_add(s)? > area_end => None,
            other => Some(other),
        }
    }

    /// Whether every slot after the header holds a well-formed tagged value: a Smi (low half
    /// zero), a strong or a weak pointer. Plain objects have no raw fields, so a slot that is
    /// none of these means the bytes are not an object (uninitialized or reused memory).
    fn slots_are_tagged(&self, addr: u64, size: Option<u64>) -> bool {
        let Some(size) = size else { return true };
        let mut offset = self.layout.elements + 8;
        while offset + 8 <= size {
            match self.word(addr + offset) {
                Some(w) if w & 1 == 0 && w & 0xffff_ffff != 0 => return false,
                Some(_) => {}
                None => return false,
            }
            offset += 8;
        }
        true
    }

    /// Structural checks that rule out words that merely look like an object start.
    fn validate(&self, addr: u64, ty: u16, size: Option<u64>) -> bool {
        let l = &self.layout;
        let t = &l.types;
        if t.is_js_object(ty) {
            let props_ok = match self.word(addr + l.properties).and_then(Tagged::decode) {
                Some(Tagged::Smi(_)) => true,
                Some(Tagged::Object(p)) => self.type_of(p).is_some_and(|pt| {
                    t.is_fixed_array_like(pt)
                        || pt == t.property_array
                        || pt > t.js_proxy
                        || pt == t.descriptor_array
                        || l.type_names.get(&pt).is_some_and(|n| n.contains("Dictionary"))
                }),
                None => false,
            };
            if !props_ok {
                return false;
            }
            if ty == t.js_global_proxy || t.is_function(ty) || ty == t.js_bound_function {
                return true;
            }
            let elements_ok = match self.word(addr + l.elements).and_then(Tagged::decode) {
                Some(Tagged::Object(e)) => self.type_of(e).is_some_and(|et| {
                    t.is_fixed_array_like(et)
                        || et == t.fixed_double_array
                        || et == t.byte_array
                        || l.type_names.get(&et).is_some_and(|n| n.contains("Elements"))
                }),
                _ => false,
            };
            if !elements_ok {
                return false;
            }
            if (ty == t.js_object || ty == t.js_array) && !self.slots_are_tagged(addr, size) {
                return false;
            }
            if ty == t.js_array {
                let Some(Tagged::Smi(len)) =
                    self.word(addr + l.js_array_length).and_then(Tagged::decode)
                else {
                    return false;
                };
                return len >= 0;
            }
        }
        true
    }
}

fn is_filler<M: ReadMemory>(heap: &Heap<M>, map: u32) -> bool {
    heap.map_types[map as usize] == heap.layout.facts.filler_type
}

fn word_at(bytes: &[u8], i: usize) -> u64 {
    bytes.get(i * 8..i * 8 + 8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes)
}

fn words(bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
}
