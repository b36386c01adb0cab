//! [`Layout`]: every offset and constant the heap walk uses, from the `v8dbg_*` metadata plus
//! the version table for what the metadata lacks.

use std::collections::HashMap;

use crate::binary::{NodeBinary, V8Version};
use crate::error::Error;
use crate::versions::{self, PageLayout, VersionFacts};

/// Offsets (bytes) and constants of one V8 build.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub(crate) struct Layout {
    pub version: V8Version,
    pub facts: &'static VersionFacts,
    pub page: PageLayout,
    // Map.
    pub map_instance_size_in_words: u64,
    pub map_inobject_start: u64,
    pub map_instance_type: u64,
    pub map_bit_field2: u64,
    pub map_bit_field3: u64,
    pub map_constructor: u64,
    pub map_descriptors: u64,
    pub own_descriptors_mask: u32,
    pub own_descriptors_shift: u32,
    pub dictionary_map_shift: u32,
    pub elements_kind_mask: u8,
    pub elements_kind_shift: u8,
    pub elements_dictionary: u8,
    // Descriptors and property details.
    pub descriptors_header: u64,
    pub desc_key: u64,
    pub desc_details: u64,
    pub desc_value: u64,
    pub desc_size: u64,
    pub prop_location_mask: i64,
    pub prop_location_shift: u32,
    pub prop_location_descriptor: i64,
    pub prop_index_mask: i64,
    pub prop_index_shift: u32,
    // Objects.
    pub properties: u64,
    pub elements: u64,
    pub js_array_length: u64,
    pub js_collection_table: u64,
    pub function_shared: u64,
    pub function_context: u64,
    pub sfi_name_or_scope_info: u64,
    pub sfi_script: Option<u64>,
    pub sfi_function_data: Option<u64>,
    pub script_name: u64,
    pub script_line_ends: u64,
    pub uncompiled_start: u64,
    pub global_dictionary: u64,
    pub fixed_array_length: u64,
    pub fixed_array_data: u64,
    pub heap_number_value: u64,
    pub oddball_kind: u64,
    pub symbol_name: u64,
    pub property_cell_name: u64,
    pub property_cell_value: u64,
    pub name_dictionary_entries: u64,
    pub name_dictionary_entry_size: u64,
    pub context_scope_info: u64,
    pub context_previous: u64,
    pub context_min_slots: u64,
    pub scope_info_context_locals: u64,
    pub scope_info_first_vars: u64,
    // Strings.
    pub string_length: u64,
    pub seq_chars: u64,
    pub cons_first: u64,
    pub cons_second: u64,
    pub sliced_parent: u64,
    pub sliced_offset: u64,
    pub thin_actual: u64,
    pub external_resource: u64,
    pub string_representation_mask: u16,
    pub string_encoding_mask: u16,
    pub one_byte_tag: u16,
    pub cons_tag: u16,
    pub sliced_tag: u16,
    pub thin_tag: u16,
    pub external_tag: u16,
    pub first_nonstring_type: u16,
    // Instance types.
    pub types: Types,
    // Oddball kinds.
    pub oddball_the_hole: Option<i64>,
    pub oddball_undefined: i64,
    pub oddball_null: i64,
    pub oddball_true: i64,
    pub oddball_false: i64,
    /// Instance type names by value (`JS_ARRAY_TYPE` → `JSArray`), from the metadata.
    pub type_names: HashMap<u16, String>,
}

/// The instance types the walk tells apart.
#[derive(Clone, Copy, Debug)]
#[allow(missing_docs)]
pub(crate) struct Types {
    pub map: u16,
    pub fixed_array: (u16, u16),
    pub fixed_double_array: u16,
    pub byte_array: u16,
    pub property_array: u16,
    pub descriptor_array: u16,
    pub weak_fixed_array: u16,
    pub free_space: u16,
    pub heap_number: u16,
    pub oddball: u16,
    pub symbol: u16,
    pub js_object: u16,
    pub js_array: u16,
    pub js_function: (u16, u16),
    pub js_map: u16,
    pub js_set: u16,
    pub js_global_object: u16,
    pub js_global_proxy: u16,
    pub js_proxy: u16,
    pub js_regexp: u16,
    pub js_bound_function: u16,
    pub property_cell: u16,
    pub accessor_info: u16,
    pub scope_info: u16,
    pub shared_function_info: u16,
    pub context: (u16, u16),
    pub code: u16,
    pub bytecode_array: u16,
}

impl Types {
    /// Objects with the JSObject layout (properties, elements, in-object fields).
    pub(crate) fn is_js_object(&self, t: u16) -> bool {
        t > self.js_proxy
    }

    pub(crate) fn is_function(&self, t: u16) -> bool {
        (self.js_function.0..=self.js_function.1).contains(&t)
    }

    pub(crate) fn is_fixed_array_like(&self, t: u16) -> bool {
        (self.fixed_array.0..=self.fixed_array.1).contains(&t)
            || (self.context.0..=self.context.1).contains(&t)
            || t == self.weak_fixed_array
    }

    pub(crate) fn is_context(&self, t: u16) -> bool {
        (self.context.0..=self.context.1).contains(&t)
    }
}

/// Reads `v8dbg_*` values by name; `class_*` names are matched without their type suffix,
/// which V8 changes between versions (`__Object`, `__Tagged_Object_`).
struct Symbols<'b> {
    binary: &'b NodeBinary,
    classes: HashMap<String, i64>,
}

impl<'b> Symbols<'b> {
    fn new(binary: &'b NodeBinary) -> Self {
        let mut classes = HashMap::new();
        for (name, sym) in binary.v8dbg() {
            let Some(rest) = name.strip_prefix("v8dbg_class_") else { continue };
            let Some(value) = sym.file_value else { continue };
            let mut parts = rest.splitn(3, "__");
            if let (Some(class), Some(field)) = (parts.next(), parts.next()) {
                classes.insert(format!("{class}__{field}"), i64::from(value));
            }
        }
        Self { binary, classes }
    }

    fn missing(&self, symbol: &str) -> Error {
        Error::MissingSymbol { binary: self.binary.path().to_owned(), symbol: symbol.to_owned() }
    }

    fn get(&self, name: &str) -> Option<i64> {
        self.binary.symbol(&format!("v8dbg_{name}")).and_then(|s| s.file_value).map(i64::from)
    }

    fn value(&self, name: &str) -> Result<i64, Error> {
        self.get(name).ok_or_else(|| self.missing(name))
    }

    fn offset(&self, class_field: &str) -> Result<u64, Error> {
        self.classes
            .get(class_field)
            .and_then(|&v| u64::try_from(v).ok())
            .ok_or_else(|| self.missing(&format!("class_{class_field}")))
    }

    fn offset_any(&self, names: &[&str]) -> Result<u64, Error> {
        names.iter().find_map(|n| self.offset(n).ok()).ok_or_else(|| self.missing(names[0]))
    }

    /// An instance type from `type_<Class>__<TYPE_NAME>`, found by its type name.
    fn instance_type(&self, type_name: &str) -> Option<u16> {
        let suffix = format!("__{type_name}");
        self.binary
            .v8dbg()
            .find(|(n, _)| n.starts_with("v8dbg_type_") && n.ends_with(&suffix))
            .and_then(|(_, s)| s.file_value)
            .and_then(|v| u16::try_from(v).ok())
    }

    fn required_type(&self, type_name: &str) -> Result<u16, Error> {
        self.instance_type(type_name).ok_or_else(|| self.missing(&format!("type_*__{type_name}")))
    }

    fn small(&self, name: &str) -> Result<u32, Error> {
        u32::try_from(self.value(name)?).map_err(|_| self.missing(name))
    }
}

impl Layout {
    /// Builds the layout of `binary`'s V8, refusing builds leakscope cannot read.
    pub(crate) fn new(binary: &NodeBinary, version: V8Version) -> Result<Self, Error> {
        let s = Symbols::new(binary);
        let tagged_size = s.value("TaggedSize")?;
        if tagged_size != 8 {
            return Err(Error::PointerCompression {
                binary: binary.path().to_owned(),
                tagged_size,
            });
        }
        let facts = versions::facts_for(version.major, version.minor).ok_or_else(|| {
            Error::UnsupportedVersion {
                version: version.to_string(),
                supported: versions::supported_list(),
            }
        })?;
        let u8v = |name: &str| -> Result<u8, Error> {
            u8::try_from(s.value(name)?).map_err(|_| s.missing(name))
        };
        let u16v = |name: &str| -> Result<u16, Error> {
            u16::try_from(s.value(name)?).map_err(|_| s.missing(name))
        };
        let function_types = match (s.get("FirstJSFunctionType"), s.get("LastJSFunctionType")) {
            (Some(first), Some(last)) => (
                u16::try_from(first).map_err(|_| s.missing("FirstJSFunctionType"))?,
                u16::try_from(last).map_err(|_| s.missing("LastJSFunctionType"))?,
            ),
            _ => facts.function_types.ok_or_else(|| s.missing("FirstJSFunctionType"))?,
        };
        let types = Types {
            map: s.required_type("MAP_TYPE")?,
            fixed_array: facts.fixed_array_types,
            fixed_double_array: s.required_type("FIXED_DOUBLE_ARRAY_TYPE")?,
            byte_array: s.required_type("BYTE_ARRAY_TYPE")?,
            property_array: s.required_type("PROPERTY_ARRAY_TYPE")?,
            descriptor_array: s.required_type("DESCRIPTOR_ARRAY_TYPE")?,
            weak_fixed_array: s.required_type("WEAK_FIXED_ARRAY_TYPE")?,
            free_space: match facts.free_space_type {
                Some(t) => t,
                None => s.required_type("FREE_SPACE_TYPE")?,
            },
            heap_number: s.required_type("HEAP_NUMBER_TYPE")?,
            oddball: s.required_type("ODDBALL_TYPE")?,
            symbol: s.required_type("SYMBOL_TYPE")?,
            js_object: s.required_type("JS_OBJECT_TYPE")?,
            js_array: s.required_type("JS_ARRAY_TYPE")?,
            js_function: function_types,
            js_map: s.required_type("JS_MAP_TYPE")?,
            js_set: s.required_type("JS_SET_TYPE")?,
            js_global_object: s.required_type("JS_GLOBAL_OBJECT_TYPE")?,
            js_global_proxy: s.required_type("JS_GLOBAL_PROXY_TYPE")?,
            js_proxy: s.required_type("JS_PROXY_TYPE")?,
            js_regexp: s.required_type("JS_REG_EXP_TYPE")?,
            js_bound_function: s.required_type("JS_BOUND_FUNCTION_TYPE")?,
            property_cell: s.required_type("PROPERTY_CELL_TYPE")?,
            accessor_info: s.required_type("ACCESSOR_INFO_TYPE")?,
            scope_info: s.required_type("SCOPE_INFO_TYPE")?,
            shared_function_info: s.required_type("SHARED_FUNCTION_INFO_TYPE")?,
            context: (u16v("FirstContextType")?, u16v("LastContextType")?),
            code: s.required_type("CODE_TYPE")?,
            bytecode_array: s.required_type("BYTECODE_ARRAY_TYPE")?,
        };
        let mut type_names = HashMap::new();
        for (name, sym) in binary.v8dbg() {
            let Some(rest) = name.strip_prefix("v8dbg_type_") else { continue };
            let (Some(class), Some(value)) = (rest.split("__").next(), sym.file_value) else {
                continue;
            };
            if let Ok(t) = u16::try_from(value) {
                type_names.entry(t).or_insert_with(|| class.to_owned());
            }
        }
        let name_dictionary_entries = u64::try_from(
            s.value("namedictionary_prefix_start_index")?
                + s.value("namedictionaryshape_prefix_size")?,
        )
        .map_err(|_| s.missing("namedictionary_prefix_start_index"))?;
        let oddball_kind = match facts.oddball_kind {
            Some(o) => o,
            None => s.offset_any(&["Oddball__kind_offset", "Oddball__kind"])?,
        };
        let smi_or_missing = |name: &str| s.get(name);
        Ok(Self {
            version,
            facts,
            page: facts.page,
            map_instance_size_in_words: s.offset("Map__instance_size_in_words")?,
            map_inobject_start: s
                .offset("Map__inobject_properties_start_or_constructor_function_index")?,
            map_instance_type: s.offset("Map__instance_type")?,
            map_bit_field2: s.offset("Map__bit_field2")?,
            map_bit_field3: s.offset("Map__bit_field3")?,
            map_constructor: s.offset("Map__constructor_or_back_pointer")?,
            map_descriptors: s.offset("Map__instance_descriptors")?,
            own_descriptors_mask: s.small("bit_field3_number_of_own_descriptors_mask")?,
            own_descriptors_shift: s.small("bit_field3_number_of_own_descriptors_shift")?,
            dictionary_map_shift: s.small("bit_field3_is_dictionary_map_shift")?,
            elements_kind_mask: u8v("bit_field2_elements_kind_mask")?,
            elements_kind_shift: u8v("bit_field2_elements_kind_shift")?,
            elements_dictionary: u8v("elements_dictionary_elements")?,
            descriptors_header: s.offset("DescriptorArray__header_size")?,
            desc_key: u64::try_from(s.value("prop_desc_key")?).unwrap_or(0),
            desc_details: u64::try_from(s.value("prop_desc_details")?).unwrap_or(1),
            desc_value: u64::try_from(s.value("prop_desc_value")?).unwrap_or(2),
            desc_size: u64::try_from(s.value("prop_desc_size")?).unwrap_or(3),
            prop_location_mask: s.value("prop_location_mask")?,
            prop_location_shift: s.small("prop_location_shift")?,
            prop_location_descriptor: s.value("prop_location_Descriptor")?,
            prop_index_mask: s.value("prop_index_mask")?,
            prop_index_shift: s.small("prop_index_shift")?,
            properties: s.offset("JSReceiver__raw_properties_or_hash")?,
            elements: s.offset("JSObject__elements")?,
            js_array_length: facts.js_array_length,
            js_collection_table: facts.js_collection_table,
            function_shared: s.offset("JSFunction__shared")?,
            function_context: s.offset("JSFunction__context")?,
            sfi_name_or_scope_info: s.offset("SharedFunctionInfo__name_or_scope_info")?,
            sfi_script: s
                .offset_any(&[
                    "SharedFunctionInfo__script_or_debug_info",
                    "SharedFunctionInfo__script",
                    "SharedFunctionInfo__raw_script",
                ])
                .ok(),
            sfi_function_data: s.offset("SharedFunctionInfo__function_data").ok(),
            script_name: s.offset("Script__name")?,
            script_line_ends: s.offset("Script__line_ends")?,
            uncompiled_start: s.offset("UncompiledData__start_position")?,
            global_dictionary: s.offset("JSGlobalObject__global_dictionary")?,
            fixed_array_length: s.offset("FixedArrayBase__length")?,
            fixed_array_data: s.offset("FixedArray__data")?,
            heap_number_value: s.offset("HeapNumber__value")?,
            oddball_kind,
            symbol_name: s.offset("Symbol__name")?,
            property_cell_name: facts.property_cell.0,
            property_cell_value: facts.property_cell.1,
            name_dictionary_entries,
            name_dictionary_entry_size: u64::try_from(s.value("namedictionaryshape_entry_size")?)
                .unwrap_or(3),
            context_scope_info: u64::try_from(s.value("context_idx_scope_info")?).unwrap_or(0),
            context_previous: u64::try_from(s.value("context_idx_prev")?).unwrap_or(1),
            context_min_slots: u64::try_from(s.value("context_min_slots")?).unwrap_or(2),
            scope_info_context_locals: u64::try_from(s.value("scopeinfo_idx_ncontextlocals")?)
                .unwrap_or(2),
            scope_info_first_vars: u64::try_from(s.value("scopeinfo_idx_first_vars")?).unwrap_or(3),
            string_length: s.offset("String__length")?,
            seq_chars: s.offset("SeqOneByteString__chars")?,
            cons_first: s.offset("ConsString__first")?,
            cons_second: s.offset("ConsString__second")?,
            sliced_parent: s.offset("SlicedString__parent")?,
            sliced_offset: s.offset("SlicedString__offset")?,
            thin_actual: s.offset("ThinString__actual")?,
            external_resource: s.offset("ExternalString__resource")?,
            string_representation_mask: u16v("StringRepresentationMask")?,
            string_encoding_mask: u16v("StringEncodingMask")?,
            one_byte_tag: u16v("OneByteStringTag")?,
            cons_tag: u16v("ConsStringTag")?,
            sliced_tag: u16v("SlicedStringTag")?,
            thin_tag: u16v("ThinStringTag")?,
            external_tag: u16v("ExternalStringTag")?,
            first_nonstring_type: u16v("FirstNonstringType")?,
            types,
            oddball_the_hole: smi_or_missing("OddballTheHole"),
            oddball_undefined: s.value("OddballUndefined")?,
            oddball_null: s.value("OddballNull")?,
            oddball_true: s.value("OddballTrue")?,
            oddball_false: s.value("OddballFalse")?,
            type_names,
        })
    }
}

#[cfg(test)]
mod tests {
    use object::write::{Object, StandardSection, Symbol, SymbolSection};
    use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

    use super::*;

    /// An ELF file whose only metadata is `v8dbg_TaggedSize`.
    fn binary_with_tagged_size(dir: &std::path::Path, tagged_size: i32) -> NodeBinary {
        let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let data = obj.section_id(StandardSection::Data);
        let offset = obj.append_section_data(data, &tagged_size.to_le_bytes(), 4);
        obj.add_symbol(Symbol {
            name: b"v8dbg_TaggedSize".to_vec(),
            value: offset,
            size: 4,
            kind: SymbolKind::Data,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Section(data),
            flags: SymbolFlags::None,
        });
        let path = dir.join("node");
        std::fs::write(&path, obj.write().unwrap()).unwrap();
        NodeBinary::open(&path).unwrap()
    }

    const V11_3: V8Version = V8Version { major: 11, minor: 3, build: 244, patch: 8 };

    #[test]
    fn pointer_compressed_builds_are_refused() {
        let dir = leakscope_testkit::scratch();
        let binary = binary_with_tagged_size(dir.path(), 4);
        let err = Layout::new(&binary, V11_3).unwrap_err();
        assert!(matches!(err, Error::PointerCompression { tagged_size: 4, .. }), "{err}");
        assert!(err.to_string().contains("pointer-compressed"), "{err}");
    }

    #[test]
    fn unknown_versions_are_refused_with_the_supported_list() {
        let dir = leakscope_testkit::scratch();
        let binary = binary_with_tagged_size(dir.path(), 8);
        let version = V8Version { major: 99, minor: 1, build: 0, patch: 0 };
        let err = Layout::new(&binary, version).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("unsupported V8 version 99.1.0.0 (supported: 10.2"), "{text}");
        assert!(text.contains("13.6 (Node 24.21.0)"), "{text}");
        // A known version with metadata missing names the missing symbol.
        let err = Layout::new(&binary, V11_3).unwrap_err();
        assert!(matches!(err, Error::MissingSymbol { .. }), "{err}");
    }
}
