//! The class census: DevTools' Summary view.
//!
//! Per class, over the objects with a non-zero shallow size (after the size transfer): how
//! many, their shallow sizes, the smallest distance, and the retained size of the class as
//! DevTools' `maxRet` counts it: the retained sizes of the class's outermost objects only, so
//! an object nested (in the dominator tree) under another of its class is not counted twice.

use crate::analysis::Analysis;
use crate::classes::ClassId;
use crate::distances::Distance;
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress};
use crate::types::NodeIndex;

/// One class of the census.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassSummary {
    /// The class.
    pub class: ClassId,
    /// Objects of the class with a non-zero shallow size.
    pub count: u64,
    /// Their shallow sizes.
    pub shallow_size: u64,
    /// The retained sizes of those not dominated by another object of the class.
    pub retained_size: u64,
    /// The smallest DevTools distance number over the class (see [`Distance::from_devtools`]);
    /// like DevTools, an unreachable object makes it negative.
    pub devtools_distance: i32,
}

impl ClassSummary {
    /// The smallest distance over the class.
    #[must_use]
    pub fn distance(&self) -> Distance {
        Distance::from_devtools(self.devtools_distance)
    }
}

/// The census of every class with at least one object, largest retained size first (ties:
/// larger shallow size, then class id).
#[must_use]
pub fn census(g: &HeapGraph, a: &Analysis, progress: Progress<'_>) -> Vec<ClassSummary> {
    let classes = a.classes();
    let shallow = a.shallow_sizes().as_slice();
    let mut rows: Vec<ClassSummary> = (0..classes.len())
        .map(|c| ClassSummary {
            class: ClassId(u32::try_from(c).unwrap_or(u32::MAX)),
            count: 0,
            shallow_size: 0,
            retained_size: 0,
            devtools_distance: i32::MAX,
        })
        .collect();
    let mut ticker = progress.phase(Phase::Census, g.node_count() * 2);
    let of = classes.as_slice();
    let distances = a.distances().as_devtools();
    for (i, (&size, &class)) in shallow.iter().zip(of).enumerate() {
        if size == 0 {
            continue;
        }
        let row = &mut rows[class as usize];
        row.count += 1;
        row.shallow_size += size;
        row.devtools_distance = row.devtools_distance.min(distances[i]);
        ticker.tick(i);
    }

    // maxRet: walk the dominator tree, counting an object only when no object of its class
    // above it counted.
    let tree = a.dominator_tree();
    let retained = a.retained_sizes();
    let mut active = vec![0u32; classes.len()];
    let mut stack: Vec<(u32, u32, bool)> = Vec::new();
    let mut visited = g.node_count();
    let enter = |v: u32, active: &mut [u32], rows: &mut [ClassSummary]| {
        let c = of[v as usize] as usize;
        let counts = shallow[v as usize] > 0 && active[c] == 0;
        if counts {
            rows[c].retained_size += retained[v as usize];
            active[c] += 1;
        }
        counts
    };
    let root = tree.root().0;
    let counted = enter(root, &mut active, &mut rows);
    stack.push((root, 0, counted));
    while let Some(top) = stack.last_mut() {
        let (v, cursor, counted) = *top;
        let children = tree.children(NodeIndex(v));
        if let Some(&child) = children.get(cursor as usize) {
            top.1 += 1;
            visited += 1;
            ticker.tick(visited);
            let counted = enter(child, &mut active, &mut rows);
            stack.push((child, 0, counted));
        } else {
            stack.pop();
            if counted {
                active[of[v as usize] as usize] -= 1;
            }
        }
    }
    ticker.finish();
    rows.retain(|r| r.count > 0);
    rows.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then(b.shallow_size.cmp(&a.shallow_size))
            .then(a.class.cmp(&b.class))
    });
    rows
}
