//! Post-mortem analysis of Node.js: a core dump (or a stopped live process) and the node
//! binary's `v8dbg_*` metadata become a [`leakscope_graph::HeapGraph`].

mod binary;
mod core_file;
mod error;
mod heap;
mod layout;
mod memory;
mod versions;

pub use binary::{NodeBinary, V8Version};
pub use core_file::{CoreFile, MappedFile};
pub use error::Error;
pub use memory::{ReadMemory, Region};

#[doc(hidden)]
pub fn debug_scan(core: &CoreFile, binary: &NodeBinary) -> Result<(), Error> {
    let exe_first = core.executable().and_then(|e| {
        core.mapped_files().iter().filter(|f| f.path == e.path).map(|f| f.start - f.file_offset).min()
    });
    let bias = binary.load_bias(exe_first);
    let version = binary.v8_version(core, bias).ok_or(Error::NoExecutable)?;
    eprintln!("v8 {version} bias {bias:#x}");
    let layout = layout::Layout::new(binary, version)?;
    let t = std::time::Instant::now();
    let heap = heap::Heap::scan(core, &layout, "core")?;
    eprintln!("pages {} maps {} objects {} inexact {} in {:?}", heap.pages.len(), heap.maps.len(), heap.objects.len(), heap.inexact_sizes, t.elapsed());
    for p in &heap.pages { eprintln!("page {:x} area {:x}-{:x} ro={}", p.start, p.area_start, p.area_end, p.read_only); }
    let mut by_type = std::collections::BTreeMap::<u16, (usize, u64)>::new();
    for (k, &m) in heap.object_maps.iter().enumerate() {
        let e = by_type.entry(heap.map_types[m as usize]).or_default();
        e.0 += 1;
        e.1 += u64::from(heap.sizes[k]);
    }
    for (t, (n, s)) in by_type {
        println!("{t:5} {:40} {n:8} {s:10}", layout.type_names.get(&t).map_or("?", String::as_str));
    }
    Ok(())
}
