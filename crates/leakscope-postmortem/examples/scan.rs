//! Scans a core and prints what it found (a development aid).
#![allow(clippy::print_stdout, clippy::unwrap_used)]
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let t = std::time::Instant::now();
    let d =
        leakscope_postmortem::Dump::open_core(a[1].as_ref(), a.get(2).map(AsRef::as_ref)).unwrap();
    println!("{:?} in {:?}", d.info(), t.elapsed());
    for g in d.object_groups().iter().take(15) {
        println!("{:8} {} {{{}}} {:#x}", g.count, g.class, g.properties.join(", "), g.example);
    }
    let t = std::time::Instant::now();
    let g = d.graph().unwrap();
    println!(
        "graph {} nodes {} edges in {:?}",
        g.graph.node_count(),
        g.graph.edge_count(),
        t.elapsed()
    );
}
