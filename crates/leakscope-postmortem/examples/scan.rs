fn main() {
    let a: Vec<String> = std::env::args().collect();
    let c = leakscope_postmortem::CoreFile::open(a[1].as_ref()).unwrap();
    let bin = a.get(2).cloned().unwrap_or_else(|| c.executable().unwrap().path.clone());
    let b = leakscope_postmortem::NodeBinary::open(bin.as_ref()).unwrap();
    leakscope_postmortem::debug_scan(&c, &b).unwrap();
}
