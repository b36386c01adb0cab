//! memwatch's `HeapDiff` shape with retained sizes and paths, as the Node package uses it.

use leakscope_graph::{Analysis, Progress, RetainerPaths};
use leakscope_leaks::{memwatch_diff, memwatch_diff_explained};
use leakscope_snapshot::ReadOptions;
use leakscope_testkit::{node, scratch};

#[test]
fn details_explain_what_was_added() {
    let dir = scratch();
    let body = r#"
class LeakingClass { constructor(i) { this.i = i; this.tag = "tag-" + i; } }
globalThis.leaks = [];
threeSnapshots((i) => { leaks.push(new LeakingClass(i)); }, { warmup: 0, reps: 2000 });
"#;
    let [s1, s2, _] = node().three_snapshots(dir.path(), "memwatch", body);
    let before = ReadOptions::new().open(&s1).unwrap().graph;
    let after = ReadOptions::new().open(&s2).unwrap().graph;
    let mut a = Analysis::new(&after, Progress::none());
    let paths = RetainerPaths::compute(&after, Progress::none());
    let explained = memwatch_diff_explained(&before, &after, &a, &paths);
    let plain = memwatch_diff(&before, &after);

    // The same diff, with more in each detail.
    assert_eq!(explained.before, plain.before);
    assert_eq!(explained.change.allocated_nodes, plain.change.allocated_nodes);
    assert_eq!(explained.change.details.len(), plain.change.details.len());
    for (x, y) in explained.change.details.iter().zip(&plain.change.details) {
        assert_eq!(
            (&x.what, x.added, x.freed, x.size_bytes),
            (&y.what, y.added, y.freed, y.size_bytes)
        );
        assert!(y.retained_size.is_none() && y.retainer_path.is_none());
        assert!(x.retained_size.is_some());
    }

    let leaking = explained.change.details.iter().find(|d| d.what == "LeakingClass").unwrap();
    assert_eq!((leaking.added, leaking.freed), (2000, 0));
    // Every LeakingClass is new: what they retain is their class's retained size.
    let census = a.census(&after, Progress::none());
    let class = census.iter().find(|c| a.classes().name(c.class) == "LeakingClass").unwrap();
    assert_eq!(leaking.retained_size, Some(class.retained_size));
    assert!(class.retained_size > class.shallow_size, "each one owns its tag string");
    let path = leaking.retainer_path.as_ref().unwrap();
    assert_eq!(path.last().unwrap().class, "LeakingClass");
    assert!(
        path.iter().any(|s| s.edge == leakscope_graph::EdgeLabel::Name("leaks".into())),
        "{path:?}"
    );
}
