//! Class names, as Chrome DevTools' Summary view groups objects.
//!
//! - `hidden` → `(system)`, `code` → `(compiled code)`, `closure` → `Function`, `regexp` →
//!   `RegExp`;
//! - `object` and `native` → the node's name (the constructor's name for objects), with Blink's
//!   `<div id="a">` cut to `<div>`; native nodes DevTools calls detached get `Detached `;
//! - plain `Object`s → the interface DevTools infers from their properties, like `{x, y}`;
//! - any other type → `(type)`: `(string)`, `(array)`, `(concatenated string)`…
//!
//! A class is a name plus, for `object` nodes whose constructor has a source location, that
//! location: two constructors with the same name in different places are two classes, as in
//! DevTools (its class key is `"scriptId,line,column,Name"`, or `",Name"` without a location).

use std::fmt::Write as _;

use crate::bits::BitSet;
use crate::fxhash::FxHashMap;
use crate::graph::HeapGraph;
use crate::progress::{Phase, Progress};
use crate::types::{EdgeType, NodeIndex, NodeType, StringId};

/// A class, as an index into [`Classes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassId(pub u32);

impl ClassId {
    /// The index as a `usize`.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a constructor is: V8's script id and 0-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourcePosition {
    /// V8's script id.
    pub script_id: u32,
    /// 0-based line.
    pub line: u32,
    /// 0-based column.
    pub column: u32,
}

/// One class: its name and, for located constructors, where the constructor is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassInfo {
    /// The name DevTools shows.
    pub name: String,
    /// The constructor's position, for `object` nodes that have one.
    pub position: Option<SourcePosition>,
}

impl ClassInfo {
    /// DevTools' class key: `"scriptId,line,column,Name"` with a position, else `",Name"`.
    #[must_use]
    pub fn devtools_key(&self) -> String {
        match self.position {
            Some(p) => format!("{},{},{},{}", p.script_id, p.line, p.column, self.name),
            None => format!(",{}", self.name),
        }
    }
}

/// Every node's class.
#[derive(Clone, Debug)]
pub struct Classes {
    of_node: Vec<u32>,
    classes: Vec<ClassInfo>,
    /// The plain-object interfaces, each as its property names, most common first.
    interfaces: Vec<Vec<String>>,
}

/// Names older DevTools used, still accepted when looking classes up by name.
const ALIASES: [(&str, &str); 2] = [("(closure)", "Function"), ("(regexp)", "RegExp")];

impl Classes {
    /// Names every node's class; `detached` are the native nodes DevTools renames
    /// `Detached …` ([`crate::detached_natives`]).
    #[must_use]
    pub fn compute(g: &HeapGraph, detached: &BitSet, progress: Progress<'_>) -> Self {
        Self::compute_inner(g, detached, None, progress)
    }

    /// Names every node's class with the plain-object interfaces of another snapshot (its
    /// [`Self::interfaces`]) instead of inferring them from this one: DevTools' Comparison view
    /// does this to the base snapshot, so the classes of the two snapshots line up.
    #[must_use]
    pub fn compute_with_interfaces(
        g: &HeapGraph,
        detached: &BitSet,
        interfaces: &[Vec<String>],
        progress: Progress<'_>,
    ) -> Self {
        Self::compute_inner(g, detached, Some(interfaces), progress)
    }

    fn compute_inner(
        g: &HeapGraph,
        detached: &BitSet,
        given: Option<&[Vec<String>]>,
        progress: Progress<'_>,
    ) -> Self {
        let mut ticker = progress.phase(Phase::Classes, g.node_count());
        let mut b = Builder::default();
        let by_type: Vec<u32> = g
            .type_names()
            .iter()
            .enumerate()
            .map(|(t, name)| {
                let class = match u8::try_from(t).map(NodeType) {
                    Ok(NodeType::HIDDEN) => "(system)".to_owned(),
                    Ok(NodeType::CODE) => "(compiled code)".to_owned(),
                    Ok(NodeType::CLOSURE) => "Function".to_owned(),
                    Ok(NodeType::REGEXP) => "RegExp".to_owned(),
                    _ => format!("({name})"),
                };
                b.intern(&class)
            })
            .collect();
        let interfaces = match given {
            Some(names) => match_interfaces(g, InterfaceDefinitions::named(g, names)),
            None => match_interfaces(g, InterfaceDefinitions::infer(g)),
        };
        let mut by_name: Vec<u32> = vec![u32::MAX; g.strings().len()];
        let mut locations = g.locations().iter().peekable();
        let mut matched = interfaces.matched.iter().peekable();
        let mut of_node = Vec::with_capacity(g.node_count());
        for n in g.nodes() {
            ticker.tick(n.index());
            let t = g.node_type(n);
            if t != NodeType::OBJECT && t != NodeType::NATIVE {
                of_node.push(by_type[usize::from(t.0)]);
                continue;
            }
            let name_id = g.node_name_id(n);
            let interface = matched
                .next_if(|&&(node, _)| node == n.0)
                .map(|&(_, d)| interfaces.names[d as usize].as_str());
            let unlocated = if let Some(name) = interface {
                b.intern(name)
            } else if t == NodeType::NATIVE && detached.get(n.index()) {
                b.intern(&class_name_of(&format!("Detached {}", g.node_name(n))))
            } else {
                let cached = &mut by_name[name_id.index()];
                if *cached == u32::MAX {
                    *cached = b.intern(&class_name_of(g.node_name(n)));
                }
                *cached
            };
            let mut class = unlocated;
            if t == NodeType::OBJECT {
                while locations.next_if(|l| l.node < n).is_some() {}
                if let Some(l) = locations.next_if(|l| l.node == n) {
                    let position =
                        SourcePosition { script_id: l.script_id, line: l.line, column: l.column };
                    class = b.intern_located(unlocated, position);
                }
            }
            of_node.push(class);
        }
        ticker.finish();
        Self { of_node, classes: b.classes, interfaces: interfaces.properties }
    }

    /// A node's class.
    #[must_use]
    pub fn of(&self, n: NodeIndex) -> ClassId {
        ClassId(self.of_node[n.index()])
    }

    /// Every node's class, by node ordinal.
    #[must_use]
    pub fn as_slice(&self) -> &[u32] {
        &self.of_node
    }

    /// A class's name.
    #[must_use]
    pub fn name(&self, c: ClassId) -> &str {
        &self.classes[c.index()].name
    }

    /// A class.
    #[must_use]
    pub fn info(&self, c: ClassId) -> &ClassInfo {
        &self.classes[c.index()]
    }

    /// The number of classes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether there are no classes (never, for a graph has a root).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// Every class with its id.
    pub fn iter(&self) -> impl Iterator<Item = (ClassId, &ClassInfo)> {
        #[allow(clippy::cast_possible_truncation)] // at most one class per node
        self.classes.iter().enumerate().map(|(i, c)| (ClassId(i as u32), c))
    }

    /// The classes a user means by `name`: an exact name (`Foo`, `{a, b}`, `(string)`), or
    /// the names older DevTools used (`(closure)` for `Function`, `(regexp)` for `RegExp`).
    #[must_use]
    pub fn named(&self, name: &str) -> Vec<ClassId> {
        let alias = ALIASES.iter().find(|(old, _)| *old == name).map(|(_, new)| *new);
        self.iter()
            .filter(|(_, c)| c.name == name || Some(c.name.as_str()) == alias)
            .map(|(id, _)| id)
            .collect()
    }

    /// How many plain-object interfaces (`{a, b}`) were inferred.
    #[must_use]
    pub fn interface_count(&self) -> usize {
        self.interfaces.len()
    }

    /// The plain-object interfaces, each as its property names in order, most common first
    /// (to name another snapshot's classes alike, [`Self::compute_with_interfaces`]).
    #[must_use]
    pub fn interfaces(&self) -> &[Vec<String>] {
        &self.interfaces
    }
}

/// DevTools' class name of an `object` or `native` node's name: a name starting with `<` (or
/// `Detached <`) is cut at its first space and closed with `>`.
fn class_name_of(name: &str) -> String {
    let cut_from = if name.starts_with('<') {
        Some(0)
    } else if name.starts_with("Detached <") {
        Some("Detached <".len())
    } else {
        None
    };
    if let Some(from) = cut_from
        && let Some(space) = name[from..].find(' ')
    {
        return format!("{}>", &name[..from + space]);
    }
    name.to_owned()
}

#[derive(Default)]
struct Builder {
    classes: Vec<ClassInfo>,
    by_name: FxHashMap<String, u32>,
    located: FxHashMap<(u32, SourcePosition), u32>,
}

impl Builder {
    fn push(&mut self, info: ClassInfo) -> u32 {
        self.classes.push(info);
        u32::try_from(self.classes.len() - 1).unwrap_or(u32::MAX)
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.push(ClassInfo { name: name.to_owned(), position: None });
        self.by_name.insert(name.to_owned(), id);
        id
    }

    fn intern_located(&mut self, unlocated: u32, position: SourcePosition) -> u32 {
        if let Some(&id) = self.located.get(&(unlocated, position)) {
            return id;
        }
        let name = self.classes[unlocated as usize].name.clone();
        let id = self.push(ClassInfo { name, position: Some(position) });
        self.located.insert((unlocated, position), id);
        id
    }
}

// ---------------------------------------------------------------------------------------------
// Plain-object interfaces

/// DevTools stops adding properties to an interface name past this length (in UTF-16 units),
/// once it has at least one.
const MAX_INTERFACE_NAME_LENGTH: usize = 120;
/// An interface must describe at least this many objects…
const MIN_OBJECTS_PER_INTERFACE: f64 = 2.0;
/// …and at least one plain object in this many.
const MIN_OBJECT_PROPORTION: f64 = 1000.0;

/// The interface each plain object was given.
struct Interfaces {
    /// The interface names, by definition index.
    names: Vec<String>,
    /// (node, definition) for each plain object (`object` named `Object`) that matched, in
    /// node order.
    matched: Vec<(u32, u32)>,
    /// Each definition's property names.
    properties: Vec<Vec<String>>,
}

/// Interface definitions as property-name string ids of one graph, most common first.
struct InterfaceDefinitions {
    /// Each definition's properties; a name the graph lacks has an id past its strings.
    ids: Vec<Vec<u32>>,
    properties: Vec<Vec<String>>,
}

impl InterfaceDefinitions {
    /// DevTools' interface inference: the property lists (in edge order, without
    /// `__proto__`) that enough plain objects start with.
    fn infer(g: &HeapGraph) -> Self {
        let names = g.special_names();
        let none = Self { ids: Vec::new(), properties: Vec::new() };
        let Some(object) = names.object else { return none };
        let proto = names.proto;

        // Candidates: the leading properties of each plain object, as long as the name stays
        // short.
        let mut formatted_len: FxHashMap<u32, usize> = FxHashMap::default();
        let mut candidates: FxHashMap<Vec<u32>, (u32, u32)> = FxHashMap::default(); // props -> (count, first)
        let mut props: Vec<u32> = Vec::new();
        let mut total = 0u64;
        for n in g.nodes().filter(|&n| is_plain(g, n, object)) {
            total += 1;
            props.clear();
            let mut name_len = 1; // "{"
            for e in g.edges(n) {
                if g.edge_type(e) != EdgeType::Property
                    || Some(StringId(g.edge_name_raw(e))) == proto
                {
                    continue;
                }
                let id = g.edge_name_raw(e);
                let len = *formatted_len
                    .entry(id)
                    .or_insert_with(|| utf16_len(&format_property_name(g.string(StringId(id)))));
                if name_len > 1 && name_len + len > MAX_INTERFACE_NAME_LENGTH {
                    break;
                }
                if name_len > 1 {
                    name_len += 2;
                }
                name_len += len;
                props.push(id);
            }
            if props.is_empty() {
                continue;
            }
            if let Some(c) = candidates.get_mut(props.as_slice()) {
                c.0 += 1;
            } else {
                let order = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
                candidates.insert(props.clone(), (1, order));
            }
        }
        #[allow(clippy::cast_precision_loss)] // a threshold, as DevTools computes it in doubles
        let min_count = MIN_OBJECTS_PER_INTERFACE.max(total as f64 / MIN_OBJECT_PROPORTION);
        let mut sorted: Vec<(Vec<u32>, (u32, u32))> = candidates.into_iter().collect();
        sorted.sort_by_key(|(_, (count, order))| (std::cmp::Reverse(*count), *order));
        let ids: Vec<Vec<u32>> = sorted
            .into_iter()
            .take_while(|(_, (count, _))| f64::from(*count) >= min_count)
            .map(|(props, _)| props)
            .collect();
        let properties = ids
            .iter()
            .map(|props| props.iter().map(|&p| g.string(StringId(p)).to_owned()).collect())
            .collect();
        Self { ids, properties }
    }

    /// Definitions given by name (another snapshot's), as this graph's string ids.
    fn named(g: &HeapGraph, properties: &[Vec<String>]) -> Self {
        let mut wanted: FxHashMap<&str, u32> =
            properties.iter().flatten().map(|p| (p.as_str(), u32::MAX)).collect();
        for (id, text) in g.strings().iter() {
            if let Some(slot) = wanted.get_mut(text)
                && *slot == u32::MAX
            {
                *slot = id.0;
            }
        }
        // Names this graph lacks get ids no edge has, so their definitions match nothing.
        let mut missing = u32::try_from(g.strings().len()).unwrap_or(u32::MAX);
        for slot in wanted.values_mut().filter(|slot| **slot == u32::MAX) {
            *slot = missing;
            missing = missing.saturating_add(1);
        }
        let ids = properties
            .iter()
            .map(|props| props.iter().map(|p| wanted[p.as_str()]).collect())
            .collect();
        Self { ids, properties: properties.to_vec() }
    }
}

fn is_plain(g: &HeapGraph, n: NodeIndex, object: StringId) -> bool {
    g.node_type(n) == NodeType::OBJECT && g.node_name_id(n) == object
}

/// Gives each plain object the interface whose property set is the largest subset of its own
/// (ties: the more common).
fn match_interfaces(g: &HeapGraph, definitions: InterfaceDefinitions) -> Interfaces {
    let InterfaceDefinitions { ids: definitions, properties } = definitions;
    let empty = Interfaces { names: Vec::new(), matched: Vec::new(), properties: Vec::new() };
    let Some(object) = g.special_names().object else { return empty };
    if definitions.is_empty() {
        return empty;
    }
    let names: Vec<String> = properties
        .iter()
        .map(|props| {
            let mut name = String::from("{");
            for (i, p) in props.iter().enumerate() {
                if i > 0 {
                    name.push_str(", ");
                }
                name.push_str(&format_property_name(p));
            }
            name.push('}');
            name
        })
        .collect();

    // Property names ranked in string order, so a trie can be walked in sorted order.
    let mut all: Vec<(u32, &str)> = definitions
        .iter()
        .zip(&properties)
        .flat_map(|(ids, props)| ids.iter().copied().zip(props.iter().map(String::as_str)))
        .collect();
    all.sort_unstable_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)));
    all.dedup();
    let rank: FxHashMap<u32, u32> = all.iter().zip(0u32..).map(|(&(id, _), r)| (id, r)).collect();
    let mut trie = Trie::default();
    for (index, props) in definitions.iter().enumerate() {
        let mut ranks: Vec<u32> = props.iter().map(|p| rank[p]).collect();
        ranks.sort_unstable();
        trie.insert(&ranks, u32::try_from(index).unwrap_or(u32::MAX));
    }

    let mut matched = Vec::new();
    let mut ranks: Vec<u32> = Vec::new();
    let (mut states, mut current) = (Vec::new(), Vec::new());
    for n in g.nodes().filter(|&n| is_plain(g, n, object)) {
        ranks.clear();
        ranks.extend(
            g.edges(n)
                .filter(|&e| g.edge_type(e) == EdgeType::Property)
                .filter_map(|e| rank.get(&g.edge_name_raw(e)).copied()),
        );
        ranks.sort_unstable();
        if let Some(d) = trie.best_match(&ranks, &mut states, &mut current) {
            matched.push((n.0, d));
        }
    }
    Interfaces { names, matched, properties }
}

/// Property names in sorted order; a node that ends a definition names it.
#[derive(Default)]
struct Trie {
    nodes: Vec<TrieNode>,
}

#[derive(Default)]
struct TrieNode {
    next: Vec<(u32, u32)>,
    /// (property count, definition index) of the first definition ending here.
    ends: Option<(usize, u32)>,
    greatest_next: Option<u32>,
}

impl Trie {
    fn insert(&mut self, ranks: &[u32], definition: u32) {
        if self.nodes.is_empty() {
            self.nodes.push(TrieNode::default());
        }
        let mut at = 0usize;
        for &r in ranks {
            let found = self.nodes[at].next.iter().find(|(k, _)| *k == r).map(|&(_, to)| to);
            at = if let Some(to) = found {
                to as usize
            } else {
                self.nodes.push(TrieNode::default());
                let to = self.nodes.len() - 1;
                let node = &mut self.nodes[at];
                node.next.push((r, u32::try_from(to).unwrap_or(u32::MAX)));
                node.greatest_next = Some(node.greatest_next.map_or(r, |g| g.max(r)));
                to
            };
        }
        self.nodes[at].ends.get_or_insert((ranks.len(), definition));
    }

    /// The definition with the most properties among those whose properties the sorted
    /// `ranks` include (ties: the earlier, i.e. more common, definition). `states` and
    /// `current` are scratch space.
    fn best_match(
        &self,
        ranks: &[u32],
        states: &mut Vec<u32>,
        current: &mut Vec<u32>,
    ) -> Option<u32> {
        let better = |a: Option<(usize, u32)>, b: Option<(usize, u32)>| match (a, b) {
            (Some(a), Some(b)) if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) => Some(b),
            (None, b) => b,
            (a, _) => a,
        };
        let mut best = self.nodes.first()?.ends;
        states.clear();
        states.push(0);
        for &r in ranks {
            current.clear();
            current.extend_from_slice(states);
            for &s in current.iter() {
                let node = &self.nodes[s as usize];
                if node.greatest_next.is_none_or(|g| r >= g) {
                    // Properties come sorted: no later one can leave this state.
                    states.retain(|&x| x != s);
                }
                if let Some(&(_, to)) = node.next.iter().find(|(k, _)| *k == r) {
                    if !states.contains(&to) {
                        states.push(to);
                    }
                    best = better(best, self.nodes[to as usize].ends);
                }
            }
        }
        best.map(|(_, d)| d)
    }
}

/// DevTools' `formatPropertyName`: names with `,'"{}` are shown JSON-quoted.
fn format_property_name(name: &str) -> String {
    if !name.contains([',', '\'', '"', '{', '}']) {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blink_names_are_cut() {
        assert_eq!(class_name_of("<div id=\"a\">"), "<div>");
        assert_eq!(class_name_of("<div>"), "<div>");
        assert_eq!(class_name_of("Detached <li class=x>"), "Detached <li>");
        assert_eq!(class_name_of("Foo Bar"), "Foo Bar");
    }

    /// `count` plain objects with these properties (and a `__proto__`), held by the root.
    fn plain_objects(shapes: &[(&[&str], usize)]) -> HeapGraph {
        let mut b = crate::GraphBuilder::new();
        let root = b.add_node(NodeType::SYNTHETIC, "", 1, 0);
        let proto = b.add_node(NodeType::OBJECT, "Object", 3, 8);
        let mut id = 5;
        for (props, count) in shapes {
            for _ in 0..*count {
                let o = b.add_node(NodeType::OBJECT, "Object", id, 24);
                id += 2;
                b.add_edge(root, EdgeType::Property, "o", o);
                b.add_edge(o, EdgeType::Property, "__proto__", proto);
                for p in *props {
                    b.add_edge(o, EdgeType::Property, p, proto);
                }
            }
        }
        b.build().unwrap()
    }

    #[test]
    fn another_snapshots_interfaces_name_plain_objects_alike() {
        let earlier = plain_objects(&[(&["x", "y", "z"], 1)]);
        let later = plain_objects(&[(&["x", "y"], 3), (&["w", "v"], 2)]);
        let none = BitSet::new(0);
        let named = |g: &HeapGraph, c: &Classes| {
            g.nodes().skip(2).map(|n| c.name(c.of(n)).to_owned()).collect::<Vec<_>>()
        };
        let own = Classes::compute(&earlier, &none, Progress::none());
        assert_eq!(named(&earlier, &own), ["Object"], "one object defines no interface");
        let interfaces = Classes::compute(&later, &none, Progress::none());
        assert_eq!(interfaces.interfaces(), [vec!["x", "y"], vec!["w", "v"]]);
        let alike = Classes::compute_with_interfaces(
            &earlier,
            &none,
            interfaces.interfaces(),
            Progress::none(),
        );
        assert_eq!(named(&earlier, &alike), ["{x, y}"]);
        assert_eq!(alike.interface_count(), 2, "{{w, v}}: names the earlier graph lacks");
    }

    #[test]
    fn property_names_are_quoted_like_json() {
        assert_eq!(format_property_name("plain"), "plain");
        assert_eq!(format_property_name("a,b"), "\"a,b\"");
        assert_eq!(format_property_name("say \"hi\"\n{"), "\"say \\\"hi\\\"\\n{\"");
    }
}
