//! Decoding V8 objects: maps, strings, names, properties, elements, collections, contexts.

use crate::heap::{Heap, Tagged};
use crate::memory::ReadMemory;

/// What the walk needs to know about one Map.
#[derive(Clone, Debug, Default)]
pub(crate) struct MapInfo {
    pub instance_type: u16,
    pub instance_words: u64,
    pub inobject_start: u64,
    pub own_descriptors: u64,
    pub dictionary: bool,
    pub prototype: bool,
    pub elements_kind: u8,
    pub descriptors: u64,
    /// The constructor function, when the map's constructor chain ends in one.
    pub constructor: Option<u64>,
}

/// Where a named property's value is.
#[derive(Clone, Debug)]
pub(crate) enum Slot {
    /// At this byte offset in the object.
    InObject(u64),
    /// At this index of the properties array.
    OutOfObject(u64),
    /// In the descriptor itself (constants, accessors).
    Constant(u64),
}

/// One own property of a fast-mode map.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub name: String,
    pub slot: Slot,
}

/// A JS value as stored in a slot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A small integer.
    Smi(i64),
    /// A heap object at this address.
    Object(u64),
    /// A word that is neither (raw data).
    Raw(u64),
}

/// Longest string content decoded (V8's snapshot names strings by their first 1024 chars).
pub(crate) const NAME_LIMIT: usize = 1024;

impl<M: ReadMemory> Heap<M> {
    pub(crate) fn value_at(&self, addr: u64) -> Option<Value> {
        let w = self.word(addr)?;
        Some(match Tagged::decode(w) {
            Some(Tagged::Smi(v)) => Value::Smi(v),
            Some(Tagged::Object(a)) => Value::Object(a),
            None => Value::Raw(w),
        })
    }

    fn smi(&self, addr: u64) -> Option<i64> {
        match self.value_at(addr)? {
            Value::Smi(v) => Some(v),
            _ => None,
        }
    }

    fn pointer(&self, addr: u64) -> Option<u64> {
        match self.value_at(addr)? {
            Value::Object(a) => Some(a),
            _ => None,
        }
    }

    /// The slot count of an array-like object the scan found (FixedArray, hash tables…),
    /// when its length fits its size: every loop over slots is bounded by this, so a
    /// corrupt length cannot send reads past the object.
    pub(crate) fn slot_count(&self, array: u64) -> Option<u64> {
        let k = self.objects.binary_search(&array).ok()?;
        let l = &self.layout;
        let len = u64::try_from(self.smi(array + l.fixed_array_length)?).ok()?;
        (l.fixed_array_data + 8 * len <= u64::from(self.sizes[k])).then_some(len)
    }

    /// The map of an object.
    pub(crate) fn map_of(&self, addr: u64) -> Option<u64> {
        self.pointer(addr).filter(|m| self.maps.binary_search(m).is_ok())
    }

    pub(crate) fn map_info(&self, map: u64) -> MapInfo {
        let l = &self.layout;
        let bit_field3 = self.mem.i32_at(map + l.map_bit_field3).unwrap_or(0).cast_unsigned();
        let bit_field2 = self.u8_at(map + l.map_bit_field2).unwrap_or(0);
        let mut constructor = self.pointer(map + l.map_constructor);
        // Follow back pointers up the transition tree to the root map's constructor.
        for _ in 0..64 {
            match constructor {
                Some(c) if self.maps.binary_search(&c).is_ok() => {
                    constructor = self.pointer(c + l.map_constructor);
                }
                _ => break,
            }
        }
        let constructor =
            constructor.filter(|&c| self.type_of(c).is_some_and(|t| l.types.is_function(t)));
        MapInfo {
            instance_type: self.u16_at(map + l.map_instance_type).unwrap_or(0),
            instance_words: u64::from(self.u8_at(map + l.map_instance_size_in_words).unwrap_or(0)),
            inobject_start: u64::from(self.u8_at(map + l.map_inobject_start).unwrap_or(0)),
            own_descriptors: u64::from(
                (bit_field3 & l.own_descriptors_mask) >> l.own_descriptors_shift,
            ),
            dictionary: bit_field3 >> l.dictionary_map_shift & 1 == 1,
            prototype: bit_field3 >> l.facts.prototype_map_bit & 1 == 1,
            elements_kind: (bit_field2 & l.elements_kind_mask) >> l.elements_kind_shift,
            descriptors: self.pointer(map + l.map_descriptors).unwrap_or(0),
            constructor,
        }
    }

    /// The own properties a fast-mode map declares, in order.
    pub(crate) fn fields(&self, info: &MapInfo) -> Vec<Field> {
        let l = &self.layout;
        if info.dictionary || info.descriptors == 0 {
            return Vec::new();
        }
        let all = u64::from(self.u16_at(info.descriptors + 8).unwrap_or(0));
        let count = info.own_descriptors.min(all);
        let inobject = info.instance_words.saturating_sub(info.inobject_start);
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count {
            let entry = info.descriptors + l.descriptors_header + i * l.desc_size * 8;
            let Some(key) = self.pointer(entry + l.desc_key * 8) else { continue };
            let Some(details) = self.smi(entry + l.desc_details * 8) else { continue };
            let name = self.name(key);
            let location = (details & l.prop_location_mask) >> l.prop_location_shift;
            let slot = if location == l.prop_location_descriptor {
                let value = entry + l.desc_value * 8;
                // Native accessors (`length` of arrays and strings…) are not JS-visible data;
                // V8's snapshots leave them out too.
                if self.pointer(value).and_then(|v| self.type_of(v)) == Some(l.types.accessor_info)
                {
                    continue;
                }
                Slot::Constant(value)
            } else {
                let index =
                    u64::try_from((details & l.prop_index_mask) >> l.prop_index_shift).unwrap_or(0);
                if index < inobject {
                    Slot::InObject((info.inobject_start + index) * 8)
                } else {
                    Slot::OutOfObject(index - inobject)
                }
            };
            out.push(Field { name, slot });
        }
        out
    }

    /// The value of a field of the object at `obj`.
    pub(crate) fn field_value(&self, obj: u64, slot: &Slot) -> Option<Value> {
        let l = &self.layout;
        match *slot {
            Slot::InObject(offset) => self.value_at(obj + offset),
            Slot::OutOfObject(index) => {
                let props = self.pointer(obj + l.properties)?;
                let len = self.smi(props + l.fixed_array_length)? & 0x3ff;
                (index < u64::try_from(len).ok()?)
                    .then(|| self.value_at(props + l.fixed_array_data + 8 * index))?
            }
            Slot::Constant(addr) => self.value_at(addr),
        }
    }

    /// Every own named property of a JS object: (name, value), fast or dictionary mode.
    pub(crate) fn properties(&self, obj: u64, info: &MapInfo) -> Vec<(String, Value)> {
        if !info.dictionary {
            return self
                .fields(info)
                .into_iter()
                .filter_map(|f| Some((f.name, self.field_value(obj, &f.slot)?)))
                .collect();
        }
        let l = &self.layout;
        let Some(dict) = self.pointer(obj + l.properties) else { return Vec::new() };
        self.dictionary_entries(dict, l.name_dictionary_entries, l.name_dictionary_entry_size)
            .into_iter()
            .map(|(key, value)| (self.name(key), value))
            .collect()
    }

    /// The (key, value) entries of a hash table with the FixedArray layout.
    fn dictionary_entries(&self, table: u64, first: u64, entry_size: u64) -> Vec<(u64, Value)> {
        let l = &self.layout;
        let Some(len) = self.slot_count(table) else { return Vec::new() };
        let mut out = Vec::new();
        let mut i = first;
        while i + 1 < len {
            let slot = table + l.fixed_array_data + 8 * i;
            if let (Some(key), Some(value)) = (self.pointer(slot), self.value_at(slot + 8))
                && self.is_name(key)
            {
                out.push((key, value));
            }
            i += entry_size;
        }
        out
    }

    fn is_name(&self, addr: u64) -> bool {
        self.type_of(addr)
            .is_some_and(|t| t < self.layout.first_nonstring_type || t == self.layout.types.symbol)
    }

    /// A property key: a string, or `Symbol(description)`.
    pub(crate) fn name(&self, addr: u64) -> String {
        match self.type_of(addr) {
            Some(t) if t == self.layout.types.symbol => {
                let description = self
                    .pointer(addr + self.layout.symbol_name)
                    .and_then(|d| self.string(d, NAME_LIMIT))
                    .unwrap_or_default();
                format!("Symbol({description})")
            }
            _ => self.string(addr, NAME_LIMIT).unwrap_or_else(|| format!("<{addr:#x}>")),
        }
    }

    /// The content of a string of any representation, cut at `limit` characters.
    pub(crate) fn string(&self, addr: u64, limit: usize) -> Option<String> {
        let mut units = Vec::new();
        self.string_units(addr, 0, limit, &mut units, 0)?;
        Some(String::from_utf16_lossy(&units))
    }

    /// Appends the UTF-16 units of the string at `addr` from `start`, up to `limit` units.
    fn string_units(
        &self,
        addr: u64,
        start: usize,
        limit: usize,
        out: &mut Vec<u16>,
        depth: u32,
    ) -> Option<()> {
        let l = &self.layout;
        let ty = self.type_of(addr)?;
        if ty >= l.first_nonstring_type || depth > 64 || out.len() >= limit {
            return (ty < l.first_nonstring_type).then_some(());
        }
        let len = usize::try_from(self.mem.i32_at(addr + l.string_length)?).ok()?;
        let one_byte = ty & l.string_encoding_mask == l.one_byte_tag;
        let repr = ty & l.string_representation_mask;
        let want = len.saturating_sub(start).min(limit - out.len());
        if repr == 0 || repr == l.external_tag {
            let data = if repr == 0 {
                addr + l.seq_chars
            } else {
                // The cached data pointer follows the resource pointer.
                self.word(addr + l.external_resource + 8)?
            };
            if one_byte {
                let bytes = self.mem.bytes(data + start as u64, want)?;
                out.extend(bytes.iter().map(|&b| u16::from(b)));
            } else {
                let bytes = self.mem.bytes(data + 2 * start as u64, want * 2)?;
                out.extend(bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])));
            }
            Some(())
        } else if repr == l.cons_tag {
            let first = self.pointer(addr + l.cons_first)?;
            let second = self.pointer(addr + l.cons_second)?;
            let first_len = usize::try_from(self.mem.i32_at(first + l.string_length)?).ok()?;
            if start < first_len {
                self.string_units(first, start, limit, out, depth + 1)?;
            }
            if out.len() < limit {
                let from = start.saturating_sub(first_len);
                self.string_units(second, from, limit, out, depth + 1)?;
            }
            Some(())
        } else if repr == l.sliced_tag {
            let parent = self.pointer(addr + l.sliced_parent)?;
            let offset = usize::try_from(self.smi(addr + l.sliced_offset)?).ok()?;
            let cap = out.len() + want;
            self.string_units(parent, offset + start, cap, out, depth + 1)
        } else if repr == l.thin_tag {
            self.string_units(self.pointer(addr + l.thin_actual)?, start, limit, out, depth + 1)
        } else {
            None
        }
    }

    /// The length of a string.
    pub(crate) fn string_length(&self, addr: u64) -> Option<i32> {
        self.mem.i32_at(addr + self.layout.string_length)
    }

    /// A function's name (`""` for anonymous functions).
    pub(crate) fn function_name(&self, function: u64) -> String {
        let l = &self.layout;
        let Some(sfi) = self.pointer(function + l.function_shared) else { return String::new() };
        let Some(name_or_scope) = self.pointer(sfi + l.sfi_name_or_scope_info) else {
            return String::new();
        };
        match self.type_of(name_or_scope) {
            Some(t) if t < l.first_nonstring_type => {
                self.string(name_or_scope, NAME_LIMIT).unwrap_or_default()
            }
            Some(t) if t == l.types.scope_info => {
                self.scope_info_function_name(name_or_scope).unwrap_or_default()
            }
            _ => String::new(),
        }
    }

    /// Where a function's code is: its script's name, and the 0-based line and column of its
    /// start when V8 keeps it where we can read it (functions not compiled yet).
    pub(crate) fn function_source(&self, function: u64) -> (Option<String>, Option<(u32, u32)>) {
        let l = &self.layout;
        let Some(sfi) = self.pointer(function + l.function_shared) else { return (None, None) };
        let script = l.sfi_script.and_then(|o| self.pointer(sfi + o)).filter(|&s| {
            self.layout.type_names.get(&self.type_of(s).unwrap_or(0)).is_some_and(|n| n == "Script")
        });
        let Some(script) = script else { return (None, None) };
        let name = self
            .pointer(script + l.script_name)
            .filter(|&n| self.type_of(n).is_some_and(|t| t < l.first_nonstring_type))
            .and_then(|n| self.string(n, NAME_LIMIT));
        let start = l
            .sfi_function_data
            .and_then(|o| self.pointer(sfi + o))
            .filter(|&d| {
                self.type_of(d)
                    .and_then(|t| l.type_names.get(&t))
                    .is_some_and(|n| n.starts_with("UncompiledData"))
            })
            .and_then(|d| self.mem.i32_at(d + l.uncompiled_start))
            .and_then(|p| u32::try_from(p).ok());
        let position = start.and_then(|start| self.line_column(script, start));
        (name, position)
    }

    /// A script position as 0-based (line, column), from the script's line ends.
    fn line_column(&self, script: u64, position: u32) -> Option<(u32, u32)> {
        let l = &self.layout;
        let ends = self.pointer(script + l.script_line_ends)?;
        if !self.type_of(ends).is_some_and(|t| l.types.is_fixed_array_like(t)) {
            return None;
        }
        let count = u64::try_from(self.smi(ends + l.fixed_array_length)?).ok()?;
        let mut line = 0u32;
        let mut line_start = 0u32;
        for i in 0..count.min(1 << 22) {
            let end = u32::try_from(self.smi(ends + l.fixed_array_data + 8 * i)?).ok()?;
            if end >= position {
                break;
            }
            line += 1;
            line_start = end + 1;
        }
        Some((line, position.saturating_sub(line_start)))
    }

    /// Slot `i` of a ScopeInfo (its Smi header fields and variable part, after the map).
    fn scope_info_slot(&self, scope_info: u64, i: u64) -> Option<Value> {
        self.value_at(scope_info + 8 + 8 * i)
    }

    /// Context-local variable names of a ScopeInfo, in slot order.
    pub(crate) fn context_local_names(&self, scope_info: u64) -> Vec<String> {
        let l = &self.layout;
        let Some(Value::Smi(count)) = self.scope_info_slot(scope_info, l.scope_info_context_locals)
        else {
            return Vec::new();
        };
        let count = u64::try_from(count).unwrap_or(0).min(4096);
        let first = l.scope_info_first_vars;
        // Up to 75 names are inline; more live in a hash table we do not decode.
        if count > 75 {
            return Vec::new();
        }
        (0..count)
            .map(|i| match self.scope_info_slot(scope_info, first + i) {
                Some(Value::Object(a)) => self.name(a),
                _ => String::new(),
            })
            .collect()
    }

    /// The function name a ScopeInfo records: the first string after the context locals'
    /// names and infos (the function variable slot, or the inferred name).
    fn scope_info_function_name(&self, scope_info: u64) -> Option<String> {
        let l = &self.layout;
        let Some(Value::Smi(count)) = self.scope_info_slot(scope_info, l.scope_info_context_locals)
        else {
            return None;
        };
        let count = u64::try_from(count).ok()?;
        let names = if count > 75 { 1 } else { count };
        let start = l.scope_info_first_vars + names + count;
        (start..start + 4).find_map(|i| match self.scope_info_slot(scope_info, i)? {
            Value::Object(a) if self.type_of(a)? < l.first_nonstring_type => {
                self.string(a, NAME_LIMIT)
            }
            _ => None,
        })
    }

    /// The class name of a JS object, as V8's heap snapshots give it: its map's constructor
    /// function's name, else `Object`. Prototypes are named differently, see
    /// [`Self::class_name`].
    pub(crate) fn constructor_name(&self, info: &MapInfo) -> String {
        info.constructor
            .map(|c| self.function_name(c))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Object".to_owned())
    }

    /// The class name of the JS object at `obj`. V8's snapshots name a prototype by its own
    /// `Symbol.toStringTag` (`Map.prototype` is `Map`), else by its kind (`Array`, `Object`),
    /// never by the constructor (`Foo.prototype` is `Object`).
    pub(crate) fn class_name(&self, obj: u64, info: &MapInfo) -> String {
        if !info.prototype {
            return self.constructor_name(info);
        }
        let tag = self
            .properties(obj, info)
            .into_iter()
            .find(|(name, _)| name == "Symbol(Symbol.toStringTag)")
            .and_then(|(_, v)| match v {
                Value::Object(s) if self.type_of(s)? < self.layout.first_nonstring_type => {
                    self.string(s, NAME_LIMIT)
                }
                _ => None,
            });
        tag.unwrap_or_else(|| {
            if info.instance_type == self.layout.types.js_array { "Array" } else { "Object" }
                .to_owned()
        })
    }

    /// A JSArray's `length`.
    pub(crate) fn array_length(&self, array: u64) -> Option<i64> {
        self.smi(array + self.layout.js_array_length)
    }

    /// The indexed elements of a JS object: (index, value), holes left out.
    pub(crate) fn elements(&self, obj: u64, info: &MapInfo, max: usize) -> Vec<(u64, Value)> {
        let l = &self.layout;
        let Some(store) = self.pointer(obj + l.elements) else { return Vec::new() };
        let Some(store_type) = self.type_of(store) else { return Vec::new() };
        let Some(capacity) = self.slot_count(store) else { return Vec::new() };
        let length = if info.instance_type == l.types.js_array {
            self.array_length(obj).and_then(|v| u64::try_from(v).ok()).unwrap_or(0).min(capacity)
        } else {
            capacity
        };
        let mut out = Vec::new();
        if info.elements_kind == l.elements_dictionary {
            // NumberDictionary: prefix of 1 after the hash table header, entries of 3.
            let mut i = 4;
            while i + 1 < capacity && out.len() < max {
                let slot = store + l.fixed_array_data + 8 * i;
                if let (Some(Value::Smi(k)), Some(v)) =
                    (self.value_at(slot), self.value_at(slot + 8))
                    && k >= 0
                {
                    out.push((k.cast_unsigned(), v));
                }
                i += 3;
            }
            return out;
        }
        if store_type == l.types.fixed_double_array {
            for i in 0..length.min(max as u64) {
                let bits = self.word(store + l.fixed_array_data + 8 * i).unwrap_or(0);
                // The hole is a signalling NaN pattern.
                if bits != 0xfff7_ffff_fff7_ffff {
                    out.push((i, Value::Raw(bits)));
                }
            }
            return out;
        }
        if !l.types.is_fixed_array_like(store_type) {
            return out;
        }
        for i in 0..length.min(max as u64) {
            match self.value_at(store + l.fixed_array_data + 8 * i) {
                Some(Value::Object(a)) if self.is_the_hole(a) => {}
                Some(v) => out.push((i, v)),
                None => break,
            }
        }
        out
    }

    /// The elements backing store of a JS object.
    pub(crate) fn elements_store(&self, obj: u64) -> Option<u64> {
        self.pointer(obj + self.layout.elements)
    }

    /// The out-of-object properties store of a JS object.
    pub(crate) fn properties_store(&self, obj: u64) -> Option<u64> {
        self.pointer(obj + self.layout.properties)
    }

    /// Whether `addr` is the hole (an Oddball of kind TheHole, or V8 12+'s Hole type).
    pub(crate) fn is_the_hole(&self, addr: u64) -> bool {
        if self.specials.binary_search(&addr).is_err() {
            return false;
        }
        let Some(t) = self.type_of(addr) else { return false };
        if t == self.layout.types.oddball {
            return self.layout.oddball_the_hole.is_some()
                && self.smi(addr + self.layout.oddball_kind) == self.layout.oddball_the_hole;
        }
        self.layout.type_names.get(&t).is_some_and(|n| n == "Hole")
    }

    /// The name of an oddball (`undefined`, `null`, `true`, `false`), if `addr` is one.
    pub(crate) fn oddball(&self, addr: u64) -> Option<&'static str> {
        let l = &self.layout;
        self.specials.binary_search(&addr).ok()?;
        if self.type_of(addr)? != l.types.oddball {
            return self.is_the_hole(addr).then_some("<hole>");
        }
        let kind = self.smi(addr + l.oddball_kind)?;
        Some(match kind {
            k if k == l.oddball_undefined => "undefined",
            k if k == l.oddball_null => "null",
            k if k == l.oddball_true => "true",
            k if k == l.oddball_false => "false",
            _ => "<hole>",
        })
    }

    /// A heap number's value.
    pub(crate) fn heap_number(&self, addr: u64) -> Option<f64> {
        self.word(addr + self.layout.heap_number_value).map(f64::from_bits)
    }

    /// The entries of a JS Map or Set: (key, value) with `value == None` for sets.
    pub(crate) fn collection_entries(&self, obj: u64) -> Vec<(Value, Option<Value>)> {
        let l = &self.layout;
        let is_map = self.type_of(obj) == Some(l.types.js_map);
        match self.pointer(obj + l.js_collection_table) {
            Some(table) => self.table_entries(table, is_map),
            None => Vec::new(),
        }
    }

    /// The (key, value) pairs of an `OrderedHashMap`/`OrderedHashSet` table.
    pub(crate) fn table_entries(&self, table: u64, is_map: bool) -> Vec<(Value, Option<Value>)> {
        let l = &self.layout;
        let data = table + l.fixed_array_data;
        let smi = |a: u64| match self.value_at(a) {
            Some(Value::Smi(v)) => u64::try_from(v).ok(),
            _ => None,
        };
        let (Some(elements), Some(deleted), Some(buckets)) =
            (smi(data), smi(data + 8), smi(data + 16))
        else {
            return Vec::new();
        };
        let entry_size = if is_map { 3 } else { 2 };
        let Some(slots) = self.slot_count(table) else { return Vec::new() };
        let used = (elements + deleted).min(slots.saturating_sub(3 + buckets) / entry_size);
        let first = data + 8 * (3 + buckets);
        let mut out = Vec::new();
        for i in 0..used {
            let entry = first + 8 * entry_size * i;
            let Some(key) = self.value_at(entry) else { break };
            if matches!(key, Value::Object(k) if self.is_the_hole(k)) {
                continue;
            }
            out.push((key, if is_map { self.value_at(entry + 8) } else { None }));
        }
        out
    }

    /// A closure's context and the variables of each context up the chain: (name, value).
    pub(crate) fn context_variables(&self, context: u64) -> Vec<(String, Value)> {
        let l = &self.layout;
        let Some(scope_info) =
            self.pointer(context + l.fixed_array_data + 8 * l.context_scope_info)
        else {
            return Vec::new();
        };
        let names = self.context_local_names(scope_info);
        let mut out = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            let slot = context + l.fixed_array_data + 8 * (l.context_min_slots + i as u64);
            if let Some(v) = self.value_at(slot) {
                out.push((name, v));
            }
        }
        out
    }

    /// The global object's variables and properties: (name, property cell).
    pub(crate) fn global_cells(&self, global: u64) -> Vec<(String, u64)> {
        let l = &self.layout;
        let Some(dict) = self.pointer(global + l.global_dictionary) else { return Vec::new() };
        let Some(len) = self.slot_count(dict) else { return Vec::new() };
        let mut out = Vec::new();
        for i in 3..len {
            let Some(cell) = self.pointer(dict + l.fixed_array_data + 8 * i) else { continue };
            if self.type_of(cell) != Some(l.types.property_cell) {
                continue;
            }
            let Some(name) = self.pointer(cell + l.property_cell_name) else { continue };
            out.push((self.name(name), cell));
        }
        out
    }

    /// A property cell's value.
    pub(crate) fn cell_value(&self, cell: u64) -> Option<Value> {
        self.value_at(cell + self.layout.property_cell_value)
    }
}
