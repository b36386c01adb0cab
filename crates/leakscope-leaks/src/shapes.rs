//! The shape of every object's retainer path, comparable across snapshots.
//!
//! A shape is the sequence of steps of an object's shortest retainer path, each step being the
//! edge type, the edge name and the class of the object it reaches. Three things make shapes
//! useful to group leaked objects and to count a group in several snapshots:
//!
//! - keys are folded: array indexes, Map and Set slots, WeakMap entries and the properties of
//!   dictionary-like objects (`cache[sessionId]`) become one "key" name, so the 10,000
//!   objects of one array or Map share one shape;
//! - repeats are folded: when a path ends in the same block of up to [`MAX_PERIOD`] steps
//!   twice (`next → Node → next → Node`, or `someMethod → context → originalThing` in the
//!   `replaceThing` leak), the second copy is dropped, so every object down a linked chain
//!   shares one shape;
//! - classes are the snapshot-independent ones (the constructor or type and name, never an
//!   inferred interface or a script position), and each shape has a 64-bit digest of its last
//!   [`TAIL_STEPS`] steps, its *tail*: the holder and what is under it, which stays the same
//!   across snapshots even when the way to the holder changes.
//!
//! Shapes are interned in a tree (each shape is its prefix plus one step), built in one pass
//! over the objects in the order the retainer-path search reached them.

use leakscope_graph::{
    EdgeIndex, EdgeName, EdgeType, FxHashMap, HeapGraph, NodeIndex, NodeType, RetainerPaths,
};

use crate::ids::digest;

/// The longest repeated block that is folded.
pub const MAX_PERIOD: usize = 4;
/// How many steps a shape's tail digest covers.
pub const TAIL_STEPS: usize = 4;
/// An object with more edges than this holds its properties as a dictionary: their names are
/// keys (session ids, URLs), not fields.
pub const DICTIONARY_EDGES: usize = 128;

const NONE: u32 = u32::MAX;
/// The edge-name key of index-like names.
const KEYED: u64 = 0x6b65_7965_645f_5f5f;

/// A shape, as an index into [`Shapes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShapeId(pub u32);

#[derive(Clone, Copy, Debug)]
struct Shape {
    parent: u32,
    step: u64,
    tail: u64,
    depth: u32,
}

/// The shape of every object a strong path reaches.
#[derive(Debug)]
pub struct Shapes {
    of_node: Vec<u32>,
    shapes: Vec<Shape>,
}

impl Shapes {
    /// The shapes of the paths `paths` found in `g`.
    #[must_use]
    pub fn compute(g: &HeapGraph, paths: &RetainerPaths) -> Self {
        let mut of_node = vec![NONE; g.node_count()];
        let mut b = Builder {
            shapes: vec![Shape { parent: NONE, step: 0, tail: 0, depth: 0 }],
            index: FxHashMap::default(),
        };
        let mut keys = StepKeys::new(g);
        let root = g.root();
        of_node[root.index()] = 0;
        let from_root = g.edge_range(root);
        for v in paths.order() {
            let shape = of_node[v.index()];
            debug_assert_ne!(
                shape, NONE,
                "the order puts each object after its path's previous one"
            );
            // The global object has many properties, but they are variables, not keys.
            let child_of_root = paths.via(v).is_some_and(|e| from_root.contains(&e.index()));
            let dictionary = !child_of_root && g.out_degree(v) > DICTIONARY_EDGES;
            for e in g.edges(v) {
                let to = g.edge_to(e);
                if paths.via(to) != Some(e) {
                    continue;
                }
                let step = keys.step(e, to, dictionary);
                of_node[to.index()] = b.intern(shape, step);
            }
        }
        Self { of_node, shapes: b.shapes }
    }

    /// The shape of `n`'s path, `None` when no strong path reaches it.
    #[must_use]
    pub fn of(&self, n: NodeIndex) -> Option<ShapeId> {
        self.of_node.get(n.index()).filter(|&&s| s != NONE).map(|&s| ShapeId(s))
    }

    /// The digest of a shape's last [`TAIL_STEPS`] steps.
    #[must_use]
    pub fn tail(&self, s: ShapeId) -> u64 {
        self.shapes[s.0 as usize].tail
    }

    /// How many steps a shape has.
    #[must_use]
    pub fn depth(&self, s: ShapeId) -> u32 {
        self.shapes[s.0 as usize].depth
    }

    /// How many distinct shapes there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// Whether there is only the root's.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.shapes.len() <= 1
    }
}

struct Builder {
    shapes: Vec<Shape>,
    index: FxHashMap<(u32, u64), u32>,
}

impl Builder {
    fn ancestor(&self, mut s: u32, up: usize) -> u32 {
        for _ in 0..up {
            s = self.shapes[s as usize].parent;
        }
        s
    }

    /// The shape `parent` + `step`, with a repeated ending folded.
    fn intern(&mut self, parent: u32, step: u64) -> u32 {
        let depth = self.shapes[parent as usize].depth as usize + 1;
        // Steps counted from the end of parent + step: x(0) = step, x(i) = step of the
        // (i - 1)-th ancestor of parent.
        let x = |b: &Self, i: usize| {
            if i == 0 { step } else { b.shapes[b.ancestor(parent, i - 1) as usize].step }
        };
        for k in 1..=MAX_PERIOD {
            if 2 * k > depth {
                break;
            }
            if (0..k).all(|i| x(self, i) == x(self, i + k)) {
                // parent + step without its last k steps.
                return self.ancestor(parent, k - 1);
            }
        }
        if let Some(&s) = self.index.get(&(parent, step)) {
            return s;
        }
        let mut tail = mix(0, step);
        let mut at = parent;
        for _ in 1..TAIL_STEPS {
            if at == 0 {
                break;
            }
            let shape = self.shapes[at as usize];
            tail = mix(tail, shape.step);
            at = shape.parent;
        }
        let id = u32::try_from(self.shapes.len()).unwrap_or(NONE);
        self.shapes.push(Shape {
            parent,
            step,
            tail,
            depth: u32::try_from(depth).unwrap_or(u32::MAX),
        });
        self.index.insert((parent, step), id);
        id
    }
}

fn mix(a: u64, b: u64) -> u64 {
    (a.rotate_left(23) ^ b).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5151_5151
}

/// The snapshot-independent key of each step, with the digests of names cached.
struct StepKeys<'g> {
    g: &'g HeapGraph,
    digests: Vec<u32>,
}

impl<'g> StepKeys<'g> {
    fn new(g: &'g HeapGraph) -> Self {
        Self { g, digests: vec![0; g.strings().len()] }
    }

    fn text(&mut self, id: leakscope_graph::StringId) -> u64 {
        let slot = &mut self.digests[id.index()];
        if *slot == 0 {
            *slot = digest(self.g.string(id).as_bytes()) | 1;
        }
        u64::from(*slot)
    }

    fn step(&mut self, e: EdgeIndex, to: NodeIndex, dictionary: bool) -> u64 {
        let g = self.g;
        let t = g.edge_type(e);
        let name = if is_key(g, e) || (dictionary && t == EdgeType::Property) {
            KEYED
        } else {
            self.text(leakscope_graph::StringId(g.edge_name_raw(e)))
        };
        let class = self.class(to);
        mix(mix(u64::from(t as u8) + 1, name), class)
    }

    /// The class of a node as every snapshot of the process names it alike.
    fn class(&mut self, n: NodeIndex) -> u64 {
        let g = self.g;
        let t = g.node_type(n);
        let type_key = (u64::from(t.0) + 1) << 40;
        match t {
            _ if t.is_string() => 1 << 40,
            NodeType::NUMBER | NodeType::SYMBOL | NodeType::BIGINT => type_key,
            _ => type_key ^ self.text(g.node_name_id(n)),
        }
    }
}

/// Whether an edge's name is a key rather than a field: an index, a numeric property name, a
/// slot of a Map's or Set's table, a WeakMap entry.
#[must_use]
pub fn is_key(g: &HeapGraph, e: EdgeIndex) -> bool {
    match g.edge_name(e) {
        EdgeName::Index(_) => true,
        EdgeName::Str(s) => {
            let digits = s.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && (digits == s.len() || s[digits..].starts_with(" / part of key ("))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leakscope_graph::{GraphBuilder, Progress};

    /// `global.list` holds two `Item`s; `global.chain` starts a linked list of three `Link`s
    /// (`next`); `global.twin` is another array of `Item`s.
    fn heap() -> (HeapGraph, Vec<NodeIndex>) {
        let mut b = GraphBuilder::new();
        let mut id = 1;
        let mut add = |b: &mut GraphBuilder, t: NodeType, name: &str| {
            let n = b.add_node(t, name, id, 16);
            id += 2;
            n
        };
        let root = add(&mut b, NodeType::SYNTHETIC, "");
        let global = add(&mut b, NodeType::OBJECT, "global");
        let list = add(&mut b, NodeType::OBJECT, "Array");
        let twin = add(&mut b, NodeType::OBJECT, "Array");
        let items: Vec<NodeIndex> = (0..3).map(|_| add(&mut b, NodeType::OBJECT, "Item")).collect();
        let links: Vec<NodeIndex> = (0..3).map(|_| add(&mut b, NodeType::OBJECT, "Link")).collect();
        b.add_edge(root, EdgeType::Shortcut, "global", global);
        b.add_edge(global, EdgeType::Property, "list", list);
        b.add_edge(global, EdgeType::Property, "twin", twin);
        b.add_edge(global, EdgeType::Property, "chain", links[0]);
        b.add_index_edge(list, EdgeType::Element, 0, items[0]);
        b.add_index_edge(list, EdgeType::Element, 7, items[1]);
        b.add_index_edge(twin, EdgeType::Element, 0, items[2]);
        b.add_edge(links[0], EdgeType::Property, "next", links[1]);
        b.add_edge(links[1], EdgeType::Property, "next", links[2]);
        let g = b.build().unwrap();
        let mut nodes = items;
        nodes.extend(links);
        (g, nodes)
    }

    #[test]
    fn indexes_fold_and_holders_differ() {
        let (g, n) = heap();
        let paths = RetainerPaths::compute(&g, Progress::none());
        let s = Shapes::compute(&g, &paths);
        assert_eq!(s.of(n[0]), s.of(n[1]), "[0] and [7] of one array");
        assert_ne!(s.of(n[0]), s.of(n[2]), "list and twin are two holders");
        assert_eq!(s.depth(s.of(n[0]).unwrap()), 3);
    }

    #[test]
    fn linked_chains_fold() {
        let (g, n) = heap();
        let paths = RetainerPaths::compute(&g, Progress::none());
        let s = Shapes::compute(&g, &paths);
        let (first, second, third) = (s.of(n[3]), s.of(n[4]), s.of(n[5]));
        assert_ne!(first, second, "chain → Link, then chain → Link → next → Link");
        assert_eq!(second, third, "one more next → Link folds");
        assert_eq!(s.tail(second.unwrap()), s.tail(third.unwrap()));
    }
}
