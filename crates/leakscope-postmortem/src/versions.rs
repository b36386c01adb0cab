//! Facts about V8's heap layout that the `v8dbg_*` metadata lacks, one entry per V8 version.
//!
//! Each number was read off a core of the Node.js line named in the entry and is checked
//! against every core at start (see `Layout::check`), so a wrong entry fails loudly instead of
//! printing garbage. To add a version, see `docs/new-node-version.md`.

/// Where a V8 page (`MemoryChunk`) keeps its heap, area start and area end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageLayout {
    /// Offset of a pointer to the chunk's metadata, when V8 keeps it outside the page; the
    /// other offsets are then into that metadata, which points back to the chunk at
    /// `metadata_chunk`.
    pub metadata_pointer: Option<(u64, u64)>,
    /// Offset of the owning `Heap*` (null on read-only pages).
    pub heap: u64,
    /// Offset of the first object's address.
    pub area_start: u64,
    /// Offset of the end of the object area.
    pub area_end: u64,
}

/// The gaps of one V8 version.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VersionFacts {
    /// V8 major version.
    pub major: u32,
    /// V8 minor version.
    pub minor: u32,
    /// The Node.js release these facts were read from.
    pub node: &'static str,
    /// The page header.
    pub page: PageLayout,
    /// `JSArray::length` (a Smi), a byte offset.
    pub js_array_length: u64,
    /// `JSCollection::table` (Map, Set), a byte offset.
    pub js_collection_table: u64,
    /// Instance types sharing the FixedArray layout (map, length Smi, tagged slots): FixedArray
    /// itself and the hash tables (dictionaries, `OrderedHashMap`…), inclusive.
    pub fixed_array_types: (u16, u16),
    /// Instance types of `JSFunction` and its subclasses (class constructors…), inclusive,
    /// when the metadata has no `FirstJSFunctionType`/`LastJSFunctionType`.
    pub function_types: Option<(u16, u16)>,
    /// `FREE_SPACE_TYPE`, when the metadata lacks it.
    pub free_space_type: Option<u16>,
    /// `FILLER_TYPE` (never exported; alphabetically between `FEEDBACK_VECTOR_TYPE` and
    /// `FREE_SPACE_TYPE`).
    pub filler_type: u16,
    /// `PropertyCell`: name, value (byte offsets).
    pub property_cell: (u64, u64),
    /// `Map::bit_field3` bit set on the maps of prototype objects (V8's snapshots name
    /// prototypes `Object`, not by their constructor).
    pub prototype_map_bit: u32,
    /// `Oddball::kind` offset, when the metadata lacks it.
    pub oddball_kind: Option<u64>,
}

/// The versions leakscope knows, oldest first.
pub(crate) const VERSIONS: &[VersionFacts] = &[
    VersionFacts {
        major: 10,
        minor: 2,
        node: "18.20.8",
        page: PageLayout { metadata_pointer: None, heap: 16, area_start: 24, area_end: 32 },
        js_array_length: 24,
        js_collection_table: 24,
        fixed_array_types: (179, 193),
        function_types: Some((2065, 2080)),
        free_space_type: None,
        filler_type: 246,
        property_cell: (8, 24),
        prototype_map_bit: 20,
        oddball_kind: None,
    },
    VersionFacts {
        major: 11,
        minor: 3,
        node: "20.20.2",
        page: PageLayout { metadata_pointer: None, heap: 16, area_start: 24, area_end: 32 },
        js_array_length: 24,
        js_collection_table: 24,
        fixed_array_types: (175, 189),
        function_types: Some((2066, 2081)),
        free_space_type: None,
        filler_type: 250,
        property_cell: (8, 24),
        prototype_map_bit: 20,
        oddball_kind: None,
    },
    VersionFacts {
        major: 12,
        minor: 4,
        node: "22.23.3",
        page: PageLayout { metadata_pointer: None, heap: 24, area_start: 32, area_end: 40 },
        js_array_length: 24,
        js_collection_table: 24,
        fixed_array_types: (174, 185),
        function_types: None,
        free_space_type: None,
        filler_type: 259,
        property_cell: (8, 24),
        prototype_map_bit: 20,
        oddball_kind: None,
    },
    VersionFacts {
        major: 13,
        minor: 6,
        node: "24.21.0",
        page: PageLayout { metadata_pointer: Some((8, 8)), heap: 64, area_start: 72, area_end: 56 },
        js_array_length: 24,
        js_collection_table: 24,
        fixed_array_types: (205, 216),
        function_types: None,
        free_space_type: Some(268),
        filler_type: 267,
        property_cell: (8, 24),
        prototype_map_bit: 20,
        oddball_kind: None,
    },
];

/// The entry for a V8 version (major and minor must match; builds and patches share layouts).
pub(crate) fn facts_for(major: u32, minor: u32) -> Option<&'static VersionFacts> {
    VERSIONS.iter().find(|v| v.major == major && v.minor == minor)
}

/// `10.2, 11.3, …` for error messages.
pub(crate) fn supported_list() -> String {
    VERSIONS
        .iter()
        .map(|v| format!("{}.{} (Node {})", v.major, v.minor, v.node))
        .collect::<Vec<_>>()
        .join(", ")
}
