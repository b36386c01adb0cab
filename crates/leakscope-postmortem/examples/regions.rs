//! Lists a core's memory regions (a development aid): `regions CORE`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use leakscope_postmortem::{CoreFile, ReadMemory as _};

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let core = CoreFile::open(path.as_ref()).unwrap();
    for r in core.regions() {
        let flags = format!(
            "{}{}{}",
            if r.readable { 'r' } else { '-' },
            if r.writable { 'w' } else { '-' },
            if r.executable { 'x' } else { '-' }
        );
        println!(
            "{:#x}-{:#x} {flags} {:>12} present {:>12} {}",
            r.start,
            r.end,
            r.len(),
            r.present,
            r.path.as_deref().unwrap_or("")
        );
    }
}
