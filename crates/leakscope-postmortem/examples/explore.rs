use leakscope_postmortem::{CoreFile, ReadMemory};
fn main() {
    let p = std::env::args().nth(1).unwrap();
    let c = CoreFile::open(p.as_ref()).unwrap();
    println!("exe {:?} pid {:?} cmd {:?}", c.executable(), c.pid(), c.command());
    for r in c.regions() {
        if !r.writable || r.path.is_some() { continue; }
        let mut a = (r.start + 0x3ffff) & !0x3ffff;
        while a + 64 <= r.start + r.present {
            let w: Vec<String> = (0..6).map(|i| format!("{:x}", c.u64_at(a + i * 8).unwrap_or(0))).collect();
            println!("{:x} [{:x}-{:x} rw={} present={:x}] {}", a, r.start, r.end, r.writable, r.present, w.join(" "));
            a += 0x40000;
        }
    }
}
