use leakscope_postmortem::{CoreFile, ReadMemory};
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let c = CoreFile::open(p.as_ref()).unwrap();
    for r in c.regions() {
        if r.writable || r.path.is_some() || r.present == 0 || !r.readable { continue; }
        let w: Vec<String> = (0..8).map(|i| format!("{:x}", c.u64_at(r.start + i * 8).unwrap_or(0))).collect();
        println!("{:x}-{:x} x={} present={:x} {}", r.start, r.end, r.executable, r.present, w.join(" "));
    }
}
