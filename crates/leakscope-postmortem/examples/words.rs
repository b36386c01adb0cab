use leakscope_postmortem::{CoreFile, ReadMemory};
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let c = CoreFile::open(a[1].as_ref()).unwrap();
    let addr = u64::from_str_radix(a[2].trim_start_matches("0x"), 16).unwrap();
    let n: u64 = a.get(3).map_or(8, |s| s.parse().unwrap());
    for i in 0..n {
        println!("{:x}: {:x}", addr + i * 8, c.u64_at(addr + i * 8).unwrap_or(0xdead));
    }
}
