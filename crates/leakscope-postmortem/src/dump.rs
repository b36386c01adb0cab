//! [`Dump`]: a scanned heap from a core file or a live process, and what to ask it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::binary::{NodeBinary, V8Version};
use crate::core_file::{CoreFile, MappedFile};
use crate::error::Error;
use crate::graph::DumpGraph;
use crate::heap::Heap;
use crate::layout::Layout;
use crate::memory::ReadMemory;
use crate::objects::{NAME_LIMIT, Value};

/// Where a dump came from and what the scan found.
#[derive(Clone, Debug)]
pub struct DumpInfo {
    /// The core file or `process PID`.
    pub source: String,
    /// The node binary whose metadata was used.
    pub binary: PathBuf,
    /// The dumped process, when known.
    pub pid: Option<u32>,
    /// V8's version.
    pub v8_version: V8Version,
    /// The main isolate's `Heap*`.
    pub heap_pointer: u64,
    /// V8 pages found (main heap and read-only space).
    pub pages: usize,
    /// Maps found.
    pub maps: usize,
    /// Objects found.
    pub objects: usize,
    /// Bytes of the objects found.
    pub object_bytes: u64,
}

/// A V8 heap found in a process's memory.
///
/// Everything it reports is *present in memory* when the dump was taken: live objects, and
/// garbage the collector had not yet reclaimed. A dump holds no mark bits to tell them apart.
pub struct Dump {
    heap: Heap<WithExecutable>,
    info: DumpInfo,
}

/// A process's memory, with the executable's read-only pages read from its file where the
/// dump lacks them (kernel cores leave out unmodified file pages, such as the builtin
/// modules' source text that external strings point into).
struct WithExecutable {
    memory: Box<dyn ReadMemory + Send + Sync>,
    binary: NodeBinary,
    /// (start, end, file offset) of each mapping of the executable.
    mappings: Vec<(u64, u64, u64)>,
}

impl ReadMemory for WithExecutable {
    fn regions(&self) -> &[crate::memory::Region] {
        self.memory.regions()
    }

    fn read_into(&self, addr: u64, buf: &mut [u8]) -> bool {
        self.memory.read_into(addr, buf)
    }

    fn bytes(&self, addr: u64, len: usize) -> Option<&[u8]> {
        self.memory.bytes(addr, len).or_else(|| {
            let &(start, end, offset) =
                self.mappings.iter().find(|&&(s, e, _)| s <= addr && addr < e)?;
            if addr.checked_add(len as u64)? > end {
                return None;
            }
            self.binary.file_bytes(offset + (addr - start), len)
        })
    }
}

impl std::fmt::Debug for Dump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dump").field("info", &self.info).finish_non_exhaustive()
    }
}

impl<T: ReadMemory + ?Sized> ReadMemory for Box<T> {
    fn regions(&self) -> &[crate::memory::Region] {
        (**self).regions()
    }

    fn read_into(&self, addr: u64, buf: &mut [u8]) -> bool {
        (**self).read_into(addr, buf)
    }

    fn bytes(&self, addr: u64, len: usize) -> Option<&[u8]> {
        (**self).bytes(addr, len)
    }
}

/// A value as `show` prints it.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueView {
    /// A small integer.
    Smi(i64),
    /// A heap number.
    Number(f64),
    /// A string (cut at 1024 characters) and its full length.
    String(String, usize),
    /// `undefined`, `null`, `true`, `false`.
    Oddball(&'static str),
    /// A heap object: address and class.
    Object(u64, String),
    /// Something that is not a tagged value.
    Raw(u64),
}

/// One object as `show` prints it.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectView {
    /// Its address.
    pub address: u64,
    /// Its class (constructor name, or V8's type for internals).
    pub class: String,
    /// V8's instance type name.
    pub v8_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Named properties, in order.
    pub properties: Vec<(String, ValueView)>,
    /// `length` of an array.
    pub length: Option<i64>,
    /// Indexed elements (at most the first `max_elements`).
    pub elements: Vec<(u64, ValueView)>,
    /// Map and Set entries.
    pub entries: Vec<(ValueView, Option<ValueView>)>,
    /// For a function.
    pub function: Option<FunctionView>,
    /// For a string: its content.
    pub string: Option<String>,
}

/// A function as `show` prints it.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionView {
    /// Its name (`""` when anonymous).
    pub name: String,
    /// Its script's name (a path or `node:internal/…`).
    pub script: Option<String>,
    /// Where it starts: 0-based line and column, when the dump records it (functions V8 has
    /// not compiled yet keep their position where it can be read).
    pub position: Option<(u32, u32)>,
    /// The variables its closure captured: (name, value).
    pub context: Vec<(String, ValueView)>,
}

/// One group of `objects`: same class, same own property names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectGroup {
    /// The constructor name.
    pub class: String,
    /// Own property names, sorted.
    pub properties: Vec<String>,
    /// Objects in the group.
    pub count: u64,
    /// Their shallow bytes.
    pub size: u64,
    /// The address of one of them.
    pub example: u64,
}

impl Dump {
    /// Opens a core file with the node binary at `binary`, or the executable the core names.
    ///
    /// # Errors
    /// When the core or binary cannot be read, the binary is not the core's, or its V8 is not
    /// supported.
    pub fn open_core(path: &Path, binary: Option<&Path>) -> Result<Self, Error> {
        let core = CoreFile::open(path)?;
        let binary_path = match (binary, core.executable()) {
            (Some(b), _) => b.to_owned(),
            (None, Some(e)) => PathBuf::from(&e.path),
            (None, None) => return Err(Error::NoExecutable),
        };
        let mappings = core.executable_mappings();
        let pid = core.pid();
        Self::from_memory(Box::new(core), &mappings, &binary_path, path.display().to_string(), pid)
    }

    /// Scans any memory source with the node binary at `binary`; `exe_mappings` are where the
    /// process mapped that binary (from the core's notes or /proc/PID/maps).
    ///
    /// # Errors
    /// As [`Dump::open_core`].
    pub fn from_memory(
        mem: Box<dyn ReadMemory + Send + Sync>,
        exe_mappings: &[MappedFile],
        binary: &Path,
        source: String,
        pid: Option<u32>,
    ) -> Result<Self, Error> {
        let node = NodeBinary::open(binary)?;
        let first_page = exe_mappings.iter().map(|f| f.start.wrapping_sub(f.file_offset)).min();
        let bias = node.load_bias(first_page);
        check_binary_matches(&node, &*mem, bias)?;
        let version = node
            .v8_version(&*mem, bias)
            .ok_or_else(|| Error::UnknownVersion { binary: binary.to_owned() })?;
        let layout = Layout::new(&node, version)?;
        let mappings = exe_mappings.iter().map(|f| (f.start, f.end, f.file_offset)).collect();
        let mem = WithExecutable { memory: mem, binary: node, mappings };
        let heap = Heap::scan(mem, layout, &source)?;
        check_layout(&heap)?;
        let info = DumpInfo {
            source,
            binary: binary.to_owned(),
            pid,
            v8_version: version,
            heap_pointer: heap.heap_pointer,
            pages: heap.pages.len(),
            maps: heap.maps.len(),
            objects: heap.objects.len(),
            object_bytes: heap.sizes.iter().map(|&s| u64::from(s)).sum(),
        };
        Ok(Self { heap, info })
    }

    /// What the scan found.
    #[must_use]
    pub fn info(&self) -> &DumpInfo {
        &self.info
    }

    /// The heap as a graph shaped like a V8 heap snapshot.
    ///
    /// # Errors
    /// When the graph fails its own consistency checks (a bug).
    pub fn graph(&self) -> Result<DumpGraph, Error> {
        Ok(self.heap.build_graph()?)
    }

    /// findjsobjects: JS objects grouped by constructor and own property names, largest
    /// count first.
    #[must_use]
    pub fn object_groups(&self) -> Vec<ObjectGroup> {
        let h = &self.heap;
        let t = &h.layout.types;
        // Per map: (class, sorted names), computed once; dictionary-mode maps per object.
        let mut per_map: HashMap<u32, Option<MapGroup>> = HashMap::new();
        let mut groups: HashMap<(String, Vec<String>), ObjectGroup> = HashMap::new();
        for (k, &addr) in h.objects.iter().enumerate() {
            let map = h.object_maps[k];
            let entry = per_map.entry(map).or_insert_with(|| {
                let ty = h.map_types[map as usize];
                if !t.is_js_object(ty) || t.is_function(ty) || ty == t.js_bound_function {
                    return None;
                }
                let info = h.map_info(h.maps[map as usize]);
                let class = h.constructor_name(&info);
                let mut names: Vec<String> = h.fields(&info).into_iter().map(|f| f.name).collect();
                names.sort();
                Some((class, names, info.dictionary, info.prototype))
            });
            let Some((class, names, dictionary, prototype)) = entry else { continue };
            let class = if *prototype {
                h.class_name(addr, &h.map_info(h.maps[map as usize]))
            } else {
                class.clone()
            };
            let names = if *dictionary {
                let info = h.map_info(h.maps[map as usize]);
                let mut n: Vec<String> =
                    h.properties(addr, &info).into_iter().map(|(name, _)| name).collect();
                n.sort();
                n
            } else {
                names.clone()
            };
            let size = u64::from(h.sizes[k]);
            groups
                .entry((class, names))
                .and_modify(|g| {
                    g.count += 1;
                    g.size += size;
                })
                .or_insert_with_key(|(class, names)| ObjectGroup {
                    class: class.clone(),
                    properties: names.clone(),
                    count: 1,
                    size,
                    example: addr,
                });
        }
        let mut out: Vec<ObjectGroup> = groups.into_values().collect();
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.class.cmp(&b.class))
                .then(a.properties.cmp(&b.properties))
        });
        out
    }

    /// The addresses of every JS object whose constructor is `class`.
    #[must_use]
    pub fn instances(&self, class: &str) -> Vec<u64> {
        let h = &self.heap;
        let t = &h.layout.types;
        // Per map: None when not a JS object, else whether prototypes (named one by one).
        let mut per_map: HashMap<u32, Option<(bool, bool)>> = HashMap::new();
        h.objects
            .iter()
            .zip(&h.object_maps)
            .filter(|&(&addr, &map)| {
                let entry = *per_map.entry(map).or_insert_with(|| {
                    let ty = h.map_types[map as usize];
                    if !t.is_js_object(ty) || t.is_function(ty) {
                        return None;
                    }
                    let info = h.map_info(h.maps[map as usize]);
                    Some((info.prototype, !info.prototype && h.constructor_name(&info) == class))
                });
                match entry {
                    Some((true, _)) => {
                        h.class_name(addr, &h.map_info(h.maps[map as usize])) == class
                    }
                    Some((false, matches)) => matches,
                    None => false,
                }
            })
            .map(|(&addr, _)| addr)
            .collect()
    }

    /// The object a global variable (a property of a global object) holds.
    #[must_use]
    pub fn global(&self, name: &str) -> Option<u64> {
        let h = &self.heap;
        let global_type = h.layout.types.js_global_object;
        h.objects
            .iter()
            .zip(&h.object_maps)
            .filter(|&(_, &m)| h.map_types[m as usize] == global_type)
            .find_map(|(&g, _)| {
                let (_, cell) = h.global_cells(g).into_iter().find(|(n, _)| n == name)?;
                match h.cell_value(cell)? {
                    Value::Object(a) if h.objects.binary_search(&a).is_ok() => Some(a),
                    _ => None,
                }
            })
    }

    /// The class of the object at `addr`, if an object starts there.
    #[must_use]
    pub fn class_of(&self, addr: u64) -> Option<String> {
        let h = &self.heap;
        h.objects.binary_search(&addr).ok()?;
        let map = h.map_of(addr)?;
        let info = h.map_info(map);
        let t = &h.layout.types;
        let ty = info.instance_type;
        Some(if t.is_function(ty) {
            let name = h.function_name(addr);
            if name.is_empty() { "(anonymous function)".to_owned() } else { format!("{name}()") }
        } else if t.is_js_object(ty) {
            h.class_name(addr, &info)
        } else if ty < h.layout.first_nonstring_type {
            "(string)".to_owned()
        } else if t.is_context(ty) {
            "(context)".to_owned()
        } else {
            format!("({})", h.layout.type_names.get(&ty).map_or("?", String::as_str))
        })
    }

    fn view_value(&self, v: Value) -> ValueView {
        let h = &self.heap;
        match v {
            Value::Smi(i) => ValueView::Smi(i),
            Value::Raw(w) => ValueView::Raw(w),
            Value::Object(a) => {
                if let Some(name) = h.oddball(a) {
                    return ValueView::Oddball(name);
                }
                match h.type_of(a) {
                    Some(t) if t == h.layout.types.heap_number => {
                        ValueView::Number(h.heap_number(a).unwrap_or(f64::NAN))
                    }
                    Some(t) if t < h.layout.first_nonstring_type => ValueView::String(
                        h.string(a, NAME_LIMIT).unwrap_or_default(),
                        usize::try_from(h.string_length(a).unwrap_or(0)).unwrap_or(0),
                    ),
                    _ => ValueView::Object(a, self.class_of(a).unwrap_or_else(|| "?".into())),
                }
            }
        }
    }

    /// jsprint: the object at `addr`, with up to `max_elements` elements and entries.
    #[must_use]
    pub fn inspect(&self, addr: u64, max_elements: usize) -> Option<ObjectView> {
        let h = &self.heap;
        let k = h.objects.binary_search(&addr).ok()?;
        let map = h.map_of(addr)?;
        let info = h.map_info(map);
        let t = &h.layout.types;
        let ty = info.instance_type;
        let mut view = ObjectView {
            address: addr,
            class: self.class_of(addr)?,
            v8_type: h.layout.type_names.get(&ty).cloned().unwrap_or_else(|| ty.to_string()),
            size: u64::from(h.sizes[k]),
            properties: Vec::new(),
            length: None,
            elements: Vec::new(),
            entries: Vec::new(),
            function: None,
            string: None,
        };
        if ty < h.layout.first_nonstring_type {
            view.string = h.string(addr, usize::MAX >> 1);
            return Some(view);
        }
        if !t.is_js_object(ty) {
            return Some(view);
        }
        let properties = if ty == t.js_global_object {
            h.global_cells(addr)
                .into_iter()
                .filter_map(|(name, cell)| Some((name, h.cell_value(cell)?)))
                .collect()
        } else {
            h.properties(addr, &info)
        };
        view.properties = properties.into_iter().map(|(n, v)| (n, self.view_value(v))).collect();
        if ty == t.js_array {
            view.length = h.array_length(addr);
        }
        if t.is_function(ty) {
            let vars = h
                .value_at(addr + h.layout.function_context)
                .and_then(|c| match c {
                    Value::Object(c) => Some(h.context_variables(c)),
                    _ => None,
                })
                .unwrap_or_default();
            let (script, position) = h.function_source(addr);
            view.function = Some(FunctionView {
                name: h.function_name(addr),
                script,
                position,
                context: vars.into_iter().map(|(n, v)| (n, self.view_value(v))).collect(),
            });
            return Some(view);
        }
        let elements = h.elements(addr, &info, max_elements);
        let double =
            h.elements_store(addr).and_then(|s| h.type_of(s)) == Some(t.fixed_double_array);
        view.elements = elements
            .into_iter()
            .map(|(i, v)| match (double, v) {
                (true, Value::Raw(bits)) => (i, ValueView::Number(f64::from_bits(bits))),
                _ => (i, self.view_value(v)),
            })
            .collect();
        if ty == t.js_map || ty == t.js_set {
            view.entries = h
                .collection_entries(addr)
                .into_iter()
                .take(max_elements)
                .map(|(k, v)| (self.view_value(k), v.map(|v| self.view_value(v))))
                .collect();
        }
        Some(view)
    }
}

/// What `object_groups` caches per map: class, sorted names, dictionary mode, prototype.
type MapGroup = (String, Vec<String>, bool, bool);

/// Refuses a binary that is not the one that made the dump: V8's constants in the binary's
/// data must read the same in the process's memory.
fn check_binary_matches(node: &NodeBinary, mem: &dyn ReadMemory, bias: u64) -> Result<(), Error> {
    let mut compared = 0;
    for (name, sym) in node.v8dbg() {
        let Some(file_value) = sym.file_value.filter(|_| !sym.in_bss) else { continue };
        let Some(in_memory) = mem.i32_at(sym.address.wrapping_add(bias)) else { continue };
        if in_memory != file_value {
            return Err(Error::BinaryMismatch {
                binary: node.path().to_owned(),
                reason: format!(
                    "{name} is {file_value} in the binary but {in_memory} at {:#x} in the dump",
                    sym.address.wrapping_add(bias)
                ),
            });
        }
        compared += 1;
    }
    if compared == 0 {
        return Err(Error::BinaryMismatch {
            binary: node.path().to_owned(),
            reason: "none of its v8dbg_* data is mapped in the dump".into(),
        });
    }
    Ok(())
}

/// One fact of the version table, checked on every object it applies to.
#[derive(Default)]
struct Check {
    checked: u64,
    failed: u64,
    example: Option<String>,
}

impl Check {
    fn record(&mut self, ok: bool, example: impl FnOnce() -> String) {
        self.checked += 1;
        if !ok {
            self.failed += 1;
            if self.example.is_none() {
                self.example = Some(example());
            }
        }
    }

    /// A wrong table entry breaks the fact for (nearly) every object; a handful of failures
    /// are objects whose memory was reused or never finished, which a dump can hold.
    fn verdict(&self, fact: &str) -> Result<(), String> {
        if self.checked == 0 {
            return Err(format!("no object to check {fact} on"));
        }
        if self.failed * 100 > self.checked {
            return Err(format!(
                "{fact} fails for {} of {} objects, e.g. {}",
                self.failed,
                self.checked,
                self.example.as_deref().unwrap_or("?")
            ));
        }
        Ok(())
    }
}

/// Checks the version table's facts against this heap, so a wrong entry fails loudly.
fn check_layout<M: ReadMemory>(heap: &Heap<M>) -> Result<(), Error> {
    let l = &heap.layout;
    let t = &l.types;
    let mut lengths = Check::default();
    let mut functions = Check::default();
    let mut dictionary_elements: HashMap<u32, bool> = HashMap::new();
    for (k, &addr) in heap.objects.iter().enumerate() {
        let map = heap.object_maps[k];
        let ty = heap.map_types[map as usize];
        if ty == t.js_array {
            let dictionary = *dictionary_elements.entry(map).or_insert_with(|| {
                heap.map_info(heap.maps[map as usize]).elements_kind == l.elements_dictionary
            });
            if dictionary {
                continue;
            }
            let len = heap.array_length(addr);
            let capacity = heap.elements_store(addr).and_then(|s| heap.slot_count(s));
            let ok = matches!((len, capacity), (Some(n), Some(c)) if u64::try_from(n).is_ok_and(|n| n <= c));
            lengths.record(ok, || {
                format!("the JSArray at {addr:#x} has length {len:?} and capacity {capacity:?}")
            });
        } else if t.is_function(ty) {
            let shared = heap.value_at(addr + l.function_shared);
            let ok = matches!(shared, Some(Value::Object(s)) if heap.type_of(s) == Some(t.shared_function_info));
            functions.record(ok, || format!("the function at {addr:#x} (type {ty})"));
        }
    }
    lengths
        .verdict("JSArray length <= capacity")
        .and_then(|()| functions.verdict("every function has a SharedFunctionInfo"))
        .map_err(|check| Error::LayoutCheck { version: l.version.to_string(), check })
}
