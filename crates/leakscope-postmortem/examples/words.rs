//! Prints the words at an address of a core (a development aid, see
//! docs/new-node-version.md): `words CORE ADDR [COUNT]`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use leakscope_postmortem::{CoreFile, ReadMemory as _};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let c = CoreFile::open(a[1].as_ref()).unwrap();
    let addr = u64::from_str_radix(a[2].trim_start_matches("0x"), 16).unwrap();
    let n: u64 = a.get(3).map_or(8, |s| s.parse().unwrap());
    for i in 0..n {
        match c.u64_at(addr + i * 8) {
            Some(w) => println!("{:#x}: {w:#x}", addr + i * 8),
            None => println!("{:#x}: (not in the core)", addr + i * 8),
        }
    }
}
