//! The objects a snapshot gained since an earlier one, and what the finder keeps of the
//! earlier snapshots once their graphs are gone.

use leakscope_graph::{BitSet, FxHashMap, HeapGraph, NodeIndex, NodeType, Progress, RetainerPaths};

use crate::error::LeaksError;
use crate::ids::{IdTable, NodeKeys, has_stable_id};
use crate::shapes::Shapes;

/// Fewer shared objects than this fraction of the earlier snapshot's: not one process.
const MIN_SHARED: f64 = 0.05;
/// Below this many objects, snapshots are too small to tell (unit tests, empty heaps).
const MIN_OBJECTS_TO_CHECK: usize = 1000;

/// Whether an object is of a kind the finder reports: JavaScript objects, closures, strings,
/// numbers, symbols, bigints. V8's internals (`system / …`, code, internal arrays) and embedder
/// nodes are never findings themselves: they count in the retained size of what owns them.
#[must_use]
pub fn is_reportable(g: &HeapGraph, n: NodeIndex) -> bool {
    match g.node_type(n) {
        NodeType::OBJECT => !g.node_name(n).starts_with("system / "),
        NodeType::NUMBER => g.node_name(n) != "smi number",
        t => {
            t.is_string()
                || matches!(
                    t,
                    NodeType::CLOSURE | NodeType::REGEXP | NodeType::SYMBOL | NodeType::BIGINT
                )
        }
    }
}

/// How many reportable objects of each path tail a snapshot holds, and how many of them are
/// new since the snapshot before.
#[derive(Clone, Debug, Default)]
pub struct TailCounts {
    counts: FxHashMap<u64, Count>,
}

/// Objects of one tail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    /// All of them.
    pub all: u32,
    /// Those that are new since the snapshot before.
    pub new: u32,
}

impl TailCounts {
    fn count(g: &HeapGraph, shapes: &Shapes, new: Option<&BitSet>) -> Self {
        let mut counts: FxHashMap<u64, Count> = FxHashMap::default();
        for n in g.nodes() {
            let Some(s) = shapes.of(n) else { continue };
            if !is_reportable(g, n) {
                continue;
            }
            let c = counts.entry(shapes.tail(s)).or_default();
            c.all += 1;
            if new.is_some_and(|w| w.get(n.index())) {
                c.new += 1;
            }
        }
        Self { counts }
    }

    /// The objects of a tail.
    #[must_use]
    pub fn get(&self, tail: u64) -> Count {
        self.counts.get(&tail).copied().unwrap_or_default()
    }
}

/// The objects of a snapshot that are new since an earlier one.
pub(crate) struct NewObjects {
    /// By node.
    pub nodes: BitSet,
    /// `(id, key)` of those with ids past the earlier snapshot's newest.
    pub fresh: IdTable,
    /// `(id, key)` of those that took over the id of an object the earlier snapshot had.
    pub recycled: IdTable,
    /// Objects both snapshots have.
    pub shared: usize,
}

impl NewObjects {
    /// The objects of `g` that `earlier` (snapshot `position - 1`, 1-based) did not have: ids
    /// past its newest, and ids it had for an object of another type or name (recycled).
    pub fn find(g: &HeapGraph, earlier: &IdTable, position: usize) -> Result<Self, LeaksError> {
        let max_id = g.max_js_object_id();
        if max_id < earlier.max_id() {
            return Err(LeaksError::OutOfOrder {
                earlier: position - 1,
                later: position,
                earlier_max: earlier.max_id(),
                later_max: max_id,
            });
        }
        let mut ids: Vec<u64> = g
            .nodes()
            .filter(|&n| has_stable_id(g, n))
            .map(|n| (u64::from(g.node_id(n)) << 32) | u64::from(n.0))
            .collect();
        ids.sort_unstable();
        let mut keys = NodeKeys::new(g);
        let mut nodes = BitSet::new(g.node_count());
        let (mut fresh, mut recycled) = (Vec::new(), Vec::new());
        let mut shared = 0;
        let mut before = earlier.iter().peekable();
        for packed in ids {
            let id = (packed >> 32) as u32;
            let n = NodeIndex((packed & 0xFFFF_FFFF) as u32);
            while before.next_if(|&(b, _)| b < id).is_some() {}
            let key = keys.of(n);
            let entry = (u64::from(id) << 32) | u64::from(key);
            match before.peek() {
                Some(&(b, k)) if b == id => {
                    if k == key {
                        shared += 1;
                    } else {
                        nodes.set(n.index());
                        recycled.push(entry);
                    }
                }
                _ if id > earlier.max_id() => {
                    nodes.set(n.index());
                    fresh.push(entry);
                }
                // Alive when the earlier snapshot was taken, though not in it.
                _ => {}
            }
        }
        #[allow(clippy::cast_precision_loss)] // a ratio
        if earlier.len() >= MIN_OBJECTS_TO_CHECK
            && (shared as f64) < MIN_SHARED * earlier.len() as f64
        {
            return Err(LeaksError::Unrelated {
                earlier: position - 1,
                later: position,
                shared,
                earlier_objects: earlier.len(),
            });
        }
        Ok(Self {
            nodes,
            fresh: IdTable::from_sorted(fresh, max_id),
            recycled: IdTable::from_sorted(recycled, max_id),
            shared,
        })
    }
}

/// What the finder keeps of the first snapshot (S1): its objects' ids, and with
/// [`Self::with_shapes`] (for `leaks S1 S2`) how many objects each path tail holds.
#[derive(Debug)]
pub struct Baseline {
    pub(crate) ids: IdTable,
    pub(crate) counts: Option<TailCounts>,
}

impl Baseline {
    /// The ids of `g`'s objects: enough for the first of three snapshots.
    #[must_use]
    pub fn new(g: &HeapGraph) -> Self {
        Self { ids: IdTable::of(g, |_| true), counts: None }
    }

    /// The ids and the path-tail counts of `g`'s objects: what the first of two snapshots
    /// needs, since the second has no third to confirm that its new objects stay.
    #[must_use]
    pub fn with_shapes(g: &HeapGraph, progress: Progress<'_>) -> Self {
        let paths = RetainerPaths::compute(g, progress);
        let shapes = Shapes::compute(g, &paths);
        Self { ids: IdTable::of(g, |_| true), counts: Some(TailCounts::count(g, &shapes, None)) }
    }

    /// How many heap objects the snapshot has.
    #[must_use]
    pub fn objects(&self) -> usize {
        self.ids.len()
    }
}

/// What the finder keeps of the second of three snapshots (S2): the objects allocated since
/// S1 (by id and key), and per path tail how many objects, and how many new ones, it holds.
#[derive(Debug)]
pub struct Target {
    pub(crate) fresh: IdTable,
    pub(crate) recycled: IdTable,
    pub(crate) counts: TailCounts,
    objects: usize,
    shared: usize,
}

impl Target {
    /// Reads S2 against S1.
    ///
    /// # Errors
    /// When S2 is older than S1, or they share almost no object (two processes).
    pub fn new(
        g: &HeapGraph,
        baseline: &Baseline,
        progress: Progress<'_>,
    ) -> Result<Self, LeaksError> {
        let new = NewObjects::find(g, &baseline.ids, 2)?;
        let paths = RetainerPaths::compute(g, progress);
        let shapes = Shapes::compute(g, &paths);
        let counts = TailCounts::count(g, &shapes, Some(&new.nodes));
        let objects = g.nodes().filter(|&n| has_stable_id(g, n)).count();
        Ok(Self { fresh: new.fresh, recycled: new.recycled, counts, objects, shared: new.shared })
    }

    /// How many heap objects S2 has.
    #[must_use]
    pub fn objects(&self) -> usize {
        self.objects
    }

    /// How many of them are new since S1.
    #[must_use]
    pub fn new_objects(&self) -> usize {
        self.fresh.len() + self.recycled.len()
    }

    /// How many of them took over the id of an object of S1 (V8 recycles the ids of dead
    /// objects' addresses).
    #[must_use]
    pub fn recycled_ids(&self) -> usize {
        self.recycled.len()
    }

    /// How many of them S1 had too.
    #[must_use]
    pub fn shared(&self) -> usize {
        self.shared
    }

    /// The largest heap object id of S2.
    #[must_use]
    pub fn max_id(&self) -> u32 {
        self.fresh.max_id()
    }

    /// The key S2 had for the object `id`, when it is one S2 gained since S1.
    pub(crate) fn gained(&self, id: u32, baseline_max: u32) -> Option<u32> {
        let table = if id > baseline_max { &self.fresh } else { &self.recycled };
        if table.is_empty() { None } else { table.get(id) }
    }
}
