//! What changed between two snapshots, per class: DevTools' Comparison view.
//!
//! As DevTools does: the classes of both snapshots are named with the later snapshot's
//! plain-object interfaces (so `{a, b}` means the same in both), sizes are DevTools' shallow
//! sizes (owned internals count in their owner, objects of size 0 are left out), and per class
//! key (`scriptId,line,column,Name`) the objects are matched by id: an id only in the earlier
//! snapshot was removed, an id only in the later one was added. An object whose class changed
//! counts as removed from one class and added to the other.
//!
//! Where we differ on purpose: ids that are not stable (even embedder ids, `smi number` nodes)
//! are compared by count per class only, so Node's native objects, which get new ids in every
//! snapshot, do not show as hundreds added and removed.

use leakscope_graph::{
    Classes, FxHashMap, HeapGraph, NodeIndex, Progress, ShallowSizes, detached_natives,
};
use serde::Serialize;

use crate::ids::has_stable_id;

/// A snapshot's classes and shallow sizes, as a diff needs them.
#[derive(Debug)]
pub struct DiffSide<'a> {
    /// The graph.
    pub graph: &'a HeapGraph,
    /// Its classes (for the earlier snapshot: named with the later one's interfaces).
    pub classes: &'a Classes,
    /// Its DevTools shallow sizes.
    pub shallow: &'a ShallowSizes,
}

/// The classes and shallow sizes of both snapshots of a diff, computed for it: the earlier
/// snapshot's classes take the later one's interfaces.
#[derive(Debug)]
pub struct DiffInput {
    /// The earlier snapshot's classes.
    pub before_classes: Classes,
    /// The earlier snapshot's shallow sizes.
    pub before_shallow: ShallowSizes,
    /// The later snapshot's classes.
    pub after_classes: Classes,
    /// The later snapshot's shallow sizes.
    pub after_shallow: ShallowSizes,
}

impl DiffInput {
    /// Computes classes and shallow sizes of both snapshots (the two on two threads).
    #[must_use]
    pub fn compute(before: &HeapGraph, after: &HeapGraph, progress: Progress<'_>) -> Self {
        std::thread::scope(|s| {
            let later = s.spawn(|| {
                let detached = detached_natives(after);
                let classes = Classes::compute(after, &detached, progress);
                let shallow = ShallowSizes::compute(after, &detached, progress);
                (classes, shallow)
            });
            let detached = detached_natives(before);
            let before_shallow = ShallowSizes::compute(before, &detached, progress);
            // A panic on the other thread is a bug: let it surface as one.
            let (after_classes, after_shallow) =
                later.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            let before_classes = Classes::compute_with_interfaces(
                before,
                &detached,
                after_classes.interfaces(),
                progress,
            );
            Self { before_classes, before_shallow, after_classes, after_shallow }
        })
    }

    /// The two sides, to [`diff`].
    #[must_use]
    pub fn sides<'a>(
        &'a self,
        before: &'a HeapGraph,
        after: &'a HeapGraph,
    ) -> (DiffSide<'a>, DiffSide<'a>) {
        (
            DiffSide {
                graph: before,
                classes: &self.before_classes,
                shallow: &self.before_shallow,
            },
            DiffSide { graph: after, classes: &self.after_classes, shallow: &self.after_shallow },
        )
    }
}

/// The per-class changes, largest size growth first.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClassDiff {
    /// One row per class with objects added or removed.
    pub classes: Vec<ClassChange>,
}

/// What changed in one class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClassChange {
    /// The class name.
    pub class: String,
    /// Objects only the later snapshot has.
    pub added: u64,
    /// Objects only the earlier snapshot has.
    pub removed: u64,
    /// `added - removed`.
    pub count_delta: i64,
    /// Shallow size of the added objects.
    pub added_size: u64,
    /// Shallow size of the removed objects.
    pub removed_size: u64,
    /// `added_size - removed_size`.
    pub size_delta: i64,
    /// DevTools' class key (`scriptId,line,column,Name`, or `,Name`).
    #[serde(skip)]
    pub key: String,
    /// An added object, to look at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example_id: Option<u32>,
}

#[derive(Default)]
struct Row {
    added: u64,
    removed: u64,
    added_size: u64,
    removed_size: u64,
    /// Objects without stable ids: (count, size) in each snapshot.
    unstable_before: (u64, u64),
    unstable_after: (u64, u64),
    example: Option<u32>,
}

/// Compares two snapshots per class.
#[must_use]
pub fn diff(before: &DiffSide<'_>, after: &DiffSide<'_>) -> ClassDiff {
    // One row per class key, shared by both snapshots.
    let mut keys: FxHashMap<String, usize> = FxHashMap::default();
    let mut names: Vec<(String, String)> = Vec::new(); // (name, key)
    let mut rows_of = |side: &DiffSide<'_>| -> Vec<usize> {
        side.classes
            .iter()
            .map(|(_, info)| {
                let key = info.devtools_key();
                *keys.entry(key.clone()).or_insert_with(|| {
                    names.push((info.name.clone(), key));
                    names.len() - 1
                })
            })
            .collect()
    };
    let before_rows = rows_of(before);
    let after_rows = rows_of(after);
    let mut rows: Vec<Row> = (0..names.len()).map(|_| Row::default()).collect();

    let row_of = |side: &DiffSide<'_>, side_rows: &[usize], n: NodeIndex| {
        side_rows[side.classes.of(n).index()]
    };
    let sorted = |side: &DiffSide<'_>, rows: &mut Vec<Row>, side_rows: &[usize], later: bool| {
        let mut stable: Vec<u64> = Vec::new();
        for n in side.graph.nodes() {
            let size = side.shallow.get(n);
            if size == 0 {
                continue;
            }
            if has_stable_id(side.graph, n) {
                stable.push((u64::from(side.graph.node_id(n)) << 32) | u64::from(n.0));
            } else {
                let row = &mut rows[row_of(side, side_rows, n)];
                let slot = if later { &mut row.unstable_after } else { &mut row.unstable_before };
                slot.0 += 1;
                slot.1 += size;
            }
        }
        stable.sort_unstable();
        stable
    };
    let b = sorted(before, &mut rows, &before_rows, false);
    let a = sorted(after, &mut rows, &after_rows, true);
    let node = |packed: u64| NodeIndex((packed & 0xFFFF_FFFF) as u32);
    let id = |packed: u64| (packed >> 32) as u32;
    let add = |rows: &mut [Row], n: NodeIndex| {
        let row = &mut rows[row_of(after, &after_rows, n)];
        row.added += 1;
        row.added_size += after.shallow.get(n);
        row.example.get_or_insert(after.graph.node_id(n));
    };
    let remove = |rows: &mut [Row], n: NodeIndex| {
        let row = &mut rows[row_of(before, &before_rows, n)];
        row.removed += 1;
        row.removed_size += before.shallow.get(n);
    };
    let (mut i, mut j) = (0, 0);
    while i < b.len() || j < a.len() {
        match (b.get(i), a.get(j)) {
            (Some(&x), Some(&y)) if id(x) == id(y) => {
                if row_of(before, &before_rows, node(x)) != row_of(after, &after_rows, node(y)) {
                    remove(&mut rows, node(x));
                    add(&mut rows, node(y));
                }
                i += 1;
                j += 1;
            }
            (Some(&x), Some(&y)) if id(x) < id(y) => {
                remove(&mut rows, node(x));
                i += 1;
            }
            (Some(&x), None) => {
                remove(&mut rows, node(x));
                i += 1;
            }
            (_, Some(&y)) => {
                add(&mut rows, node(y));
                j += 1;
            }
            (None, None) => break,
        }
    }

    let mut classes: Vec<ClassChange> = rows
        .into_iter()
        .zip(names)
        .filter_map(|(mut row, (class, key))| {
            let (cb, sb) = row.unstable_before;
            let (ca, sa) = row.unstable_after;
            row.added += ca.saturating_sub(cb);
            row.removed += cb.saturating_sub(ca);
            row.added_size += sa.saturating_sub(sb);
            row.removed_size += sb.saturating_sub(sa);
            (row.added > 0 || row.removed > 0).then(|| ClassChange {
                class,
                added: row.added,
                removed: row.removed,
                count_delta: signed(row.added) - signed(row.removed),
                added_size: row.added_size,
                removed_size: row.removed_size,
                size_delta: signed(row.added_size) - signed(row.removed_size),
                key,
                example_id: row.example,
            })
        })
        .collect();
    classes.sort_by(|x, y| {
        y.size_delta
            .cmp(&x.size_delta)
            .then(y.count_delta.cmp(&x.count_delta))
            .then_with(|| x.class.cmp(&y.class))
            .then_with(|| x.key.cmp(&y.key))
    });
    ClassDiff { classes }
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
