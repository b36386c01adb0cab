//! The finder on small heaps built by hand: id recycling, growth and churn, the errors.

use leakscope_graph::{Analysis, EdgeType, GraphBuilder, HeapGraph, NodeType, Progress};
use leakscope_leaks::{
    Baseline, LeakOptions, LeakReport, LeaksError, Target, find_leaks, find_new_objects,
};

/// A global variable (`name`, array id) holding objects (`id`, constructor).
type Holder<'a> = (&'a str, u32, Vec<(u32, &'a str)>);

/// A heap: `global` holds one array per holder.
fn heap(holders: &[Holder<'_>]) -> HeapGraph {
    let mut b = GraphBuilder::new();
    let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
    let global = b.add_node(NodeType::OBJECT, "global", 3, 64);
    b.add_edge(root, EdgeType::Shortcut, "global", global);
    for (name, id, objects) in holders {
        let array = b.add_node(NodeType::OBJECT, "Array", *id, 32);
        b.add_edge(global, EdgeType::Property, name, array);
        for (i, &(id, class)) in objects.iter().enumerate() {
            let n = b.add_node(NodeType::OBJECT, class, id, 40);
            b.add_index_edge(array, EdgeType::Element, u32::try_from(i).unwrap(), n);
        }
    }
    b.build().unwrap()
}

/// `count` objects of `class` with ids from `first`, two apart (V8's odd ids).
fn objects(first: u32, count: u32, class: &str) -> Vec<(u32, &str)> {
    (0..count).map(|i| (first + 2 * i, class)).collect()
}

fn three(s1: &HeapGraph, s2: &HeapGraph, s3: &HeapGraph, min_size: u64) -> LeakReport {
    let baseline = Baseline::new(s1);
    let target = Target::new(s2, &baseline, Progress::none()).unwrap();
    let a = Analysis::new(s3, Progress::none());
    find_leaks(s3, &a, &baseline, &target, &LeakOptions { min_size }, Progress::none()).unwrap()
}

/// `sessions` only grows (10 before S1, 10 more by S2, 10 more by S3); `cache` holds 10
/// entries and replaces them all between snapshots. New objects get ids past every earlier
/// snapshot's, as V8 gives them.
fn growing_and_churning() -> [HeapGraph; 3] {
    let sessions = |batches: u32| {
        (0..batches).flat_map(|b| objects(1001 + 2000 * b, 10, "Session")).collect::<Vec<_>>()
    };
    [
        heap(&[("sessions", 11, sessions(1)), ("cache", 13, objects(2001, 10, "CacheEntry"))]),
        heap(&[("sessions", 11, sessions(2)), ("cache", 13, objects(4001, 10, "CacheEntry"))]),
        heap(&[("sessions", 11, sessions(3)), ("cache", 13, objects(6001, 10, "CacheEntry"))]),
    ]
}

#[test]
fn a_growing_holder_is_a_leak_and_a_churning_cache_is_not() {
    let [s1, s2, s3] = growing_and_churning();
    let r = three(&s1, &s2, &s3, 0);
    assert_eq!(r.verdict, "leak");
    assert_eq!(r.leaks.len(), 1);
    let f = &r.leaks[0];
    assert_eq!((f.class.as_str(), f.count, f.holder.as_str()), ("Session", 10, "sessions"));
    assert_eq!(f.counts, [None, Some(20), Some(30)]);
    assert_eq!(f.survival, Some(1.0));
    assert_eq!(f.shallow_size, 400);
    assert_eq!(
        f.retainer_path.len(),
        3,
        "root → global → sessions → [i] → Session: {:?}",
        f.retainer_path
    );
    // No CacheEntry of S2 is in S3: nothing to dismiss, nothing reported.
    assert_eq!(r.dismissed_total.objects, 0);
}

#[test]
fn recycled_ids_are_not_survivors() {
    let [s1, s2, _] = growing_and_churning();
    // In S3 the cache holds new entries again, two of them at addresses of dead S2 entries:
    // same ids, one of another class (set aside), one of the same class (a survivor by id,
    // in a group that does not grow: dismissed as churn).
    let mut entries = objects(6001, 8, "CacheEntry");
    entries.push((4001, "Buffer"));
    entries.push((4003, "CacheEntry"));
    let sessions: Vec<(u32, &str)> =
        (0..3).flat_map(|b| objects(1001 + 2000 * b, 10, "Session")).collect();
    let s3 = heap(&[("sessions", 11, sessions), ("cache", 13, entries)]);
    let r = three(&s1, &s2, &s3, 0);
    let ids = r.ids.unwrap();
    assert_eq!(ids.recycled_later, 1, "{ids:?}");
    assert_eq!(ids.still_alive, 10 + 1);
    assert_eq!(r.leaks.len(), 1);
    assert_eq!(r.leaks[0].class, "Session");
    let churn = &r.dismissed[0];
    assert_eq!((churn.class.as_str(), churn.count), ("CacheEntry", 1));
    assert_eq!(churn.counts, [None, Some(10), Some(9)], "one slot now holds a Buffer");
    assert_eq!(churn.survival, Some(0.1));
    assert!(churn.dismissed.unwrap().starts_with("does not grow"));
}

#[test]
fn an_s1_id_taken_over_by_a_new_object_is_new() {
    let [s1, _, _] = growing_and_churning();
    // S2 is S1 plus ten sessions, one of which sits at a dead cache entry's address.
    let mut sessions = objects(1001, 10, "Session");
    sessions.extend(objects(3001, 9, "Session"));
    sessions.push((2001, "Session"));
    let s2 = heap(&[("sessions", 11, sessions), ("cache", 13, objects(2003, 9, "CacheEntry"))]);
    let baseline = Baseline::new(&s1);
    let target = Target::new(&s2, &baseline, Progress::none()).unwrap();
    assert_eq!(target.recycled_ids(), 1);
    assert_eq!(target.new_objects(), 10);
}

#[test]
fn small_groups_wait_for_min_size() {
    let [s1, s2, s3] = growing_and_churning();
    let r = three(&s1, &s2, &s3, 401);
    assert_eq!(r.verdict, "no-leak");
    assert_eq!(r.dismissed[0].dismissed, Some("smaller than --min-size"));
    assert!(r.message.starts_with("no leak found"), "{}", r.message);
}

#[test]
fn two_snapshots_need_growth_of_at_least_half_the_new_objects() {
    let [s1, s2, _] = growing_and_churning();
    let baseline = Baseline::with_shapes(&s1, Progress::none());
    let a = Analysis::new(&s2, Progress::none());
    let r = find_new_objects(&s2, &a, &baseline, &LeakOptions { min_size: 0 }, Progress::none())
        .unwrap();
    assert_eq!(r.leaks.len(), 1);
    assert_eq!(r.leaks[0].class, "Session");
    assert_eq!(r.leaks[0].counts, [Some(10), Some(20)]);
    assert_eq!(r.leaks[0].confidence, "low");
    // The cache replaced all ten entries without growing.
    assert_eq!(r.dismissed[0].class, "CacheEntry");
    // Without shapes the first snapshot cannot serve.
    let plain = Baseline::new(&s1);
    let err = find_new_objects(&s2, &a, &plain, &LeakOptions::default(), Progress::none());
    assert!(matches!(err, Err(LeaksError::NoShapes)));
}

#[test]
fn snapshots_must_be_in_order_and_of_one_process() {
    let [s1, s2, s3] = growing_and_churning();
    let err = Target::new(&s1, &Baseline::new(&s2), Progress::none()).unwrap_err();
    assert!(matches!(err, LeaksError::OutOfOrder { earlier: 1, later: 2, .. }), "{err}");
    assert!(err.to_string().contains("oldest first"));
    let baseline = Baseline::new(&s1);
    let target = Target::new(&s3, &baseline, Progress::none()).unwrap();
    let a = Analysis::new(&s2, Progress::none());
    let err = find_leaks(&s2, &a, &baseline, &target, &LeakOptions::default(), Progress::none());
    assert!(matches!(err, Err(LeaksError::OutOfOrder { earlier: 2, later: 3, .. })));

    // Another process: ids of the same range, other objects.
    let big = heap(&[("items", 5, objects(11, 2000, "Item"))]);
    let other = heap(&[("rows", 5, objects(11, 2000, "Row"))]);
    let err = Target::new(&other, &Baseline::new(&big), Progress::none()).unwrap_err();
    // Only the root, global and the array (ids 1, 3, 5) are alike.
    assert!(matches!(err, LeaksError::Unrelated { shared: 3, .. }), "{err}");
}
